//! `verify`: the exact counts against expectations, theoretical upper bounds, and a sampling
//! lower bound (distinct patterns of exact random points, each of which must be an enumerated
//! region) on bounded domains.

use crate::analysis::Analysis;
use crate::exact::num::Q;
use crate::exact::rng::SplitMix;
use crate::network::{Domain, Network, Pattern};
use crate::queries::count_bounds::{one_hidden_layer, product_bound, serra_bound, zaslavsky};
use num_bigint::BigUint;
use serde::Serialize;
use std::collections::HashSet;
use std::fmt::Write;

/// Expected counts (any subset).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Expectations {
    /// Regions.
    pub regions: Option<usize>,
    /// Linear pieces.
    pub pieces: Option<usize>,
    /// Edges.
    pub edges: Option<usize>,
    /// Bounded regions.
    pub bounded: Option<usize>,
}

impl Expectations {
    /// Parses `regions=N,pieces=P,edges=E,bounded=B` (any subset, any order).
    ///
    /// # Examples
    /// ```
    /// let e = relu_regions::queries::verify::Expectations::parse("regions=4,edges=4").unwrap();
    /// assert_eq!((e.regions, e.edges, e.pieces), (Some(4), Some(4), None));
    /// assert!(relu_regions::queries::verify::Expectations::parse("regions=x").is_err());
    /// ```
    pub fn parse(text: &str) -> Result<Expectations, String> {
        let mut e = Expectations::default();
        for part in text.split(',').filter(|p| !p.trim().is_empty()) {
            let (key, value) = part.split_once('=').ok_or_else(|| format!("`{part}` is not key=value"))?;
            let n: usize = value.trim().parse().map_err(|_| format!("`{value}` is not a count"))?;
            let slot = match key.trim() {
                "regions" => &mut e.regions,
                "pieces" => &mut e.pieces,
                "edges" => &mut e.edges,
                "bounded" => &mut e.bounded,
                other => return Err(format!("unknown key `{other}` (regions, pieces, edges, bounded)")),
            };
            *slot = Some(n);
        }
        Ok(e)
    }
}

/// One verification check.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Check {
    /// What was checked.
    pub name: String,
    /// Whether it holds.
    pub ok: bool,
    /// The numbers behind it.
    pub detail: String,
}

/// The full verification report.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// The exact counts.
    pub regions: usize,
    /// Linear pieces.
    pub pieces: usize,
    /// Edges.
    pub edges: usize,
    /// Bounded regions.
    pub bounded: usize,
    /// Whether the enumeration was complete.
    pub complete: bool,
    /// Every check.
    pub checks: Vec<Check>,
    /// Whether all checks hold.
    pub ok: bool,
}

impl Report {
    /// A readable summary.
    ///
    /// # Examples
    /// ```
    /// use relu_regions::queries::verify::{verify, Expectations};
    /// use relu_regions::{analyze, Enumerator, Network};
    /// let net = Network::from_json(r#"{"input_dim": 2, "layers": [
    ///     {"weights": [["1", "-1"], ["1", "1"]], "activation": "relu"},
    ///     {"weights": [["1", "2"]], "activation": "linear"}]}"#).unwrap();
    /// let a = analyze(&net, &Enumerator::builder().build()).unwrap();
    /// let report = verify(&net, &a, &Expectations::parse("regions=4,pieces=4").unwrap(), 100, 1);
    /// assert!(report.ok);
    /// assert!(report.text().ends_with("all checks hold\n"));
    /// let wrong = verify(&net, &a, &Expectations::parse("regions=5").unwrap(), 0, 1);
    /// assert!(!wrong.ok && wrong.text().contains("VERIFICATION FAILED"));
    /// ```
    pub fn text(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(
            s,
            "regions {}, pieces {}, edges {}, bounded {}{}",
            self.regions,
            self.pieces,
            self.edges,
            self.bounded,
            if self.complete { "" } else { " (INCOMPLETE)" }
        );
        for c in &self.checks {
            let _ = writeln!(s, "  [{}] {}: {}", if c.ok { "ok" } else { "FAIL" }, c.name, c.detail);
        }
        let _ = writeln!(s, "{}", if self.ok { "all checks hold" } else { "VERIFICATION FAILED" });
        s
    }
}

/// Verifies an analysis: expectations, bounds, and `samples` random exact points.
///
/// See the example on [`Report::text`].
pub fn verify(net: &Network, a: &Analysis, expect: &Expectations, samples: usize, seed: u64) -> Report {
    let mut checks = Vec::new();
    let counts = [
        ("regions", expect.regions, a.regions.len()),
        ("pieces", expect.pieces, a.graph.pieces),
        ("edges", expect.edges, a.edges()),
        ("bounded", expect.bounded, a.bounded()),
    ];
    for (name, want, got) in counts {
        if let Some(want) = want {
            checks.push(Check {
                name: format!("expected {name}"),
                ok: want == got,
                detail: format!("expected {want}, found {got}"),
            });
        }
    }
    checks.extend(bound_checks(net, a.regions.len()));
    if let Some(check) = sampling_check(net, a, samples, seed) {
        checks.push(check);
    }
    if let Some(check) = smallest_region(a) {
        checks.push(check);
    }
    checks.push(Check {
        name: "complete enumeration".into(),
        ok: a.summary.complete(),
        detail: if a.summary.complete() { "yes".into() } else { "a limit stopped the run".into() },
    });
    let ok = checks.iter().all(|c| c.ok);
    Report {
        regions: a.regions.len(),
        pieces: a.graph.pieces,
        edges: a.edges(),
        bounded: a.bounded(),
        complete: a.summary.complete(),
        checks,
        ok,
    }
}

