//! The jobs of the complex: `faces` (the f-vectors, the faces listed or streamed as JSON lines)
//! and `boundary` (a level set or the argmax ties with its topology), each a typed result whose
//! documents carry their provenance, for the CLI and Python alike.

use crate::complex::json::{boundary_document, f_vectors_document, face_line, faces_document};
use crate::complex::spilled::{Spilled, SpilledFace};
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
    /// Whether the faces of dimension `dim` are listed.
    ///
    /// See the example on [`faces_spilled`].
    pub fn keeps(self, dim: usize) -> bool {
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

/// The complex of a network kept compact, for `faces` at the memory of counting
/// ([`crate::complex::spilled`]): the faces listed are read back one at a time.
pub struct SpilledFacesJob {
    complex: Spilled,
    listed: Listed,
}

/// [`faces`] at the memory of counting: the same faces, ids, points and checks, the points of
/// the faces `listed` kept in an unnamed temporary file until they are written, the faces' sign
/// vectors and facets in two others until the walk ends.
///
/// # Examples
/// ```
/// use relu_regions::{jobs::{self, Listed}, Enumerator, Network};
/// let net = Network::from_json(r#"{"input_dim": 1, "domain": {"box": [["-1", "1"]]},
///     "layers": [{"weights": [["1"]], "activation": "relu"}]}"#).unwrap();
/// let e = Enumerator::builder().build();
/// let mut job = jobs::faces_spilled(&net, &e, Listed::All).unwrap();
/// let (mut lines, mut held) = (Vec::new(), Vec::new());
/// job.write_lines(None, &mut lines).unwrap();
/// jobs::faces(&net, &e).unwrap().write_lines(Listed::All, None, &mut held).unwrap();
/// assert_eq!(lines, held);
/// ```
///
/// # Errors
/// As [`faces`], and [`ComplexError::Spill`] when the temporary file cannot be made or written.
pub fn faces_spilled(
    net: &Network,
    enumerator: &Enumerator,
    listed: Listed,
) -> Result<SpilledFacesJob, ComplexError> {
    let temporary = crate::export::spill::temporary;
    let complex = crate::complex::spilled::spilled(net, enumerator, &|dim| listed.keeps(dim), &temporary)?;
    Ok(SpilledFacesJob { complex, listed })
}

/// Where the listed faces go in the pretty document (a string no document field holds).
const FACES_HERE: &str = "\u{1}faces\u{1}";

impl SpilledFacesJob {
    /// The complex.
    ///
    /// See the example on [`faces_spilled`].
    pub fn complex(&self) -> &Spilled {
        &self.complex
    }

    /// The document of [`FacesJob::document`] without its faces (the f-vectors), with the
    /// provenance if given.
    ///
    /// See the example on [`faces_spilled`].
    pub fn summary(&self, provenance: Option<&Provenance>) -> Value {
        let c = &self.complex;
        let mut doc =
            f_vectors_document(c.input_dim, c.f_vector(), c.f_vector_bounded(), c.euler_characteristic());
        if let Some(p) = provenance {
            doc["provenance"] = serde_json::json!(p);
        }
        doc
    }

    /// Face `id`, its point read back if it is listed.
    ///
    /// # Errors
    /// The temporary file cannot be read.
    ///
    /// See the example on [`faces_spilled`].
    pub fn face(&mut self, id: usize) -> std::io::Result<SpilledFace> {
        self.complex.face(id)
    }

    /// Each face listed, in id order, its point read back.
    ///
    /// # Errors
    /// The temporary file cannot be read, or `each` failed.
    ///
    /// See the example on [`faces_spilled`].
    pub fn for_each_listed(
        &mut self,
        mut each: impl FnMut(&Spilled, SpilledFace) -> std::io::Result<()>,
    ) -> std::io::Result<()> {
        for id in 0..self.complex.len() {
            if self.listed.keeps(self.complex.dim(id)) {
                let face = self.complex.face(id)?;
                each(&self.complex, face)?;
            }
        }
        Ok(())
    }

    /// The bytes of [`FacesJob::write_lines`] with the listing of this job, one face at a time.
    ///
    /// # Errors
    /// The output or the temporary file failed.
    ///
    /// See the example on [`faces_spilled`].
    pub fn write_lines<W: std::io::Write>(
        &mut self,
        provenance: Option<&Provenance>,
        mut out: W,
    ) -> std::io::Result<()> {
        self.for_each_listed(|c, f| {
            let (neurons, domain) = c.sign_strings(&f);
            // face_line's keys, sorted, compact
            writeln!(
                out,
                r#"{{"boundary":{},"bounded":{},"dim":{},"id":{},"point":{},"sign":{{"domain":{},"neurons":{}}}}}"#,
                serde_json::to_string(&f.boundary)?,
                f.bounded,
                f.dim,
                f.id,
                f.point.as_deref().unwrap_or("[]"),
                serde_json::to_string(&domain)?,
                serde_json::to_string(&neurons)?,
            )
        })?;
        let mut summary = self.summary(None);
        summary["summary"] = true.into();
        summary["provenance"] = serde_json::json!(provenance);
        writeln!(out, "{summary}")?;
        out.flush()
    }

    /// The bytes of [`FacesJob::document`] (pretty, then a newline) with the listing of this
    /// job, one face at a time.
    ///
    /// # Errors
    /// The output or the temporary file failed.
    ///
    /// See the example on [`faces_spilled`].
    pub fn write_json<W: std::io::Write>(
        &mut self,
        provenance: Option<&Provenance>,
        mut out: W,
    ) -> std::io::Result<()> {
        let mut doc = self.summary(provenance);
        if self.listed == Listed::Nothing {
            writeln!(out, "{}", serde_json::to_string_pretty(&doc)?)?;
            return out.flush();
        }
        doc["faces"] = FACES_HERE.into();
        let text = serde_json::to_string_pretty(&doc)?;
        let here = serde_json::to_string(FACES_HERE)?;
        let (head, tail) = text.split_once(&here).expect("the faces' place");
        out.write_all(head.as_bytes())?;
        let mut first = true;
        self.for_each_listed(|c, f| {
            let (neurons, domain) = c.sign_strings(&f);
            let point: Value = serde_json::from_str(f.point.as_deref().unwrap_or("[]"))?;
            let face = serde_json::json!({
                "id": f.id,
                "dim": f.dim,
                "sign": {"neurons": neurons, "domain": domain},
                "point": point,
                "bounded": f.bounded,
                "boundary": f.boundary,
            });
            out.write_all(if first { b"[\n    " } else { b",\n    " })?;
            first = false;
            out.write_all(serde_json::to_string_pretty(&face)?.replace('\n', "\n    ").as_bytes())
        })?;
        out.write_all(if first { b"[]" } else { b"\n  ]" })?;
        writeln!(out, "{tail}")?;
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
