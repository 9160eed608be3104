//! A facet point read against its region's point: only the coordinates whose text differs from
//! the point's are parsed as rationals (a box face's point is the region's point with one
//! coordinate moved onto the face: one rational of 784 read, not 784), and the point is made
//! whole only where a check needs every coordinate (a facet point far from the region's point,
//! a row with more than one nonzero entry, an inner facet kept for the whole answer).
//!
//! Equal text is an equal value (the point's text was parsed by the same reader); a coordinate
//! whose text differs is parsed and compared exactly, so `"1/2"` against `"2/4"` is no move.

use super::constraints::Row;
use super::fields::rational;
use crate::exact::num::{sign_of_sum_of_products, Q};
use num_traits::{One, Zero};
use serde_json::Value;
use std::cmp::Ordering;

/// A facet point as the region's point with some coordinates moved.
pub(super) struct Moved {
    /// The coordinates whose value differs from the region's point, increasing, with the values.
    pub moved: Vec<(usize, Q)>,
}

impl Moved {
    /// Reads `v` (a list of as many rationals as `point` has coordinates) against the region's
    /// point `point` (whose JSON list is `text`); `None` when `v` is not such a list.
    pub(super) fn read(v: &Value, text: Option<&Vec<Value>>, point: &[Q]) -> Option<Moved> {
        let items = v.as_array()?;
        if items.len() != point.len() {
            return None;
        }
        let mut moved = Vec::new();
        for (j, item) in items.iter().enumerate() {
            if item.is_string() && text.and_then(|t| t.get(j)) == Some(item) {
                continue;
            }
            let x = rational(item)?;
            if x != point[j] {
                moved.push((j, x));
            }
        }
        Some(Moved { moved })
    }

    /// The point with every coordinate.
    pub(super) fn dense(&self, point: &[Q]) -> Vec<Q> {
        let mut q = point.to_vec();
        for (j, x) in &self.moved {
            q[*j] = x.clone();
        }
        q
    }

    /// Coordinate `j` of the point.
    pub(super) fn get<'a>(&'a self, point: &'a [Q], j: usize) -> &'a Q {
        match self.moved.binary_search_by_key(&j, |(k, _)| *k) {
            Ok(i) => &self.moved[i].1,
            Err(_) => &point[j],
        }
    }

    /// Whether the point is on `row`'s hyperplane (its slack exactly zero): a row with one
    /// nonzero entry (a box face) by that coordinate alone, any other by the sign of
    /// `a . q - b` summed as unreduced fractions (no gcd, no copy of the point).
    pub(super) fn on(&self, row: &Row, point: &[Q]) -> bool {
        let mut nonzero = row.a.iter().enumerate().filter(|(_, a)| !a.is_zero());
        match (nonzero.next(), nonzero.next()) {
            (Some((j, a)), None) => (&row.b - a * self.get(point, j)).is_zero(),
            _ => {
                let minus_one = -Q::one();
                let terms = row.a.iter().enumerate().map(|(j, a)| (a, self.get(point, j)));
                sign_of_sum_of_products(terms.chain([(&row.b, &minus_one)])) == Ordering::Equal
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exact::num::parse_rational;
    use proptest::prelude::*;

    fn text(n: i64, d: i64, scale: i64) -> String {
        // the same value written differently when `scale > 1` (an unreduced fraction)
        if scale > 1 {
            format!("{}/{}", n * scale, d * scale)
        } else {
            format!("{}", Q::new(n.into(), d.into()))
        }
    }

    proptest! {
        /// In 70-90 dimensions: the coordinates read are the moved ones, the whole point is the
        /// one parsed directly, and `on` is the direct exact slack's zero test.
        #[test]
        fn read_points_are_the_parsed_ones(
            d in 70usize..90,
            base in prop::collection::vec((-6i64..7, 1i64..5), 90),
            moves in prop::collection::vec((0usize..90, -6i64..7, 1i64..5, 1i64..3), 0..5),
            row in prop::collection::vec((0usize..90, -3i64..4), 1..3),
            rhs in (-6i64..7, 1i64..5),
        ) {
            let point_text: Vec<Value> = base[..d].iter().map(|&(n, den)| Value::String(text(n, den, 1))).collect();
            let point: Vec<Q> = point_text.iter().map(|t| parse_rational(t.as_str().unwrap()).unwrap()).collect();
            let mut facet = point_text.clone();
            for &(j, n, den, scale) in &moves {
                facet[j % d] = Value::String(text(n, den, scale));
            }
            let direct: Vec<Q> = facet.iter().map(|t| parse_rational(t.as_str().unwrap()).unwrap()).collect();
            let m = Moved::read(&Value::Array(facet.clone()), Some(&point_text), &point).unwrap();
            prop_assert_eq!(m.dense(&point), direct.clone());
            for (j, x) in &m.moved {
                prop_assert!(*x != point[*j]);
            }
            prop_assert_eq!(m.moved.len(), (0..d).filter(|&j| direct[j] != point[j]).count());
            for (j, x) in direct.iter().enumerate() {
                prop_assert_eq!(m.get(&point, j), x);
            }
            let mut a = vec![Q::zero(); d];
            for &(j, v) in &row {
                a[j % d] += Q::from_integer(v.into());
            }
            prop_assume!(a.iter().any(|v| !v.is_zero()));
            // the row through the facet point, and the same row moved off it
            let through = Row::new(a.clone(), crate::exact::num::dot(&a, &direct));
            prop_assert!(m.on(&through, &point));
            let other = Row::new(a.clone(), Q::new(rhs.0.into(), rhs.1.into()));
            prop_assert_eq!(m.on(&other, &point), other.slack(&direct).is_zero());
            // a list of the wrong length, or a value that is no rational, is not read
            prop_assert!(Moved::read(&Value::Array(facet[1..].to_vec()), Some(&point_text), &point).is_none());
            let mut bad = facet;
            bad[0] = Value::String("x".into());
            prop_assert!(Moved::read(&Value::Array(bad), Some(&point_text), &point).is_none());
        }
    }
}
