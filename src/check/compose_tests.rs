//! The integer composition of [`super::compose`] and the integer box test of
//! [`super::implied`] against the rational definitions they replace, on random networks
//! (decimal and dyadic weights, zero rows, constant preactivations, a max layer) and random
//! rows, degenerate ones (a row equal to its bound over the box) included.

use super::compose::Composer;
use super::constraints::{ExactRow, Origin, Row};
use super::farkas::IntRow;
use super::implied::{implied_by_box, IntBox};
use crate::exact::num::{dot, q, Q};
use crate::exact::rng::SplitMix;
use crate::network::{Activation, Domain, Layer, Network, Weights};
use num_bigint::BigInt;
use num_traits::{Signed, Zero};

/// A small random rational: a decimal (`k / 10^e`), a dyadic (`k / 2^e`) or zero.
fn small(rng: &mut SplitMix) -> Q {
    let k = (rng.next_u64() % 2001) as i64 - 1000;
    match rng.next_u64() % 4 {
        0 => Q::zero(),
        1 => Q::new(BigInt::from(k), BigInt::from(10).pow((rng.next_u64() % 4) as u32)),
        2 => Q::new(BigInt::from(k), BigInt::from(2).pow((rng.next_u64() % 12) as u32)),
        _ => Q::new(BigInt::from(k), BigInt::from(3 + rng.next_u64() % 5)),
    }
}

/// A random layer; `repeat`: each input column repeated that many times (the layer after a
/// max layer reads each unit's candidates with one weight).
fn layer(
    rng: &mut SplitMix,
    (inputs, repeat): (usize, usize),
    outputs: usize,
    activation: Activation,
) -> Layer {
    let rows = (0..outputs)
        .map(|i| {
            // every fourth neuron reads nothing (a constant preactivation)
            if i % 4 == 3 {
                vec![Q::zero(); inputs * repeat]
            } else {
                (0..inputs).flat_map(|_| vec![small(rng); repeat]).collect()
            }
        })
        .collect();
    let bias = (0..outputs).map(|_| small(rng)).collect();
    Layer { weights: Weights::dense(rows).expect("dense"), bias, activation }
}

/// A relu layer whose neuron `i` reads the window of three inputs from `7 i` (a conv layer's
/// sparse rows).
fn windowed(rng: &mut SplitMix, inputs: usize, outputs: usize) -> Layer {
    let rows = (0..outputs)
        .map(|i| {
            (0..inputs)
                .map(|j| if (7 * i..7 * i + 3).contains(&j) { small(rng) } else { Q::zero() })
                .collect()
        })
        .collect();
    let bias = (0..outputs).map(|_| small(rng)).collect();
    Layer { weights: Weights::dense(rows).expect("dense"), bias, activation: Activation::Relu }
}

/// The rational map after each layer with states, composed from scratch (the definition):
/// the constraints' rows `(a, b, origin)` and the output map.
type Reference = (Vec<(Vec<Q>, Q, Origin)>, Vec<Vec<Q>>, Vec<Q>);

fn reference(net: &Network, states: &[Vec<bool>]) -> Reference {
    let d = net.input_dim();
    let mut jac: Vec<Vec<Q>> = (0..d).map(|i| (0..d).map(|j| q(i64::from(i == j))).collect()).collect();
    let mut off = vec![Q::zero(); d];
    let mut rows = Vec::new();
    let mut depth = 0;
    for (l, layer) in net.layers().iter().enumerate() {
        if layer.activation.has_states() && depth == states.len() {
            break;
        }
        let w: Vec<Vec<Q>> = (0..layer.bias.len()).map(|i| layer.weights.dense_row(i)).collect();
        let columns: Vec<Vec<Q>> = (0..d).map(|j| jac.iter().map(|r| r[j].clone()).collect()).collect();
        let mut pre_jac: Vec<Vec<Q>> =
            w.iter().map(|wi| columns.iter().map(|c| dot(wi, c)).collect()).collect();
        let mut pre_off: Vec<Q> = w.iter().zip(&layer.bias).map(|(wi, b)| dot(wi, &off) + b).collect();
        if layer.activation.has_states() {
            let bits = &states[depth];
            depth += 1;
            match layer.activation {
                Activation::Max(k) => {
                    for (u, unit) in bits.chunks(k).enumerate() {
                        let Some(t) = unit.iter().position(|&b| b) else { continue };
                        for j in (0..k).filter(|&j| j != t) {
                            let a: Vec<Q> = pre_jac[u * k + j]
                                .iter()
                                .zip(&pre_jac[u * k + t])
                                .map(|(x, y)| x - y)
                                .collect();
                            let b = &pre_off[u * k + t] - &pre_off[u * k + j];
                            if a.iter().any(|v| !v.is_zero()) || b.is_negative() || (b.is_zero() && j < t) {
                                rows.push((a, b, Origin::Neuron(l, u * k + j)));
                            }
                        }
                    }
                }
                _ => {
                    for (i, &on) in bits.iter().enumerate() {
                        let (h, e) = (&pre_jac[i], &pre_off[i]);
                        let origin = Origin::Neuron(l, i);
                        if h.iter().any(|v| !v.is_zero()) {
                            let (a, b) = if on {
                                (h.iter().map(|v| -v).collect(), e.clone())
                            } else {
                                (h.clone(), -e)
                            };
                            rows.push((a, b, origin));
                        } else if on != e.is_positive() {
                            rows.push((vec![Q::zero(); d], if on { e.clone() } else { -e }, origin));
                        }
                    }
                }
            }
            for (i, &on) in bits.iter().enumerate() {
                if !on {
                    pre_jac[i] = vec![Q::zero(); d];
                    pre_off[i] = Q::zero();
                }
            }
        }
        (jac, off) = (pre_jac, pre_off);
    }
    (rows, jac, off)
}

