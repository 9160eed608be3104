//! The centring LP of a region of a box domain in high dimension, with the box as bounds.
//!
//! A region's rows in a box domain of `d` inputs include the `2d` box rows; the dense tableau of
//! [`super::FloatSimplex`] carries them all (MNIST and conv nets: 1,568 box rows beside a hundred
//! neuron rows), and on thin regions far from the origin (a box `0.32 +- 1e-5`, rows whose
//! right-hand sides cancel against `a . x`) it can break down numerically. Here the LP is solved
//! in coordinates centred on the box and scaled to `[-1, 1]`, with the box as bounds of the
//! bounded dual simplex ([`BoxLp`]), and its optimum is pulled towards the box's centre to lie
//! strictly inside the box. Only a proposal: the caller checks the point exactly.

use super::boxed::BoxLp;
use super::Hint;
use crate::kernel::halfspace::Halfspace;

/// The dimension from which a centring LP whose rows hold a box is solved with the box as
/// bounds ([`centre_in_box`]): below it the dense tableau is cheap.
const BOX_CENTRE_DIMENSION: usize = 24;

/// Iterations allowed, per variable and row: degenerate cells in hundreds of dimensions (a
/// max-pooling cell in R^784) take about 20 per variable, and a failure here costs the dense
/// tableau and perhaps the exact simplex.
const PATIENCE: usize = 200;

/// The centring LP of rows that include a box (every coordinate bounded on both sides by rows
/// of one nonzero), solved with the box as bounds: `max t` over the other rows `a_i x + w_i t
/// <= b_i` with `x` in the closed box and `0 <= t <= 1` ([`BoxLp`]: its cost grows with
/// those rows, not with the `2d` box rows a dense tableau carries). The optimum may touch the
/// box; it is moved towards the box's centre, by as little as keeps half of every row's room,
/// so that the proposal lies strictly inside the box too. `None` (the dense tableau decides)
/// below [`BOX_CENTRE_DIMENSION`], with a hyperplane (rows that are not strict), without a box,
/// or when the float solve fails or finds no room.
pub(super) fn centre_in_box(rows: &[&Halfspace], strict: &[bool], d: usize) -> Option<Hint> {
    if d < BOX_CENTRE_DIMENSION || strict.iter().any(|s| !s) {
        return None;
    }
    let (mut lo, mut hi) = (vec![f64::NEG_INFINITY; d], vec![f64::INFINITY; d]);
    let mut others: Vec<&Halfspace> = Vec::new();
    for row in rows {
        match row.single_coordinate() {
            Some(j) if row.float_a()[j] > 0.0 => hi[j] = hi[j].min(row.float_b() / row.float_a()[j]),
            Some(j) => lo[j] = lo[j].max(row.float_b() / row.float_a()[j]),
            None => others.push(row),
        }
    }
    if !lo.iter().zip(&hi).all(|(l, h)| l.is_finite() && h.is_finite() && l < h) {
        return None;
    }
    // in coordinates centred on the box and scaled to [-1, 1] (x = c + h v): the rows'
    // right-hand sides become their room at the centre, free of the cancellation of `a . x`
    // against `b` far from the origin
    let centre: Vec<f64> = lo.iter().zip(&hi).map(|(l, h)| (l + h) / 2.0).collect();
    let half: Vec<f64> = lo.iter().zip(&hi).map(|(l, h)| (h - l) / 2.0).collect();
    let weight = |a: &[f64]| a.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    let lp_rows: Vec<(Vec<f64>, f64)> = others
        .iter()
        .map(|r| {
            let mut a: Vec<f64> = r.float_a().iter().zip(&half).map(|(v, h)| v * h).collect();
            a.push(weight(&a));
            let room = r.float_b() - r.float_a().iter().zip(&centre).map(|(v, c)| v * c).sum::<f64>();
            (a, room)
        })
        .collect();
    let (mut lo_t, mut hi_t) = (vec![-1.0; d], vec![1.0; d]);
    lo_t.push(0.0);
    hi_t.push(1.0);
    let mut g = vec![0.0; d + 1];
    g[d] = -1.0;
    let optimum = BoxLp::from_floats(&lp_rows, &lo_t, &hi_t)?.minimize_bounded_within(&g, PATIENCE)?;
    let (v, t) = (&optimum.x[..d], optimum.x[d]);
    if !(t > 0.0 && t.is_finite()) {
        return None;
    }
    // towards the centre (v = 0): a row's room (1 - s) t w + s room(0) stays at least t w / 2
    let mut step = 0.5f64;
    for (a, room) in &lp_rows {
        let tw = t * a[d];
        if *room < 0.0 {
            step = step.min(tw / (2.0 * (tw - room)));
        }
    }
    let point: Vec<f64> =
        v.iter().zip(centre.iter().zip(&half)).map(|(v, (c, h))| c + h * (1.0 - step) * v).collect();
    (step > 0.0 && point.iter().all(|v| v.is_finite())).then_some(Hint {
        point: Some(point),
        radius: t / 2.0,
        basis: None,
        dual: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::certify::is_strictly_inside;
    use crate::exact::num::{from_f64_exact, q, Q};
    use crate::kernel::Filter;

    /// A thin box far from the origin in 30 dimensions, cut by rows through its centre with
    /// large integer coefficients (a max-pooling cell's shape): the proposal is strictly inside
    /// every row and the box, checked exactly.
    #[test]
    fn proposes_points_strictly_inside_thin_boxes() {
        let d = 30;
        let centre = from_f64_exact(0.3203125).unwrap();
        let eps = Q::new(1.into(), 100_000.into());
        let mut rows: Vec<Halfspace> = Vec::new();
        for j in 0..d {
            let mut up = vec![q(0); d];
            up[j] = q(1);
            let mut down = vec![q(0); d];
            down[j] = q(-1);
            rows.push(Halfspace::new(up, &centre + &eps));
            rows.push(Halfspace::new(down, -(&centre - &eps)));
        }
        let mut state = 7u64;
        for _ in 0..40 {
            // a . (x - c) <= 0 with a few large coefficients
            let mut a = vec![q(0); d];
            for _ in 0..7 {
                state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                let j = (state >> 33) as usize % d;
                a[j] = q(((state >> 40) % 2_000_000_000) as i64 - 1_000_000_000);
            }
            let b: Q = a.iter().map(|v| v * &centre).sum();
            rows.push(Halfspace::new(a, b));
        }
        let refs: Vec<&Halfspace> = rows.iter().collect();
        let hint = centre_in_box(&refs, &vec![true; refs.len()], d).expect("a proposal");
        assert!(hint.radius > 0.0);
        let point: Vec<Q> = hint.point.unwrap().iter().map(|v| from_f64_exact(*v).unwrap()).collect();
        assert!(is_strictly_inside(&refs, &point, Filter::Off));
        // no proposal in low dimension, with a hyperplane, or without a whole box
        assert!(centre_in_box(&refs[..], &vec![true; refs.len()], 3).is_none());
        let mut strict = vec![true; refs.len()];
        strict[0] = false;
        assert!(centre_in_box(&refs, &strict, d).is_none());
        assert!(centre_in_box(&refs[1..], &vec![true; refs.len() - 1], d).is_none());
    }
}
