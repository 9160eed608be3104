//! Writers: JSON (regions, graph, counts), Graphviz DOT and SVG, all deterministic (sorted ids,
//! exact rationals as `"p/q"` strings), and the provenance every JSON output records.

pub mod answers;
pub mod dot;
pub(crate) mod graph_spill;
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
    let ends = g.graph.edge_indices().filter_map(|e| g.graph.edge_endpoints(e));
    colours_of_pieces(g.pieces, ends.map(|(a, b)| (g.piece_of[a.index()], g.piece_of[b.index()])))
}

/// [`piece_colours`] of `pieces` pieces from the pieces at the two ends of each edge (in any
/// order): the graph writers that do not hold the graph ([`graph_spill`]) colour by it.
pub(crate) fn colours_of_pieces(
    pieces: usize,
    touching: impl Iterator<Item = (usize, usize)>,
) -> Vec<String> {
    let mut neighbours: Vec<std::collections::BTreeSet<usize>> = vec![Default::default(); pieces];
    for (p, q) in touching {
        if p != q {
            neighbours[p].insert(q);
            neighbours[q].insert(p);
        }
    }
    let mut colour: Vec<usize> = Vec::with_capacity(pieces);
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
