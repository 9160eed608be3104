//! A second, stronger search for a counterexample, for a case whose enumeration did not end in
//! its first batches (module `case`): projected sign-gradient descent on the network in
//! floats, from the points of a grid over the box (each free input at its lower bound, its
//! middle and its upper bound) under three step schedules, short and fine first: 20 steps
//! from 1% of each side (a thin unsafe set near a face or a corner of the box, which a first
//! step of 2% or 5% of a side jumps over: ACAS Xu 1_3 property 2, whose counterexample lies
//! within 0.3% of the width of one side), then 80 steps from 2% and from 5%.
//!
//! The score of a point is how far its float outputs are from the unsafe set (the least over
//! disjuncts of the largest violation of a constraint); on the point's region the network is
//! affine, so the gradient of the constraint that decides the score, carried back through the
//! layers with the point's on/off states, is exact up to rounding. Each step moves every input
//! by a fraction of its side against the gradient's sign and back into the box; the fraction
//! shrinks geometrically. A descent stops at a zero gradient (a region where the score is
//! flat) or after its steps. The work is bounded by a number of float multiply-adds, so a
//! wide network tries fewer starts. Everything is sequential with fixed starts: the same
//! points for any thread count.
//!
//! Floats only propose: a point the floats find unsafe is rounded to a dyadic rational of the
//! box and counts only when its exact outputs are unsafe (and it lies in the box, strict sides
//! strictly).

use super::falsify::{unsafe_rows, FloatRow, FloatWeights};
use crate::exact::num::{from_f64_exact, Q};
use crate::exact::rng::SplitMix;
use crate::kernel::image;
use crate::network::vnnlib::Case;
use crate::network::{Activation, Network};

/// The step schedules, tried in this order (every start under one before the next): the first
/// step as a fraction of each side, the factor applied after each step, and the steps of one
/// descent.
const SCHEDULES: [(f64, f64, usize); 3] = [(0.01, 0.97, 20), (0.02, 0.97, 80), (0.05, 0.95, 80)];

/// Most starting points per schedule (the grid of `3^d` points while it fits, random points
/// of the box beyond).
const STARTS: usize = 243;

/// The float multiply-adds all descents together may spend (a forward and a backward pass per
/// step).
const WORK: usize = 1_200_000_000;

/// Most points the floats find unsafe that are checked exactly.
const EXACT_CHECKS: usize = 16;

/// A proposed input is rounded to a multiple of `2^-GRID_BITS` before the exact check.
const GRID_BITS: i32 = 40;

type FloatRows = Vec<Vec<FloatRow>>;

/// The descents of one case, run a share at a time ([`Descent::run`]).
pub(super) struct Descent<'a> {
    net: &'a Network,
    case: &'a Case,
    /// Each layer in floats, its biases, and whether it is a ReLU layer.
    layers: Vec<(FloatWeights, Vec<f64>, bool)>,
    /// The multiply-adds of one forward pass.
    pass: usize,
    rows: FloatRows,
    lo: Vec<f64>,
    hi: Vec<f64>,
    free: Vec<usize>,
    starts: Vec<Vec<f64>>,
    /// The next descent: its index over schedules then starts.
    next: usize,
    work: usize,
    exact_left: usize,
}

