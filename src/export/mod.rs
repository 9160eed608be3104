//! Writers: JSON (regions, graph, counts) and Graphviz DOT, all deterministic (sorted ids,
//! exact rationals as `"p/q"` strings).

pub mod dot;
pub mod json;