/// Whether the integer row is a positive multiple of the rational one (zero rows: the same
/// sign of `b`).
fn positive_multiple(int: &ExactRow, a: &[Q], b: &Q) -> bool {
    let exact = ExactRow::new(&Row::new(a.to_vec(), b.clone()));
    if exact.zero || int.zero {
        return exact.zero && int.zero && exact.b.sign() == int.b.sign();
    }
    exact.same_halfspace(int)
}

fn random_states(rng: &mut SplitMix, net: &Network) -> Vec<Vec<bool>> {
    net.layers()
        .iter()
        .filter(|l| l.activation.has_states())
        .map(|l| match l.activation {
            Activation::Max(k) => (0..l.bias.len() / k)
                .flat_map(|_| {
                    let t = (rng.next_u64() % k as u64) as usize;
                    (0..k).map(move |j| j == t)
                })
                .collect(),
            _ => (0..l.bias.len()).map(|_| rng.next_u64() % 3 != 0).collect(),
        })
        .collect()
}

/// Random patterns asked one after the other (sharing prefixes or not, some cut short): the
/// integer composition gives the reference's constraints, each a positive multiple of the
/// rational row with the same origin, and the reference's map exactly.
#[test]
fn integer_composition_is_the_rational_one() {
    let mut rng = SplitMix(35);
    for trial in 0..10 {
        // the last four in 70 inputs, the first layer reading windows of three (sparse rows,
        // kept sparse through the second layer, dense after the third)
        let d = if trial >= 6 { 70 } else { 2 + trial % 3 };
        let max = trial % 2 == 0;
        let first =
            if d >= 64 { windowed(&mut rng, d, 5) } else { layer(&mut rng, (d, 1), 5, Activation::Relu) };
        let layers = vec![
            first,
            layer(&mut rng, (5, 1), 4, Activation::Linear),
            layer(&mut rng, (4, 1), 6, if max { Activation::Max(2) } else { Activation::Relu }),
            layer(&mut rng, if max { (3, 2) } else { (6, 1) }, 4, Activation::Relu),
            layer(&mut rng, (4, 1), 2, Activation::Linear),
        ];
        let net = Network::new(d, layers, Domain::Whole).expect("a valid network");
        let mut composer = Composer::new(&net);
        let mut states = random_states(&mut rng, &net);
        for step in 0..12 {
            // change the last layers only (a shared prefix), all, or ask a prefix
            let fresh = random_states(&mut rng, &net);
            let from = (rng.next_u64() % (states.len() as u64 + 1)) as usize;
            states.splice(from.., fresh[from..].iter().cloned());
            let asked = if step % 5 == 4 { &states[..states.len() - 1] } else { &states[..] };
            let (rows, jac, off) = reference(&net, asked);
            let (constraints, cjac, coff, _) = composer.constraints(asked);
            assert_eq!((&cjac, &coff), (&jac, &off), "trial {trial} step {step}");
            assert_eq!(constraints.len(), rows.len());
            for (c, (a, b, origin)) in constraints.iter().zip(&rows) {
                assert_eq!(c.origin, *origin);
                assert!(positive_multiple(&c.exact, a, b), "trial {trial} step {step} {origin:?}");
                assert!(positive_multiple(&c.exact, &c.row().a, &c.row().b));
            }
        }
    }
}

/// The integer box test decides as the rational one on random rows over random boxes, rows
/// whose maximum over the box is exactly their bound (and one above, one below) included.
#[test]
fn integer_box_test_is_the_rational_one() {
    let mut rng = SplitMix(7);
    let (mut held, mut tight) = (0, 0);
    for _ in 0..400 {
        let d = 1 + (rng.next_u64() % 5) as usize;
        let bx: Vec<(Q, Q)> = (0..d)
            .map(|_| {
                let (x, y) = (small(&mut rng), small(&mut rng));
                if x <= y {
                    (x, y)
                } else {
                    (y, x)
                }
            })
            .collect();
        let int_box = IntBox::new(&bx);
        let a: Vec<Q> = (0..d).map(|_| small(&mut rng)).collect();
        let max: Q =
            a.iter().zip(&bx).map(|(a, (lo, hi))| if a.is_positive() { a * hi } else { a * lo }).sum();
        let eps = Q::new(BigInt::from(1), BigInt::from(10).pow(9));
        for b in [max.clone(), &max - &eps, &max + &eps, small(&mut rng)] {
            let row = Row::new(a.clone(), b.clone());
            let want = implied_by_box(&row, &bx);
            assert_eq!(int_box.implies(&IntRow::new(&row)), want, "{a:?} <= {b} over {bx:?}");
            // a positive multiple of the row in integers decides the same
            let scaled = IntRow::new(&row);
            let three = BigInt::from(3);
            let scaled = IntRow { a: scaled.a.iter().map(|v| v * &three).collect(), b: scaled.b * &three };
            assert_eq!(int_box.implies(&scaled), want);
            held += usize::from(want);
            tight += usize::from(b == max);
        }
    }
    assert!(held > 400 && held < 1200 && tight >= 400, "{held} {tight}");
}
