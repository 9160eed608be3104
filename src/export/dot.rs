//! Graphviz DOT, written by our own deterministic code (sorted ids, stable labels), so that
//! golden tests hold. Nodes are coloured by linear piece (touching pieces differ) and labelled
//! with id, pattern and slopes, rounded (default, readable at real sizes) or exact; edge labels
//! name the crossed neurons (`L<layer>.<index>`). The graph asks for an undirected spring layout
//! (`neato`) scaled to fit a page, so that large graphs render at a sensible size.

use super::json::sorted_edges;
use super::piece_colours;
use crate::analysis::graph::RegionGraph;
use crate::enumerate::region::Region;
use crate::exact::num::{fmt_q, to_f64, Q};
use num_traits::One;

/// Outputs shown in a short label (the rest are counted).
const SHORT_ROWS: usize = 2;

fn escape(s: &str) -> String {
    s.replace('\\', "\\\\").replace('"', "\\\"")
}

/// A number to 3 significant digits (`~` when rounded); small integers exactly.
fn rounded(v: &Q) -> String {
    if v.denom().is_one() && v.numer().bits() < 20 {
        return fmt_q(v);
    }
    let f = to_f64(v);
    let magnitude = f.abs();
    let short = if (1e-3..1e4).contains(&magnitude) {
        let decimals = (2 - magnitude.log10().floor() as i32).max(0) as usize;
        let text = format!("{f:.decimals$}");
        if text.contains('.') {
            text.trim_end_matches('0').trim_end_matches('.').to_string()
        } else {
            text
        }
    } else {
        format!("{f:.2e}")
    };
    format!("~{short}")
}

/// The label of a region: exact (every rational) or short (rounded slopes of the first outputs).
pub(super) fn label(r: &Region, exact: bool) -> String {
    let number = |v: &Q| if exact { fmt_q(v) } else { rounded(v) };
    let rows = r.map.jacobian.iter().zip(&r.map.offset);
    let shown = if exact { usize::MAX } else { SHORT_ROWS };
    let mut lines: Vec<String> = rows
        .clone()
        .take(shown)
        .map(|(row, c)| {
            format!("[{}] + {}", row.iter().map(number).collect::<Vec<_>>().join(", "), number(c))
        })
        .collect();
    if r.map.jacobian.len() > shown {
        lines.push(format!("(+{} outputs)", r.map.jacobian.len() - shown));
    }
    format!(
        "#{} {}\\n{}\\n{}",
        r.id,
        r.pattern_strings().join("|"),
        lines.iter().map(|s| escape(s)).collect::<Vec<_>>().join("\\n"),
        if r.bounded { "bounded" } else { "unbounded" }
    )
}

/// The graph in DOT, with short labels or (`exact_labels`) every rational exactly.
///
/// # Examples
/// ```
/// use relu_regions::{analyze, export::dot::graph_dot, Enumerator, Network};
/// let net = Network::from_json(r#"{"input_dim": 2, "layers": [
///     {"weights": [["1", "-1"], ["1", "1"]], "activation": "relu"},
///     {"weights": [["1", "2"]], "activation": "linear"}]}"#).unwrap();
/// let a = analyze(&net, &Enumerator::builder().build()).unwrap();
/// let dot = graph_dot(&a.regions(), &a.graph(), false);
/// assert!(dot.starts_with("graph regions {"));
/// assert_eq!(dot.matches(" -- ").count(), 4); // one line per edge
/// ```
pub fn graph_dot(regions: &[Region], g: &RegionGraph, exact_labels: bool) -> String {
    let mut out = Vec::new();
    write_graph_dot(&mut out, regions, g, exact_labels).expect("writing to memory");
    String::from_utf8(out).expect("DOT text is UTF-8")
}

/// [`graph_dot`] written to `out` as it goes, a node or an edge at a time (the output is never
/// held whole).
///
/// # Examples
/// ```
/// use relu_regions::{analyze, export::dot, Enumerator, Network};
/// let net = Network::from_json(r#"{"input_dim": 2, "layers": [
///     {"weights": [["1", "-1"], ["1", "1"]], "activation": "relu"}]}"#).unwrap();
/// let a = analyze(&net, &Enumerator::builder().build()).unwrap();
/// let mut out = Vec::new();
/// dot::write_graph_dot(&mut out, &a.regions(), &a.graph(), false).unwrap();
/// assert_eq!(String::from_utf8(out).unwrap(), dot::graph_dot(&a.regions(), &a.graph(), false));
/// ```
pub fn write_graph_dot(
    out: &mut impl std::io::Write,
    regions: &[Region],
    g: &RegionGraph,
    exact_labels: bool,
) -> std::io::Result<()> {
    out.write_all(b"graph regions {\n")?;
    out.write_all(b"  graph [layout=neato, overlap=false, splines=true, size=\"12,12\", ratio=compress];\n")?;
    out.write_all(b"  node [shape=box, style=filled, fontname=\"monospace\", fontsize=10];\n")?;
    let colours = piece_colours(g);
    for r in regions {
        let piece = g.piece_of[r.id];
        writeln!(
            out,
            "  {} [label=\"{}\", fillcolor=\"{}\", piece={}];",
            r.id,
            label(r, exact_labels),
            colours[piece],
            piece
        )?;
    }
    for (a, b, info) in sorted_edges(g) {
        let names: Vec<String> = info.neurons.iter().map(|n| format!("L{}.{}", n.layer, n.index)).collect();
        let style = if info.same_map { ", style=dashed" } else { "" };
        writeln!(out, "  {a} -- {b} [label=\"{}\"{style}];", names.join(","))?;
    }
    out.write_all(b"}\n")?;
    out.flush()
}
