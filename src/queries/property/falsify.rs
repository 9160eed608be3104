//! Looking for a counterexample before enumerating: the network in floats (each row's nonzero
//! weights, or a dense layer's columns) at the box's centre and at reproducible random points, made exact only for the
//! few most nearly unsafe; those the floats find unsafe or nearly so are checked in exact
//! arithmetic, then improved by a coordinate pattern search (a bounded number of float
//! multiply-adds from each start, so a wide network costs no more than a narrow one) and
//! checked again. Floats only propose: a point counts only when its exact outputs are unsafe.

use crate::exact::num::Q;
use crate::exact::rng::SplitMix;
use crate::kernel::image;
use crate::network::vnnlib::Case;
use crate::network::{Activation, Network};
use num_traits::Zero;

/// Points evaluated in floats.
const SAMPLES: usize = 512;

/// Sweeps of the pattern search from each of the best points.
const DESCENT_SWEEPS: usize = 40;

/// The float multiply-adds the pattern search may spend from one starting point (a wide
/// network gets fewer sweeps).
const DESCENT_WORK: usize = 50_000_000;

/// Starting points of the pattern search (the most nearly unsafe samples).
const DESCENTS: usize = 8;

/// Most nearly unsafe points checked exactly.
const EXACT_CHECKS: usize = 8;

/// The float distance from the unsafe set below which a point is checked exactly (the float
/// forward pass is far more accurate; a point skipped here is only not proposed).
const NEARLY_UNSAFE: f64 = 1e-6;

/// An exact input of the case's box (strict sides strictly) whose exact outputs are unsafe, if
/// sampling finds one.
pub(super) fn falsify(net: &Network, case: &Case) -> Option<Vec<Q>> {
    let layers: Vec<(FloatWeights, Vec<f64>, Activation)> = net
        .layers()
        .iter()
        .map(|l| (FloatWeights::new(&l.weights), l.bias.iter().map(image).collect(), l.activation))
        .collect();
    // the terms of every row (as the rows store them) and the biases
    let work: usize =
        net.layers().iter().map(|l| l.bias.len() + l.weights.rows().map(<[_]>::len).sum::<usize>()).sum();
    let forward = |x: &[f64]| -> Vec<f64> {
        let mut v = x.to_vec();
        for (w, b, activation) in &layers {
            let z = w.apply(&v, b);
            v = match activation {
                Activation::Relu => z.into_iter().map(|z| z.max(0.0)).collect(),
                // only proposes points: their outputs are checked exactly
                Activation::Max(k) => z
                    .chunks(*k)
                    .flat_map(|unit| {
                        let best = unit.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                        let winner = unit.iter().position(|&c| c == best).unwrap_or(0);
                        unit.iter().enumerate().map(move |(t, &c)| if t == winner { c } else { 0.0 })
                    })
                    .collect(),
                _ => z,
            };
        }
        v
    };
    // how far from unsafe: the least over disjuncts of the largest violation of a constraint
    // (each constraint's nonzero coefficients in floats, formed once)
    let rows = unsafe_rows(case);
    let distance = |y: &[f64]| -> f64 {
        rows.iter()
            .map(|conj| {
                conj.iter()
                    .map(|(a, rhs)| a.iter().map(|(j, a)| a * y[*j]).sum::<f64>() - rhs)
                    .fold(f64::NEG_INFINITY, f64::max)
            })
            .fold(f64::INFINITY, f64::min)
    };
    let mut rng = SplitMix(0x000f_a15e);
    let two = Q::from_integer(2.into());
    let centre: Vec<Q> = case.input_box.iter().map(|(lo, hi)| (lo + hi) / &two).collect();
    // a sample is `lo + (hi - lo) u / 2^32` per input (`u` drawn): scored in floats, made
    // exact only for the best few
    let lo_f: Vec<f64> = case.input_box.iter().map(|(lo, _)| image(lo)).collect();
    let width_f: Vec<f64> = case.input_box.iter().map(|(lo, hi)| image(&(hi - lo))).collect();
    let grid = (1u64 << 32) as f64;
    let mut scored: Vec<(f64, usize, Option<Vec<u64>>)> = Vec::with_capacity(SAMPLES);
    for k in 0..SAMPLES {
        if crate::runtime::stop::requested() {
            return None; // the run must stop (crate::runtime::stop): no counterexample proposed
        }
        let (xf, draws): (Vec<f64>, _) = if k == 0 {
            (centre.iter().map(image).collect(), None)
        } else {
            let draws: Vec<u64> = (0..lo_f.len()).map(|_| rng.next_u64() >> 32).collect();
            let xf =
                draws.iter().zip(lo_f.iter().zip(&width_f)).map(|(u, (l, w))| l + w * (*u as f64 / grid));
            (xf.collect(), Some(draws))
        };
        let score = distance(&forward(&xf));
        if score.is_finite() {
            scored.push((score, k, draws));
        }
    }
    scored.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
    let exact = |draws: &Option<Vec<u64>>| -> Vec<Q> {
        match draws {
            None => centre.clone(),
            Some(draws) => draws
                .iter()
                .zip(&case.input_box)
                .map(|(u, (lo, hi))| lo + (hi - lo) * Q::new((*u).into(), (1u64 << 32).into()))
                .collect(),
        }
    };
    let best: Vec<(f64, Vec<Q>)> = scored.iter().take(DESCENTS).map(|(s, _, d)| (*s, exact(d))).collect();
    // the exact forward pass only where the floats say the point is unsafe or nearly so
    let worth_checking = |score: f64| score <= NEARLY_UNSAFE;
    let unsafe_exactly = |x: &[Q]| case.contains(x) && case.is_unsafe(&net.output(x));
    if let Some((_, x)) =
        best.iter().take(EXACT_CHECKS).find(|(score, x)| worth_checking(*score) && unsafe_exactly(x))
    {
        return Some(x.clone());
    }
    // then a pattern search from each of them (floats propose; the exact check decides)
    let score = |x: &[f64]| distance(&forward(x));
    best.into_iter().find_map(|(_, start)| {
        let (x, s) = descend(start, &case.input_box, &score, DESCENT_WORK / work.max(1));
        (worth_checking(s) && unsafe_exactly(&x)).then_some(x)
    })
}

