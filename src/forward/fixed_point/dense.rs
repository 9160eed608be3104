//! The product of [`FixedMap::then_masked_layer`] for maps in few columns with single-limb
//! weights (ACAS Xu's layers, the MLPs on small inputs): the same integers, summed an output
//! entry at a time with the limb count known at compile time, so that the lazy-carry sums stay
//! in registers instead of a buffer read and written for every limb product.
//!
//! Every entry is `sum_h w_ih v_hj (+ b_i)` over the rows `h` that are on, exactly as in
//! [`super::product`]: the magnitudes' limb products `w v_t` land in `u128` sums (low half at
//! limb `t`, high half at `t + 1`, wrapping, read back as `i128`) and are normalized into the
//! product's `k_out` limbs, which the same bound as there makes wide enough. A sum is a
//! two's complement number modulo `2^(64 k_out)` whatever order its terms come in, so the
//! result is the same map: the same limbs, floats and row supports (a row's support is its
//! nonzero columns when they are few, in both paths).

use super::{limbs, FixedLayer, FixedMap};

/// The widest input entry (in limbs) the path takes; wider maps take the general one.
const MAX_LIMBS: usize = 6;

/// The most columns the path takes (it is dense in the columns).
const MAX_COLS: usize = 64;

/// Whether the product of `map` with `layer` takes this path: single-limb weights, at most
/// [`MAX_LIMBS`] limbs per entry and at most [`MAX_COLS`] columns (whatever the mask: only the
/// rows that are on are read).
pub(super) fn applies(map: &FixedMap, layer: &FixedLayer) -> bool {
    layer.w_limbs == 1 && (1..=MAX_LIMBS).contains(&map.limbs) && map.cols <= MAX_COLS
}

/// [`FixedMap::then_masked_layer`] by entries (the module's docs); the caller checked
/// [`applies`].
pub(super) fn then_masked_layer_dense(map: &FixedMap, mask: Option<&[bool]>, layer: &FixedLayer) -> FixedMap {
    macro_rules! by_limbs {
        ($($k:literal => $n:literal),*) => {
            match map.limbs {
                $($k => product::<$k, $n>(map, mask, layer),)*
                _ => unreachable!("`applies` bounds the limbs"),
            }
        };
    }
    by_limbs!(1 => 2, 2 => 3, 3 => 4, 4 => 5, 5 => 6, 6 => 7)
}

