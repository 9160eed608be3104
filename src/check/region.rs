//! The checks of one region, in exact arithmetic (a slack sign may also be proved by the
//! kernel's float filter with its error bound, [`super::signs`]): the region's constraints
//! re-derived from the network and its stated pattern by the checker's own exact composition in integers
//! ([`super::compose`], shared with the regions before it that share a prefix), then
//!
//! 1. the point strictly inside every constraint of its pattern (and of the domain), and the
//!    network's pattern at the point the stated one;
//! 2. each listed inequality a positive multiple of a constraint of the pattern, its facet point
//!    on it and strictly inside every constraint that is not the same halfspace (so it is
//!    facet-defining), its labels exactly the neurons and domain rows whose constraints are
//!    tight there, and no facet listed twice;
//! 3. every constraint not listed, domain rows included, implied by the listed ones (a Farkas
//!    vector, proposed by an LP and checked here by its own sums): the list is exactly the
//!    non-redundant set;
//! 4. the Jacobian and offset equal to the checker's composition, the `_f64` fields their
//!    nearest floats, `bounded` decided exactly, and a complete answer has no region whose
//!    facets are uncertified.
//!
//! What it returns ([`CheckedRegion`]) feeds the checks of the whole answer ([`super::whole`]).

use super::axis_snap::{AxisSnap, HIGH_DIMENSION};
use super::compose::Composer;
use super::constraints::{Constraint, ExactRow, Matrix, Origin, Row};
use super::farkas::{Combiner, IntRow};
use super::fields::{indices, known_keys, matrix, neurons, rational, vector, INEQUALITY, REGION};
use super::floats::{nearest_matrix, nearest_vector};
use super::implied::{self, implied_by_listed, Bounds};
use super::moved::Moved;
use crate::exact::num::Q;
use crate::kernel::Filter;
use crate::network::Network;
use num_traits::Zero;
use serde_json::Value;
use std::cmp::Ordering;

/// What every region's check needs.
pub(super) struct Context<'a> {
    pub net: &'a Network,
    /// The domain's rows as constraints (`domain_rows` index them), made once per check
    /// ([`domain_constraints`]).
    pub domain: &'a [Constraint],
    pub domain_bounded: bool,
    /// Whether the answer says it is partial (`"complete": false`): only then may a region's
    /// facets be uncertified. `None` while not known (a stream whose summary comes last): the
    /// failure is then deferred ([`resolve_deferred`]).
    pub partial: Option<bool>,
}

/// The domain's rows as the constraints of every region (`Origin::Domain(k)` for row `k`).
pub(super) fn domain_constraints(rows: &[Row]) -> Vec<Constraint> {
    rows.iter().enumerate().map(|(k, row)| Constraint::new(row.clone(), Origin::Domain(k))).collect()
}

/// A complete answer's region whose facets are uncertified.
const UNCERTIFIED: &str =
    "its facets are uncertified (`facets_uncertified`), which only a partial answer may say";

/// Where [`UNCERTIFIED`] goes once the answer says whether it is partial.
const DEFERRED: &str = "\u{0}uncertified facets, in an answer not yet known to be partial";

/// A region's failures once the answer says whether it is partial: the deferred failure of its
/// uncertified facets dropped (partial) or said (complete), in its place.
pub(super) fn resolve_deferred(failures: Vec<super::Failure>, partial: bool) -> Vec<super::Failure> {
    failures
        .into_iter()
        .filter(|f| !(partial && f.message == DEFERRED))
        .map(|f| if f.message == DEFERRED { super::Failure { message: UNCERTIFIED.into(), ..f } } else { f })
        .collect()
}

/// A listed inequality that passed its checks.
#[derive(Debug, Clone)]
pub(super) struct Listed {
    pub row: Row,
    /// Its facet point (in the facet's relative interior) where the facet is inside the domain;
    /// empty for a facet on the domain's boundary, which no check of the whole answer reads.
    pub point: Vec<Q>,
    /// Whether the facet is inside the domain (no domain row is tight on it).
    pub inner: bool,
    /// The one constraint tight on it, when only one is.
    pub alone: Option<Origin>,
}

/// A region as the whole-answer checks need it.
#[derive(Debug, Clone)]
pub(super) struct CheckedRegion {
    /// The stated pattern.
    pub pattern: Vec<String>,
    /// The pattern's states (as the network parses it).
    pub states: Vec<Vec<bool>>,
    /// The listed inequalities in order (`None`: one that failed).
    pub listed: Vec<Option<Listed>>,
    /// The exact map by the checker's composition.
    pub map: (Matrix, Vec<Q>),
    /// The stated point.
    pub point: Vec<Q>,
    /// The stated `bounded`.
    pub bounded: Option<bool>,
    /// Relu layers only, no preactivation identically zero ([`Composer::constraints`]).
    pub plain: bool,
}

