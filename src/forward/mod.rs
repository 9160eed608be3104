//! Running the network exactly: the integer fixed-point layer maps and forward passes, the maps
//! and rows of an activation pattern ([`pattern`], the one composition under a pattern), the one
//! fingerprint of a map ([`fingerprint`]), and the symbolic interval bounds of a network on a
//! box (rounding paid in the constants).
//!
//! May import: [`crate::network`] and the layers below it.

mod affine_map;
pub(crate) mod fingerprint;
pub(crate) mod fixed_point;
pub(crate) mod pattern;
pub(crate) mod symbolic;
pub(crate) mod zonotope;

pub use affine_map::AffineMap;
