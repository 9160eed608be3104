//! Every filtered answer of the kernel against exact rational arithmetic, on values drawn across
//! `1e-400 .. 1e400` (subnormal and underflowing images, huge partners, overflow).

use super::*;
use crate::exact::num::{from_f64_exact, parse_rational, sign};
use num_traits::{Signed, Zero};
use proptest::prelude::*;

/// A rational `m * 10^e` with a short mantissa and an exponent across the float range's edges,
/// or 0, or a value straddling a power of two.
fn extreme() -> impl Strategy<Value = Q> {
    prop_oneof![
        4 => (-99_999i64..=99_999, -400i32..=400).prop_map(|(m, e)| parse_rational(&format!("{m}e{e}")).unwrap()),
        1 => Just(Q::zero()),
        1 => (-5i64..=5, 1020u32..=1080).prop_map(|(m, k)| {
            Q::new(m.into(), num_traits::pow(num_bigint::BigInt::from(2), k as usize))
        }),
        1 => (-20i64..=20).prop_map(|m| parse_rational(&format!("{m}/3")).unwrap()),
    ]
}

fn exact_affine(a: &[Q], b: &Q, x: &[Q]) -> Q {
    a.iter().zip(x).map(|(ai, xi)| ai * xi).sum::<Q>() + b
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    /// A decided filtered sign is the exact sign, for every magnitude.
    #[test]
    fn affine_sign_is_exact_when_decided(
        a in prop::collection::vec(extreme(), 1..5),
        x in prop::collection::vec(extreme(), 5),
        b in extreme(),
    ) {
        let x = &x[..a.len()];
        let exact = exact_affine(&a, &b, x);
        let (fa, fx, fb) = (images(&a), images(x), image(&b));
        if let Some(s) = affine_sign(&fa, fb, &fx, false) {
            prop_assert_eq!(s, sign(&exact));
        }
        let slack = &b - a.iter().zip(x).map(|(ai, xi)| ai * xi).sum::<Q>();
        if let Some(s) = affine_sign(&fa, fb, &fx, true) {
            prop_assert_eq!(s, sign(&slack));
        }
    }

    /// The error bound of `affine_with_error` holds, and chains through two layers.
    #[test]
    fn affine_with_error_bounds_the_exact_value(
        w in prop::collection::vec(extreme(), 3),
        x in prop::collection::vec(extreme(), 3),
        b in extreme(),
        v in extreme(),
        c in extreme(),
    ) {
        let fw = images(&w);
        let (value, error) = affine_with_error(&fw, image(&b), &Approximations::images(&x));
        let exact = exact_affine(&w, &b, &x);
        if value.is_finite() && error.is_finite() {
            let distance = (exact.clone() - from_f64_exact(value).unwrap()).abs();
            prop_assert!(distance <= from_f64_exact(error).unwrap());
            // a second layer on the approximate value
            let layer = Approximations::new(vec![value], vec![error]);
            let (value2, error2) = affine_with_error(&[image(&v)], image(&c), &layer);
            let exact2 = &v * &exact + &c;
            if value2.is_finite() && error2.is_finite() {
                let distance = (exact2 - from_f64_exact(value2).unwrap()).abs();
                prop_assert!(distance <= from_f64_exact(error2).unwrap());
            }
        }
    }

    /// A safe dual bound that claims `L > beta` is right in exact arithmetic.
    #[test]
    fn safe_bound_is_sound(
        rows in prop::collection::vec((prop::collection::vec(extreme(), 2), extreme()), 0..3),
        g in prop::collection::vec(extreme(), 2),
        beta in extreme(),
        lo in prop::collection::vec(extreme(), 2),
        width in prop::collection::vec(extreme(), 2),
        y in prop::collection::vec(0.0f64..4.0, 3),
    ) {
        let hi: Vec<Q> = lo.iter().zip(&width).map(|(l, w)| l + w.abs()).collect();
        let row_images: Vec<(Vec<f64>, f64)> = rows.iter().map(|(a, b)| (images(a), image(b))).collect();
        let refs: Vec<(&[f64], f64)> = row_images.iter().map(|(a, b)| (a.as_slice(), *b)).collect();
        let (flo, fhi) = (images(&lo), images(&hi));
        let y = &y[..rows.len()];
        if safe_lower_bound_exceeds(refs.iter().copied(), (&flo, &fhi), &images(&g), image(&beta), Some(y)) {
            let yq: Vec<Q> = y.iter().map(|&v| from_f64_exact(v).unwrap()).collect();
            let mut lower = Q::zero();
            for j in 0..2 {
                let r: Q = &g[j] + rows.iter().zip(&yq).map(|((a, _), yi)| &a[j] * yi).sum::<Q>();
                lower += (&r * &lo[j]).min(&r * &hi[j]);
            }
            lower -= rows.iter().zip(&yq).map(|((_, b), yi)| b * yi).sum::<Q>();
            prop_assert!(lower > beta);
        }
    }
}

