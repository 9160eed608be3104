//! Looking for a counterexample before enumerating: the network in floats at the box's centre
//! and at reproducible random points; the few most nearly unsafe points are checked in exact
//! arithmetic, then improved by a coordinate pattern search and checked again. Floats only
//! propose: a point counts only when its exact outputs are unsafe.

use crate::kernel::image;
use crate::network::{Activation, Network};
use crate::num::Q;
use crate::verify::SplitMix;
use crate::vnnlib::Property;

/// Points evaluated in floats.
const SAMPLES: usize = 512;

/// Sweeps of the pattern search from each of the best points.
const DESCENT_SWEEPS: usize = 40;

/// Starting points of the pattern search (the most nearly unsafe samples).
const DESCENTS: usize = 8;

/// Most nearly unsafe points checked exactly.
const EXACT_CHECKS: usize = 8;

/// An exact input of the property's box whose exact outputs are unsafe, if sampling finds one.
pub(super) fn falsify(net: &Network, property: &Property) -> Option<Vec<Q>> {
    let layers: Vec<(Vec<Vec<f64>>, Vec<f64>, Activation)> = net
        .layers()
        .iter()
        .map(|l| {
            let w = l.weights.to_dense().iter().map(|row| row.iter().map(image).collect()).collect();
            (w, l.bias.iter().map(image).collect(), l.activation)
        })
        .collect();
    let forward = |x: &[f64]| -> Vec<f64> {
        let mut v = x.to_vec();
        for (w, b, activation) in &layers {
            let z: Vec<f64> = w
                .iter()
                .zip(b)
                .map(|(row, bias)| row.iter().zip(&v).map(|(a, x)| a * x).sum::<f64>() + bias)
                .collect();
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
    let distance = |y: &[f64]| -> f64 {
        property
            .unsafe_set
            .iter()
            .map(|conj| {
                conj.iter()
                    .map(|c| {
                        c.coefficients.iter().zip(y).map(|(a, v)| image(a) * v).sum::<f64>() - image(&c.rhs)
                    })
                    .fold(f64::NEG_INFINITY, f64::max)
            })
            .fold(f64::INFINITY, f64::min)
    };
    let mut rng = SplitMix(0x000f_a15e);
    let centre: Vec<Q> =
        property.input_box.iter().map(|(lo, hi)| (lo + hi) / Q::from_integer(2.into())).collect();
    let mut scored: Vec<(f64, usize, Vec<Q>)> = Vec::with_capacity(SAMPLES);
    for k in 0..SAMPLES {
        let x: Vec<Q> = if k == 0 {
            centre.clone()
        } else {
            property.input_box.iter().map(|(lo, hi)| rng.rational_in(lo, hi)).collect()
        };
        let xf: Vec<f64> = x.iter().map(image).collect();
        let score = distance(&forward(&xf));
        if score.is_finite() {
            scored.push((score, k, x));
        }
    }
    scored.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
    let best: Vec<Vec<Q>> = scored.into_iter().take(DESCENTS).map(|(_, _, x)| x).collect();
    if let Some(x) = best.iter().take(EXACT_CHECKS).find(|x| property.is_unsafe(&net.output(x))) {
        return Some(x.clone());
    }
    // then a pattern search from each of them (floats propose; the exact check decides)
    let score = |x: &[Q]| distance(&forward(&x.iter().map(image).collect::<Vec<f64>>()));
    best.into_iter().find_map(|start| {
        let x = descend(start, &property.input_box, &score);
        property.is_unsafe(&net.output(&x)).then_some(x)
    })
}

/// Coordinate pattern search inside the box: steps of a quarter of each side, halved after a
/// sweep that improves nothing, for a bounded number of evaluations. Points stay exact
/// rationals of the box (dyadic steps from exact starts).
fn descend(mut x: Vec<Q>, bounds: &[(Q, Q)], score: &dyn Fn(&[Q]) -> f64) -> Vec<Q> {
    let mut best = score(&x);
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
                let mut y = x.clone();
                let moved = if sign > 0 { &y[j] + &steps[j] } else { &y[j] - &steps[j] };
                y[j] = moved.clamp(bounds[j].0.clone(), bounds[j].1.clone());
                let s = score(&y);
                if s < best {
                    best = s;
                    x = y;
                    improved = true;
                }
            }
        }
        if !improved {
            steps.iter_mut().for_each(|s| *s /= &two);
        }
    }
    x
}
