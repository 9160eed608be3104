//! Writers: JSON (regions, graph, counts), Graphviz DOT and SVG, all deterministic (sorted ids,
//! exact rationals as `"p/q"` strings), and the provenance every JSON output records.

pub mod answers;
pub mod dot;
pub mod json;
pub mod labels;
pub mod line_svg;
pub mod provenance;
pub mod read;
pub(crate) mod spill;
pub mod stream;
pub mod svg;
pub mod text;

use crate::analysis::graph::RegionGraph;

/// A colour palette for linear pieces, shared by the DOT and SVG writers.
pub const PALETTE: [&str; 12] = [
    "#8dd3c7", "#ffffb3", "#bebada", "#fb8072", "#80b1d3", "#fdb462", "#b3de69", "#fccde5", "#d9d9d9",
    "#bc80bd", "#ccebc5", "#ffed6f",
];

/// One fill colour per linear piece such that two pieces that touch (share an edge of the
/// region graph) never get the same colour: a greedy colouring of the piece adjacency graph in
/// piece order, with the [`PALETTE`] first and further distinct hues when a piece has 12 or
/// more coloured neighbours.
///
/// # Examples
/// ```
/// use relu_regions::{analysis::analyze, Enumerator, export::piece_colours};
/// use relu_regions::network::json::read_network;
/// let net = read_network(r#"{"input_dim": 2, "layers": [
///     {"weights": [["1", "-1"], ["1", "1"]], "activation": "relu"},
///     {"weights": [["1", "2"]], "activation": "linear"}]}"#, "seed").unwrap();
/// let a = analyze(&net, &Enumerator::builder().build()).unwrap();
/// let colours = piece_colours(&a.graph());
/// for e in a.graph().graph().edge_indices() {
///     let (x, y) = a.graph().graph().edge_endpoints(e).unwrap();
///     let (p, q) = (a.graph().piece_of()[x.index()], a.graph().piece_of()[y.index()]);
///     assert!(p == q || colours[p] != colours[q]);
/// }
/// ```
pub fn piece_colours(g: &RegionGraph) -> Vec<String> {
    let mut neighbours: Vec<std::collections::BTreeSet<usize>> = vec![Default::default(); g.pieces];
    for e in g.graph.edge_indices() {
        let Some((a, b)) = g.graph.edge_endpoints(e) else { continue };
        let (p, q) = (g.piece_of[a.index()], g.piece_of[b.index()]);
        if p != q {
            neighbours[p].insert(q);
            neighbours[q].insert(p);
        }
    }
    let mut colour: Vec<usize> = Vec::with_capacity(g.pieces);
    for near in &neighbours {
        let taken: std::collections::BTreeSet<usize> =
            near.iter().filter(|&&q| q < colour.len()).map(|&q| colour[q]).collect();
        colour.push((0..).find(|c| !taken.contains(c)).unwrap_or(0));
    }
    colour.into_iter().map(colour_name).collect()
}

/// The `k`-th colour: the palette, then golden-angle hues.
fn colour_name(k: usize) -> String {
    match PALETTE.get(k) {
        Some(c) => (*c).to_string(),
        None => {
            let hue = (k as f64 * 137.507_764) % 360.0;
            format!("hsl({hue:.1}, 60%, 75%)")
        }
    }
}