impl<'a> Descent<'a> {
    /// The descents of the case; `None` where there is nothing to descend (a network with max
    /// units, whose gradient is not kept here, a case without free inputs, an unconstrained
    /// disjunct, which the first sampling already settles).
    pub(super) fn new(net: &'a Network, case: &'a Case) -> Option<Descent<'a>> {
        if net.layers().iter().any(|l| matches!(l.activation, Activation::Max(_))) {
            return None;
        }
        let rows: FloatRows = unsafe_rows(case);
        if rows.iter().any(Vec::is_empty) {
            return None;
        }
        let lo: Vec<f64> = case.input_box.iter().map(|(lo, _)| image(lo)).collect();
        let hi: Vec<f64> = case.input_box.iter().map(|(_, hi)| image(hi)).collect();
        let free: Vec<usize> = (0..lo.len()).filter(|&i| lo[i] < hi[i]).collect();
        if free.is_empty() {
            return None;
        }
        let layers = net
            .layers()
            .iter()
            .map(|l| {
                let relu = matches!(l.activation, Activation::Relu);
                (FloatWeights::new(&l.weights), l.bias.iter().map(image).collect(), relu)
            })
            .collect();
        let pass = net
            .layers()
            .iter()
            .map(|l| l.bias.len() + l.weights.rows().map(<[_]>::len).sum::<usize>())
            .sum::<usize>()
            .max(1);
        let starts = grid_or_random(&lo, &hi, &free);
        Some(Descent {
            net,
            case,
            layers,
            pass,
            rows,
            lo,
            hi,
            free,
            starts,
            next: 0,
            work: 0,
            exact_left: EXACT_CHECKS,
        })
    }

    /// Runs whole descents while the work spent so far is below `budget` (at most [`WORK`]
    /// in all); a counterexample if one is found.
    pub(super) fn run(&mut self, budget: usize) -> Option<Vec<Q>> {
        let budget = budget.min(WORK);
        while self.work < budget && self.next < SCHEDULES.len() * self.starts.len() {
            if crate::runtime::stop::requested() {
                return None;
            }
            let (first, factor, steps) = SCHEDULES[self.next / self.starts.len()];
            let start = self.starts[self.next % self.starts.len()].clone();
            self.next += 1;
            if let Some(p) = self.descend(start, first, factor, steps) {
                return Some(p);
            }
        }
        None
    }

    /// One descent from `x`, of at most `steps` steps.
    fn descend(&mut self, mut x: Vec<f64>, first: f64, factor: f64, steps: usize) -> Option<Vec<Q>> {
        let (lo, hi, free) = (&self.lo, &self.hi, &self.free);
        let mut step = first;
        for _ in 0..steps {
            self.work += 2 * self.pass;
            // forward, keeping each ReLU layer's states
            let mut v = x.clone();
            let mut states: Vec<Vec<bool>> = Vec::with_capacity(self.layers.len());
            for (w, b, relu) in &self.layers {
                let mut z = w.apply(&v, b);
                if *relu {
                    states.push(z.iter().map(|&z| z > 0.0).collect());
                    z.iter_mut().for_each(|z| *z = z.max(0.0));
                } else {
                    states.push(Vec::new());
                }
                v = z;
            }
            let (score, row) = score(&self.rows, &v);
            if !score.is_finite() {
                return None;
            }
            if score <= 0.0 && self.exact_left > 0 {
                self.exact_left -= 1;
                if let Some(p) = exact_point(self.case, &x) {
                    if self.case.is_unsafe(&self.net.output(&p)) {
                        return Some(p);
                    }
                }
            }
            // the gradient of the deciding constraint, back through the layers
            let mut g = vec![0.0; v.len()];
            for (j, a) in row {
                g[*j] += a;
            }
            for ((w, _, relu), s) in self.layers.iter().zip(&states).rev() {
                if *relu {
                    g.iter_mut().zip(s).for_each(|(g, on)| *g = if *on { *g } else { 0.0 });
                }
                g = w.apply_transposed(&g);
            }
            if free.iter().all(|&i| g[i] == 0.0) {
                return None; // flat here: no direction to follow
            }
            for &i in free.iter().filter(|&&i| g[i] != 0.0) {
                x[i] = (x[i] - step * (hi[i] - lo[i]) * g[i].signum()).clamp(lo[i], hi[i]);
            }
            step *= factor;
        }
        None
    }
}

/// The score (how far from unsafe; at most 0 inside) and the constraint that decides it.
fn score<'a>(rows: &'a FloatRows, y: &[f64]) -> (f64, &'a [(usize, f64)]) {
    let mut best = (f64::INFINITY, &[][..]);
    for conj in rows {
        let mut worst = (f64::NEG_INFINITY, &[][..]);
        for (a, rhs) in conj {
            let v = a.iter().map(|(j, a)| a * y[*j]).sum::<f64>() - rhs;
            if v > worst.0 {
                worst = (v, a.as_slice());
            }
        }
        if worst.0 < best.0 {
            best = worst;
        }
    }
    best
}

