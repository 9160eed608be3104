//! The jobs of the complex: `faces` (the f-vectors, the faces listed or streamed as JSON lines)
//! and `boundary` (a level set or the argmax ties with its topology), each a typed result whose
//! documents carry their provenance, for the CLI and Python alike.

use crate::complex::json::{boundary_document, face_line, faces_document};
use crate::complex::{Boundary, Complex, ComplexError, LevelSpec};
use crate::enumerate::Enumerator;
use crate::export::provenance::Provenance;
use crate::network::Network;
use serde_json::Value;

/// Which faces a faces document lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Listed {
    /// None: the f-vectors only.
    Nothing,
    /// Every face.
    All,
    /// The faces of this dimension.
    OfDim(usize),
}

impl Listed {
    fn keeps(self, dim: usize) -> bool {
        match self {
            Listed::Nothing => false,
            Listed::All => true,
            Listed::OfDim(k) => k == dim,
        }
    }
}

/// Every face of the complex of a network ([`crate::complex::complex`]).
#[derive(Debug, Clone)]
pub struct FacesJob {
    complex: Complex,
}

/// The faces of `net`'s complex on its domain, with the f-vector identities checked.
///
/// # Examples
/// ```
/// use relu_regions::{jobs::{self, Listed}, Enumerator, Network};
/// // relu(x) on [-1, 1]: two edges and three vertices
/// let net = Network::from_json(r#"{"input_dim": 1, "domain": {"box": [["-1", "1"]]},
///     "layers": [{"weights": [["1"]], "activation": "relu"}]}"#).unwrap();
/// let job = jobs::faces(&net, &Enumerator::builder().build()).unwrap();
/// assert_eq!(job.complex().f_vector(), [3, 2]);
/// let doc = job.document(Listed::OfDim(0), None);
/// assert_eq!(doc["faces"].as_array().unwrap().len(), 3);
/// let mut lines = Vec::new();
/// job.write_lines(Listed::All, None, &mut lines).unwrap();
/// let text = String::from_utf8(lines).unwrap();
/// assert_eq!(text.lines().count(), 6); // five faces, then the summary line
/// assert_eq!(serde_json::from_str::<serde_json::Value>(text.lines().last().unwrap()).unwrap()["summary"], true);
/// ```
///
/// # Errors
/// The network is outside what the complex supports, the run was stopped, or an exact check
/// failed.
pub fn faces(net: &Network, enumerator: &Enumerator) -> Result<FacesJob, ComplexError> {
    Ok(FacesJob { complex: crate::complex::complex(net, enumerator)? })
}

impl FacesJob {
    /// The complex.
    ///
    /// See the example on [`faces`].
    pub fn complex(&self) -> &Complex {
        &self.complex
    }

    /// The `faces --json` document: the f-vectors, the faces `listed`, the provenance.
    ///
    /// See the example on [`faces`].
    pub fn document(&self, listed: Listed, provenance: Option<&Provenance>) -> Value {
        let c = &self.complex;
        let mut doc = faces_document(c);
        if listed != Listed::Nothing {
            doc["faces"] = c.faces.iter().filter(|f| listed.keeps(f.dim)).map(|f| face_line(c, f)).collect();
        }
        if let Some(p) = provenance {
            doc["provenance"] = serde_json::json!(p);
        }
        doc
    }

    /// `faces --jsonl`: each face `listed` on a line, then the summary line (the f-vectors
    /// with `"summary": true` and the provenance).
    ///
    /// See the example on [`faces`].
    pub fn write_lines<W: std::io::Write>(
        &self,
        listed: Listed,
        provenance: Option<&Provenance>,
        mut out: W,
    ) -> std::io::Result<()> {
        let c = &self.complex;
        for f in c.faces.iter().filter(|f| listed.keeps(f.dim)) {
            writeln!(out, "{}", face_line(c, f))?;
        }
        let mut summary = self.document(Listed::Nothing, None);
        summary["summary"] = true.into();
        summary["provenance"] = serde_json::json!(provenance);
        writeln!(out, "{summary}")?;
        out.flush()
    }
}

/// A level set or the argmax ties with its topology ([`crate::complex::boundary`]).
#[derive(Debug, Clone)]
pub struct BoundaryJob {
    boundary: Boundary,
}

/// The set `spec` of `net` with its cells, Betti numbers and decision regions.
///
/// # Examples
/// ```
/// use relu_regions::{complex::LevelSpec, exact::num::q, jobs, Enumerator, Network};
/// // y = relu(x) - 1/2 on [-1, 1]: the level y = 0 is the one point x = 1/2
/// let net = Network::from_json(r#"{"input_dim": 1, "domain": {"box": [["-1", "1"]]},
///     "layers": [{"weights": [["1"]], "activation": "relu"},
///                {"weights": [["1"]], "bias": ["-1/2"], "activation": "linear"}]}"#).unwrap();
/// let spec = LevelSpec::Level { output: 0, level: q(0) };
/// let job = jobs::boundary(&net, &spec, &Enumerator::builder().build()).unwrap();
/// assert_eq!(job.boundary().f_vector, [1, 0]);
/// assert!(job.document(None)["betti"].is_object());
/// ```
///
/// # Errors
/// As [`faces`], and an output index outside the network.
pub fn boundary(
    net: &Network,
    spec: &LevelSpec,
    enumerator: &Enumerator,
) -> Result<BoundaryJob, ComplexError> {
    Ok(BoundaryJob { boundary: crate::complex::boundary(net, spec, enumerator)? })
}

impl BoundaryJob {
    /// The level set and its topology.
    ///
    /// See the example on [`boundary`].
    pub fn boundary(&self) -> &Boundary {
        &self.boundary
    }

    /// The `boundary --json` document with its provenance.
    ///
    /// See the example on [`boundary`].
    pub fn document(&self, provenance: Option<&Provenance>) -> Value {
        let mut doc = boundary_document(&self.boundary);
        if let Some(p) = provenance {
            doc["provenance"] = serde_json::json!(p);
        }
        doc
    }
}
