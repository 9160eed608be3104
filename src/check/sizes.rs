//! The `size` of a region (`regions --json --sizes`), from its checked inequalities: the exact
//! area (2-D) or volume (3-D) of a bounded region, recomputed here from its vertices (exact
//! intersections of its facet hyperplanes); the inscribed ball, shown to lie inside (every
//! row's slack at the centre at least the radius times the row's Euclidean norm, compared
//! squared); the nearest floats of these. The sampled `volume_estimate` is a statistic,
//! informational: only its shape is checked.

use super::constraints::Row;
use super::fields::{known_keys, rational, vector};
use super::floats::is_nearest;
use super::region::CheckedRegion;
use crate::exact::num::{dot, Q};
use crate::exact::simplex::solve_square;
use num_traits::{Signed, Zero};
use serde_json::Value;

const SIZE: &[&str] = &[
    "area",
    "area_f64",
    "volume",
    "volume_f64",
    "inradius",
    "inradius_f64",
    "ball_center",
    "volume_estimate",
];
const ESTIMATE: &[&str] = &["value", "low", "high", "confidence"];

/// Checks a region's `size` against its rows (the listed inequalities once checked).
pub(super) fn check_size(
    size: &Value,
    c: &CheckedRegion,
    rows: &[&Row],
    d: usize,
    fail: &mut impl FnMut(String),
) {
    let mut fail = |m: String| fail(format!("size: {m}"));
    known_keys(size, "it", SIZE, &mut fail);
    let bounded = c.bounded == Some(true);
    let key = match d {
        2 if bounded => Some("area"),
        3 if bounded => Some("volume"),
        _ => None,
    };
    for other in ["area", "volume"].into_iter().filter(|k| Some(*k) != key) {
        if size.get(other).is_some() || size.get(format!("{other}_f64")).is_some() {
            fail(format!("`{other}` is given for a region that has none (exact only for bounded 2-D areas and 3-D volumes)"));
        }
    }
    if let Some(key) = key {
        let actual = if d == 2 { area(rows, &c.point) } else { volume(rows, &c.point) };
        let stated = size.get(key).and_then(rational);
        if stated.as_ref() != Some(&actual) {
            fail(format!("`{key}` is {stated:?}, but the region's is {actual}"));
        } else if !size.get(format!("{key}_f64")).is_some_and(|f| is_nearest(&actual, f)) {
            fail(format!("`{key}_f64` is not the nearest float of `{key}`"));
        }
    }
    match (size.get("inradius").and_then(rational), size.get("ball_center").and_then(vector)) {
        (Some(r), Some(center)) if center.len() == d => {
            if !r.is_positive() || !rows.iter().all(|row| ball_inside(row, &center, &r)) {
                fail("the ball of radius `inradius` around `ball_center` is not inside the region".into());
            }
            if !size.get("inradius_f64").is_some_and(|f| is_nearest(&r, f)) {
                fail("`inradius_f64` is not the nearest float of `inradius`".into());
            }
        }
        _ if ["inradius", "inradius_f64", "ball_center"].iter().all(|k| size.get(*k).is_none()) => {}
        _ => fail("the inscribed ball is malformed (`inradius`, `inradius_f64`, `ball_center`)".into()),
    }
    if let Some(estimate) = size.get("volume_estimate") {
        known_keys(estimate, "`volume_estimate`", ESTIMATE, &mut fail);
        if !ESTIMATE.iter().all(|k| estimate.get(*k).is_some_and(Value::is_number)) {
            fail("`volume_estimate` needs the numbers `value`, `low`, `high`, `confidence`".into());
        }
    }
}

/// `b - a . c >= r ||a||_2`, exactly: the slack nonnegative and its square at least
/// `r^2 ||a||^2`.
fn ball_inside(row: &Row, center: &[Q], r: &Q) -> bool {
    let slack = &row.b - dot(&row.a, center);
    let norm2: Q = row.a.iter().map(|v| v * v).sum();
    !slack.is_negative() && &slack * &slack >= r * r * norm2
}