/// The region with the smallest certified inscribed ball (and its exact area or volume in 2-D
/// and 3-D): the slivers that sampling and tolerance-based tools miss. A report, never a failure.
fn smallest_region(a: &Analysis) -> Option<Check> {
    let d = a.regions.first()?.point.len();
    // until the run's stop token fires ([`crate::jobs::StopToken`])
    let balls: Vec<(usize, crate::queries::sizes::Ball)> = a
        .regions
        .iter()
        .take_while(|_| !crate::runtime::stop::requested())
        .filter_map(|r| crate::queries::sizes::inscribed_ball(r).map(|b| (r.id, b)))
        .collect();
    let (id, ball) = balls.iter().min_by(|x, y| x.1.radius.cmp(&y.1.radius))?;
    let region = &a.regions[*id];
    let measure = match d {
        2 | 3 if region.bounded && *id < a.facets_certified => {
            let m = crate::queries::sizes::measure(region, &a.facets[*id]);
            format!(", {} {}", if d == 2 { "area" } else { "volume" }, crate::exact::num::fmt_approx(&m))
        }
        _ => String::new(),
    };
    Some(Check {
        name: "smallest region".into(),
        ok: true,
        detail: format!(
            "region {id}: a ball of radius {} fits inside (certified){measure}",
            crate::exact::num::fmt_approx(&ball.radius)
        ),
    })
}

fn bound_checks(net: &Network, regions: usize) -> Vec<Check> {
    let found = BigUint::from(regions);
    let check = |name: &str, bound: BigUint| Check {
        name: name.into(),
        ok: found <= bound,
        detail: format!("{regions} <= {bound}"),
    };
    let mut out = Vec::new();
    if let Some(n) = one_hidden_layer(net) {
        out.push(check("Zaslavsky bound (one hidden layer)", zaslavsky(n, net.input_dim())));
    }
    out.push(check("Serra-Tjandraatmadja-Ramalingam bound", serra_bound(net)));
    out.push(check("product bound", product_bound(net)));
    out
}

/// Samples exact points of a box domain; each pattern seen off every hyperplane must be
/// enumerated, and the number of distinct ones is a lower bound on the regions.
fn sampling_check(net: &Network, a: &Analysis, samples: usize, seed: u64) -> Option<Check> {
    let Domain::Box(bounds) = net.domain() else { return None };
    if samples == 0 {
        return None;
    }
    let known: HashSet<&Pattern> = a.regions.iter().map(|r| &r.pattern).collect();
    let mut rng = SplitMix(seed);
    let mut seen: HashSet<Pattern> = HashSet::new();
    let mut missing = 0;
    let mut drawn = 0;
    for _ in 0..samples {
        // the run's stop token ([`crate::jobs::StopToken`]): the points drawn so far
        if crate::runtime::stop::requested() {
            break;
        }
        drawn += 1;
        let x: Vec<Q> = bounds.iter().map(|(lo, hi)| rng.rational_in(lo, hi)).collect();
        if on_a_hyperplane(net, &x) {
            continue;
        }
        let (pattern, _) = net.evaluate(&x);
        if !known.contains(&pattern) {
            missing += 1;
        }
        seen.insert(pattern);
    }
    // a partial run lacks regions: their patterns are expected among the samples
    let complete = a.summary.complete();
    let ok = !complete || (missing == 0 && seen.len() <= a.regions.len());
    let partial = if complete { "" } else { " (a partial run: not a check)" };
    let drawn = if drawn < samples { format!("{drawn} of {samples}") } else { samples.to_string() };
    Some(Check {
        name: format!("sampling lower bound ({drawn} exact random points, seed {seed})"),
        ok,
        detail: format!(
            "{} distinct patterns seen <= {} regions; {missing} sampled pattern(s) not enumerated{partial}",
            seen.len(),
            a.regions.len()
        ),
    })
}

/// Whether some relu neuron's preactivation is exactly zero at `x`.
///
/// # Examples
/// ```
/// use relu_regions::{exact::num::q, queries::verify::on_a_hyperplane, Network};
/// let net = Network::from_json(r#"{"input_dim": 2, "layers": [
///     {"weights": [["1", "-1"], ["1", "1"]], "activation": "relu"}]}"#).unwrap();
/// assert!(on_a_hyperplane(&net, &[q(1), q(1)]) && !on_a_hyperplane(&net, &[q(2), q(1)]));
/// ```
pub fn on_a_hyperplane(net: &Network, x: &[Q]) -> bool {
    net.touches_a_hyperplane(x)
}
