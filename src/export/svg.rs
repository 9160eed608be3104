//! SVG drawings of the exact partition of a 2-input network (or of a planar slice): each region
//! is its exact polygon (vertices computed in rationals, drawn in float), filled by linear piece
//! or by the output value at its centroid; the boundaries are drawn per layer; optional ids and
//! a legend. The text is deterministic (fixed decimals, ordered by id).

use super::piece_colours;
use crate::analysis::Analysis;
use crate::exact::num::{fmt_q, to_f64, Q};
use crate::queries::plane::polygon;
use std::fmt::Write;

/// How regions are filled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ColorBy {
    /// One colour per linear piece.
    #[default]
    Piece,
    /// A colour scale of the first output at the region's centroid.
    Output,
    /// The decision class at the region's centroid: the argmax of the outputs (the first
    /// output's index on ties), or for one output `1` where it is positive and `0` elsewhere
    /// (exact; `plot --color class` refines the partition by the decision boundary first, so
    /// that the class is one on each region).
    Class,
}

/// Drawing options.
#[derive(Debug, Clone, Default)]
pub struct SvgOptions {
    /// Fill mode.
    pub color: ColorBy,
    /// Write each region's id at its centroid.
    pub ids: bool,
    /// A title line.
    pub title: String,
    /// Axis names.
    pub axes: [String; 2],
    /// Segments drawn over the partition (a level set: `plot --boundary`), each written with
    /// its exact endpoints in `data-exact="x1 y1 x2 y2"`.
    pub boundary: Vec<[[Q; 2]; 2]>,
    /// The boundary segments' stroke colour (`#d00000` when empty).
    pub boundary_colour: String,
    /// The boundary segments' width (3 when not positive).
    pub boundary_width: f64,
}

/// Fill colours of the decision classes (cycled).
const CLASS_FILLS: [&str; 6] = ["#f4a582", "#92c5de", "#b8e186", "#fddbc7", "#c2a5cf", "#fee090"];

/// The class of a region's outputs `y` at its centroid (see [`ColorBy::Class`]).
fn class_of(y: &[Q]) -> usize {
    use num_traits::Signed;
    if y.len() == 1 {
        return usize::from(y[0].is_positive());
    }
    let mut best = 0;
    for (i, v) in y.iter().enumerate() {
        if *v > y[best] {
            best = i;
        }
    }
    best
}

/// Stroke colours of the boundaries of each layer (cycled).
const LAYER_STROKES: [&str; 6] = ["#000000", "#1f4e9c", "#b2182b", "#1b7837", "#762a83", "#e08214"];

const PLOT: f64 = 600.0;
const MARGIN: f64 = 50.0;
/// Room left of the plot for the y tick labels.
const LEFT: f64 = 90.0;
const LEGEND: f64 = 230.0;

struct Frame {
    lo: [f64; 2],
    hi: [f64; 2],
}

impl Frame {
    fn map(&self, p: &[Q; 2]) -> (f64, f64) {
        let x = LEFT + (to_f64(&p[0]) - self.lo[0]) / (self.hi[0] - self.lo[0]) * PLOT;
        let y = MARGIN + PLOT - (to_f64(&p[1]) - self.lo[1]) / (self.hi[1] - self.lo[1]) * PLOT;
        (x, y)
    }
}

/// The centroid (vertex average) of a polygon.
fn centroid(poly: &[[Q; 2]]) -> [Q; 2] {
    let n = Q::from_integer(poly.len().max(1).into());
    let sx: Q = poly.iter().map(|p| p[0].clone()).sum();
    let sy: Q = poly.iter().map(|p| p[1].clone()).sum();
    [sx / &n, sy / n]
}

