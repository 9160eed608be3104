//! Text for people: counts with a conclusion about linearity, regions with their maps and
//! inequalities, output ranges and slices (the CLI prints these without `--json`).

use crate::analysis::Analysis;
use crate::enumerate::region::Region;
use crate::exact::num::{fmt_approx, fmt_q, Q};
use crate::export::json;
use crate::network::{Domain, Network};
use num_traits::Signed;
use std::io::Write;

/// `n thing` or `n things`.
///
/// # Examples
/// ```
/// use relu_regions::export::text::plural;
/// assert_eq!((plural(1, "region"), plural(3, "region")), ("1 region".into(), "3 regions".into()));
/// ```
pub fn plural(n: usize, thing: &str) -> String {
    if n == 1 {
        format!("{n} {thing}")
    } else {
        format!("{n} {thing}s")
    }
}

fn domain_words(net: &Network) -> String {
    match net.domain() {
        Domain::Whole => format!("all of R^{}", net.input_dim()),
        Domain::Box(_) => "a box".into(),
        Domain::Polytope { b, .. } if b.len() == 1 => "a polytope with 1 inequality".into(),
        Domain::Polytope { b, .. } => format!("a polytope with {} inequalities", b.len()),
    }
}

/// The conclusion about linearity, only for a complete run.
///
/// # Examples
/// ```
/// use relu_regions::export::text::verdict;
/// assert!(verdict(4, false).starts_with("INCOMPLETE"));
/// assert_ne!(verdict(1, true), verdict(4, true)); // one map: linear; more: not
/// ```
pub fn verdict(maps: usize, complete: bool) -> String {
    if !complete {
        "INCOMPLETE: these counts are what was found before the run stopped (lower bounds); no conclusion is drawn."
            .into()
    } else if maps <= 1 {
        "The network is one affine map on its domain: it is linear (affine) here.".into()
    } else {
        format!(
            "The network is piecewise linear with {maps} different affine maps: it is NOT a linear function."
        )
    }
}

/// `count` without `--json`.
///
/// # Examples
/// ```
/// use relu_regions::export::{json::CountsOut, text::counts};
/// use relu_regions::{analyze, Enumerator, Network};
/// let net = Network::from_json(r#"{"input_dim": 2, "layers": [
///     {"weights": [["1", "-1"], ["1", "1"]], "activation": "relu"},
///     {"weights": [["1", "2"]], "activation": "linear"}]}"#).unwrap();
/// let a = analyze(&net, &Enumerator::builder().build()).unwrap();
/// let c = CountsOut::new(&net, &a.summary(), a.regions().len(), a.bounded(), Some(&a));
/// let mut out = Vec::new();
/// counts(&mut out, std::path::Path::new("seed.json"), &net, &c).unwrap();
/// let text = String::from_utf8(out).unwrap();
/// assert!(text.starts_with("seed.json: 2 inputs"));
/// assert!(text.contains("regions:  4"));
/// ```
pub fn counts(
    out: &mut impl Write,
    path: &std::path::Path,
    net: &Network,
    c: &json::CountsOut,
) -> std::io::Result<()> {
    writeln!(
        out,
        "{}: {}, {}, {}; domain: {}",
        path.display(),
        plural(net.input_dim(), "input"),
        plural(net.hidden_neurons(), "hidden neuron"),
        plural(net.output_dim(), "output"),
        domain_words(net)
    )?;
    let mark = if c.complete { "" } else { " (INCOMPLETE: the run was stopped)" };
    writeln!(out, "regions:  {}{mark}", c.regions)?;
    writeln!(out, "bounded:  {}", c.bounded)?;
    if let (Some(edges), Some(pieces), Some(maps)) = (c.edges, c.pieces, c.distinct_maps) {
        writeln!(out, "edges:    {edges}")?;
        writeln!(out, "pieces:   {} linear pieces, {} distinct affine maps", pieces, maps)?;
        writeln!(out, "{}", verdict(maps, c.complete))?;
    } else if !c.complete {
        writeln!(out, "{}", verdict(0, false))?;
    }
    writeln!(
        out,
        "certified exactly: {} LPs, {} decided by the exact rational simplex",
        c.lps, c.exact_fallbacks
    )
}

/// `regions` without `--json`.
///
/// # Examples
/// ```
/// use relu_regions::{analyze, export::text::regions, Enumerator, Network};
/// let net = Network::from_json(r#"{"input_dim": 1, "layers": [{"weights": [["1"]], "activation": "relu"}]}"#).unwrap();
/// let mut out = Vec::new();
/// regions(&mut out, &analyze(&net, &Enumerator::builder().build()).unwrap()).unwrap();
/// assert!(String::from_utf8(out).unwrap().contains("2 regions"));
/// ```
pub fn regions(out: &mut impl Write, a: &Analysis) -> std::io::Result<()> {
    for (r, f) in a.regions.iter().zip(&a.facets) {
        region(out, r, f)?;
    }
    writeln!(
        out,
        "{}, {}. {}",
        plural(a.regions.len(), "region"),
        plural(a.graph.pieces, "linear piece"),
        verdict(a.graph.distinct_maps, a.summary.complete())
    )
}

/// An offset after a slope: `+ 1`, `- 1`, `- ~0.333333`.
fn signed(c: &Q) -> String {
    let text = fmt_approx(&c.abs());
    if c.is_negative() {
        format!("- {text}")
    } else {
        format!("+ {text}")
    }
}

