//! What the merge proves of each region a part lists, against the plan's network, in exact
//! arithmetic (floats only through the kernel's proved sign filter), before anything of it is
//! printed:
//!
//! - its shapes: a pattern of the network's widths, a point, inequalities and facet points in
//!   R^d, a map of the network's output size, origins naming existing neurons and domain rows;
//! - its point is strictly inside the region of its pattern: every neuron's state holds
//!   strictly there (or its row is constant on the region and holds), and so does every domain
//!   row; so the region exists and is full-dimensional;
//! - its map is the network's on that pattern, recomputed from the pattern;
//! - each inequality is a positive multiple of the row of every neuron and domain row it names,
//!   and its facet point lies exactly on it and strictly inside every other row of the region:
//!   a point in the relative interior of a true facet;
//! - its `bounded` flag: true on a bounded domain; otherwise its inequalities' recession cone
//!   is `{0}` (so the region is bounded), or a ray of it is checked against every row of the
//!   region (so it is not).
//!
//! Not proved here: that the inequalities are all of the region's facets (an LP per row, the
//! costly part of the run). The graph the merge builds sees every shared facet from both sides,
//! so an inner facet left out on one side is found there; a facet on the domain's boundary
//! (one naming a domain row, whatever neurons are tight on it too) has no second side, and
//! `check` on the merged output proves it and the rest.
//!
//! The maps and state rows of a pattern come from [`crate::forward::pattern`]: composed over
//! integers and shared between consecutive regions with a common prefix of states (a part lists
//! its regions in depth-first order), as the enumeration shares them.

use crate::analysis::facets::Facet;
use crate::enumerate::prepared::Prepared;
use crate::enumerate::region::{NeuronId, Origin, Region};
use crate::exact::num::{fmt_point, sign_of_sum_of_products, Q};
use crate::forward::fixed_point::FixedMap;
use crate::forward::pattern::{PatternMaps, StateRow};
use crate::kernel::halfspace::Halfspace;
use crate::kernel::{affine_sign, images};
use crate::network::{Activation, Network};
use num_bigint::BigInt;
use num_traits::{One, Zero};
use std::cmp::Ordering;

/// Checks regions of one network, keeping the maps of the last region's pattern.
pub(super) struct RegionVerifier<'p, 'n> {
    prepared: &'p Prepared<'n>,
    /// The layers with states: their index in the network and activation.
    stateful: Vec<(usize, Activation)>,
    /// The domain's rows with their indices ([`crate::network::Domain::indexed_halfspaces`]).
    domain: Vec<(usize, Halfspace)>,
    /// Whether every region is bounded (a bounded domain).
    bounded_domain: bool,
    /// The maps of the last region's pattern ([`crate::forward::pattern`]).
    maps: PatternMaps<'p>,
}

/// A point with its float images (`None` with the float filter off).
struct Point<'a> {
    exact: &'a [Q],
    floats: Option<Vec<f64>>,
    /// Whether it is a direction (the rows' offsets left out).
    direction: bool,
}

impl<'p, 'n> RegionVerifier<'p, 'n> {
    /// A verifier for the regions of `prepared`'s network; `bounded_domain` says whether its
    /// domain is bounded (every region then is).
    pub(super) fn new(prepared: &'p Prepared<'n>, bounded_domain: bool) -> RegionVerifier<'p, 'n> {
        let net = prepared.network();
        let stateful = net
            .layers()
            .iter()
            .enumerate()
            .filter(|(_, l)| l.activation.has_states())
            .map(|(i, l)| (i, l.activation));
        RegionVerifier {
            prepared,
            stateful: stateful.collect(),
            domain: net.domain().indexed_halfspaces(net.input_dim()),
            bounded_domain,
            maps: PatternMaps::new(net.layers(), prepared.fixed_layers(), net.input_dim()),
        }
    }