/// The product with `K` limbs per input entry and `N = K + 1` lazy sums per output entry.
fn product<const K: usize, const N: usize>(
    map: &FixedMap,
    mask: Option<&[bool]>,
    layer: &FixedLayer,
) -> FixedMap {
    let cols = map.cols;
    // the magnitudes and signs of the rows that are on, row-major, each `K` limbs; `slot[h]` is
    // row `h`'s place among them
    let mut slot = vec![usize::MAX; map.rows];
    let mut magnitude: Vec<[u64; K]> = Vec::with_capacity(map.rows * cols);
    let mut negative: Vec<bool> = Vec::with_capacity(map.rows * cols);
    let mut v_bits = 0;
    let mut on = 0;
    for (h, s) in slot.iter_mut().enumerate() {
        if mask.is_some_and(|m| !m[h]) {
            continue;
        }
        *s = on;
        on += 1;
        for j in 0..cols {
            let mut m = [0u64; K];
            negative.push(limbs::magnitude_into(map.entry(h, j), &mut m));
            v_bits = v_bits.max(limbs::bit_len(&m));
            magnitude.push(m);
        }
    }
    // the bound of [`super::product`]: the same width
    let terms = (map.rows + 1) as u64;
    let bits = (layer.w_bits + v_bits).max(layer.b_bits) + u64::from(64 - terms.leading_zeros()) + 1;
    let k_out = (bits.div_ceil(64) as usize).max(layer.b_limbs);
    let out_rows = layer.w.len();
    let mut data = vec![0u64; out_rows * cols * k_out];
    let mut floats = vec![0.0f64; out_rows * cols];
    let mut support = Vec::with_capacity(out_rows);
    // each output row's weights on rows that are on: (slot of the row, weight, its sign)
    let mut weights: Vec<(usize, u64, bool)> = Vec::new();
    for (i, (out, out_floats)) in
        data.chunks_exact_mut(cols * k_out).zip(floats.chunks_exact_mut(cols)).enumerate()
    {
        weights.clear();
        let start = layer.w_start[i];
        weights.extend(layer.w[i].iter().enumerate().filter_map(|(t, (h, _))| {
            let w = layer.w_magnitude[start + t];
            (slot[*h] != usize::MAX && w != 0).then_some((slot[*h], w, layer.w_negative[start + t]))
        }));
        let b = &layer.bias_scaled[i * layer.b_limbs..(i + 1) * layer.b_limbs];
        let fill = if limbs::is_negative(b) { u64::MAX } else { 0 };
        let bias_limb = |t: usize| b.get(t).copied().unwrap_or(fill);
        for (j, entry) in out.chunks_exact_mut(k_out).enumerate() {
            let mut sums = [0u128; N];
            let offset = j == cols - 1;
            if offset {
                for (t, s) in sums.iter_mut().enumerate().take(k_out) {
                    *s = u128::from(bias_limb(t));
                }
            }
            for &(s, w, w_negative) in &weights {
                let v = &magnitude[s * cols + j];
                let subtract = w_negative != negative[s * cols + j];
                for t in 0..K {
                    let p = u128::from(w) * u128::from(v[t]);
                    let (lo, hi) = (p & u128::from(u64::MAX), p >> 64);
                    if subtract {
                        sums[t] = sums[t].wrapping_sub(lo);
                        sums[t + 1] = sums[t + 1].wrapping_sub(hi);
                    } else {
                        sums[t] = sums[t].wrapping_add(lo);
                        sums[t + 1] = sums[t + 1].wrapping_add(hi);
                    }
                }
            }
            // normalized into `k_out` limbs: sums past `N` are 0 (or the bias's limbs), those
            // past `k_out` drop out (arithmetic modulo `2^(64 k_out)`)
            let mut carry: i128 = 0;
            for (t, limb) in entry.iter_mut().enumerate() {
                let sum = match sums.get(t) {
                    Some(&s) => s,
                    None if offset => u128::from(bias_limb(t)),
                    None => 0,
                };
                let s = carry.wrapping_add(sum as i128);
                *limb = s as u64;
                carry = s >> 64;
            }
            out_floats[j] = limbs::to_f64(entry);
        }
        let nonzero: Vec<usize> =
            (0..cols - 1).filter(|&j| out[j * k_out..(j + 1) * k_out].iter().any(|&l| l != 0)).collect();
        support.push((4 * nonzero.len() < cols).then_some(nonzero));
    }
    FixedMap { rows: out_rows, cols, limbs: k_out, data, floats, den: layer.den_out.clone(), support }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exact::num::Q;
    use crate::forward::AffineMap;
    use crate::network::{Activation, Layer, Weights};
    use num_bigint::BigInt;
    use proptest::prelude::*;

    /// A rational from a mantissa and a power of two or ten: huge and tiny magnitudes.
    fn number(m: i64, e: i32, ten: bool) -> Q {
        let base = BigInt::from(if ten { 10 } else { 2 });
        let p = num_traits::pow(base, e.unsigned_abs() as usize);
        if e >= 0 {
            Q::from_integer(BigInt::from(m) * p)
        } else {
            Q::new(BigInt::from(m), p)
        }
    }

    fn layer(rows: &[Vec<Q>], bias: Vec<Q>) -> Layer {
        Layer { weights: Weights::from_dense_rows(rows.to_vec()), bias, activation: Activation::Relu }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        /// Two layers of random weights (mantissas with exponents from 1e-30 to 1e30, exact
        /// cancellations, zero rows) and a random mask: the path gives the same map as the
        /// general product, limb for limb, and both are the rational composition.
        #[test]
        fn the_dense_product_is_the_general_one_and_the_rational_one(
            d in 1usize..6,
            width in 1usize..9,
            out in 1usize..7,
            seed in proptest::collection::vec((-9i64..10, -30i32..31, any::<bool>()), 200),
            mask in proptest::collection::vec(prop_oneof![3 => Just(true), 1 => Just(false)], 9),
            ten in any::<bool>(),
        ) {
            let mut k = 0;
            let mut next = |inner: bool| {
                let (m, e, t) = seed[k % seed.len()];
                k += 1;
                if inner {
                    // the first layer's exponents mostly small, so that some entries cancel
                    number(m, if t { e } else { e / 10 }, ten)
                } else {
                    // the second layer over powers of two: single-limb weights, wide biases
                    number(m, if e < 0 { -(-e % 20) } else { 2 * e }, false)
                }
            };
            let w1: Vec<Vec<Q>> = (0..width).map(|_| (0..d).map(|_| next(true)).collect()).collect();
            let b1: Vec<Q> = (0..width).map(|_| next(true)).collect();
            let w2: Vec<Vec<Q>> = (0..out)
                .map(|_| (0..width).map(|_| next(false)).map(|q| if q.numer().bits() > 8 { Q::from_integer(q.numer() % 200) } else { q }).collect())
                .collect();
            let b2: Vec<Q> = (0..out).map(|_| next(false)).collect();
            let (l1, l2) = (layer(&w1, b1), layer(&w2, b2));
            let chain = FixedLayer::chain(&[l1.clone(), l2.clone()]);
            let first = FixedMap::identity(d).then_masked_layer(None, &chain[0]);
            let mask = &mask[..width];
            prop_assume!(applies(&first, &chain[1]));
            let dense = then_masked_layer_dense(&first, Some(mask), &chain[1]);
            let general = first.then_masked_layer_general(Some(mask), &chain[1]);
            prop_assert_eq!(&dense, &general);
            let exact = AffineMap::identity(d).then_affine(&l1.weights, &l1.bias).masked(mask);
            prop_assert_eq!(dense.to_affine(), exact.then_affine(&l2.weights, &l2.bias));
        }
    }

    /// Sums that need every limb and cancel to zero or to the bias alone, in many limbs: the
    /// lazy sums' carries and the bias's sign extension past the sums.
    #[test]
    fn cancellations_and_wide_biases_are_exact() {
        let big = number(7, 40, true);
        let l1 = layer(
            &[vec![big.clone(), Q::from_integer(1.into())], vec![big.clone(), Q::from_integer(1.into())]],
            vec![number(3, -40, true), number(3, -40, true)],
        );
        // the second layer's rows cancel the two inner rows exactly, with a huge bias
        let l2 = layer(
            &[
                vec![Q::from_integer(1.into()), Q::from_integer((-1).into())],
                vec![Q::from_integer(1.into()), Q::from_integer(1.into())],
            ],
            vec![number(-5, 70, true), number(3, -2, false)],
        );
        let chain = FixedLayer::chain(&[l1.clone(), l2.clone()]);
        let first = FixedMap::identity(2).then_masked_layer(None, &chain[0]);
        for mask in [None, Some(&[true, true][..]), Some(&[true, false][..])] {
            assert!(applies(&first, &chain[1]));
            let dense = then_masked_layer_dense(&first, mask, &chain[1]);
            assert_eq!(dense, first.then_masked_layer_general(mask, &chain[1]));
            let inner = AffineMap::identity(2).then_affine(&l1.weights, &l1.bias);
            let inner = match mask {
                Some(m) => inner.masked(m),
                None => inner,
            };
            assert_eq!(dense.to_affine(), inner.then_affine(&l2.weights, &l2.bias));
        }
        // the full mask's first row is the bias alone: no Jacobian entry, a sparse support
        let full = then_masked_layer_dense(&first, None, &chain[1]);
        assert_eq!(full.row_support(0), Some(&[][..]));
        assert_eq!(full.offset_sign(0), std::cmp::Ordering::Less);
    }
}