/// Issue 11, case A: `1e308 x` on `x in [-2e-324, 2e-324]` (images 0) is not provably of one sign.
#[test]
fn huge_weight_on_an_underflowing_box_is_undecided() {
    let lo = [image(&parse_rational("-2e-324").unwrap()), image(&parse_rational("1e-20").unwrap())];
    let hi = [image(&parse_rational("2e-324").unwrap()), image(&parse_rational("2e-20").unwrap())];
    assert_eq!((lo[0], hi[0]), (0.0, 0.0));
    // h = 1e308 x0 + x1 <= 0 (the off side): min h over the box is -2e-16 + 1e-20 < 0
    assert!(!safe_lower_bound_exceeds([], (&lo, &hi), &[1e308, 1.0], 0.0, None));
    assert_eq!(affine_sign(&[1e308, 1.0], 0.0, &[0.0, 1e-20], false), None);
}

#[test]
fn decides_far_from_zero_and_refuses_overflow() {
    assert_eq!(affine_sign(&[1.0, -1.0], 0.5, &[2.0, 1.0], false), Some(Ordering::Greater));
    assert_eq!(affine_sign(&[1e300], 0.0, &[1e300], false), None);
    assert_eq!(affine_sign(&[f64::INFINITY], 0.0, &[1.0], false), None);
    assert!(!may_be_proportional((&[1.0, 2.0], 0.0), (&[1.0, 3.0], 0.0)));
    assert!(may_be_proportional((&[1.0, 2.0], 1.0), (&[2.0, 4.0], 2.0)));
    let tiny = parse_rational("5e-324").unwrap();
    assert!(!images_faithful([&tiny], &[image(&tiny)]));
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1000, ..ProptestConfig::default() })]

    /// Keys that differ by more than `1e-6` imply `may_be_proportional` is false, and exact
    /// positive multiples of a faithful row (any scale, down to the float range's edges) have
    /// keys that close, so they are still compared.
    #[test]
    fn proportion_keys_only_tell_apart_what_may_be_proportional_would(
        a in prop::collection::vec(extreme(), 1..5),
        b in extreme(),
        c in prop::collection::vec(extreme(), 5),
        e in extreme(),
        scale in extreme(),
    ) {
        let c = &c[..a.len()];
        let (fa, fb, fc, fe) = (images(&a), image(&b), images(c), image(&e));
        if let (Some(x), Some(y)) = (proportion_key((&fa, fb)), proportion_key((&fc, fe))) {
            if (x - y).abs() > 1e-6 {
                prop_assert!(!may_be_proportional((&fa, fb), (&fc, fe)));
            }
        }
        let scale = scale.abs();
        let row = a.iter().chain([&b]);
        if !scale.is_zero() && images_faithful(row.clone(), &[fa.clone(), vec![fb]].concat()) {
            let multiple: Vec<Q> = a.iter().map(|v| v * &scale).collect();
            let (fm, fmb) = (images(&multiple), image(&(&b * &scale)));
            if images_faithful(multiple.iter().chain([&(&b * &scale)]), &[fm.clone(), vec![fmb]].concat()) {
                prop_assert!(may_be_proportional((&fa, fb), (&fm, fmb)));
                if let (Some(x), Some(y)) = (proportion_key((&fa, fb)), proportion_key((&fm, fmb))) {
                    prop_assert!((x - y).abs() <= 1e-6, "{} vs {}", x, y);
                }
            }
        }
    }
}

