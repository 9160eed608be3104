//! Big-integer fixed-point affine maps: integer numerators over one common positive
//! denominator. Composing a region's map with a layer is then an integer matrix product with no
//! gcd at all, which is where BigRational spends most of its time.
//!
//! Exactness is unchanged: `FixedMap` denotes exactly the rational map `num / den`, and a
//! preactivation row `num_i . x + off_i` has the sign of the rational one since `den > 0`.

use crate::network::Layer;
use crate::num::{common_denominator, Q};
use crate::region::AffineMap;
use num_bigint::BigInt;
use num_traits::{One, Zero};

/// A layer with integer weights: `W = w / scale`, `b = bias / scale`, `scale > 0`.
#[derive(Debug, Clone)]
pub struct FixedLayer {
    w: Vec<Vec<BigInt>>,
    bias: Vec<BigInt>,
    scale: BigInt,
}

impl FixedLayer {
    /// The layer over the least common denominator of its weights and biases.
    pub fn new(layer: &Layer) -> FixedLayer {
        let scale = common_denominator(layer.weights.iter().flatten().chain(&layer.bias));
        let to_int = |v: &Q| (v * Q::from_integer(scale.clone())).to_integer();
        FixedLayer {
            w: layer.weights.iter().map(|row| row.iter().map(to_int).collect()).collect(),
            bias: layer.bias.iter().map(to_int).collect(),
            scale,
        }
    }
}

/// The affine map `x -> (num x + off) / den` with `den > 0`.
#[derive(Debug, Clone, PartialEq)]
pub struct FixedMap {
    /// Integer numerators of the Jacobian rows.
    pub num: Vec<Vec<BigInt>>,
    /// Integer numerators of the offsets.
    pub off: Vec<BigInt>,
    /// The common positive denominator.
    pub den: BigInt,
}

impl FixedMap {
    /// The identity on R^d.
    pub fn identity(d: usize) -> FixedMap {
        let num = (0..d).map(|i| (0..d).map(|j| BigInt::from(u8::from(i == j))).collect()).collect();
        FixedMap { num, off: vec![BigInt::zero(); d], den: BigInt::one() }
    }

    /// The map followed by the affine layer `h -> W h + b`.
    pub fn then_layer(&self, layer: &FixedLayer) -> FixedMap {
        let d = self.num.first().map_or(0, Vec::len);
        let mut num = Vec::with_capacity(layer.w.len());
        let mut off = Vec::with_capacity(layer.w.len());
        for (w, b) in layer.w.iter().zip(&layer.bias) {
            let mut row = vec![BigInt::zero(); d];
            let mut o = b * &self.den;
            for ((wk, jk), ok) in w.iter().zip(&self.num).zip(&self.off) {
                if wk.is_zero() {
                    continue;
                }
                for (r, v) in row.iter_mut().zip(jk) {
                    if !v.is_zero() {
                        *r += wk * v;
                    }
                }
                if !ok.is_zero() {
                    o += wk * ok;
                }
            }
            num.push(row);
            off.push(o);
        }
        FixedMap { num, off, den: &self.den * &layer.scale }
    }

    /// Zeroes the rows whose bit is off (a ReLU with a fixed pattern).
    pub fn masked(&self, bits: &[bool]) -> FixedMap {
        let d = self.num.first().map_or(0, Vec::len);
        let mut out = self.clone();
        for ((row, o), &on) in out.num.iter_mut().zip(out.off.iter_mut()).zip(bits) {
            if !on {
                *row = vec![BigInt::zero(); d];
                *o = BigInt::zero();
            }
        }
        out
    }

