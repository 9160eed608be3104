//! Error types of the library (one `thiserror` enum per concern, locations in the variants).

use std::fmt;

/// One problem found in an input, with where it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// Where: a path such as `layers[1].weights[0][2]` (layer 1, row 0, column 2), or
    /// `line 12, value 3` for text formats.
    pub location: String,
    /// What is wrong there.
    pub message: String,
}

impl Problem {
    /// A problem at `location`.
    ///
    /// # Examples
    /// ```
    /// use relu_regions::{NetworkError, Problem};
    /// let err = NetworkError::Invalid { source_name: "net.json".into(), problems: vec![Problem::new("layers[0].bias", "3 values, expected 2")] };
    /// assert!(err.to_string().contains("layers[0].bias: 3 values, expected 2"));
    /// ```
    pub fn new(location: impl Into<String>, message: impl Into<String>) -> Problem {
        Problem { location: location.into(), message: message.into() }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.location, self.message)
    }
}

/// Why a network could not be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum NetworkError {
    /// The file could not be read at all.
    #[error("cannot read {path}: {error}")]
    Io {
        /// The file.
        path: String,
        /// The I/O error (in the message, not repeated as a source).
        error: std::io::Error,
    },
    /// The file is not well-formed in its format (e.g. invalid JSON syntax).
    #[error("{source_name}: {message}")]
    Syntax {
        /// The file (or `<memory>`).
        source_name: String,
        /// What the parser said, with its line and column.
        message: String,
    },
    /// The file parsed, but its content is invalid; every problem found is listed.
    #[error("{source_name}: invalid {} ({} problem{}):\n  {}", subject(problems), problems.len(), if problems.len() == 1 { "" } else { "s" }, problems.iter().map(|p| p.to_string()).collect::<Vec<_>>().join("\n  "))]
    Invalid {
        /// The file (or `<memory>`).
        source_name: String,
        /// Every problem, each with its location.
        problems: Vec<Problem>,
    },
    /// The file uses a feature this reader does not support.
    #[error("{source_name}: unsupported: {message}")]
    Unsupported {
        /// The file.
        source_name: String,
        /// What is unsupported, and where.
        message: String,
    },
}

/// What a list of problems is about: a domain (`--box`, `--domain`, a `domain` object) or a
/// network.
fn subject(problems: &[Problem]) -> &'static str {
    let about_domain = |p: &Problem| p.location.starts_with("domain") || p.location.starts_with("box");
    if !problems.is_empty() && problems.iter().all(about_domain) {
        "domain"
    } else {
        "network"
    }
}

impl NetworkError {
    /// Replaces the source name (used by readers that validate before they know the file).
    ///
    /// # Examples
    /// ```
    /// use relu_regions::Network;
    /// let err = Network::from_json(r#"{"input_dim": 0, "layers": []}"#).unwrap_err();
    /// assert!(err.with_source("model.json").to_string().starts_with("model.json"));
    /// ```
    pub fn with_source(self, name: &str) -> NetworkError {
        match self {
            NetworkError::Invalid { problems, .. } => {
                NetworkError::Invalid { source_name: name.to_string(), problems }
            }
            NetworkError::Syntax { message, .. } => {
                NetworkError::Syntax { source_name: name.to_string(), message }
            }
            NetworkError::Unsupported { message, .. } => {
                NetworkError::Unsupported { source_name: name.to_string(), message }
            }
            other => other,
        }
    }
}

/// An exact check that failed on an answer the crate itself computed: a bug, never a property
/// of the input. It stops the run (reported, never a panic) and names what failed and where.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("internal error: {what} (the run was stopped; please report it with the network)")]
pub struct InternalError {
    /// What failed, with its context (region, facet, point).
    pub what: String,
}

impl InternalError {
    /// An internal error described by `what`.
    ///
    /// # Examples
    /// ```
    /// let e = relu_regions::InternalError::new("a certificate failed its check");
    /// assert!(e.to_string().contains("a certificate failed its check"));
    /// ```
    pub fn new(what: impl Into<String>) -> InternalError {
        InternalError { what: what.into() }
    }
}

/// A sink's own failure (a write that failed, say): it stops the run, which reports it apart
/// from the enumeration's errors.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct SinkError {
    /// What failed.
    pub message: String,
    /// The kind of I/O error, when it was one (a closed pipe is not a failure to a CLI).
    pub io_kind: Option<std::io::ErrorKind>,
}

impl From<std::io::Error> for SinkError {
    fn from(e: std::io::Error) -> SinkError {
        SinkError { message: e.to_string(), io_kind: Some(e.kind()) }
    }
}
