//! The polytope domain's check: `A x <= b` has interior points, or a refusal that carries a
//! checked certificate of what is wrong with it.
//!
//! | defect | certificate, checked exactly |
//! |---|---|
//! | a zero row `0 . x <= b` with `b < 0` | the row itself: no point satisfies it |
//! | the rows have no common point | Farkas multipliers `y >= 0` with `y^T A = 0`, `y^T b < 0` |
//! | they have points, none interior | multipliers `y >= 0` with `y^T A = 0`, `y^T b = 0` (every row with `y_i > 0` is tight at every point: an implicit equality) and a point of the domain |
//!
//! A zero row `0 . x <= b` with `b >= 0` holds everywhere and takes no part in the decision
//! (the enumeration leaves such rows out too, [`crate::enumerate::region::Constraint::domain`]).

use super::Outcome;
use super::{find_strict_point, LpStats};
use crate::certify::certificate::check_motzkin;
use crate::error::InternalError;
use crate::exact::num::{fmt_point, fmt_q, sign_of_sum_of_products, Q};
use crate::exact::simplex::{solve, LpOutcome};
use crate::kernel::halfspace::Halfspace;
use num_bigint::BigInt;
use num_integer::Integer;
use num_traits::{Signed, Zero};
use std::cmp::Ordering;

/// Why a polytope `A x <= b` is no domain, with its certificate (checked before it is returned).
#[derive(Debug, Clone, PartialEq)]
pub enum PolytopeDefect {
    /// Row `row` is zero with a negative right-hand side: `0 . x <= b < 0` holds nowhere.
    ContradictoryRow {
        /// The row's index in `A`.
        row: usize,
    },
    /// No point satisfies every row: multipliers (row index, `y_i > 0`) with `y^T A = 0` and
    /// `y^T b < 0` (Farkas).
    Empty {
        /// The rows with a positive multiplier, and their multipliers.
        multipliers: Vec<(usize, Q)>,
    },
    /// The rows have common points but none strictly inside them: multipliers with
    /// `y^T A = 0` and `y^T b = 0`, so every row with `y_i > 0` holds with equality on the whole
    /// domain, and a point of the domain.
    LowerDimensional {
        /// The rows with a positive multiplier (each an implicit equality), and their multipliers.
        multipliers: Vec<(usize, Q)>,
        /// A point satisfying every row.
        point: Vec<Q>,
    },
}

impl PolytopeDefect {
    /// What is wrong, said with its certificate (`b` is the polytope's right-hand side).
    ///
    /// See the example on [`polytope_defect`].
    pub fn explain(&self, b: &[Q]) -> String {
        match self {
            PolytopeDefect::ContradictoryRow { row } => format!(
                "is all zeros and b[{row}] = {} < 0: no point satisfies 0 . x <= {}, so the domain is empty",
                fmt_q(&b[*row]),
                fmt_q(&b[*row])
            ),
            PolytopeDefect::Empty { multipliers } => format!(
                "is empty (certified: {} add up to 0 . x <= {} < 0, which no point satisfies)",
                combination(multipliers),
                fmt_q(&weighted_rhs(multipliers, b))
            ),
            PolytopeDefect::LowerDimensional { multipliers, point } => {
                let rows: Vec<String> = multipliers.iter().map(|(i, _)| i.to_string()).collect();
                format!(
                    "is lower-dimensional: it contains {} but no interior point, since {} add up to \
                     0 . x <= 0, so row(s) {} hold with equality at every point of it; a domain must be \
                     full-dimensional",
                    fmt_point(point),
                    combination(multipliers),
                    shortened(&rows)
                )
            }
        }
    }
}

/// `rows 0, 2 times 1, 1/2`, at most a few of them written out.
fn combination(multipliers: &[(usize, Q)]) -> String {
    let rows: Vec<String> = multipliers.iter().map(|(i, _)| i.to_string()).collect();
    let times: Vec<String> = multipliers.iter().map(|(_, y)| fmt_q(y)).collect();
    let noun = if multipliers.len() == 1 { "row" } else { "rows" };
    format!("{noun} {} times {}", shortened(&rows), shortened(&times))
}

fn shortened(items: &[String]) -> String {
    const SHOWN: usize = 8;
    let head = items.iter().take(SHOWN).cloned().collect::<Vec<_>>().join(", ");
    match items.len().saturating_sub(SHOWN) {
        0 => head,
        more => format!("{head} and {more} more"),
    }
}

fn weighted_rhs(multipliers: &[(usize, Q)], b: &[Q]) -> Q {
    multipliers.iter().map(|(i, y)| &b[*i] * y).sum()
}

