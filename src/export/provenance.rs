//! Where an output came from: the network file's SHA-256, its input format, `--coords`, the
//! domain actually used (after `--box`/`--domain`) and the tool version. Every JSON output
//! records it, and `check` compares it before any work.

use crate::network::json::domain_value;
use crate::network::nnet::Coords;
use crate::network::{Domain, InputFormat};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The provenance of a JSON output.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Provenance {
    /// `relu-regions` and its version.
    pub tool: String,
    /// SHA-256 of the network file's bytes, in lowercase hex.
    pub network_sha256: String,
    /// `json`, `nnet` or `onnx`.
    pub input_format: String,
    /// `raw` or `normalized` (it changes the function only for `.nnet` files).
    pub coords: String,
    /// The domain used, in the network format's `domain` form (`null`: all of R^d).
    pub domain: serde_json::Value,
    /// The reader's notes on the network ([`crate::Network::notes`]): absent when there are none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

impl Provenance {
    /// The provenance of a run on the network file `bytes`, read as `format` with `coords`,
    /// on `domain`.
    ///
    /// # Examples
    /// ```
    /// use relu_regions::export::provenance::Provenance;
    /// use relu_regions::network::{nnet::Coords, Domain, InputFormat};
    /// let p = Provenance::new(b"{}", InputFormat::Json, Coords::Raw, &Domain::Whole);
    /// assert_eq!(p.network_sha256, "44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a");
    /// assert!(p.mismatch(&p.clone()).is_none());
    /// ```
    pub fn new(bytes: &[u8], format: InputFormat, coords: Coords, domain: &Domain) -> Provenance {
        Provenance {
            tool: format!("relu-regions {}", env!("CARGO_PKG_VERSION")),
            network_sha256: sha256_hex(bytes),
            input_format: format.name().to_string(),
            coords: match coords {
                Coords::Raw => "raw",
                Coords::Normalized => "normalized",
            }
            .to_string(),
            domain: domain_value(domain).unwrap_or(serde_json::Value::Null),
            notes: Vec::new(),
        }
    }

    /// The same provenance with the network's notes.
    ///
    /// # Examples
    /// ```
    /// use relu_regions::export::provenance::Provenance;
    /// use relu_regions::network::{nnet::Coords, Domain, InputFormat};
    /// let p = Provenance::new(b"{}", InputFormat::Onnx, Coords::Raw, &Domain::Whole)
    ///     .with_notes(&["trailing Softmax left out".to_string()]);
    /// assert_eq!(p.notes.len(), 1);
    /// ```
    pub fn with_notes(mut self, notes: &[String]) -> Provenance {
        self.notes = notes.to_vec();
        self
    }

    /// The first difference that makes an output of `recorded` not an output of this run
    /// (network, input format, coordinates, domain; the tool version may differ), as one line.
    ///
    /// # Examples
    /// ```
    /// use relu_regions::export::provenance::Provenance;
    /// use relu_regions::network::{nnet::Coords, Domain, InputFormat};
    /// let here = Provenance::new(b"{}", InputFormat::Json, Coords::Raw, &Domain::Whole);
    /// let other = Provenance::new(b"{ }", InputFormat::Json, Coords::Raw, &Domain::Whole);
    /// assert!(here.mismatch(&here.clone()).is_none());
    /// assert!(here.mismatch(&other).is_some()); // another network file
    /// ```
    pub fn mismatch(&self, recorded: &Provenance) -> Option<String> {
        if self.network_sha256 != recorded.network_sha256 {
            return Some(format!(
                "it was made for another network (SHA-256 {} there, {} here)",
                recorded.network_sha256, self.network_sha256
            ));
        }
        if self.input_format != recorded.input_format {
            return Some(format!(
                "it was made reading the network as {}, here it is read as {}",
                recorded.input_format, self.input_format
            ));
        }
        if self.coords != recorded.coords {
            return Some(format!("it was made in {} coordinates, here in {}", recorded.coords, self.coords));
        }
        if self.domain != recorded.domain {
            let show =
                |d: &serde_json::Value| if d.is_null() { "all of R^d".to_string() } else { d.to_string() };
            let (there, here) = (show(&recorded.domain), show(&self.domain));
            let cut = |s: String| if s.len() > 120 { format!("{}...", &s[..117]) } else { s };
            return Some(format!(
                "it was made on the domain {} but here the domain is {}",
                cut(there),
                cut(here)
            ));
        }
        None
    }
}

/// The SHA-256 of some bytes, in lowercase hex.
///
/// # Examples
/// ```
/// assert_eq!(relu_regions::export::provenance::sha256_hex(b"abc"),
///     "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
/// ```
pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}