/// A blue-to-yellow colour scale.
fn scale_colour(t: f64) -> String {
    let t = if t.is_finite() { t.clamp(0.0, 1.0) } else { 0.5 };
    let stops = [(68.0, 1.0, 84.0), (33.0, 145.0, 140.0), (253.0, 231.0, 37.0)];
    let (i, f) = if t < 0.5 { (0, t * 2.0) } else { (1, (t - 0.5) * 2.0) };
    let lerp = |a: f64, b: f64| (a + (b - a) * f).round() as u8;
    format!(
        "#{:02x}{:02x}{:02x}",
        lerp(stops[i].0, stops[i + 1].0),
        lerp(stops[i].1, stops[i + 1].1),
        lerp(stops[i].2, stops[i + 1].2)
    )
}

/// Draws the analysis of a 2-input network on a bounded domain.
///
/// # Examples
/// ```
/// use relu_regions::export::svg::{partition_svg, SvgOptions};
/// use relu_regions::{analyze, Enumerator, Network};
/// let net = Network::from_json(r#"{"input_dim": 2, "domain": {"box": [["-1", "1"], ["-1", "1"]]}, "layers": [
///     {"weights": [["1", "-1"], ["1", "1"]], "activation": "relu"},
///     {"weights": [["1", "2"]], "activation": "linear"}]}"#).unwrap();
/// let a = analyze(&net, &Enumerator::builder().build()).unwrap();
/// let svg = partition_svg(&a, &SvgOptions { title: "seed".into(), ..SvgOptions::default() });
/// assert!(svg.starts_with("<svg") && svg.contains("seed"));
/// assert_eq!(svg.matches("<polygon").count(), 4); // one per region
/// ```
pub fn partition_svg(a: &Analysis, opts: &SvgOptions) -> String {
    let polys: Vec<Vec<[Q; 2]>> = a.regions.iter().zip(&a.facets).map(|(r, f)| polygon(r, f)).collect();
    let all = polys.iter().flatten();
    let (mut lo, mut hi) = ([f64::INFINITY; 2], [f64::NEG_INFINITY; 2]);
    for p in all {
        for k in 0..2 {
            lo[k] = lo[k].min(to_f64(&p[k]));
            hi[k] = hi[k].max(to_f64(&p[k]));
        }
    }
    for k in 0..2 {
        if hi[k].partial_cmp(&lo[k]) != Some(std::cmp::Ordering::Greater) {
            (lo[k], hi[k]) = (lo[k] - 1.0, lo[k] + 1.0);
        }
    }
    let frame = Frame { lo, hi };
    let outputs: Vec<f64> =
        a.regions.iter().zip(&polys).map(|(r, p)| to_f64(&r.map.apply(&centroid(p))[0])).collect();
    let (omin, omax) =
        outputs.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), v| (l.min(*v), h.max(*v)));
    let colours = piece_colours(&a.graph);
    let mut s = String::new();
    let width = LEFT + MARGIN + PLOT + LEGEND;
    let height = MARGIN * 2.0 + PLOT;
    let _ = writeln!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="12">"#
    );
    let _ = writeln!(s, r#"<rect width="100%" height="100%" fill="white"/>"#);
    let _ = writeln!(s, r#"<text x="{LEFT}" y="30" font-size="15">{}</text>"#, xml(&opts.title));
    for (r, poly) in a.regions.iter().zip(&polys) {
        let fill = match opts.color {
            ColorBy::Piece => colours[a.graph.piece_of[r.id]].clone(),
            ColorBy::Output => scale_colour((outputs[r.id] - omin) / (omax - omin)),
            ColorBy::Class => {
                CLASS_FILLS[class_of(&r.map.apply(&centroid(poly))) % CLASS_FILLS.len()].to_string()
            }
        };
        let points: Vec<String> =
            poly.iter().map(|p| frame.map(p)).map(|(x, y)| format!("{x:.2},{y:.2}")).collect();
        let _ = writeln!(
            s,
            r##"<polygon id="region-{}" points="{}" fill="{fill}" stroke="#bbbbbb" stroke-width="0.5"/>"##,
            r.id,
            points.join(" ")
        );
    }
    draw_boundaries(&mut s, a, &polys, &frame);
    if opts.ids {
        for (r, poly) in a.regions.iter().zip(&polys) {
            let (x, y) = frame.map(&centroid(poly));
            let _ = writeln!(
                s,
                r#"<text x="{x:.2}" y="{y:.2}" text-anchor="middle" font-size="10">{}</text>"#,
                r.id
            );
        }
    }
    draw_axes(&mut s, &frame, opts);
    draw_legend(&mut s, a, opts, (omin, omax));
    let stroke = if opts.boundary_colour.is_empty() { "#d00000" } else { opts.boundary_colour.as_str() };
    let width = if opts.boundary_width > 0.0 { opts.boundary_width } else { 3.0 };
    for [p, q] in &opts.boundary {
        let ((x1, y1), (x2, y2)) = (frame.map(p), frame.map(q));
        let _ = writeln!(
            s,
            r##"<line class="boundary" x1="{x1:.2}" y1="{y1:.2}" x2="{x2:.2}" y2="{y2:.2}" stroke="{}" stroke-width="{width}" data-exact="{} {} {} {}"/>"##,
            xml(stroke),
            fmt_q(&p[0]),
            fmt_q(&p[1]),
            fmt_q(&q[0]),
            fmt_q(&q[1])
        );
    }
    if !a.summary.complete() {
        let _ = writeln!(
            s,
            r##"<text x="{:.0}" y="{:.0}" text-anchor="middle" font-size="28" fill="#c00000" opacity="0.85" class="incomplete">INCOMPLETE: the run was stopped</text>"##,
            LEFT + PLOT / 2.0,
            MARGIN + PLOT / 2.0
        );
    }
    s.push_str("</svg>\n");
    s
}

/// One segment per edge, stroked by the layer of the first neuron crossed.
fn draw_boundaries(s: &mut String, a: &Analysis, polys: &[Vec<[Q; 2]>], frame: &Frame) {
    for (source, _target, info) in super::json::sorted_edges(&a.graph) {
        let region = &a.regions[source];
        let Some(facet) = a.facets[source].iter().find(|f| f.point == info.point) else { continue };
        let h = &region.constraints[facet.constraints[0]].halfspace;
        let ends: Vec<&[Q; 2]> =
            polys[source].iter().filter(|p| &h.a[0] * &p[0] + &h.a[1] * &p[1] == h.b).collect();
        if ends.len() != 2 {
            continue;
        }
        let layer = info.neurons.first().map_or(0, |n| n.layer);
        let ((x1, y1), (x2, y2)) = (frame.map(ends[0]), frame.map(ends[1]));
        let _ = writeln!(
            s,
            r#"<line x1="{x1:.2}" y1="{y1:.2}" x2="{x2:.2}" y2="{y2:.2}" stroke="{}" stroke-width="{:.1}" class="layer-{layer}"/>"#,
            LAYER_STROKES[layer % LAYER_STROKES.len()],
            if info.same_map { 0.6 } else { 1.6 }
        );
    }
}

/// A tick value to 4 significant digits, without trailing zeros.
fn tick(v: f64) -> String {
    let magnitude = v.abs();
    if magnitude != 0.0 && !(1e-3..1e5).contains(&magnitude) {
        return format!("{v:.3e}");
    }
    let decimals = if magnitude == 0.0 { 0 } else { (3 - magnitude.log10().floor() as i32).max(0) as usize };
    let text = format!("{v:.decimals$}");
    if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        text
    }
}

