//! Graphviz DOT, written by our own deterministic code (sorted ids, stable labels), so that
//! golden tests hold. Nodes are labelled with id, pattern, slope rows and boundedness and
//! coloured by linear piece; edge labels name the crossed neurons (`L<layer>.<index>`).

use super::json::sorted_edges;
use super::PALETTE;
use crate::graph::RegionGraph;
use crate::num::fmt_q;
use crate::region::Region;
use std::fmt::Write;

fn escape(s: &str) -> String {
    s.replace('\\', "\\\\").replace('"', "\\\"")
}

/// The graph in DOT.
pub fn graph_dot(regions: &[Region], g: &RegionGraph) -> String {
    let mut out = String::new();
    out.push_str("graph regions {\n  node [shape=box, style=filled, fontname=\"monospace\"];\n");
    for r in regions {
        let slopes: Vec<String> = r
            .map
            .jacobian
            .iter()
            .zip(&r.map.offset)
            .map(|(row, c)| {
                format!("[{}] + {}", row.iter().map(fmt_q).collect::<Vec<_>>().join(", "), fmt_q(c))
            })
            .collect();
        let label = format!(
            "#{} {}\\n{}\\n{}",
            r.id,
            r.pattern_strings().join("|"),
            slopes.iter().map(|s| escape(s)).collect::<Vec<_>>().join("\\n"),
            if r.bounded { "bounded" } else { "unbounded" }
        );
        let piece = g.piece_of[r.id];
        let _ = writeln!(
            out,
            "  {} [label=\"{}\", fillcolor=\"{}\", piece={}];",
            r.id,
            label,
            PALETTE[piece % PALETTE.len()],
            piece
        );
    }
    for (a, b, info) in sorted_edges(g) {
        let names: Vec<String> = info.neurons.iter().map(|n| format!("L{}.{}", n.layer, n.index)).collect();
        let style = if info.same_map { ", style=dashed" } else { "" };
        let _ = writeln!(out, "  {a} -- {b} [label=\"{}\"{style}];", names.join(","));
    }
    out.push_str("}\n");
    out
}