/// The starting points: every free input at its lower bound, middle or upper bound (`3^d`
/// points) when that is at most [`STARTS`], else that many seeded random points of the box.
fn grid_or_random(lo: &[f64], hi: &[f64], free: &[usize]) -> Vec<Vec<f64>> {
    let points = u32::try_from(free.len()).ok().and_then(|d| 3usize.checked_pow(d)).filter(|&n| n <= STARTS);
    let centre: Vec<f64> = lo.iter().zip(hi).map(|(l, h)| l + (h - l) / 2.0).collect();
    match points {
        Some(n) => (0..n)
            .map(|mut k| {
                let mut x = centre.clone();
                for &i in free {
                    x[i] = [lo[i], centre[i], hi[i]][k % 3];
                    k /= 3;
                }
                x
            })
            .collect(),
        None => {
            let mut rng = SplitMix(0x00d1_5ce7);
            (0..STARTS)
                .map(|_| {
                    let mut x = centre.clone();
                    for &i in free {
                        let u = (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64;
                        x[i] = (lo[i] + (hi[i] - lo[i]) * u).clamp(lo[i], hi[i]);
                    }
                    x
                })
                .collect()
        }
    }
}

/// The float point made exact: each input rounded to a multiple of `2^-GRID_BITS`, then put
/// into the exact box (a fixed input keeps its exact value); `None` when it is outside the box
/// (a strict side).
fn exact_point(case: &Case, x: &[f64]) -> Option<Vec<Q>> {
    let scale = 2f64.powi(GRID_BITS);
    let p: Vec<Q> = x
        .iter()
        .zip(&case.input_box)
        .map(|(&v, (lo, hi))| {
            if lo == hi {
                return Some(lo.clone());
            }
            let q = from_f64_exact((v * scale).round() / scale)?;
            Some(q.clamp(lo.clone(), hi.clone()))
        })
        .collect::<Option<_>>()?;
    case.contains(&p).then_some(p)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::network::json::read_network;
    use crate::network::vnnlib::read_vnnlib;

    /// `y = -(|x0 - 3/10| + |x1 + 1/5|)` on `[-1, 1]^2`: largest (0) at `(3/10, -1/5)`, which
    /// no grid start is.
    fn cone() -> Network {
        cone_at("3/10", "-1/5")
    }

    /// `y = -(|x0 - a| + |x1 - b|)` on `[-1, 1]^2`.
    fn cone_at(a: &str, b: &str) -> Network {
        let bias = |v: &str| if let Some(v) = v.strip_prefix('-') { v.to_string() } else { format!("-{v}") };
        read_network(
            &format!(
                r#"{{"input_dim": 2, "layers": [
            {{"weights": [[1, 0], [-1, 0], [0, 1], [0, -1]], "bias": ["{}", "{a}", "{}", "{b}"],
             "activation": "relu"}},
            {{"weights": [[-1, -1, -1, -1]], "activation": "linear"}}]}}"#,
                bias(a),
                bias(b)
            ),
            "t",
        )
        .unwrap()
    }

    fn case(unsafe_when: &str) -> Case {
        let text = format!(
            "(declare-const X_0 Real)(declare-const X_1 Real)(declare-const Y_0 Real)\
             (assert (<= X_0 1))(assert (>= X_0 -1))(assert (<= X_1 1))(assert (>= X_1 -1))\
             (assert {unsafe_when})"
        );
        read_vnnlib(&text, "p", 2, 1).unwrap().cases.remove(0)
    }

    #[test]
    fn the_descent_finds_a_thin_unsafe_set_and_its_point_is_exactly_unsafe() {
        let net = cone();
        // the unsafe set: the diamond of radius 1/100 around (3/10, -1/5), 1/20,000 of the box
        let case = case("(>= Y_0 -0.01)");
        let found = Descent::new(&net, &case).unwrap().run(usize::MAX).expect("a counterexample");
        assert!(case.contains(&found));
        assert!(case.is_unsafe(&net.output(&found)));
        // fixed starts: the same point again
        assert_eq!(Descent::new(&net, &case).unwrap().run(usize::MAX), Some(found));
    }

    #[test]
    fn a_small_unsafe_set_next_to_a_corner_is_found_by_the_first_short_fine_descent() {
        // the diamond of radius 3/500 around (-197/200, -39/40), next to the corner (-1, -1),
        // the first start: the fine schedule (1% of each side first) reaches it in about ten
        // steps, where a first step of 2% or 5% of each side overshoots it for dozens
        let net = cone_at("-197/200", "-39/40");
        let case = case("(>= Y_0 -0.006)");
        let mut descent = Descent::new(&net, &case).unwrap();
        let found = descent.run(usize::MAX).expect("a counterexample");
        assert!(case.contains(&found));
        assert!(case.is_unsafe(&net.output(&found)));
        assert_eq!(descent.next, 1, "the first descent");
        assert!(descent.work <= SCHEDULES[0].2 * 2 * descent.pass, "within the short schedule's steps");
    }

    #[test]
    fn the_descent_proposes_nothing_where_nothing_is_unsafe_and_spends_its_budget_only() {
        let net = cone();
        // y <= 0 everywhere
        let case = case("(>= Y_0 0.001)");
        let mut descent = Descent::new(&net, &case).unwrap();
        assert_eq!(descent.run(0), None);
        assert_eq!((descent.next, descent.work), (0, 0), "no budget, no descent");
        assert_eq!(descent.run(1), None);
        // whole descents only: one, at most its steps' work
        assert_eq!(descent.next, 1);
        assert!(descent.work <= SCHEDULES[0].2 * 2 * descent.pass);
        assert_eq!(descent.run(usize::MAX), None);
        assert_eq!(descent.next, SCHEDULES.len() * 9, "every start of the 3^2 grid, every schedule");
    }

    #[test]
    fn the_transposed_product_is_the_adjoint_of_the_product() {
        // <W^T g, v> = <g, W v>, for a dense and a sparse layout
        let dense = read_network(
            r#"{"input_dim": 3, "layers": [{"weights": [[1, -2, 0.5], [0, 3, -1]], "activation": "linear"}]}"#,
            "t",
        )
        .unwrap();
        let sparse = read_network(
            r#"{"input_dim": 3, "layers": [{"weights": [[0, 0, 2], [0, 0, 0], [0, 0, 0], [0, 0, 0]], "activation": "linear"}]}"#,
            "t",
        )
        .unwrap();
        for net in [dense, sparse] {
            let w = &net.layers()[0].weights;
            let f = FloatWeights::new(w);
            let v = [0.25, -1.5, 2.0];
            let g: Vec<f64> = (0..w.outputs()).map(|i| 1.0 + i as f64).collect();
            let wv = f.apply(&v, &vec![0.0; w.outputs()]);
            let wtg = f.apply_transposed(&g);
            assert_eq!(wtg.len(), 3);
            let left: f64 = wtg.iter().zip(&v).map(|(a, b)| a * b).sum();
            let right: f64 = g.iter().zip(&wv).map(|(a, b)| a * b).sum();
            assert!((left - right).abs() < 1e-12, "{left} {right}");
        }
    }
}