fn region(
    out: &mut impl Write,
    r: &Region,
    facets: &[crate::analysis::facets::Facet],
) -> std::io::Result<()> {
    let bounded = if r.bounded { "bounded" } else { "unbounded" };
    writeln!(out, "region {}  pattern {}  {bounded}", r.id, r.pattern_strings().join("|"))?;
    writeln!(out, "  point  {}", crate::exact::num::fmt_point(&r.point))?;
    for (k, row) in r.map.jacobian.iter().enumerate() {
        let slope: Vec<String> = row.iter().map(fmt_approx).collect();
        writeln!(out, "  y{k} = [{}] . x {}", slope.join(", "), signed(&r.map.offset[k]))?;
    }
    for f in facets {
        let row = &r.constraints[f.constraints[0]].halfspace;
        let a: Vec<String> = row.a.iter().map(fmt_q).collect();
        writeln!(out, "  [{}] . x <= {}", a.join(", "), fmt_q(&row.b))?;
    }
    Ok(())
}

/// `range` without `--json`.
///
/// # Examples
/// ```
/// use relu_regions::export::text::ranges;
/// use relu_regions::queries::range::output_ranges;
/// use relu_regions::{Enumerator, Network};
/// let net = Network::from_json(r#"{"input_dim": 1, "domain": {"box": [["-1", "2"]]}, "layers": [
///     {"weights": [["1"], ["-1"]], "activation": "relu"}, {"weights": [["1", "1"]], "activation": "linear"}]}"#).unwrap();
/// let regions = Enumerator::builder().build().collect(&net).unwrap().0;
/// let mut out = Vec::new();
/// ranges(&mut out, &output_ranges(&regions).unwrap().unwrap(), None, regions.len(), true).unwrap();
/// let text = String::from_utf8(out).unwrap();
/// assert!(text.contains("0 (0)") && text.contains("2 (2)"), "{text}");
/// ```
pub fn ranges(
    out: &mut impl Write,
    ranges: &[crate::queries::range::OutputRange],
    lipschitz: Option<&crate::queries::range::LipschitzConstants>,
    regions: usize,
    complete: bool,
) -> std::io::Result<()> {
    use crate::queries::range::Extreme;
    let show = |e: &Extreme, infinity: &str| match e {
        Extreme::Attained { value, point, region } => format!(
            "{} ({}) at ({}) in region {region}",
            crate::exact::num::fmt_q(value),
            fmt_approx(value),
            point.iter().map(crate::exact::num::fmt_q).collect::<Vec<_>>().join(", ")
        ),
        Extreme::Unbounded { region, .. } => format!("{infinity} (unbounded along a ray of region {region})"),
    };
    for (k, r) in ranges.iter().enumerate() {
        writeln!(out, "y{k}: min {}", show(&r.min, "-inf"))?;
        writeln!(out, "    max {}", show(&r.max, "+inf"))?;
    }
    if let Some(l) = lipschitz {
        for (label, c) in [("Lipschitz (l1):  ", &l.l1), ("Lipschitz (linf):", &l.linf)] {
            let exact = crate::exact::num::fmt_q(&c.value);
            writeln!(out, "{label} {exact} ({}), region {}", fmt_approx(&c.value), c.region)?;
        }
    }
    let how = if complete {
        "exact, over every region"
    } else {
        "INCOMPLETE: over the regions found before the run stopped"
    };
    writeln!(out, "{} regions; {how}", regions)
}

/// `slice` without `--json`.
///
/// # Examples
/// ```
/// use relu_regions::queries::line::{restrict, slice, Segment};
/// use relu_regions::{analyze, export::text, Enumerator, Network};
/// let net = Network::from_json(r#"{"input_dim": 1, "layers": [
///     {"weights": [["1"], ["-1"]], "activation": "relu"}, {"weights": [["1", "1"]], "activation": "linear"}]}"#).unwrap();
/// let segment = Segment::parse("-1;1", 1).unwrap();
/// let a = analyze(&restrict(&net, &segment).unwrap(), &Enumerator::builder().build()).unwrap();
/// let mut out = Vec::new();
/// text::slice(&mut out, &slice(&segment, &a)).unwrap();
/// let text = String::from_utf8(out).unwrap();
/// assert!(text.starts_with("t in [0, 1/2]"), "{text}");
/// ```
pub fn slice(out: &mut impl Write, slice: &crate::queries::line::LineSlice) -> std::io::Result<()> {
    use crate::exact::num::fmt_q;
    for p in &slice.pieces {
        let slope: Vec<String> = p.slope.iter().map(fmt_approx).collect();
        writeln!(
            out,
            "t in [{}, {}]  pattern {}  dy/dt = [{}]",
            fmt_q(&p.t.0),
            fmt_q(&p.t.1),
            p.layout.strings(&p.pattern).join("|"),
            slope.join(", ")
        )?;
    }
    let breaks: Vec<String> = slice.breakpoints.iter().map(fmt_q).collect();
    writeln!(
        out,
        "{}, {}: {}",
        plural(slice.pieces.len(), "interval"),
        plural(slice.breakpoints.len(), "breakpoint"),
        if breaks.is_empty() {
            "the network is affine along the segment".into()
        } else {
            format!("t = {}", breaks.join(", "))
        }
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exact::num::{parse_rational, q};

    #[test]
    fn offsets_read_naturally() {
        assert_eq!(signed(&q(-1)), "- 1");
        assert_eq!(signed(&q(2)), "+ 2");
        assert_eq!(signed(&parse_rational("-1/3").unwrap()), "- ~0.333333");
        assert_eq!(signed(&parse_rational("1/3").unwrap()), "+ ~0.333333");
        assert_eq!(plural(1, "output"), "1 output");
        assert_eq!(plural(2, "output"), "2 outputs");
    }
}
