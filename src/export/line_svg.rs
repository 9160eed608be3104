//! SVG of a line slice: every output along the segment (exact breakpoints, drawn in floats),
//! with the breakpoints marked.

use crate::exact::num::to_f64;
use crate::queries::line::LineSlice;
use std::fmt::Write;

const WIDTH: f64 = 700.0;
const HEIGHT: f64 = 400.0;
const LEFT: f64 = 80.0;
const TOP: f64 = 40.0;
const COLOURS: [&str; 6] = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf"];

/// The outputs of the slice as polylines over `t` in the segment, breakpoints dashed.
///
/// # Examples
/// ```
/// use relu_regions::export::line_svg::line_svg;
/// use relu_regions::queries::line::{restrict, slice, Segment};
/// use relu_regions::{analyze, Enumerator, Network};
/// let net = Network::from_json(r#"{"input_dim": 1, "layers": [
///     {"weights": [["1"], ["-1"]], "activation": "relu"}, {"weights": [["1", "1"]], "activation": "linear"}]}"#).unwrap();
/// let segment = Segment::parse("-1;1", 1).unwrap();
/// let a = analyze(&restrict(&net, &segment).unwrap(), &Enumerator::builder().build()).unwrap();
/// let svg = line_svg(&slice(&segment, &a), "|x|", true);
/// assert!(svg.starts_with("<svg") && svg.contains("|x|"));
/// ```
pub fn line_svg(slice: &LineSlice, title: &str, complete: bool) -> String {
    let mut points: Vec<Vec<(f64, f64)>> = Vec::new();
    for piece in &slice.pieces {
        for (k, (start, end)) in piece.start.iter().zip(&piece.end).enumerate() {
            if points.len() <= k {
                points.push(Vec::new());
            }
            points[k].push((to_f64(&piece.t.0), to_f64(start)));
            points[k].push((to_f64(&piece.t.1), to_f64(end)));
        }
    }
    let all = points.iter().flatten();
    let (t_lo, t_hi) =
        all.clone().fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), p| (l.min(p.0), h.max(p.0)));
    let (y_lo, y_hi) = all.fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), p| (l.min(p.1), h.max(p.1)));
    let y_span = if y_hi > y_lo { y_hi - y_lo } else { 1.0 };
    let t_span = if t_hi > t_lo { t_hi - t_lo } else { 1.0 };
    let x = |t: f64| LEFT + (t - t_lo) / t_span * WIDTH;
    let y = |v: f64| TOP + HEIGHT - (v - y_lo) / y_span * HEIGHT;
    let mut s = String::new();
    let (w, h) = (LEFT + WIDTH + 160.0, TOP + HEIGHT + 60.0);
    let _ = writeln!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" font-family="sans-serif" font-size="12">"#
    );
    let _ = writeln!(s, r#"<rect width="100%" height="100%" fill="white"/>"#);
    let _ = writeln!(s, r#"<text x="{LEFT}" y="24" font-size="15">{}</text>"#, xml(title));
    let _ = writeln!(
        s,
        r#"<rect x="{LEFT}" y="{TOP}" width="{WIDTH}" height="{HEIGHT}" fill="none" stroke="black"/>"#
    );
    for b in &slice.breakpoints {
        let bx = x(to_f64(b));
        let _ = writeln!(
            s,
            r##"<line class="breakpoint" x1="{bx:.2}" y1="{TOP}" x2="{bx:.2}" y2="{:.0}" stroke="#999999" stroke-dasharray="4 3"/>"##,
            TOP + HEIGHT
        );
    }
    for (k, pts) in points.iter().enumerate() {
        let path: Vec<String> = pts.iter().map(|&(t, v)| format!("{:.2},{:.2}", x(t), y(v))).collect();
        let colour = COLOURS[k % COLOURS.len()];
        let _ = writeln!(
            s,
            r#"<polyline class="output-{k}" points="{}" fill="none" stroke="{colour}" stroke-width="2"/>"#,
            path.join(" ")
        );
        let _ = writeln!(
            s,
            r#"<text x="{:.0}" y="{:.0}" fill="{colour}">y{k}</text>"#,
            LEFT + WIDTH + 12.0,
            TOP + 14.0 + 16.0 * k as f64
        );
    }
    let _ =
        writeln!(s, r#"<text x="{LEFT}" y="{:.0}" class="tick">t = {t_lo:.4}</text>"#, TOP + HEIGHT + 18.0);
    let _ = writeln!(
        s,
        r#"<text x="{:.0}" y="{:.0}" text-anchor="end" class="tick">t = {t_hi:.4}</text>"#,
        LEFT + WIDTH,
        TOP + HEIGHT + 18.0
    );
    let _ = writeln!(
        s,
        r#"<text x="{:.0}" y="{:.0}" text-anchor="end" class="tick">{y_hi:.4}</text>"#,
        LEFT - 6.0,
        TOP + 10.0
    );
    let _ = writeln!(
        s,
        r#"<text x="{:.0}" y="{:.0}" text-anchor="end" class="tick">{y_lo:.4}</text>"#,
        LEFT - 6.0,
        TOP + HEIGHT
    );
    let _ = writeln!(
        s,
        r#"<text x="{:.0}" y="{:.0}">{} breakpoints (dashed), {} intervals</text>"#,
        LEFT,
        TOP + HEIGHT + 40.0,
        slice.breakpoints.len(),
        slice.pieces.len()
    );
    if !complete {
        let _ = writeln!(
            s,
            r##"<text x="{:.0}" y="{:.0}" text-anchor="middle" font-size="24" fill="#c00000" class="incomplete">INCOMPLETE: the run was stopped</text>"##,
            LEFT + WIDTH / 2.0,
            TOP + HEIGHT / 2.0
        );
    }
    s.push_str("</svg>\n");
    s
}

fn xml(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}
