//! The maps and rows of a pattern against rational evaluation, on random networks (relu and max
//! layers) at random points: the point's pattern's map is the network's value at every sampled
//! point of that pattern, each layer's preactivation map is the layer's rational
//! preactivation, every state row holds strictly at the point, and the prefix-cached
//! composition equals a fresh one. The one fingerprint of a map is the same from the
//! fixed-point map and from the rational one.

use super::*;
use crate::exact::num::Q;
use crate::exact::rng::SplitMix;
use crate::forward::fingerprint::Fingerprints;
use crate::network::Network;
use num_bigint::BigInt;
use num_traits::{Signed, Zero};

/// A small random weight: `n / m` with `|n| <= 6`, `m` in 1..=4.
fn weight(rng: &mut SplitMix) -> String {
    let n = (rng.next_u64() % 13) as i64 - 6;
    let m = rng.next_u64() % 4 + 1;
    format!("\"{n}/{m}\"")
}

fn row(rng: &mut SplitMix, n: usize) -> String {
    format!("[{}]", (0..n).map(|_| weight(rng)).collect::<Vec<_>>().join(", "))
}

/// A random network on R^`d`: relu layers, sometimes a max layer (units of 2 candidates, read
/// by a layer whose columns repeat per unit), and a linear output.
fn random_net(rng: &mut SplitMix, d: usize) -> Network {
    let mut layers = Vec::new();
    let mut width = d;
    for _ in 0..1 + rng.next_u64() % 3 {
        let out = 2 + (rng.next_u64() % 3) as usize;
        let rows: Vec<String> = (0..out).map(|_| row(rng, width)).collect();
        layers.push(format!(
            r#"{{"weights": [{}], "bias": {}, "activation": "relu"}}"#,
            rows.join(", "),
            row(rng, out)
        ));
        width = out;
    }
    let read = |rng: &mut SplitMix, width: usize, units: Option<usize>| -> String {
        let outs = 1 + (rng.next_u64() % 2) as usize;
        let rows: Vec<String> = (0..outs)
            .map(|_| match units {
                // a max layer's reader: each unit's candidates share one weight
                Some(u) => {
                    let w: Vec<String> = (0..u).map(|_| weight(rng)).collect();
                    format!(
                        "[{}]",
                        w.iter().flat_map(|v| [v.clone(), v.clone()]).collect::<Vec<_>>().join(", ")
                    )
                }
                None => row(rng, width),
            })
            .collect();
        format!(r#"{{"weights": [{}], "activation": "linear"}}"#, rows.join(", "))
    };
    if rng.next_u64() % 2 == 0 {
        let units = 2;
        let rows: Vec<String> = (0..2 * units).map(|_| row(rng, width)).collect();
        layers.push(format!(
            r#"{{"weights": [{}], "bias": {}, "activation": "max", "pieces": 2}}"#,
            rows.join(", "),
            row(rng, 2 * units)
        ));
        layers.push(read(rng, 2 * units, Some(units)));
    } else {
        layers.push(read(rng, width, None));
    }
    let json = format!(r#"{{"input_dim": {d}, "layers": [{}]}}"#, layers.join(", "));
    Network::from_json(&json).unwrap_or_else(|e| panic!("{e}: {json}"))
}

/// The preactivations of every layer at `x`, over the rationals (a unit's state by the
/// network's own rule).
fn rational_preactivations(net: &Network, x: &[Q]) -> Vec<Vec<Q>> {
    let mut h = x.to_vec();
    let mut out = Vec::new();
    for layer in net.layers() {
        let z = layer.preactivation(&h);
        out.push(z.clone());
        h = if layer.activation.has_states() {
            let bits = layer.activation.states(&z, &Q::zero());
            z.into_iter().zip(bits).map(|(v, on)| if on { v } else { Q::zero() }).collect()
        } else {
            z
        };
    }
    out
}

/// `g` of a state row at `x`, from the layer's rational preactivation map.
fn g(maps: &PatternMaps<'_>, row: &StateRow, x: &[Q]) -> Q {
    let values = maps.preactivation(row.layer).to_affine().apply(x);
    let v = match row.winner {
        Some(t) => &values[t] - &values[row.row],
        None => values[row.row].clone(),
    };
    if row.on {
        v
    } else {
        -v
    }
}

#[test]
fn maps_and_rows_of_random_patterns_agree_with_rational_evaluation() {
    let mut rng = SplitMix(32);
    let (lo, hi) = (Q::from_integer(BigInt::from(-3)), Q::from_integer(BigInt::from(3)));
    let mut checked = 0;
    for _ in 0..12 {
        let d = 2 + (rng.next_u64() % 2) as usize;
        let net = random_net(&mut rng, d);
        let fixed = FixedLayer::chain(net.layers());
        let fingerprints = Fingerprints::new(&fixed);
        let mut maps = PatternMaps::new(net.layers(), &fixed, d);
        let points: Vec<Vec<Q>> =
            (0..30).map(|_| (0..d).map(|_| rng.rational_in(&lo, &hi)).collect()).collect();
        for x in &points {
            if net.touches_a_hyperplane(x) {
                continue;
            }
            let (pattern, y) = net.evaluate(x);
            maps.compose(&pattern);
            // the prefix-cached maps are those of a fresh composition
            let mut fresh = PatternMaps::new(net.layers(), &fixed, d);
            fresh.compose(&pattern);
            assert_eq!(maps.maps, fresh.maps);
            // each layer's preactivation map, and the output map at every point of the pattern
            let output = maps.output();
            assert_eq!(output.apply(x), y);
            for (l, z) in rational_preactivations(&net, x).iter().enumerate() {
                assert_eq!(&maps.preactivation(l).to_affine().apply(x), z, "layer {l}");
            }
            for other in points.iter().filter(|p| net.evaluate(p).0 == pattern) {
                assert_eq!(output.apply(other), net.evaluate(other).1);
            }
            // every state row holds strictly at the point, in both forms
            for row in maps.state_rows() {
                assert!(g(&maps, &row, x).is_positive(), "{row:?}");
            }
            for (_, _, h) in maps.halfspaces() {
                assert!(h.slack(x).is_positive());
            }
            let relu_rows: usize = net
                .layers()
                .iter()
                .filter(|l| l.activation == crate::network::Activation::Relu)
                .map(Layer::width)
                .sum();
            assert!(maps.state_rows().len() >= relu_rows);
            // the one fingerprint, from the fixed-point map and from the rational one
            let (last, mask) = maps.last();
            assert_eq!(fingerprints.of(&output), last.fingerprint(mask));
            checked += 1;
        }
    }
    assert!(checked > 100, "{checked} points checked");
}

/// A pattern that switches a neuron off zeroes its column downstream: the rows the states
/// impose are those of the masked composition, and a constant row its states satisfy is left
/// out of the rational rows (but kept among the row descriptors).
#[test]
fn a_dead_neuron_gives_a_constant_row_that_is_left_out() {
    let net = Network::from_json(
        r#"{"input_dim": 1, "layers": [
            {"weights": [[1], [0]], "bias": [0, -1], "activation": "relu"},
            {"weights": [[1, 1]], "activation": "linear"}]}"#,
    )
    .unwrap();
    let fixed = FixedLayer::chain(net.layers());
    let mut maps = PatternMaps::new(net.layers(), &fixed, 1);
    maps.compose(&vec![vec![true, false]]);
    assert_eq!(maps.state_rows().len(), 2);
    let rows = maps.halfspaces();
    assert_eq!(rows.len(), 1);
    assert_eq!((rows[0].0, rows[0].1), (0, 0));
    let x = [Q::from_integer(BigInt::from(2))];
    assert_eq!(maps.output().apply(&x), net.evaluate(&x).1);
    // the other side: the neuron off, the map constant
    maps.compose(&vec![vec![false, false]]);
    assert!(maps.output().jacobian[0][0].is_zero());
}
