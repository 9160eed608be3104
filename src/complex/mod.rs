//! The whole polyhedral complex of a network and the topology of its level sets (issue 34).
//!
//! A face of the complex is a nonempty set of domain points sharing one sign vector: per
//! hidden neuron the sign of its preactivation (`+`, `-`, `0`), per domain row tight or not.
//! Given the signs, every preactivation is one affine function, so a face is a relatively open
//! convex polyhedron, and the closure of a face is the union of the faces whose signs are
//! obtained by setting some entries to `0`: the faces form a polyhedral complex whose
//! d-dimensional faces are the regions. This module owns:
//! - [`faces`]: every face from the regions and their certified facets (exact frames, exact
//!   relative-interior points), identified by sign vectors;
//!   pointed regions go by their vertices and extreme rays first (`vertices`, `lattice`: no
//!   LP, no frame);
//! - [`fvector`]: the f-vector's identities (Euler, diamond) and boundedness;
//! - [`homology`]: Betti numbers over GF(2) by sparse boundary-matrix reduction;
//! - [`rational`]: Betti numbers over Q and 2-torsion (incidence numbers from the face poset);
//! - [`level`]: level sets `{y_k = c}` and argmax ties as subcomplexes of an augmented
//!   network, decision regions, their components and Betti numbers under three conventions at
//!   infinity;
//! - [`json`]: the `faces` and `boundary` documents;
//! - [`spilled`]: the complex kept as compact records, the points of the listed faces in a
//!   temporary file, the sign vectors in another while the walk goes on (`faces` at the memory
//!   of counting);
//! - `packed`: sign vectors packed two bits an entry in one column, found again through
//!   open-addressing tables of face numbers (the walk's batches and the compact merge);
//! - [`point`]: face points, kept unreduced until read;
//! - `walk`: the regions walked in fixed batches on `--threads` workers, merged in order (the
//!   same complex, points included, for every thread count).

pub mod faces;
mod frame;
pub mod fvector;
mod gcd;
pub mod homology;
pub mod json;
mod lattice;
pub mod level;
mod packed;
pub mod point;
pub mod rational;
pub mod sign;
pub mod spilled;
mod truncation;
mod vertices;
#[cfg(test)]
mod vertices_tests;
mod walk;

pub use faces::{complex, Complex, Face};
pub use level::{boundary, Boundary, LevelSpec};
pub use point::FacePoint;

use crate::enumerate::StopReason;
use crate::error::InternalError;

/// Why the complex could not be given.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ComplexError {
    /// The network has units the complex does not cover, or the question is malformed (an
    /// input error).
    #[error("unsupported: {0}")]
    Unsupported(String),
    /// A limit or Ctrl-C stopped the run before every face was found.
    #[error("stopped before every face was found: {0}")]
    Stopped(StopReason),
    /// An exact check failed on the crate's own answer.
    #[error(transparent)]
    Internal(#[from] InternalError),
    /// The temporary file of the faces' points could not be written.
    #[error("the faces' temporary file: {0}")]
    Spill(std::io::Error),
}

impl ComplexError {
    /// A failed identity: an internal error.
    pub(crate) fn identity(what: impl Into<String>) -> ComplexError {
        ComplexError::Internal(InternalError::new(format!("complex: {}", what.into())))
    }
}
