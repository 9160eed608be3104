//! The checker's filtered slack signs (`check::signs`): the float filter decides a sign only
//! when its bound proves it, so the filtered sign always equals the exact one, computed here
//! independently as the sign of the rational slack `b - a . x` (and by the checker's integer
//! expression). Random rows and points, points exactly on the hyperplane, points 1e-12 and
//! 1e-300 off it, huge and tiny magnitudes, float-exact and non-dyadic coordinates.

use num_bigint::BigInt;
use num_traits::{Signed, Zero};
use proptest::prelude::*;
use relu_regions::check::signs::{exact_slack_sign, filtered_slack_sign, float_slack_sign};
use relu_regions::exact::num::{q, Q};
use relu_regions::exact::rng::SplitMix;
use relu_regions::Halfspace;
use std::cmp::Ordering;

/// The sign of the slack by rational arithmetic, nothing shared with the checker's code.
fn reference(row: &Halfspace, x: &[Q]) -> Ordering {
    let mut s = row.b.clone();
    for (a, v) in row.a.iter().zip(x) {
        s -= a * v;
    }
    if s.is_zero() {
        Ordering::Equal
    } else if s.is_positive() {
        Ordering::Greater
    } else {
        Ordering::Less
    }
}

/// Asserts the three signs agree with the reference, and the float filter never claims a sign
/// it cannot prove (never `Equal`, never wrong). Returns whether the filter decided.
fn agrees(row: &Halfspace, x: &[Q]) -> bool {
    let want = reference(row, x);
    assert_eq!(filtered_slack_sign(row, x), want, "filtered sign, row {row:?} at {x:?}");
    assert_eq!(exact_slack_sign(row, x), want, "integer sign, row {row:?} at {x:?}");
    match float_slack_sign(row, x) {
        None => false,
        Some(s) => {
            assert_ne!(s, Ordering::Equal, "the filter never proves a zero");
            assert_eq!(s, want, "float filter wrong, row {row:?} at {x:?}");
            true
        }
    }
}

/// A rational `n / d` with `n` of up to `bits` random bits (signed) and `d` in 1..=2^dbits.
fn random_q(rng: &mut SplitMix, bits: u32, dbits: u32) -> Q {
    let n = (rng.next_u64() >> (64 - bits.min(63))) as i64;
    let n = if rng.next_u64() & 1 == 0 { n } else { -n };
    let d = (rng.next_u64() >> (64 - dbits.clamp(1, 62))) as i64 + 1;
    Q::new(BigInt::from(n), BigInt::from(d))
}

/// A rational times `2^e` (`e` may be negative).
fn scaled(v: Q, e: i32) -> Q {
    let p = Q::from_integer(num_traits::pow(BigInt::from(2), e.unsigned_abs() as usize));
    if e >= 0 {
        v * p
    } else {
        v / p
    }
}

/// A random row `a . x <= b` in `d` dimensions and a random point, magnitudes `2^e`.
fn random_case(rng: &mut SplitMix, d: usize, e: i32) -> (Halfspace, Vec<Q>) {
    let a: Vec<Q> = (0..d).map(|_| scaled(random_q(rng, 40, 30), e)).collect();
    let x: Vec<Q> = (0..d).map(|_| scaled(random_q(rng, 40, 30), -e / 2)).collect();
    let b = scaled(random_q(rng, 40, 30), e / 2);
    (Halfspace::new(a, b), x)
}

/// The same normal through `x`, with `b` moved by `delta`: the slack at `x` is exactly `delta`.
fn through(row: &Halfspace, x: &[Q], delta: &Q) -> Halfspace {
    let ax: Q = row.a.iter().zip(x).map(|(a, v)| a * v).sum();
    Halfspace::new(row.a.clone(), ax + delta)
}

