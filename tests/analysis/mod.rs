//! Facets, the adjacency graph and linear pieces.

pub(crate) mod graph;
pub(crate) mod labels;