/// The frame, three ticks per axis (ends and middle) and the axis names; the y labels are
/// right-aligned in the room left of the plot, so they are never clipped.
fn draw_axes(s: &mut String, frame: &Frame, opts: &SvgOptions) {
    let bottom = MARGIN + PLOT;
    let _ = writeln!(
        s,
        r#"<rect x="{LEFT}" y="{MARGIN}" width="{PLOT}" height="{PLOT}" fill="none" stroke="black"/>"#
    );
    for k in 0..3 {
        let t = k as f64 / 2.0;
        let (x, value) = (LEFT + t * PLOT, frame.lo[0] + t * (frame.hi[0] - frame.lo[0]));
        let anchor = ["start", "middle", "end"][k];
        let _ = writeln!(
            s,
            r#"<line x1="{x:.1}" y1="{bottom}" x2="{x:.1}" y2="{:.0}" stroke="black"/>"#,
            bottom + 5.0
        );
        let _ = writeln!(
            s,
            r#"<text x="{x:.1}" y="{:.0}" text-anchor="{anchor}" class="tick">{}</text>"#,
            bottom + 18.0,
            tick(value)
        );
        let (y, value) = (bottom - t * PLOT, frame.lo[1] + t * (frame.hi[1] - frame.lo[1]));
        let _ = writeln!(
            s,
            r#"<line x1="{:.0}" y1="{y:.1}" x2="{LEFT}" y2="{y:.1}" stroke="black"/>"#,
            LEFT - 5.0
        );
        let _ = writeln!(
            s,
            r#"<text x="{:.0}" y="{:.1}" text-anchor="end" class="tick">{}</text>"#,
            LEFT - 8.0,
            y + 4.0,
            tick(value)
        );
    }
    let _ = writeln!(
        s,
        r#"<text x="{:.0}" y="{:.0}" text-anchor="middle">{}</text>"#,
        LEFT + PLOT / 2.0,
        bottom + 36.0,
        xml(&opts.axes[0])
    );
    let _ = writeln!(
        s,
        r#"<text x="14" y="{:.0}" transform="rotate(-90 14 {:.0})" text-anchor="middle">{}</text>"#,
        MARGIN + PLOT / 2.0,
        MARGIN + PLOT / 2.0,
        xml(&opts.axes[1])
    );
}

