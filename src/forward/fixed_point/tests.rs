//! The fixed-point maps against rational composition.

use super::*;
use crate::exact::num::parse_rational;
use crate::network::weights::SparseRow;
use crate::network::{Activation, Weights};

#[test]
fn agrees_with_rational_composition() {
    let r = |s: &str| parse_rational(s).unwrap();
    let l1 = Layer {
        weights: Weights::from_dense_rows(vec![vec![r("0.1"), r("-1/3")], vec![r("2"), r("1e-3")]]),
        bias: vec![r("1/7"), r("-0.5")],
        activation: Activation::Relu,
    };
    let l2 = Layer {
        weights: Weights::from_dense_rows(vec![vec![r("3/2"), r("-0.25")]]),
        bias: vec![r("2")],
        activation: Activation::Linear,
    };
    let exact = AffineMap::identity(2).then_affine(&l1.weights, &l1.bias).masked(&[true, false]);
    let exact = exact.then_affine(&l2.weights, &l2.bias);
    let chain = FixedLayer::chain(&[l1, l2]);
    let fixed = FixedMap::identity(2)
        .then_masked_layer(None, &chain[0])
        .then_masked_layer(Some(&[true, false]), &chain[1]);
    let unfused = FixedMap::identity(2).then_masked_layer(None, &chain[0]).masked(&[true, false]);
    assert_eq!(fixed, unfused.then_masked_layer(None, &chain[1]));
    assert_eq!(fixed.to_affine(), exact);
}

/// Sparse rows (few columns each) and masks with few rows on (a max layer's one-hot mask):
/// the product's sparse row path and its column-wise gathering of weights give the exact
/// composition, and each row's support holds exactly its nonzero columns.
#[test]
fn sparse_rows_and_sparse_masks_agree_with_rational_composition() {
    let (d, width) = (12, 40);
    let value =
        |i: usize, j: usize| Q::new(BigInt::from((i * 7 + j * 3) % 11) - 5, BigInt::from(1 + (i + j) % 4));
    // layer 1: each unit reads two inputs (a convolution's shape), some weights cancelling
    let rows1 = (0..width).map(|i| vec![(i % d, value(i, 0)), ((i * 5 + 1) % d, value(i, 1))]).collect();
    let l1 = Layer {
        weights: Weights::from_sparse_rows(d, rows1),
        bias: (0..width).map(|i| value(i, 2)).collect(),
        activation: Activation::Relu,
    };
    // layer 2: dense rows over the 40 units, and rows selecting one unit
    let mut rows2: Vec<SparseRow> = (0..3).map(|i| (0..width).map(|j| (j, value(i, j))).collect()).collect();
    rows2.extend((0..width).map(|j| vec![(j, Q::one())]));
    let l2 = Layer {
        weights: Weights::from_sparse_rows(width, rows2),
        bias: (0..width + 3).map(|i| value(i, 5)).collect(),
        activation: Activation::Linear,
    };
    let chain = FixedLayer::chain(&[l1.clone(), l2.clone()]);
    let first = FixedMap::identity(d).then_masked_layer(None, &chain[0]);
    for on in [vec![3usize], vec![0, 17, 39], (0..width).step_by(3).collect(), (0..width).collect()] {
        let mask: Vec<bool> = (0..width).map(|i| on.contains(&i)).collect();
        let exact = AffineMap::identity(d).then_affine(&l1.weights, &l1.bias).masked(&mask);
        let exact = exact.then_affine(&l2.weights, &l2.bias);
        let fixed = first.then_masked_layer(Some(&mask), &chain[1]);
        assert_eq!(fixed.to_affine(), exact, "mask {on:?}");
        assert_eq!(fixed, first.masked(&mask).then_masked_layer(None, &chain[1]));
        for i in 0..width + 3 {
            let (dense, _) = fixed.row_ints(i);
            let nonzero: Vec<usize> = (0..d).filter(|&j| !dense[j].is_zero()).collect();
            if let Some(support) = fixed.row_support(i) {
                assert!(
                    nonzero.iter().all(|j| support.contains(j)),
                    "row {i}: {support:?} misses {nonzero:?}"
                );
            }
            if i >= 3 {
                assert!(fixed.row_support(i).is_some(), "a selected unit's row reads two inputs");
            }
        }
    }
}

/// The same map with one more limb per entry.
fn widened(map: &FixedMap) -> FixedMap {
    let data = map
        .data
        .chunks_exact(map.limbs)
        .flat_map(|entry| limbs::from_bigint(&limbs::to_bigint(entry), map.limbs + 1))
        .collect();
    FixedMap { limbs: map.limbs + 1, data, ..map.clone() }
}

/// Multi-limb weights, big offsets and five layers (entries of several hundred bits) agree
/// with rational composition, masks included.
#[test]
fn agrees_with_rational_composition_on_huge_numbers() {
    let r = |s: &str| parse_rational(s).unwrap();
    let values = ["123456789012345678901234567890/7", "-1e-40", "3", "-98765432109876543210.5", "1/3", "0"];
    let layer = |shift: usize| Layer {
        weights: Weights::from_dense_rows(
            (0..3).map(|i| (0..3).map(|j| r(values[(i * 3 + j + shift) % values.len()])).collect()).collect(),
        ),
        bias: (0..3).map(|i| r(values[(i + 2 * shift) % values.len()])).collect(),
        activation: Activation::Relu,
    };
    let layers: Vec<Layer> = (0..5).map(layer).collect();
    let chain = FixedLayer::chain(&layers);
    let masks =
        [[true, false, true], [true, true, true], [false, true, true], [true, true, false], [true; 3]];
    let (mut exact, mut fixed, mut fused) =
        (AffineMap::identity(3), FixedMap::identity(3), FixedMap::identity(3));
    let mut previous: Option<&[bool]> = None;
    for ((l, f), mask) in layers.iter().zip(&chain).zip(&masks) {
        exact = exact.then_affine(&l.weights, &l.bias).masked(mask);
        fixed = fixed.then_masked_layer(None, f).masked(mask);
        assert_eq!(fixed.to_affine(), exact);
        // the sparse rows: the dense rows without their zeros
        for i in 0..3 {
            let (dense, offset) = fixed.row_ints(i);
            let (terms, sparse_offset) = fixed.row_terms(i);
            let nonzero: Vec<(usize, BigInt)> =
                dense.into_iter().enumerate().filter(|(_, v)| !v.is_zero()).collect();
            assert_eq!((terms, sparse_offset), (nonzero, offset));
        }
        // the mask fused with the next product gives the same map
        fused = fused.then_masked_layer(previous, f);
        assert_eq!(fused.masked(mask).to_affine(), exact);
        // the hash: of the map, however it is masked or how many limbs hold it
        let hash = fused.fingerprint(Some(mask));
        assert_eq!(hash, fused.masked(mask).fingerprint(None));
        assert_eq!(hash, widened(&fused.masked(mask)).fingerprint(None));
        if mask.contains(&false) {
            assert_ne!(hash, fused.fingerprint(None), "the mask zeroes some nonzero row");
        }
        previous = Some(mask);
    }
}
