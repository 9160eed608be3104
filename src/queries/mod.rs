//! The questions asked of an enumerated network: locate points, output ranges and Lipschitz
//! bounds, region sizes, line and plane slices, counts against known bounds, and VNN-LIB
//! properties (decided with checkable proofs).
//!
//! May import: [`crate::analysis`] and the layers below it.

pub mod count_bounds;
pub mod line;
pub mod locate;
pub mod plane;
pub mod property;
pub mod range;
pub mod sizes;
pub mod slice;
pub mod verify;