fn draw_legend(s: &mut String, a: &Analysis, opts: &SvgOptions, (omin, omax): (f64, f64)) {
    let x = LEFT + MARGIN + PLOT;
    let mut lines: Vec<(Option<&str>, String)> = vec![
        (None, format!("{} regions, {} edges", a.regions.len(), a.edges())),
        (None, format!("{} linear pieces", a.graph.pieces)),
        (
            None,
            match opts.color {
                ColorBy::Piece => "fill: one colour per piece".into(),
                ColorBy::Output => format!("fill: output 0 from {omin:.4} to {omax:.4}"),
                ColorBy::Class if a.regions.first().is_some_and(|r| r.map.apply(&r.point).len() == 1) => {
                    "fill: output 0 > 0 or not".into()
                }
                ColorBy::Class => "fill: the argmax of the outputs".into(),
            },
        ),
        (None, "boundaries by layer:".into()),
    ];
    let layers: std::collections::BTreeSet<usize> =
        a.graph.graph.edge_weights().filter_map(|e| e.neurons.first().map(|n| n.layer)).collect();
    for layer in layers {
        lines.push((Some(LAYER_STROKES[layer % LAYER_STROKES.len()]), format!("layer {layer}")));
    }
    lines.push((None, "thin: same map on both sides".into()));
    for (k, (stroke, text)) in lines.iter().enumerate() {
        let y = MARGIN + 10.0 + 18.0 * k as f64;
        let tx = match stroke {
            Some(stroke) => {
                let _ = writeln!(
                    s,
                    r#"<line x1="{x}" y1="{:.0}" x2="{:.0}" y2="{:.0}" stroke="{stroke}" stroke-width="2"/>"#,
                    y - 4.0,
                    x + 30.0,
                    y - 4.0
                );
                x + 38.0
            }
            None => x,
        };
        let _ = writeln!(s, r#"<text x="{tx:.0}" y="{y:.0}">{}</text>"#, xml(text));
    }
}

fn xml(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}