/// A layer's weights in floats: each row's nonzero weights by column (a conv or pooling row
/// has a few), or, for a dense layer, the columns laid out one after another, so that the
/// rows' sums run side by side (vectorised) while each row still adds its terms in column
/// order: the same sums as the rows' (a zero weight adds a zero, which changes no nonzero sum
/// and at most the sign of a zero one, which no comparison sees).
pub(super) enum FloatWeights {
    /// The layer's inputs, and each row's nonzero weights.
    Sparse(usize, Vec<Vec<(usize, f64)>>),
    /// Column `j` is `columns[j * outputs..(j + 1) * outputs]`.
    Dense { outputs: usize, columns: Vec<f64> },
}

/// Most entries of a layer laid out densely.
const DENSE_ENTRIES: usize = 1 << 22;

impl FloatWeights {
    pub(super) fn new(w: &crate::network::Weights) -> FloatWeights {
        let (outputs, inputs) = (w.outputs(), w.inputs());
        let entries = outputs.saturating_mul(inputs);
        if entries <= DENSE_ENTRIES && entries <= 2 * w.nonzeros() {
            let mut columns = vec![0.0; entries];
            for (i, row) in w.rows().enumerate() {
                for (j, v) in row {
                    columns[j * outputs + i] = image(v);
                }
            }
            return FloatWeights::Dense { outputs, columns };
        }
        FloatWeights::Sparse(
            inputs,
            w.rows().map(|row| row.iter().map(|(k, v)| (*k, image(v))).collect()).collect(),
        )
    }

    /// `W^T g` (a backward pass: one sum per column).
    pub(super) fn apply_transposed(&self, g: &[f64]) -> Vec<f64> {
        match self {
            FloatWeights::Sparse(inputs, rows) => {
                let mut out = vec![0.0; *inputs];
                for (row, gi) in rows.iter().zip(g).filter(|(_, gi)| **gi != 0.0) {
                    row.iter().for_each(|(k, a)| out[*k] += a * gi);
                }
                out
            }
            FloatWeights::Dense { outputs, columns } => columns
                .chunks_exact((*outputs).max(1))
                .map(|column| column.iter().zip(g).map(|(a, g)| a * g).sum())
                .collect(),
        }
    }

