//! The test of a region leaf of an `unsat` proof (for module `check::proof`): every state
//! fixed, the network is the checker's exact affine map on the cell, and each disjunct of the
//! unsafe set, as rows over the inputs, is refuted with the cell's rows: by a minimum of one of
//! its rows over the others and the cell, by the infeasibility of them all, or, for strict rows
//! (strict constraints and strict sides of the case's box), by a strict row whose opposite the
//! others imply.

use super::certificates::{certified_min, dual_excludes, implied, infeasible};
use super::constraints::Row;
use super::int_map::RowMap;
use crate::exact::num::{common_denominator, scaled_numerator, Q};
use crate::kernel::float_box::FloatBox;
use crate::network::vnnlib::Case;
use num_bigint::BigInt;
use num_traits::Zero;

/// What a region leaf's test reads of the checker's walk of a case.
pub(super) struct Disjuncts<'a> {
    pub(super) case: &'a Case,
    /// The strict sides of the case's box, as rows over the free inputs (to hold strictly).
    pub(super) sides: &'a [Row],
    /// The case's box in floats (every cell lies in it).
    pub(super) float_box: &'a FloatBox,
}

/// `Ok` when the cell (`cell` its rows, `map` the network's output map there, `y = (rows x +
/// off) / den`) misses every disjunct of the case's unsafe set, on the closed box or else with
/// the box's strict sides as strict rows; `Err(k)`: disjunct `k` is not shown missed.
pub(super) fn misses(cell: &[Row], map: &RowMap, of: &Disjuncts<'_>) -> Result<(), usize> {
    let (case, sides) = (of.case, of.sides);
    for (k, conj) in case.unsafe_set.iter().enumerate() {
        let constraints: Vec<(Row, bool)> =
            conj.iter().map(|c| (over_inputs(map, &c.coefficients, &c.rhs), c.strict)).collect();
        // on the closed box first; then with its strict sides as strict rows
        let refuted = refutes(cell, &constraints, of.float_box)
            || (!sides.is_empty() && {
                let sides = sides.iter().map(|r| (r.clone(), true));
                refutes(cell, &constraints.iter().cloned().chain(sides).collect::<Vec<_>>(), of.float_box)
            });
        if !refuted {
            return Err(k);
        }
    }
    Ok(())
}

/// The output constraint `c . y <= rhs` as a row over the inputs, in integers: with `m` the
/// common denominator of `c` and `rhs` (so `m c`, `m rhs` are integers), `y = (J x + o) / den`
/// gives `(m c)^T J x <= m rhs den - (m c) . o`, a positive multiple (`m den`) of the rational
/// row, which changes no decision (every certificate is scale-free).
fn over_inputs(map: &RowMap, c: &[Q], rhs: &Q) -> Row {
    let m = common_denominator(c.iter().chain([rhs]));
    let ints: Vec<BigInt> = c.iter().map(|v| scaled_numerator(v, &m)).collect();
    let mut a = vec![BigInt::zero(); map.d];
    let mut b = scaled_numerator(rhs, &m) * &map.den;
    for ((ck, row), o) in ints.iter().zip(&map.rows).zip(&map.off) {
        if ck.is_zero() {
            continue;
        }
        row.nonzeros(|j, v| a[j] += ck * v);
        b -= ck * o;
    }
    Row::new(a.into_iter().map(Q::from_integer).collect(), Q::from_integer(b))
}

/// Whether no point of the cell (in the box `bx`) meets every constraint (each strict or not):
/// some constraint's minimum over the cell and the others exceeds its bound (the kernel's safe
/// dual bound for each, else a certified minimum for each, which may also reach the bound of a
/// strict one); the closed system has no point; or, for a strict constraint `g.x < beta`, the
/// cell and the others (closed) imply `g.x >= beta`. Complete by Motzkin's transposition
/// theorem: when the closed system has points but the strict one none, a multiplier vector
/// puts weight on some strict row, whose opposite the others then imply.
fn refutes(cell: &[Row], constraints: &[(Row, bool)], bx: &FloatBox) -> bool {
    let others = |i: usize| -> Vec<Row> {
        let rest = constraints.iter().enumerate().filter(|(m, _)| *m != i).map(|(_, (r, _))| r.clone());
        cell.iter().cloned().chain(rest).collect()
    };
    let all: Vec<Row> = cell.iter().cloned().chain(constraints.iter().map(|(r, _)| r.clone())).collect();
    constraints.iter().enumerate().any(|(i, (g, _))| dual_excludes(&others(i), bx, g))
        || constraints.iter().enumerate().any(|(i, (g, strict))| {
            matches!(certified_min(&others(i), &g.a), Some(min) if min > g.b || (*strict && min == g.b))
        })
        || infeasible(&all)
        || constraints.iter().enumerate().any(|(i, (g, strict))| *strict && implied(&others(i), &g.flipped()))
}