impl CheckedRegion {
    /// The rows of the listed inequalities that passed.
    pub(super) fn rows(&self) -> Vec<&Row> {
        self.listed.iter().flatten().map(|l| &l.row).collect()
    }
}

/// The stated pattern of a region or node: one string per layer with states.
pub(super) fn pattern_of(region: &Value) -> Option<Vec<String>> {
    region.get("pattern")?.as_array()?.iter().map(|s| s.as_str().map(String::from)).collect()
}

/// Checks one region; `None` when it cannot be checked at all (its pattern or point missing or
/// misshapen).
pub(super) fn check_region(
    cx: &Context<'_>,
    composer: &mut Composer<'_>,
    region: &Value,
    fail: &mut impl FnMut(String),
) -> Option<CheckedRegion> {
    let net = cx.net;
    known_keys(region, "the region", REGION, fail);
    let Some(pattern) = pattern_of(region) else {
        fail("missing or malformed `pattern`".into());
        return None;
    };
    let Some(states) = net.parse_pattern(&pattern) else {
        fail("the pattern does not fit the network".into());
        return None;
    };
    let (mut constraints, jac, off, plain) = composer.constraints(&states);
    constraints.extend(cx.domain);
    let Some(point) = region.get("point").and_then(vector).filter(|p| p.len() == net.input_dim()) else {
        fail("missing or malformed `point`".into());
        return None;
    };
    let exact: Vec<&ExactRow> = constraints.iter().map(|c| &c.exact).collect();
    let mut slacks = super::slacks::Slacks::new(&constraints, &point);
    // strictly inside every constraint of the pattern, the network's own pattern at the point
    // is the stated one (layer by layer: each preactivation is the composed one, of the sign
    // the state says); only where that fails is the network evaluated, to say what it is
    if let Some(k) = slacks.at_point().position(|s| s != Ordering::Greater) {
        fail(format!("the point is not strictly inside {}", constraints[k].origin.describe()));
        let (actual, _) = net.evaluate(&point);
        let actual = net.pattern_strings(&actual);
        if actual != pattern {
            fail(format!("the network's pattern at the point is {actual:?}"));
        }
    }
    check_map(region, &jac, &off, fail);
    check_floats(region, &point, &jac, &off, fail);
    let uncertified = match region.get("facets_uncertified") {
        None => false,
        Some(Value::Bool(true)) => true,
        Some(_) => {
            fail("`facets_uncertified` is not `true` (it is absent when the facets are certified)".into());
            false
        }
    };
    let listed = if uncertified {
        match cx.partial {
            Some(true) => {}
            Some(false) => fail(UNCERTIFIED.into()),
            None => fail(DEFERRED.into()),
        }
        if region.get("inequalities").and_then(Value::as_array).is_none_or(|l| !l.is_empty()) {
            fail("a region whose facets are uncertified lists inequalities (it must list none)".into());
        }
        Vec::new()
    } else {
        let (mut listed, owner, ints) =
            check_inequalities(region, &constraints, (&exact, &mut slacks, &point), fail);
        // the listed rows lent to the completeness check (not copied: 1,566 rows of 784
        // rationals a region on the conv net), then given back
        let rows: Vec<Row> = listed
            .iter_mut()
            .flatten()
            .map(|l| std::mem::replace(&mut l.row, Row::new(Vec::new(), Q::zero())))
            .collect();
        check_completeness(&constraints, &owner, (&rows, ints), fail);
        for (l, row) in listed.iter_mut().flatten().zip(rows) {
            l.row = row;
        }
        listed
    };
    let checked = CheckedRegion {
        pattern,
        states,
        listed,
        map: (jac, off),
        point,
        bounded: region.get("bounded").and_then(Value::as_bool),
        plain,
    };
    // an uncertified region is bounded or not by all its constraints; a certified one by the
    // listed inequalities (which define it, once their completeness is checked)
    let rows: Vec<&Row> =
        if uncertified { constraints.iter().map(|c| c.row()).collect() } else { checked.rows() };
    check_bounded(&checked, &rows, cx, fail);
    if let Some(size) = region.get("size") {
        super::sizes::check_size(size, &checked, &rows, net.input_dim(), fail);
    }
    Some(checked)
}

fn check_map(region: &Value, jac: &[Vec<Q>], off: &[Q], fail: &mut impl FnMut(String)) {
    let stated_jac = region.get("jacobian").and_then(matrix);
    let stated_off = region.get("offset").and_then(vector);
    if stated_jac.as_deref() != Some(jac) || stated_off.as_deref() != Some(off) {
        fail("the affine map differs from exact evaluation".into());
    }
}