/// The vertices of the polytope of `rows` in `d` dimensions: the solutions of every `d` of its
/// hyperplanes that satisfy all rows, each once.
fn vertices(rows: &[&Row], d: usize) -> Vec<Vec<Q>> {
    let mut out: Vec<Vec<Q>> = Vec::new();
    let mut pick: Vec<usize> = (0..d).collect();
    if rows.len() < d {
        return out;
    }
    loop {
        let a: Vec<Vec<Q>> = pick.iter().map(|&i| rows[i].a.clone()).collect();
        let b: Vec<Q> = pick.iter().map(|&i| rows[i].b.clone()).collect();
        if let Some(v) = solve_square(&a, &b) {
            if rows.iter().all(|r| !r.slack(&v).is_negative()) && !out.contains(&v) {
                out.push(v);
            }
        }
        // the next combination of `d` rows
        let Some(i) = (0..d).rev().find(|&i| pick[i] < rows.len() - d + i) else { return out };
        pick[i] += 1;
        for j in i + 1..d {
            pick[j] = pick[j - 1] + 1;
        }
    }
}

/// Orders points of a plane cyclically around `c`, by the exact angle of `(u . (p - c), w . (p - c))`.
fn cyclic<'v>(points: &[&'v Vec<Q>], c: &[Q], u: &[Q], w: &[Q]) -> Vec<&'v Vec<Q>> {
    let coords = |p: &Vec<Q>| -> (Q, Q) {
        let v: Vec<Q> = p.iter().zip(c).map(|(x, y)| x - y).collect();
        (dot(u, &v), dot(w, &v))
    };
    // the upper half-plane (y > 0, or y = 0 and x > 0) first, then by the sign of the cross product
    let half = |(x, y): &(Q, Q)| y.is_negative() || (y.is_zero() && x.is_negative());
    let mut keyed: Vec<((Q, Q), &Vec<Q>)> = points.iter().map(|p| (coords(p), *p)).collect();
    keyed.sort_by(|(p, _), (q, _)| {
        half(p).cmp(&half(q)).then_with(|| (&q.0 * &p.1 - &p.0 * &q.1).cmp(&Q::zero()))
    });
    keyed.into_iter().map(|(_, p)| p).collect()
}

/// The area of a bounded 2-D polytope: the shoelace formula over its vertices in cyclic order.
fn area(rows: &[&Row], inside: &[Q]) -> Q {
    let v = vertices(rows, 2);
    let refs: Vec<&Vec<Q>> = v.iter().collect();
    let unit = |j: usize| -> Vec<Q> { (0..2).map(|i| Q::from_integer(u8::from(i == j).into())).collect() };
    let ordered = cyclic(&refs, inside, &unit(0), &unit(1));
    let n = ordered.len();
    let twice: Q = (0..n)
        .map(|i| {
            let (p, q) = (ordered[i], ordered[(i + 1) % n]);
            &p[0] * &q[1] - &q[0] * &p[1]
        })
        .sum();
    twice.abs() / Q::from_integer(2.into())
}

/// The volume of a bounded 3-D polytope: tetrahedra from the interior point to a fan of each
/// facet's vertices (in cyclic order on the facet).
fn volume(rows: &[&Row], inside: &[Q]) -> Q {
    let v = vertices(rows, 3);
    let mut total = Q::zero();
    // each facet once (an uncertified region's rows may repeat a halfspace)
    let mut distinct: Vec<&Row> = Vec::new();
    for row in rows {
        if !distinct.iter().any(|r| r.same_halfspace(row, crate::kernel::Filter::Off)) {
            distinct.push(row);
        }
    }
    for row in distinct {
        let on: Vec<&Vec<Q>> = v.iter().filter(|p| row.slack(p).is_zero()).collect();
        if on.len() < 3 {
            continue;
        }
        let n = Q::from_integer(on.len().into());
        let centre: Vec<Q> = (0..3).map(|j| on.iter().map(|p| p[j].clone()).sum::<Q>() / &n).collect();
        // two directions in the facet's plane: from the centre to a vertex, and the normal
        // crossed with it
        let u: Vec<Q> = on[0].iter().zip(&centre).map(|(x, y)| x - y).collect();
        let a = &row.a;
        let w =
            vec![&a[1] * &u[2] - &a[2] * &u[1], &a[2] * &u[0] - &a[0] * &u[2], &a[0] * &u[1] - &a[1] * &u[0]];
        let ordered = cyclic(&on, &centre, &u, &w);
        for k in 1..ordered.len() - 1 {
            total += det(ordered[0], ordered[k], ordered[k + 1], inside).abs();
        }
    }
    total / Q::from_integer(6.into())
}

