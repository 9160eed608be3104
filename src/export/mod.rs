//! Writers: JSON (regions, graph, counts) and Graphviz DOT, all deterministic (sorted ids,
//! exact rationals as `"p/q"` strings).

pub mod dot;
pub mod json;
pub mod provenance;
pub mod svg;

/// A colour palette for linear pieces (cycled), shared by the DOT and SVG writers.
pub const PALETTE: [&str; 12] = [
    "#8dd3c7", "#ffffb3", "#bebada", "#fb8072", "#80b1d3", "#fdb462", "#b3de69", "#fccde5", "#d9d9d9",
    "#bc80bd", "#ccebc5", "#ffed6f",
];