    /// `W v + b`.
    pub(super) fn apply(&self, v: &[f64], b: &[f64]) -> Vec<f64> {
        match self {
            FloatWeights::Sparse(_, rows) => rows
                .iter()
                .zip(b)
                .map(|(row, bias)| row.iter().map(|(k, a)| a * v[*k]).sum::<f64>() + bias)
                .collect(),
            FloatWeights::Dense { outputs, columns } => {
                let mut sums = vec![-0.0; *outputs];
                for (column, x) in columns.chunks_exact((*outputs).max(1)).zip(v) {
                    for (s, a) in sums.iter_mut().zip(column) {
                        *s += a * x;
                    }
                }
                sums.iter_mut().zip(b).for_each(|(s, bias)| *s += bias);
                sums
            }
        }
    }
}

/// Coordinate pattern search inside the box: steps of a quarter of each side, halved after a
/// sweep that improves nothing, for at most `DESCENT_SWEEPS` sweeps and `evaluations` scores.
/// Points stay exact rationals of the box (dyadic steps from exact starts); each is scored at
/// its coordinates' floats (`image`), of which a step recomputes the one it moves. Returns the
/// point and its score.
fn descend(
    mut x: Vec<Q>,
    bounds: &[(Q, Q)],
    score: &dyn Fn(&[f64]) -> f64,
    evaluations: usize,
) -> (Vec<Q>, f64) {
    let mut left = evaluations;
    let mut floats: Vec<f64> = x.iter().map(image).collect();
    let mut best = score(&floats);
    let four = Q::from_integer(4.into());
    let mut steps: Vec<Q> = bounds.iter().map(|(lo, hi)| (hi - lo) / &four).collect();
    let two = Q::from_integer(2.into());
    for _ in 0..DESCENT_SWEEPS {
        if best <= 0.0 {
            break;
        }
        let mut improved = false;
        for j in 0..x.len() {
            for sign in [1, -1] {
                if left == 0 || crate::runtime::stop::requested() {
                    return (x, best);
                }
                left -= 1;
                let moved = if sign > 0 { &x[j] + &steps[j] } else { &x[j] - &steps[j] };
                let moved = moved.clamp(bounds[j].0.clone(), bounds[j].1.clone());
                let kept = std::mem::replace(&mut floats[j], image(&moved));
                let s = score(&floats);
                if s < best {
                    best = s;
                    x[j] = moved;
                    improved = true;
                } else {
                    floats[j] = kept;
                }
            }
        }
        if !improved {
            steps.iter_mut().for_each(|s| *s /= &two);
        }
    }
    (x, best)
}

/// A float constraint of the unsafe set: its nonzero coefficients and its right-hand side.
pub(super) type FloatRow = (Vec<(usize, f64)>, f64);

/// The unsafe set's disjuncts in floats, each constraint's nonzero coefficients formed once
/// (floats only propose: a point counts when its exact outputs are unsafe).
pub(super) fn unsafe_rows(case: &Case) -> Vec<Vec<FloatRow>> {
    case.unsafe_set
        .iter()
        .map(|conj| {
            conj.iter()
                .map(|c| {
                    let a = c.coefficients.iter().enumerate().filter(|(_, a)| !a.is_zero());
                    (a.map(|(j, a)| (j, image(a))).collect(), image(&c.rhs))
                })
                .collect()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use num_traits::Zero;

    #[test]
    fn the_pattern_search_spends_at_most_its_evaluations_and_improves() {
        let bounds = vec![(Q::from_integer((-1).into()), Q::from_integer(1.into())); 3];
        let calls = std::cell::Cell::new(0usize);
        // smallest at (0.3, 0.3, 0.3), never 0 (so the search never stops early)
        let score = |x: &[f64]| {
            calls.set(calls.get() + 1);
            1.0 + x.iter().map(|v| (v - 0.3).abs()).sum::<f64>()
        };
        let start = vec![Q::zero(); 3];
        for budget in [0, 1, 5, 17, 10_000] {
            calls.set(0);
            let (x, best) = descend(start.clone(), &bounds, &score, budget);
            // one score of the start, then at most `budget`
            assert!(calls.get() <= budget + 1, "{budget}: {} scores", calls.get());
            let floats: Vec<f64> = x.iter().map(image).collect();
            assert_eq!(best, score(&floats), "the score returned is the point's");
            assert!(x.iter().zip(&bounds).all(|(v, (lo, hi))| lo <= v && v <= hi));
            if budget == 0 {
                assert_eq!(x, start);
            }
            if budget == 10_000 {
                assert!(best < 1.01, "{floats:?}");
            }
        }
    }
}
