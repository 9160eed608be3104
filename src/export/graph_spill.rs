//! The graph (`graph --format json|dot`) written while the regions are enumerated, at the
//! memory of counting. Each region, once its facets are certified, is written as its node into
//! an unnamed temporary file (its `piece`, and in DOT its colour, are known only once every
//! region is: the node's text is kept with the place they go), and for the JSON form the points
//! of its inner facets into a second one (an edge carries the facet point of its lower id's
//! side). At the end the nodes are copied to the output with their pieces, then the edges,
//! listed from the compact records in `(source, target)` order
//! ([`crate::analysis::graph_counts::pieces::stream_with_graph`]): the facet points are read
//! back region after region, in the order the edges need them. The bytes are those of
//! [`super::stream::write_graph_json`] and [`super::dot::write_graph_dot`]: the same wire
//! structs, the same pretty printer, indented as the whole document indents its nodes and edges.

use super::json::{edge_with_point, node_in_piece};
use super::provenance::Provenance;
use super::spill::{find, temporary};
use crate::analysis::facets::Facet;
use crate::analysis::graph_counts::pieces::{EdgeRef, StreamedGraph};
use crate::enumerate::region::Region;
use crate::exact::num::fmt_q;
use crate::network::Network;
use serde::Serialize;
use std::collections::{HashMap, HashSet};
use std::fs::File;
use std::io::{BufReader, BufWriter, Read, Seek, SeekFrom, Write};

/// Where a node's `piece` is in its pretty text (the keys in the order of the wire struct:
/// `id`, `pattern`, `piece`), at the indentation of a node's keys in the document; the value
/// written there is a `0`, replaced by the piece.
const PIECE_KEY: &[u8] = b"\n      \"piece\": ";

/// The graph's nodes (and, for JSON, its facet points) spilled to temporary files, in the
/// order they were pushed.
pub(crate) struct GraphSpill {
    /// `None` for JSON, else DOT with exact labels or not.
    dot: Option<bool>,
    nodes: BufWriter<File>,
    points: Option<BufWriter<File>>,
    regions: usize,
    text: Vec<u8>,
}

/// The graph document's fields after `edges`, in the order of the whole document.
#[derive(Serialize)]
struct Tail<'a> {
    pieces: usize,
    complete: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    provenance: Option<&'a Provenance>,
}

/// Pretty JSON of `value`, indented as an element of an array of the top object (two levels).
fn indented<T: Serialize>(value: &T, text: &mut Vec<u8>) -> std::io::Result<()> {
    let pretty = serde_json::to_vec_pretty(value).map_err(std::io::Error::other)?;
    text.clear();
    text.extend_from_slice(b"    ");
    for &b in &pretty {
        text.push(b);
        if b == b'\n' {
            text.extend_from_slice(b"    ");
        }
    }
    Ok(())
}

/// Writes `n` as a little-endian word.
fn word(out: &mut impl Write, n: usize) -> std::io::Result<()> {
    out.write_all(&(n as u64).to_le_bytes())
}

/// Reads a little-endian word.
fn read_word(input: &mut impl Read) -> std::io::Result<usize> {
    let mut bytes = [0u8; 8];
    input.read_exact(&mut bytes)?;
    usize::try_from(u64::from_le_bytes(bytes)).map_err(std::io::Error::other)
}

impl GraphSpill {
    /// An empty spill for the JSON form (`dot` is `None`) or DOT (`Some(exact_labels)`), in new
    /// temporary files (gone when the spill is dropped).
    ///
    /// # Errors
    /// A temporary file cannot be created.
    pub(crate) fn new(dot: Option<bool>) -> std::io::Result<GraphSpill> {
        let points = if dot.is_none() { Some(BufWriter::new(temporary()?)) } else { None };
        Ok(GraphSpill { dot, nodes: BufWriter::new(temporary()?), points, regions: 0, text: Vec::new() })
    }