    /// The exact rational map.
    pub fn to_affine(&self) -> AffineMap {
        let q = |n: &BigInt| Q::new(n.clone(), self.den.clone());
        AffineMap {
            jacobian: self.num.iter().map(|row| row.iter().map(q).collect()).collect(),
            offset: self.off.iter().map(q).collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::network::Activation;
    use crate::num::parse_rational;

    #[test]
    fn agrees_with_rational_composition() {
        let r = |s: &str| parse_rational(s).unwrap();
        let l1 = Layer {
            weights: vec![vec![r("0.1"), r("-1/3")], vec![r("2"), r("1e-3")]],
            bias: vec![r("1/7"), r("-0.5")],
            activation: Activation::Relu,
        };
        let l2 = Layer {
            weights: vec![vec![r("3/2"), r("-0.25")]],
            bias: vec![r("2")],
            activation: Activation::Linear,
        };
        let exact = AffineMap::identity(2).then_affine(&l1.weights, &l1.bias).masked(&[true, false]);
        let exact = exact.then_affine(&l2.weights, &l2.bias);
        let fixed = FixedMap::identity(2)
            .then_layer(&FixedLayer::new(&l1))
            .masked(&[true, false])
            .then_layer(&FixedLayer::new(&l2));
        assert_eq!(fixed.to_affine(), exact);
    }
}

/// The whole network over integers, for exact evaluation without gcds.
#[derive(Debug, Clone)]
pub struct FixedNetwork {
    layers: Vec<(FixedLayer, bool)>,
}

impl FixedNetwork {
    /// The network's layers over integers (`bool`: relu).
    pub fn new(net: &crate::network::Network) -> FixedNetwork {
        let layers = net
            .layers()
            .iter()
            .map(|l| (FixedLayer::new(l), l.activation == crate::network::Activation::Relu))
            .collect();
        FixedNetwork { layers }
    }

    /// Same as [`crate::network::Network::pattern_towards`]: the pattern at `x + t n` for all
    /// small `t > 0`, by exact lexicographic signs, computed on integer numerators.
    pub fn pattern_towards(&self, x: &[Q], n: &[Q]) -> crate::network::Pattern {
        let to_ints = |v: &[Q]| -> (Vec<BigInt>, BigInt) {
            let den = common_denominator(v);
            let ints = v.iter().map(|q| (q * Q::from_integer(den.clone())).to_integer()).collect();
            (ints, den)
        };
        let (mut h, mut den) = to_ints(x);
        let (mut dh, _) = to_ints(n);
        let mut pattern = Vec::new();
        for (layer, relu) in &self.layers {
            let mut z = Vec::with_capacity(layer.w.len());
            let mut dz = Vec::with_capacity(layer.w.len());
            for (w, b) in layer.w.iter().zip(&layer.bias) {
                let (mut v, mut dv) = (b * &den, BigInt::zero());
                for ((wk, hk), dk) in w.iter().zip(&h).zip(&dh) {
                    if wk.is_zero() {
                        continue;
                    }
                    if !hk.is_zero() {
                        v += wk * hk;
                    }
                    if !dk.is_zero() {
                        dv += wk * dk;
                    }
                }
                z.push(v);
                dz.push(dv);
            }
            den *= &layer.scale;
            if *relu {
                let bits: Vec<bool> = z
                    .iter()
                    .zip(&dz)
                    .map(|(v, dv)| {
                        if v.is_zero() {
                            dv.sign() == num_bigint::Sign::Plus
                        } else {
                            v.sign() == num_bigint::Sign::Plus
                        }
                    })
                    .collect();
                for ((v, dv), &on) in z.iter_mut().zip(dz.iter_mut()).zip(&bits) {
                    if !on {
                        *v = BigInt::zero();
                        *dv = BigInt::zero();
                    }
                }
                pattern.push(bits);
            }
            h = z;
            dh = dz;
        }
        pattern
    }
}

#[cfg(test)]
mod network_tests {
    use super::*;
    use crate::network::json::read_network;
    use crate::num::{parse_rational, q};

    #[test]
    fn pattern_towards_agrees_with_rational_evaluation() {
        let net = read_network(
            r#"{"input_dim": 2, "layers": [
            {"weights": [["0.5", "-1/3"], [1, 1], [2, "0.25"]], "bias": ["1/7", 0, "-0.1"], "activation": "relu"},
            {"weights": [[1, -1, "1/2"], [0, 1, 1]], "bias": [0, "-1/9"], "activation": "relu"},
            {"weights": [[1, 1]], "activation": "linear"}]}"#,
            "t",
        )
        .unwrap();
        let fixed = FixedNetwork::new(&net);
        let points =
            [[q(0), q(0)], [parse_rational("1/3").unwrap(), parse_rational("-2/7").unwrap()], [q(1), q(-1)]];
        let dirs = [[q(1), q(0)], [q(-1), parse_rational("1/2").unwrap()], [q(0), q(0)]];
        for x in &points {
            for n in &dirs {
                assert_eq!(fixed.pattern_towards(x, n), net.pattern_towards(x, n));
            }
        }
    }
}