/// `point_f64`, `jacobian_f64`, `offset_f64`: the nearest floats of the exact values.
pub(super) fn check_floats(
    item: &Value,
    point: &[Q],
    jac: &[Vec<Q>],
    off: &[Q],
    fail: &mut impl FnMut(String),
) {
    if !nearest_vector(point, item.get("point_f64")) {
        fail("`point_f64` is not the nearest floats of `point`".into());
    }
    if !nearest_matrix(jac, item.get("jacobian_f64")) || !nearest_vector(off, item.get("offset_f64")) {
        fail("`jacobian_f64` or `offset_f64` is not the nearest floats of the exact map".into());
    }
}

/// Checks each listed inequality. Returns them (`None` for one that failed) and, for each
/// constraint of the pattern, the listed inequality whose facet it is.
fn check_inequalities(
    region: &Value,
    constraints: &[&Constraint],
    (exact, slacks, point): (&[&ExactRow], &mut super::slacks::Slacks<'_, '_>, &[Q]),
    fail: &mut impl FnMut(String),
) -> (Vec<Option<Listed>>, Vec<Option<usize>>, Vec<IntRow>) {
    let mut owner: Vec<Option<usize>> = vec![None; constraints.len()];
    let mut ints = Vec::new();
    let Some(items) = region.get("inequalities").and_then(Value::as_array) else {
        fail("missing or malformed `inequalities`".into());
        return (Vec::new(), owner, ints);
    };
    let d = constraints.first().map_or(0, |c| c.exact.dim());
    let text = region.get("point").and_then(Value::as_array);
    let mut listed = Vec::with_capacity(items.len());
    for (k, item) in items.iter().enumerate() {
        known_keys(item, &format!("inequality {k}"), INEQUALITY, fail);
        let a = item.get("a").and_then(vector).filter(|a| a.len() == d && a.iter().any(|v| !v.is_zero()));
        // read against the region's point: only the coordinates it moves
        let q =
            item.get("facet_point").and_then(|v| Moved::read(v, text, point)).filter(|_| point.len() == d);
        let (Some(a), Some(b), Some(q)) = (a, item.get("b").and_then(rational), q) else {
            fail(format!("inequality {k} is malformed (`a` a nonzero normal, `b`, `facet_point`)"));
            listed.push(None);
            continue;
        };
        let row = Row::new(a, b);
        let signs: Vec<Ordering> = slacks.at_moved(&q.moved);
        // the constraints tight at the facet point (a zero row is never a facet's)
        let tight: Vec<usize> =
            (0..exact.len()).filter(|&i| signs[i] == Ordering::Equal && !exact[i].zero).collect();
        let stated = ExactRow::new(&row);
        let same: Vec<bool> = tight.iter().map(|&i| exact[i].same_halfspace(&stated)).collect();
        // a tight constraint that is the same halfspace puts the facet point on the row: the
        // row's own slack is computed only where none is
        let problem = if !same.contains(&true) && !q.on(&row, point) {
            Some("its facet point is not on it")
        } else if signs.contains(&Ordering::Less)
            || tight.len() < signs.iter().filter(|s| **s == Ordering::Equal).count()
        {
            Some("its facet point is outside the region")
        } else if !same.contains(&true) {
            Some("it is not a constraint of the pattern through its facet point")
        } else if same.contains(&false) {
            Some("its facet point is not in the relative interior of a facet")
        } else {
            None
        };
        if let Some(problem) = problem {
            fail(format!("inequality {k}: {problem}"));
            listed.push(None);
            continue;
        }
        if let Some(j) = tight.iter().find_map(|&i| owner[i]) {
            fail(format!("inequality {k} is the facet of inequality {j} again"));
            listed.push(None);
            continue;
        }
        check_labels(k, item, &tight, constraints, fail);
        for &i in &tight {
            owner[i] = Some(k);
        }
        let inner = !tight.iter().any(|&i| matches!(constraints[i].origin, Origin::Domain(_)));
        let alone = if let [i] = tight[..] { Some(constraints[i].origin) } else { None };
        let q = if inner { q.dense(point) } else { Vec::new() };
        listed.push(Some(Listed { row, point: q, inner, alone }));
        ints.push(stated.to_int());
    }
    (listed, owner, ints)
}