#[test]
fn random_rows_and_points_agree_and_the_filter_decides_most() {
    let mut rng = SplitMix(0x5157_2026);
    let (mut decided, mut total) = (0, 0);
    for d in [1usize, 2, 5, 13, 50] {
        for _ in 0..200 {
            let (row, x) = random_case(&mut rng, d, 0);
            decided += usize::from(agrees(&row, &x));
            total += 1;
        }
    }
    // generic slacks are far from zero: the filter must be what decides them
    assert!(decided * 10 >= total * 9, "the filter decided only {decided} of {total}");
}

#[test]
fn points_exactly_on_the_hyperplane_are_never_decided_by_floats() {
    let mut rng = SplitMix(7);
    for d in [1usize, 2, 5, 20] {
        for e in [-600, -40, 0, 40, 600] {
            for _ in 0..40 {
                let (row, x) = random_case(&mut rng, d, e);
                let on = through(&row, &x, &q(0));
                assert_eq!(reference(&on, &x), Ordering::Equal);
                assert!(!agrees(&on, &x), "a zero slack decided by floats");
            }
        }
    }
}

#[test]
fn points_just_off_the_hyperplane_get_their_exact_side() {
    let mut rng = SplitMix(11);
    let tiny = |k: u32| Q::new(BigInt::from(1), num_traits::pow(BigInt::from(10), k as usize));
    for d in [2usize, 5, 13] {
        for k in [6u32, 12, 15, 17, 30, 300] {
            for sign in [1, -1] {
                for _ in 0..20 {
                    let (row, x) = random_case(&mut rng, d, 0);
                    let off = through(&row, &x, &(tiny(k) * q(sign)));
                    agrees(&off, &x);
                    // and the point moved off by a relative 1e-12 in one coordinate
                    let mut y = x.clone();
                    y[0] = &y[0] * (q(1) + tiny(12) * q(sign));
                    agrees(&off, &y);
                }
            }
        }
    }
}

#[test]
fn huge_and_tiny_magnitudes_agree() {
    let mut rng = SplitMix(13);
    for e in [-1100, -1070, -1030, -500, 500, 1000, 1030, 1100, 2000] {
        for d in [1usize, 3, 5] {
            for _ in 0..30 {
                let (row, x) = random_case(&mut rng, d, e);
                agrees(&row, &x);
                agrees(&through(&row, &x, &scaled(q(1), e)), &x);
                agrees(&through(&row, &x, &scaled(q(-3), -e)), &x);
            }
        }
    }
}

#[test]
fn mixed_magnitudes_and_cancellation_agree() {
    // 1e300 x - 1e300 y <= 1e-300 at x = y + 1e-600: terms cancel to far below their rounding
    let big = scaled(q(1), 997);
    let small = scaled(q(1), -997);
    for (dx, b) in [(scaled(q(1), -1994), small.clone()), (scaled(q(1), -1993), small.clone()), (q(0), q(0))]
    {
        let row = Halfspace::new(vec![big.clone(), -big.clone()], b);
        let y = Q::new(BigInt::from(1), BigInt::from(3));
        let x = vec![&y + &dx, y];
        agrees(&row, &x);
        agrees(&row.flipped(), &x);
    }
    // a subnormal normal against a huge coordinate, and a zero normal
    let row = Halfspace::new(vec![scaled(q(3), -1074), q(0)], scaled(q(1), -1060));
    agrees(&row, &[scaled(q(1), 14), q(5)]);
    agrees(&row, &[scaled(q(1), 15), q(5)]);
    agrees(&Halfspace::new(vec![q(0), q(0)], q(0)), &[q(1), q(2)]);
    agrees(&Halfspace::new(vec![q(0), q(0)], scaled(q(-1), -1074)), &[q(1), q(2)]);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn filtered_sign_is_the_exact_sign(
        seed in any::<u64>(),
        d in 1usize..8,
        e in -1100i32..1100,
        delta_exp in -1100i32..1100,
        on in any::<bool>(),
    ) {
        let mut rng = SplitMix(seed);
        let (row, x) = random_case(&mut rng, d, e);
        agrees(&row, &x);
        let delta = if on { q(0) } else { scaled(random_q(&mut rng, 20, 10), delta_exp) };
        agrees(&through(&row, &x, &delta), &x);
    }
}
