//! Exact numbers and exact linear algebra: the rational type and its parsing, square solves, the
//! generic simplex (exact when run over `Q`), and a seeded random generator.
//!
//! May import: `crate::runtime` (the long loops poll the stop token) and `crate::error`.

pub mod num;
pub mod rng;
pub mod simplex;
pub(crate) mod square;
