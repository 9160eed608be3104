//! The adjacency graph and linear pieces.

use crate::support::*;