#[test]
fn images_are_nearest_floats_and_saturate() {
    assert_eq!(image(&parse_rational("1/4").unwrap()), 0.25);
    assert_eq!(image(&parse_rational("1e-400").unwrap()), 0.0);
    assert!(image(&parse_rational("-1e400").unwrap()).is_infinite());
    let v = [parse_rational("1/3").unwrap(), parse_rational("-2").unwrap()];
    assert_eq!(images(&v), vec![1.0 / 3.0, -2.0]);
}

#[test]
fn affine_sign_decides_only_beyond_its_error_bound() {
    assert_eq!(affine_sign(&[1.0, 2.0], 4.0, &[1.0, 1.0], true), Some(Ordering::Greater));
    // 1e308 * x with x's image 0 (x may be up to 2.5e-324): the product may be 1e-16
    assert_eq!(affine_sign(&[1e308], 0.0, &[0.0], false), None);
    assert_eq!(affine_sign(&[1.0], 1e-20, &[0.0], false), Some(Ordering::Greater));
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 500, ..ProptestConfig::default() })]

    /// The sparse safe bound is the dense one with every unlisted multiplier 0: the same answer
    /// on rows and multipliers across the float range (negative, zero and NaN multipliers
    /// listed too, skipped by both).
    #[test]
    fn sparse_safe_bound_is_the_dense_one(
        rows in prop::collection::vec((prop::collection::vec(extreme(), 3), extreme()), 1..7),
        g in prop::collection::vec(extreme(), 3),
        beta in extreme(),
        picks in prop::collection::vec((0usize..7, prop_oneof![
            4 => (1i64..=1000).prop_map(|v| v as f64 / 100.0),
            1 => Just(0.0), 1 => Just(-1.0), 1 => Just(f64::NAN), 1 => Just(1e300)
        ]), 0..5),
    ) {
        let float_rows: Vec<(Vec<f64>, f64)> = rows.iter().map(|(a, b)| (images(a), image(b))).collect();
        let m = float_rows.len();
        let mut sparse: Vec<(usize, f64)> = picks.into_iter().filter(|&(i, _)| i < m).collect();
        sparse.sort_by_key(|&(i, _)| i);
        sparse.dedup_by_key(|&mut (i, _)| i);
        let mut dense = vec![0.0; m];
        sparse.iter().for_each(|&(i, y)| dense[i] = y);
        let (lo, hi) = (vec![-1.0, -2.0, 0.5], vec![1.0, 0.0, 3.0]);
        let (g, beta) = (images(&g), image(&beta));
        let dense_rows = float_rows.iter().map(|(a, b)| (a.as_slice(), *b));
        let by_dense = safe_lower_bound_exceeds(dense_rows, (&lo, &hi), &g, beta, Some(&dense));
        let row = |i: usize| (float_rows[i].0.as_slice(), float_rows[i].1);
        let by_sparse = safe_lower_bound_exceeds_sparse(row, m, (&lo, &hi), &g, beta, &sparse);
        prop_assert_eq!(by_dense, by_sparse);
    }
}

/// A sparse proof in closed form: over `x0 + x1 >= 1/2` (row 1 of three) in `[-1, 1]^2`,
/// `x0 + x1 <= 0` is empty with multiplier 1 on that row alone, and `x0 + x1 <= 1/2` (touching)
/// never is.
#[test]
fn sparse_safe_bound_proves_with_the_rows_multiplier_alone() {
    let rows = [(vec![1.0, 0.0], 5.0), (vec![-1.0, -1.0], -0.5), (vec![0.0, 1.0], 7.0)];
    let row = |i: usize| (rows[i].0.as_slice(), rows[i].1);
    let bx = (&[-1.0, -1.0][..], &[1.0, 1.0][..]);
    assert!(safe_lower_bound_exceeds_sparse(row, 3, bx, &[1.0, 1.0], 0.0, &[(1, 1.0)]));
    assert!(!safe_lower_bound_exceeds_sparse(row, 3, bx, &[1.0, 1.0], 0.0, &[]));
    assert!(!safe_lower_bound_exceeds_sparse(row, 3, bx, &[1.0, 1.0], 0.5, &[(1, 1.0)]));
    assert!(!safe_lower_bound_exceeds_sparse(row, 3, bx, &[1.0, 1.0], 0.0, &[(0, 2.0), (2, 3.0)]));
}
