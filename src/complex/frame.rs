//! Affine frames of faces: a k-dimensional face lives in coordinates `z` in R^k, with
//! `x = origin + sum_i z_i basis_i`; restricting to a facet's hyperplane drops one coordinate,
//! exactly (rational elimination, no float).

use crate::exact::num::Q;
use crate::kernel::halfspace::Halfspace;
use num_traits::Zero;

/// `x = origin + sum_i z_i basis[i]`.
#[derive(Debug, Clone)]
pub(crate) struct Frame {
    pub(crate) origin: Vec<Q>,
    pub(crate) basis: Vec<Vec<Q>>,
}

impl Frame {
    /// The identity frame of R^d.
    pub(crate) fn identity(d: usize) -> Frame {
        let basis = (0..d)
            .map(|i| (0..d).map(|j| if i == j { crate::exact::num::q(1) } else { Q::zero() }).collect())
            .collect();
        Frame { origin: vec![Q::zero(); d], basis }
    }

    /// The point `x` of coordinates `z`.
    pub(crate) fn apply(&self, z: &[Q]) -> Vec<Q> {
        let mut x = self.origin.clone();
        for (zi, col) in z.iter().zip(&self.basis) {
            if zi.is_zero() {
                continue;
            }
            for (xv, c) in x.iter_mut().zip(col) {
                if !c.is_zero() {
                    *xv += zi * c;
                }
            }
        }
        x
    }

    /// The frame of the hyperplane `row` (`c . z = e`, `c` nonzero), the other rows restricted
    /// to it (rows that become trivial dropped). The new coordinates are the old ones but the
    /// pivot (the first nonzero entry of `c`).
    pub(crate) fn restrict(&self, row: &Halfspace, others: &[&Halfspace]) -> Restricted {
        let c = &row.a;
        let p = c.iter().position(|v| !v.is_zero()).expect("a facet's row is nontrivial");
        let t = &row.b / &c[p];
        let ratios: Vec<Q> = c.iter().map(|ci| ci / &c[p]).collect();
        let mut origin = self.origin.clone();
        for (o, n) in origin.iter_mut().zip(&self.basis[p]) {
            *o += &t * n;
        }
        let basis = (0..c.len())
            .filter(|&i| i != p)
            .map(|i| self.basis[i].iter().zip(&self.basis[p]).map(|(ni, np)| ni - &ratios[i] * np).collect())
            .collect();
        let rows = others
            .iter()
            .filter_map(|h| {
                let ap = &h.a[p];
                let a: Vec<Q> = (0..c.len()).filter(|&i| i != p).map(|i| &h.a[i] - ap * &ratios[i]).collect();
                let b = &h.b - ap * &t;
                (!a.iter().all(Zero::is_zero)).then(|| primitive(a, b))
            })
            .collect();
        Restricted { frame: Frame { origin, basis }, rows }
    }
}

/// The row `a . z <= b` scaled by a positive factor to coprime integers (the same halfspace,
/// with small numbers for the work that follows).
fn primitive(a: Vec<Q>, b: Q) -> Halfspace {
    use num_integer::Integer;
    use num_traits::{One, Signed};
    let den = crate::exact::num::common_denominator(a.iter().chain([&b]));
    let ints: Vec<num_bigint::BigInt> =
        a.iter().chain([&b]).map(|v| v.numer() * (&den / v.denom())).collect();
    let g = ints.iter().fold(num_bigint::BigInt::zero(), |acc, v| acc.gcd(v)).abs();
    let g = if g.is_zero() { num_bigint::BigInt::one() } else { g };
    let mut q: Vec<Q> = ints.into_iter().map(|v| Q::from_integer(v / &g)).collect();
    let b = q.pop().expect("the right-hand side");
    Halfspace::new(q, b)
}

/// A facet's frame and its rows in its own coordinates.
pub(crate) struct Restricted {
    pub(crate) frame: Frame,
    pub(crate) rows: Vec<Halfspace>,
}

/// The rows up to positive multiples (one per halfspace), decided exactly (the float images
/// only tell apart rows that differ, with the kernel's proved bound).
pub(crate) fn distinct_rows(rows: Vec<Halfspace>) -> Vec<Halfspace> {
    let mut out: Vec<Halfspace> = Vec::with_capacity(rows.len());
    for r in rows {
        if !out.iter().any(|o| o.same_halfspace(&r, crate::kernel::Filter::Float)) {
            out.push(r);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exact::num::q;

    /// The plane `x + 2y + 3z = 6` in R^3: the restricted frame maps every point of the new
    /// coordinates onto it, and the point keeps its place.
    #[test]
    fn restriction_stays_on_the_hyperplane() {
        let f = Frame::identity(3);
        let row = Halfspace::new(vec![q(1), q(2), q(3)], q(6));
        let other = Halfspace::new(vec![q(0), q(1), q(0)], q(5));
        let z = vec![q(1), q(1), q(1)];
        let r = f.restrict(&row, &[&other]);
        // the point keeps its place: its coordinates but the pivot's
        assert_eq!(r.frame.apply(&z[1..]), z);
        for w in [[q(0), q(0)], [q(3), q(-7)], [q(1), q(2)]] {
            let x = r.frame.apply(&w);
            assert_eq!(row.slack(&x), q(0));
            // the restricted row is the same inequality
            assert_eq!(r.rows[0].slack(&w), other.slack(&x));
        }
    }
}