/// Whether the polytope `A x <= b` (rows of one length `d >= 1`) has interior points: `None`
/// when it does, else its defect with a checked certificate. Zero rows with `b >= 0` hold
/// everywhere and are left out; a polytope of such rows only is all of R^d. Decided by the
/// exact rational simplex (domains are small); an error means an exact answer failed its own
/// check.
///
/// # Examples
/// ```
/// use relu_regions::certify::{polytope_defect, PolytopeDefect};
/// use relu_regions::exact::num::q;
/// let rows = |r: &[[i64; 2]]| r.iter().map(|v| vec![q(v[0]), q(v[1])]).collect::<Vec<_>>();
/// // the unit square and a zero row 0 . x <= 0, which holds everywhere: full-dimensional
/// let square = rows(&[[1, 0], [-1, 0], [0, 1], [0, -1], [0, 0]]);
/// assert_eq!(polytope_defect(&square, &[q(1), q(0), q(1), q(0), q(0)]).unwrap(), None);
/// // 0 . x <= -1 holds nowhere
/// let b = [q(1), q(0), q(1), q(0), q(-1)];
/// let defect = polytope_defect(&square, &b).unwrap().unwrap();
/// assert_eq!(defect, PolytopeDefect::ContradictoryRow { row: 4 });
/// assert!(defect.explain(&b).contains("empty"));
/// // x + y <= 1 and x + y >= 1: the segment x + y = 1 of the square, lower-dimensional
/// let diagonal = rows(&[[1, 0], [-1, 0], [0, 1], [0, -1], [1, 1], [-1, -1]]);
/// let b = [q(1), q(0), q(1), q(0), q(1), q(-1)];
/// let Some(PolytopeDefect::LowerDimensional { point, .. }) = polytope_defect(&diagonal, &b).unwrap()
///     else { panic!("a segment has no interior") };
/// assert_eq!(&point[0] + &point[1], q(1));
/// ```
pub fn polytope_defect(a: &[Vec<Q>], b: &[Q]) -> Result<Option<PolytopeDefect>, InternalError> {
    let rows: Vec<Halfspace> =
        a.iter().zip(b).map(|(row, rhs)| Halfspace::new(row.clone(), rhs.clone())).collect();
    if let Some(row) = rows.iter().position(|h| h.is_trivial() && h.b.is_negative()) {
        return Ok(Some(PolytopeDefect::ContradictoryRow { row }));
    }
    let kept: Vec<usize> = (0..rows.len()).filter(|&i| !rows[i].is_trivial()).collect();
    if kept.is_empty() {
        return Ok(None);
    }
    let refs: Vec<&Halfspace> = kept.iter().map(|&i| &rows[i]).collect();
    let mut stats = LpStats::default();
    let y = match find_strict_point(&refs, None, &crate::lp::ExactOnly, &mut stats)? {
        Outcome::Witness(_) => return Ok(None),
        Outcome::Proved(y) => y,
    };
    // a checked Motzkin vector: y >= 0, y^T A = 0, y^T b <= 0
    let multipliers = |y: &[Q]| -> Vec<(usize, Q)> {
        let support: Vec<(usize, &Q)> =
            kept.iter().zip(y).filter(|(_, v)| !v.is_zero()).map(|(&i, v)| (i, v)).collect();
        // scaled to coprime integers (a certificate up to a positive factor)
        let m = crate::exact::num::common_denominator(support.iter().map(|(_, v)| *v));
        let ints: Vec<BigInt> =
            support.iter().map(|(_, v)| crate::exact::num::scaled_numerator(v, &m)).collect();
        let g = ints.iter().fold(BigInt::zero(), |g, v| g.gcd(v)).max(BigInt::from(1));
        support.iter().zip(ints).map(|((i, _), v)| (*i, Q::from_integer(v / &g))).collect()
    };
    if sign_of_sum_of_products(refs.iter().map(|r| &r.b).zip(&y)) == Ordering::Less {
        return Ok(Some(PolytopeDefect::Empty { multipliers: multipliers(&y) }));
    }
    // y^T b = 0: the rows of y's support are implicit equalities; is there a point at all?
    let (ka, kb): (Vec<Vec<Q>>, Vec<Q>) = refs.iter().map(|r| (r.a.clone(), r.b.clone())).unzip();
    let zero = vec![Q::zero(); ka[0].len()];
    let failure = |what: String| InternalError::new(format!("the polytope domain's check: {what}"));
    match solve(&ka, &kb, &zero, usize::MAX) {
        Some(LpOutcome::Optimal { x, .. }) if refs.iter().all(|r| !r.slack(&x).is_negative()) => {
            Ok(Some(PolytopeDefect::LowerDimensional { multipliers: multipliers(&y), point: x }))
        }
        Some(LpOutcome::Infeasible { y: farkas })
            if check_motzkin(&refs, None, &farkas)
                && sign_of_sum_of_products(kb.iter().zip(&farkas)) == Ordering::Less =>
        {
            Ok(Some(PolytopeDefect::Empty { multipliers: multipliers(&farkas) }))
        }
        other => Err(failure(format!("the exact simplex's answer {other:?} failed its check"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exact::num::{parse_rational, q};

    fn r(s: &str) -> Q {
        parse_rational(s).unwrap()
    }

    /// Every certificate checked again here, from its definition.
    fn certificate_holds(a: &[Vec<Q>], b: &[Q], defect: &PolytopeDefect) -> bool {
        let combined = |m: &[(usize, Q)]| -> (Vec<Q>, Q) {
            let d = a[0].len();
            let lhs = (0..d).map(|j| m.iter().map(|(i, y)| &a[*i][j] * y).sum()).collect();
            (lhs, weighted_rhs(m, b))
        };
        match defect {
            PolytopeDefect::ContradictoryRow { row } => {
                a[*row].iter().all(Zero::is_zero) && b[*row].is_negative()
            }
            PolytopeDefect::Empty { multipliers } => {
                let (lhs, rhs) = combined(multipliers);
                multipliers.iter().all(|(_, y)| y.is_positive())
                    && lhs.iter().all(Zero::is_zero)
                    && rhs.is_negative()
            }
            PolytopeDefect::LowerDimensional { multipliers, point } => {
                let (lhs, rhs) = combined(multipliers);
                !multipliers.is_empty()
                    && multipliers.iter().all(|(_, y)| y.is_positive())
                    && lhs.iter().all(Zero::is_zero)
                    && rhs.is_zero()
                    && a.iter().zip(b).all(|(row, bi)| crate::exact::num::dot(row, point) <= *bi)
            }
        }
    }

    fn interval_rows(extra: &[(Vec<Q>, Q)]) -> (Vec<Vec<Q>>, Vec<Q>) {
        let mut rows = vec![
            (vec![q(1), q(0)], q(1)),
            (vec![q(-1), q(0)], q(1)),
            (vec![q(0), q(1)], q(1)),
            (vec![q(0), q(-1)], q(1)),
        ];
        rows.extend_from_slice(extra);
        rows.into_iter().unzip()
    }

    #[test]
    fn zero_rows_hold_everywhere_or_nowhere() {
        for (b0, full) in
            [(q(0), true), (q(5), true), (r("1e-300"), true), (q(-1), false), (r("-1e-300"), false)]
        {
            let (a, b) = interval_rows(&[(vec![q(0), q(0)], b0.clone())]);
            let got = polytope_defect(&a, &b).unwrap();
            assert_eq!(got.is_none(), full, "0 . x <= {b0}");
            if let Some(defect) = got {
                assert_eq!(defect, PolytopeDefect::ContradictoryRow { row: 4 });
                assert!(certificate_holds(&a, &b, &defect));
            }
        }
        // zero rows only: all of R^2
        assert_eq!(polytope_defect(&[vec![q(0), q(0)]], &[q(0)]).unwrap(), None);
    }

    #[test]
    fn duplicated_and_proportional_rows_change_nothing() {
        let (a, b) = interval_rows(&[
            (vec![q(1), q(0)], q(1)),
            (vec![q(3), q(0)], q(3)),
            (vec![r("1e-300"), q(0)], r("1e-300")),
            (vec![r("1e300"), r("1e300")], r("1e301")),
        ]);
        assert_eq!(polytope_defect(&a, &b).unwrap(), None);
    }

    #[test]
    fn opposite_rows_are_implicit_equalities_and_crossing_ones_empty() {
        // x <= 0 and -x <= 0 (the second scaled by 1e300): the segment x = 0
        let (a, b) = interval_rows(&[(vec![r("1e-300"), q(0)], q(0)), (vec![r("-1e300"), q(0)], q(0))]);
        let defect = polytope_defect(&a, &b).unwrap().expect("a segment");
        assert!(matches!(defect, PolytopeDefect::LowerDimensional { .. }), "{defect:?}");
        assert!(certificate_holds(&a, &b, &defect));
        assert!(defect.explain(&b).contains("lower-dimensional"));
        // x <= -1e-300 and -x <= -1e-300: empty, though the rows are almost the segment's
        let (a, b) = interval_rows(&[(vec![q(1), q(0)], r("-1e-300")), (vec![q(-1), q(0)], r("-1e-300"))]);
        let defect = polytope_defect(&a, &b).unwrap().expect("empty");
        assert!(matches!(defect, PolytopeDefect::Empty { .. }), "{defect:?}");
        assert!(certificate_holds(&a, &b, &defect));
        // an implicit equality y = 0 beside a contradiction x <= -2 (the box has x >= -1):
        // empty, whichever certificate the strict LP finds first
        let (a, b) =
            interval_rows(&[(vec![q(0), q(1)], q(0)), (vec![q(0), q(-1)], q(0)), (vec![q(1), q(0)], q(-2))]);
        let defect = polytope_defect(&a, &b).unwrap().expect("empty");
        assert!(matches!(defect, PolytopeDefect::Empty { .. }), "{defect:?}");
        assert!(certificate_holds(&a, &b, &defect), "{defect:?}");
        // and without the contradiction: the segment y = 0
        let (a, b) = interval_rows(&[(vec![q(0), q(1)], q(0)), (vec![q(0), q(-1)], q(0))]);
        let defect = polytope_defect(&a, &b).unwrap().expect("a segment");
        assert!(matches!(defect, PolytopeDefect::LowerDimensional { .. }), "{defect:?}");
        assert!(certificate_holds(&a, &b, &defect), "{defect:?}");
    }
}