/// An inequality's `neurons` and `domain_rows` must name exactly the constraints tight on its
/// facet (in any order, each once).
fn check_labels(
    k: usize,
    item: &Value,
    tight: &[usize],
    constraints: &[&Constraint],
    fail: &mut impl FnMut(String),
) {
    let (mut want_neurons, mut want_rows) = (Vec::new(), Vec::new());
    for &i in tight {
        match constraints[i].origin {
            Origin::Neuron(layer, index) => want_neurons.push((layer, index)),
            Origin::Domain(r) => want_rows.push(r),
        }
    }
    want_neurons.sort_unstable();
    want_rows.sort_unstable();
    let (stated_neurons, stated_rows) = (neurons(item.get("neurons")), indices(item.get("domain_rows")));
    if stated_neurons.as_ref() != Some(&want_neurons) || stated_rows.as_ref() != Some(&want_rows) {
        let names: Vec<String> = want_neurons.iter().map(|(l, i)| format!("L{l}.{i}")).collect();
        fail(format!(
            "inequality {k}: its labels must name exactly the constraints tight on its facet: neurons [{}], domain rows {want_rows:?}",
            names.join(", ")
        ));
    }
}

/// Every constraint not listed must be implied by the listed inequalities: the domain rows
/// first (by the listed rows alone; a box face by a combination whose bound is then the
/// region's own extent on its coordinate), after which the domain's box and those extents,
/// which the listed rows then imply, settle the others by exact intervals where they can; a
/// Farkas vector for the rest.
fn check_completeness(
    constraints: &[&Constraint],
    owner: &[Option<usize>],
    (rows, ints): (&[Row], Vec<IntRow>),
    fail: &mut impl FnMut(String),
) {
    let d = constraints.first().map_or(0, |c| c.exact.dim());
    // the listed rows' own bounds, made only if a domain row needs them
    let mut own_box = None;
    let mut combiner = Combiner::with_ints(&rows.iter().collect::<Vec<_>>(), ints, d);
    let is_domain = |c: &&Constraint| matches!(c.origin, Origin::Domain(_));
    let missing = |k: usize| {
        let which = constraints[k].origin.describe();
        format!("{which} is not implied by the listed inequalities (a facet is missing)")
    };
    let mut domain_implied = true;
    // the region's extents the combinations of the box faces prove
    let mut extents: Vec<Row> = Vec::new();
    // a domain row the listed rows imply, in high dimension with few rows that are not box
    // faces: the interval certificate with exact multipliers first (an unlisted box face cut
    // off by a neuron row needs one the floats cannot give), else the general ones
    let mut snap = AxisSnap::fits(rows, d).then_some(None);
    for (k, c) in constraints.iter().enumerate().filter(|(k, c)| owner[*k].is_none() && is_domain(c)) {
        let snapped =
            snap.as_mut().is_some_and(|s| s.get_or_insert_with(|| AxisSnap::new(rows, d)).implies(c.row()));
        if snapped {
            continue;
        }
        // in low dimension (ACAS Xu's 5), a combination first: its elimination is small, and
        // its bound is the region's extent; in high dimension the interval certificates first
        if d < HIGH_DIMENSION {
            if let Some(extent) = implied::axis_bound(&mut combiner, c) {
                extents.push(extent);
                continue;
            }
        }
        let own = own_box.get_or_insert_with(|| Bounds::new(rows, combiner.ints(), &[], d));
        if !implied_by_listed(rows, &mut combiner, c, Some(own)) {
            domain_implied = false;
            fail(missing(k));
        }
    }
    // the listed rows imply the domain: its box and the extents (with theirs) confine the region
    let bounds = domain_implied.then(|| {
        let confining: Vec<&Row> =
            constraints.iter().filter(|c| is_domain(c)).map(|c| c.row()).chain(&extents).collect();
        Bounds::new(rows, combiner.ints(), &confining, d)
    });
    for (k, c) in constraints.iter().enumerate().filter(|(k, c)| owner[*k].is_none() && !is_domain(c)) {
        if !implied_by_listed(rows, &mut combiner, c, bounds.as_ref()) {
            fail(missing(k));
        }
    }
}

/// Checks the `bounded` flag: true on a bounded domain, else decided by the region's rows (a
/// checked ray or checked boundedness duals).
fn check_bounded(checked: &CheckedRegion, rows: &[&Row], cx: &Context<'_>, fail: &mut impl FnMut(String)) {
    let Some(stated) = checked.bounded else {
        fail("missing or malformed `bounded`".into());
        return;
    };
    let d = cx.net.input_dim();
    // checked certificates proposed by floats first; the exact simplex where none checks
    let actual = cx.domain_bounded
        || super::bounded::bounded_by_certificates(rows, d).unwrap_or_else(|| {
            match crate::certify::recession_ray(rows, d, Filter::Off) {
                Ok(ray) => ray.is_none(),
                Err(e) => {
                    fail(format!("boundedness could not be decided: {e}"));
                    stated // the failure is reported; the flag is not compared again
                }
            }
        });
    if stated != actual {
        let what = if actual { "bounded (its recession cone is {0})" } else { "unbounded (it has a ray)" };
        fail(format!("`bounded` says {stated}, but the region is {what}"));
    }
}