    /// Appends a region's node, and its inner facets' points.
    ///
    /// # Errors
    /// A temporary file cannot be written.
    pub(crate) fn push(&mut self, region: &Region, facets: &[Facet]) -> std::io::Result<()> {
        let at = match self.dot {
            Some(exact) => {
                self.text.clear();
                write!(
                    self.text,
                    "  {} [label=\"{}\", fillcolor=\"",
                    region.id,
                    super::dot::label(region, exact)
                )?;
                self.text.len()
            }
            None => {
                indented(&node_in_piece(region, 0), &mut self.text)?;
                let key = find(&self.text, PIECE_KEY)
                    .ok_or_else(|| std::io::Error::other("a node's text has no piece"))?;
                key + PIECE_KEY.len()
            }
        };
        word(&mut self.nodes, self.text.len())?;
        word(&mut self.nodes, at)?;
        self.nodes.write_all(&self.text)?;
        if let Some(points) = &mut self.points {
            let inner: Vec<&Facet> = facets.iter().filter(|f| !f.on_boundary).collect();
            word(points, inner.len())?;
            for f in inner {
                word(points, f.point.len())?;
                for v in &f.point {
                    let s = fmt_q(v);
                    word(points, s.len())?;
                    points.write_all(s.as_bytes())?;
                }
            }
        }
        self.regions += 1;
        Ok(())
    }

    /// Writes the whole graph to `out`: the nodes with their pieces (and colours), then the
    /// edges of `g`, then (JSON) the document's last fields.
    ///
    /// # Errors
    /// A temporary file cannot be read back, or `out` cannot be written.
    pub(crate) fn finish<W: Write>(
        self,
        mut out: W,
        net: &Network,
        g: &StreamedGraph,
        complete: bool,
        provenance: Option<&Provenance>,
    ) -> std::io::Result<()> {
        let piece_of = &g.streamed.piece_of;
        if piece_of.len() != self.regions {
            return Err(std::io::Error::other("the spilled nodes do not match the regions"));
        }
        let mut nodes = rewind(self.nodes)?;
        let mut node = Vec::new();
        let mut next_node = |node: &mut Vec<u8>| -> std::io::Result<usize> {
            let (len, at) = (read_word(&mut nodes)?, read_word(&mut nodes)?);
            node.resize(len, 0);
            nodes.read_exact(node)?;
            if at > len {
                return Err(std::io::Error::other("the spilled nodes do not match the regions"));
            }
            Ok(at)
        };
        if self.dot.is_none() {
            out.write_all(b"{\n  \"nodes\": ")?;
            if self.regions == 0 {
                out.write_all(b"[]")?;
            } else {
                out.write_all(b"[\n")?;
                for (i, piece) in piece_of.iter().enumerate() {
                    let at = next_node(&mut node)?;
                    if i > 0 {
                        out.write_all(b",\n")?;
                    }
                    // the placeholder `0` after the key is the piece
                    out.write_all(&node[..at])?;
                    write!(out, "{piece}")?;
                    let rest = node
                        .get(at + 1..)
                        .ok_or_else(|| std::io::Error::other("a node without its piece"))?;
                    out.write_all(rest)?;
                }
                out.write_all(b"\n  ]")?;
            }
            out.write_all(b",\n  \"edges\": ")?;
            let points = self.points.ok_or_else(|| std::io::Error::other("no facet points were spilled"))?;
            write_edges_json(&mut out, net, g, rewind(points)?)?;
            let tail = serde_json::to_vec_pretty(&Tail { pieces: g.pieces, complete, provenance })
                .map_err(std::io::Error::other)?;
            out.write_all(b",\n")?;
            out.write_all(&tail[2..])?; // without the tail's own `{\n`
            out.write_all(b"\n")?;
            return out.flush();
        }
        out.write_all(b"graph regions {\n")?;
        out.write_all(
            b"  graph [layout=neato, overlap=false, splines=true, size=\"12,12\", ratio=compress];\n",
        )?;
        out.write_all(b"  node [shape=box, style=filled, fontname=\"monospace\", fontsize=10];\n")?;
        let touching = g.edges.iter().map(|e| (piece_of[e.source], piece_of[e.target]));
        let colours = super::colours_of_pieces(g.pieces, touching);
        for &piece in piece_of {
            let at = next_node(&mut node)?;
            out.write_all(&node[..at])?;
            writeln!(out, "{}\", piece={piece}];", colours[piece])?;
        }
        for e in &g.edges {
            let names: Vec<String> = g
                .crossed(net, e.source, e.target)
                .iter()
                .map(|n| format!("L{}.{}", n.layer, n.index))
                .collect();
            let style = if e.same_map { ", style=dashed" } else { "" };
            writeln!(out, "  {} -- {} [label=\"{}\"{style}];", e.source, e.target, names.join(","))?;
        }
        out.write_all(b"}\n")?;
        out.flush()
    }
}