/// `det(a - p, b - p, c - p)`.
fn det(a: &[Q], b: &[Q], c: &[Q], p: &[Q]) -> Q {
    let [u, v, w] = [a, b, c].map(|x| x.iter().zip(p).map(|(s, t)| s - t).collect::<Vec<Q>>());
    &u[0] * (&v[1] * &w[2] - &v[2] * &w[1]) - &u[1] * (&v[0] * &w[2] - &v[2] * &w[0])
        + &u[2] * (&v[0] * &w[1] - &v[1] * &w[0])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exact::num::q;

    fn row(a: &[i64], b: i64) -> Row {
        Row::new(a.iter().map(|&v| q(v)).collect(), q(b))
    }

    #[test]
    fn areas_and_volumes_of_known_polytopes() {
        // the triangle x >= 0, y >= 0, x + y <= 2: area 2
        let t = [row(&[-1, 0], 0), row(&[0, -1], 0), row(&[1, 1], 2)];
        let refs: Vec<&Row> = t.iter().collect();
        assert_eq!(area(&refs, &[Q::new(1.into(), 2.into()), Q::new(1.into(), 2.into())]), q(2));
        // the box [0, 1] x [0, 2] x [0, 3]: volume 6; the corner simplex x, y, z >= 0,
        // x + y + z <= 3: volume 27/6
        let b = [
            row(&[-1, 0, 0], 0),
            row(&[1, 0, 0], 1),
            row(&[0, -1, 0], 0),
            row(&[0, 1, 0], 2),
            row(&[0, 0, -1], 0),
            row(&[0, 0, 1], 3),
        ];
        let refs: Vec<&Row> = b.iter().collect();
        let half = Q::new(1.into(), 2.into());
        assert_eq!(volume(&refs, &[half.clone(), half.clone(), half.clone()]), q(6));
        let s = [row(&[-1, 0, 0], 0), row(&[0, -1, 0], 0), row(&[0, 0, -1], 0), row(&[1, 1, 1], 3)];
        let refs: Vec<&Row> = s.iter().collect();
        assert_eq!(volume(&refs, &[half.clone(), half.clone(), half]), Q::new(27.into(), 6.into()));
        // the octahedron |x| + |y| + |z| <= 1: volume 4/3
        let mut o = Vec::new();
        for sx in [-1, 1] {
            for sy in [-1, 1] {
                for sz in [-1, 1] {
                    o.push(row(&[sx, sy, sz], 1));
                }
            }
        }
        let refs: Vec<&Row> = o.iter().collect();
        assert_eq!(volume(&refs, &[q(0), q(0), q(0)]), Q::new(4.into(), 3.into()));
        // a ball inside the unit square around its centre: radius 1/2 fits, more does not
        let sq = [row(&[-1, 0], 0), row(&[1, 0], 1), row(&[0, -1], 0), row(&[0, 1], 1)];
        assert!(sq.iter().all(|r| ball_inside(r, &[half_of(1), half_of(1)], &half_of(1))));
        assert!(!sq.iter().all(|r| ball_inside(r, &[half_of(1), half_of(1)], &Q::new(3.into(), 5.into()))));
    }

    fn half_of(v: i64) -> Q {
        Q::new(v.into(), 2.into())
    }
}