    fn net(&self) -> &'n Network {
        self.prepared.network()
    }

    /// Checks one region and its facets; the error says what is wrong.
    pub(super) fn verify(&mut self, region: &Region, facets: &[Facet]) -> Result<(), String> {
        self.shapes(region, facets)?;
        self.maps.compose(&region.pattern);
        let rows = self.maps.state_rows();
        // the point: strictly inside every row
        let point = self.point(&region.point, false);
        for row in &rows {
            if !self.holds(row, &point, true) {
                return Err(format!(
                    "its point {} is not strictly inside the region of its pattern (layer {} neuron {} is on the wrong side or on its hyperplane there)",
                    fmt_point(&region.point),
                    row.layer,
                    row.row
                ));
            }
        }
        let inside =
            |h: &Halfspace| h.slack_sign(&region.point, point.floats.as_deref()) == Ordering::Greater;
        if let Some((k, _)) = self.domain.iter().find(|(_, h)| !inside(h)) {
            return Err(format!(
                "its point {} is not strictly inside domain row {k}",
                fmt_point(&region.point)
            ));
        }
        if !self.map_is(&region.map) {
            return Err("its map (jacobian, offset) is not the network's map on its pattern".into());
        }
        for (k, facet) in facets.iter().enumerate() {
            self.facet(region, facet, &rows).map_err(|e| format!("inequalities[{k}]: {e}"))?;
        }
        self.bounded(region, facets, &rows)
    }

    /// Every size the later checks index with.
    fn shapes(&self, region: &Region, facets: &[Facet]) -> Result<(), String> {
        let net = self.net();
        let d = net.input_dim();
        if region.pattern.len() != self.stateful.len()
            || region
                .pattern
                .iter()
                .zip(&self.stateful)
                .any(|(bits, &(l, _))| bits.len() != net.layers()[l].width())
        {
            return Err("its pattern does not fit the network's layers".into());
        }
        if region.point.len() != d {
            return Err(format!(
                "its point has {} coordinates, the network has {d} inputs",
                region.point.len()
            ));
        }
        let outputs = net.output_dim();
        if region.map.jacobian.len() != outputs
            || region.map.offset.len() != outputs
            || region.map.jacobian.iter().any(|row| row.len() != d)
        {
            return Err(format!("its map is not {outputs} outputs of {d} inputs"));
        }
        for (k, facet) in facets.iter().enumerate() {
            let bad = |what: String| Err(format!("inequalities[{k}]: {what}"));
            if facet.point.len() != d {
                return bad(format!("its facet point has {} coordinates, not {d}", facet.point.len()));
            }
            for &c in &facet.constraints {
                let constraint = &region.constraints[c];
                if constraint.halfspace.a.len() != d {
                    return bad(format!("a has {} entries, not {d}", constraint.halfspace.a.len()));
                }
                match constraint.origin {
                    Origin::Domain(row) if !self.domain.iter().any(|(i, _)| *i == row) => {
                        return bad(format!("the domain has no row {row} (zero rows are not rows)"));
                    }
                    Origin::Neuron(n) => {
                        let stateful = self.stateful.iter().position(|&(l, _)| l == n.layer);
                        let Some(s) = stateful.filter(|_| n.index < net.layers()[n.layer].width()) else {
                            return bad(format!(
                                "there is no hidden neuron {} in layer {}",
                                n.index, n.layer
                            ));
                        };
                        if let (Activation::Max(k), bits) = (self.stateful[s].1, &region.pattern[s]) {
                            if bits[n.index] {
                                let unit = n.index / k;
                                return bad(format!(
                                    "candidate {} is the winner of its unit {unit}: it has no row",
                                    n.index
                                ));
                            }
                        }
                    }
                    Origin::Domain(_) => {}
                }
            }
        }
        Ok(())
    }

    /// Whether `map` is the network's map on the composed pattern: each entry `n / m` against
    /// the integer numerator `N` over the common denominator `D`, as `n D = N m` (no gcd).
    fn map_is(&self, map: &crate::enumerate::region::AffineMap) -> bool {
        let (last, mask) = self.maps.last();
        let den = last.denominator();
        let same = |stated: &Q, numerator: &BigInt| stated.numer() * den == numerator * stated.denom();
        map.jacobian.iter().zip(&map.offset).enumerate().all(|(i, (row, offset))| {
            if mask.is_some_and(|bits| !bits[i]) {
                return row.iter().chain([offset]).all(Zero::is_zero);
            }
            let (a, b) = last.row_ints(i);
            row.iter().zip(&a).all(|(s, n)| same(s, n)) && same(offset, &b)
        })
    }

    fn point<'a>(&self, x: &'a [Q], direction: bool) -> Point<'a> {
        Point { exact: x, floats: self.prepared.filter().on().then(|| images(x)), direction }
    }

    /// The sign of `g` at `x` (of its linear part for a direction).
    fn sign(&self, row: &StateRow, x: &Point<'_>) -> Ordering {
        let map = self.maps.preactivation(row.layer);
        let raw = match row.winner {
            None => self.row_sign(map, row.row, x),
            // a max unit: the winner's row minus the candidate's, exactly
            Some(t) => {
                let value = |i: usize| -> Q {
                    let (terms, offset) = map.row_terms(i);
                    let mut v: Q = terms.into_iter().map(|(j, c)| Q::from_integer(c) * &x.exact[j]).sum();
                    if !x.direction {
                        v += Q::from_integer(offset);
                    }
                    v
                };
                (value(t) - value(row.row)).cmp(&Q::zero())
            }
        };
        if row.on {
            raw
        } else {
            raw.reverse()
        }
    }

    /// The exact sign of row `i` of `map` at `x`, filtered.
    fn row_sign(&self, map: &FixedMap, i: usize, x: &Point<'_>) -> Ordering {
        if let Some(xf) = &x.floats {
            let (a, b) = map.row_floats(i);
            if let Some(s) = affine_sign(a, if x.direction { 0.0 } else { b }, xf, false) {
                return s;
            }
        }
        let (terms, offset) = map.row_terms(i);
        let coefficients: Vec<Q> = terms.iter().map(|(_, c)| Q::from_integer(c.clone())).collect();
        let offset = if x.direction { Q::zero() } else { Q::from_integer(offset) };
        let one = Q::one();
        sign_of_sum_of_products(
            coefficients.iter().zip(terms.iter().map(|(j, _)| &x.exact[*j])).chain([(&offset, &one)]),
        )
    }

    /// Whether the row's state holds at `x`: `g > 0` (`strict`) or `g >= 0`; `g = 0` is allowed
    /// for a strict check too where the row is constant on the region and a tie is its state.
    fn holds(&self, row: &StateRow, x: &Point<'_>, strict: bool) -> bool {
        match self.sign(row, x) {
            Ordering::Greater => true,
            Ordering::Less => false,
            Ordering::Equal => !strict || (row.tie && self.linear_part(row).iter().all(Zero::is_zero)),
        }
    }

    /// The integer numerators of `g`'s linear part and offset (over the map's positive
    /// denominator).
    fn numerators(&self, row: &StateRow) -> (Vec<BigInt>, BigInt) {
        let map = self.maps.preactivation(row.layer);
        let (mut a, mut b) = map.row_ints(row.row);
        if let Some(t) = row.winner {
            let (at, bt) = map.row_ints(t);
            a = at.into_iter().zip(a).map(|(x, y)| x - y).collect();
            b = bt - b;
        }
        if !row.on {
            a.iter_mut().for_each(|v| *v = -&*v);
            b = -b;
        }
        (a, b)
    }

    fn linear_part(&self, row: &StateRow) -> Vec<BigInt> {
        self.numerators(row).0
    }

    /// Whether the row `g >= 0`, as the halfspace `-g_lin . x <= g_0`, is a positive multiple
    /// of `h` (over integers: no gcd).
    fn row_is(&self, row: &StateRow, h: &Halfspace) -> bool {
        let (a, b) = self.numerators(row);
        let minus: Vec<BigInt> = a.into_iter().map(|v| -v).collect();
        positive_multiple((&minus[..], &b), h.integer_row())
    }

    /// One facet: every origin's row is the stated halfspace, and the facet point is on it and
    /// strictly inside every other row.
    fn facet(&self, region: &Region, facet: &Facet, rows: &[StateRow]) -> Result<(), String> {
        let stated = &region.constraints[facet.constraints[0]].halfspace;
        if stated.is_trivial() {
            return Err("a is zero".into());
        }
        let mut own_neurons = Vec::new();
        let mut own_domain = Vec::new();
        for &c in &facet.constraints {
            match region.constraints[c].origin {
                Origin::Neuron(n) => {
                    let row = rows.iter().find(|r| id(r) == n).expect("origins checked against the pattern");
                    if !self.row_is(row, stated) {
                        return Err(format!(
                            "it is not the row of layer {} neuron {} on this region (a positive multiple of it)",
                            n.layer, n.index
                        ));
                    }
                    own_neurons.push(n);
                }
                Origin::Domain(k) => {
                    let (_, row) = self.domain.iter().find(|(i, _)| *i == k).expect("origins checked");
                    if !positive_multiple(row.integer_row(), stated.integer_row()) {
                        return Err(format!("it is not domain row {k} (a positive multiple of it)"));
                    }
                    own_domain.push(k);
                }
            }
        }
        let q = &facet.point;
        let minus_one = -Q::one();
        let on_it = sign_of_sum_of_products(stated.a.iter().zip(q).chain([(&stated.b, &minus_one)]));
        if on_it != Ordering::Equal {
            return Err(format!("its facet point {} is not on it", fmt_point(q)));
        }
        let at = self.point(q, false);
        let off_facet = |what: String| {
            Err(format!(
                "its facet point {} is not in the relative interior of a facet ({what})",
                fmt_point(q)
            ))
        };
        // another row zero at the point is allowed only where it is the same halfspace (a
        // neuron that never cuts the region but meets its boundary along this facet)
        for row in rows.iter().filter(|r| !own_neurons.contains(&id(r))) {
            let fine = match self.sign(row, &at) {
                Ordering::Greater => true,
                Ordering::Less => false,
                Ordering::Equal => self.holds(row, &at, true) || self.row_is(row, stated),
            };
            if !fine {
                return off_facet(format!("layer {} neuron {}", row.layer, row.row));
            }
        }
        for (k, row) in self.domain.iter().filter(|(k, _)| !own_domain.contains(k)) {
            let fine = match row.slack_sign(q, at.floats.as_deref()) {
                Ordering::Greater => true,
                Ordering::Less => false,
                Ordering::Equal => positive_multiple(row.integer_row(), stated.integer_row()),
            };
            if !fine {
                return off_facet(format!("domain row {k}"));
            }
        }
        Ok(())
    }

    /// The `bounded` flag.
    fn bounded(&self, region: &Region, facets: &[Facet], rows: &[StateRow]) -> Result<(), String> {
        let actual = self.bounded_domain || {
            let d = self.net().input_dim();
            let listed: Vec<&Halfspace> =
                facets.iter().map(|f| &*region.constraints[f.constraints[0]].halfspace).collect();
            // the listed inequalities hold on the region: no ray of theirs, none of the region's
            let ray = crate::certify::recession_ray(&listed, d, self.prepared.filter())
                .map_err(|e| format!("its boundedness could not be decided ({e})"))?;
            match ray {
                None => true,
                Some(r) => {
                    let direction = self.point(&r, true);
                    let along = |h: &Halfspace| crate::exact::num::dot(&h.a, &r) <= Q::zero();
                    if !(rows.iter().all(|row| self.holds(row, &direction, false))
                        && self.domain.iter().all(|(_, h)| along(h)))
                    {
                        return Err(format!(
                            "its inequalities do not describe its region: their ray {} leaves it",
                            fmt_point(&r)
                        ));
                    }
                    false
                }
            }
        };
        if region.bounded != actual {
            let what = if actual { "bounded" } else { "unbounded" };
            return Err(format!("it says bounded: {}, but the region is {what}", region.bounded));
        }
        Ok(())
    }
}

/// The neuron a state row belongs to.
fn id(row: &StateRow) -> NeuronId {
    NeuronId { layer: row.layer, index: row.row }
}

/// Whether `(a, b)` is a positive multiple of `(c, d)` (integer rows; a zero row is a multiple
/// of nothing).
fn positive_multiple((a, b): (&[BigInt], &BigInt), (c, d): (&[BigInt], &BigInt)) -> bool {
    let Some(k) = c.iter().position(|v| !v.is_zero()) else { return false };
    if a[k].sign() != c[k].sign() {
        return false;
    }
    // a = (a_k / c_k) c, entry by entry, cross-multiplied
    a.iter().zip(c).all(|(x, y)| x * &c[k] == y * &a[k]) && b * &c[k] == d * &a[k]
}