/// A spill file, flushed and read from its start.
fn rewind(file: BufWriter<File>) -> std::io::Result<BufReader<File>> {
    let mut file = file.into_inner().map_err(std::io::IntoInnerError::into_error)?;
    file.seek(SeekFrom::Start(0))?;
    Ok(BufReader::new(file))
}

/// The inner facets' points of the next region in a points spill.
fn read_points(input: &mut impl Read) -> std::io::Result<Vec<Vec<String>>> {
    let facets = read_word(input)?;
    let mut points = Vec::with_capacity(facets.min(1 << 16));
    for _ in 0..facets {
        let dim = read_word(input)?;
        let mut point = Vec::with_capacity(dim.min(1 << 16));
        for _ in 0..dim {
            let mut bytes = vec![0u8; read_word(input)?];
            input.read_exact(&mut bytes)?;
            point.push(String::from_utf8(bytes).map_err(std::io::Error::other)?);
        }
        points.push(point);
    }
    Ok(points)
}

/// The `edges` array of the JSON document: each edge with the facet point of the side that
/// records it, read back from `points` (the regions' blocks in id order; an edge whose point
/// is a later region's, which only a stopped run gives, is looked up in a first pass).
fn write_edges_json<W: Write>(
    out: &mut W,
    net: &Network,
    g: &StreamedGraph,
    mut points: BufReader<File>,
) -> std::io::Result<()> {
    if g.edges.is_empty() {
        return out.write_all(b"[]");
    }
    let wanted: HashSet<(usize, usize)> =
        g.edges.iter().filter(|e| e.point_of.0 != e.source).map(|e| e.point_of).collect();
    let mut later: HashMap<(usize, usize), Vec<String>> = HashMap::new();
    if !wanted.is_empty() {
        for i in 0..g.streamed.piece_of.len() {
            for (k, p) in read_points(&mut points)?.into_iter().enumerate() {
                if wanted.contains(&(i, k)) {
                    later.insert((i, k), p);
                }
            }
        }
        points.seek(SeekFrom::Start(0))?;
    }
    out.write_all(b"[\n")?;
    // the block of region `block.0` (regions' blocks are read in id order)
    let mut block: (usize, Vec<Vec<String>>) = (0, read_points(&mut points)?);
    let mut text = Vec::new();
    for (n, e) in g.edges.iter().enumerate() {
        let point = if e.point_of.0 == e.source {
            while block.0 < e.source {
                block = (block.0 + 1, read_points(&mut points)?);
            }
            block.1.get(e.point_of.1)
        } else {
            later.get(&e.point_of)
        }
        .ok_or_else(|| std::io::Error::other("an edge's facet point was not spilled"))?;
        let EdgeRef { source, target, same_map, .. } = *e;
        let wire = edge_with_point(source, target, &g.crossed(net, source, target), same_map, point.clone());
        indented(&wire, &mut text)?;
        if n > 0 {
            out.write_all(b",\n")?;
        }
        out.write_all(&text)?;
    }
    out.write_all(b"\n  ]")
}
