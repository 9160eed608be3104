//! The `_f64` fields: each must be the float nearest to its exact value (ties to the even
//! significand), decided by exact comparisons with the float's two neighbours; JSON `null`
//! stands for a value beyond the float range (it rounds to an infinity, which JSON cannot
//! write).

use crate::exact::num::Q;
use crate::forward::symbolic::Outward;
use num_traits::Signed;
use serde_json::Value;

/// `2^1024 - 2^970`: from this magnitude on, rounding to nearest gives an infinity (computed
/// once: it was a tenth of `check`'s time when computed for every number).
fn overflow_threshold() -> &'static Q {
    static THRESHOLD: std::sync::OnceLock<Q> = std::sync::OnceLock::new();
    THRESHOLD.get_or_init(|| {
        let two = Q::from_integer(2.into());
        num_traits::pow(two.clone(), 1024) - num_traits::pow(two, 970)
    })
}

/// `x = m 2^e` exactly (finite `x`; `(0, 0)` for a zero).
fn decode(x: f64) -> (i128, i32) {
    if x == 0.0 {
        return (0, 0);
    }
    let bits = x.to_bits();
    let exp_bits = ((bits >> 52) & 0x7ff) as i32;
    let frac = (bits & ((1u64 << 52) - 1)) as i128;
    let (m, e) = if exp_bits == 0 { (frac, -1074) } else { (frac | (1 << 52), exp_bits - 1075) };
    (if bits >> 63 == 1 { -m } else { m }, e)
}

/// The midpoint of two adjacent floats (`g` may be `+-2^1024`, given as `(+-1, 1024)`), as
/// `m 2^e`.
fn midpoint((mf, ef): (i128, i32), (mg, eg): (i128, i32)) -> (i128, i32) {
    let e = match (mf, mg) {
        (0, _) => eg,
        (_, 0) => ef,
        _ => ef.min(eg),
    };
    let up = |m: i128, from: i32| if m == 0 { 0 } else { m << (from - e) };
    (up(mf, ef) + up(mg, eg), e - 1)
}

/// The exact order of `v` against `m 2^e`, by integers (no gcd).
fn compare_dyadic(v: &Q, (m, e): (i128, i32)) -> std::cmp::Ordering {
    // the denominator is positive (both the parser and the arithmetic keep it so)
    let (p, q) = (v.numer().clone(), v.denom() * num_bigint::BigInt::from(m));
    if e >= 0 {
        p.cmp(&(q << e as usize))
    } else {
        (p << (-e) as usize).cmp(&q)
    }
}

/// Whether the float `f` is the one nearest to `v` (ties to even): `v` strictly between the
/// midpoints of `f` and its two neighbours, or on one of them with `f` even. Beyond the
/// largest float the neighbour is `2^1024` (where rounding gives an infinity), so the upper
/// midpoint of `f64::MAX` is the overflow threshold.
fn nearest(v: &Q, f: f64) -> bool {
    use std::cmp::Ordering::{Equal, Greater, Less};
    if !f.is_finite() {
        return false;
    }
    let beyond = |g: f64, sign: i128| if g.is_finite() { decode(g) } else { (sign, 1024) };
    let (up, down) = (f.up(), f.down());
    let low = midpoint(decode(f), beyond(down, -1));
    let high = midpoint(decode(f), beyond(up, 1));
    let even = f.to_bits() & 1 == 0;
    let above_low = match compare_dyadic(v, low) {
        Greater => true,
        Equal => even,
        Less => false,
    };
    above_low
        && match compare_dyadic(v, high) {
            Less => true,
            Equal => even,
            Greater => false,
        }
}

/// Whether the JSON value is the float nearest to `v` (`null` when `v` is beyond the range).
pub(super) fn is_nearest(v: &Q, json: &Value) -> bool {
    match json {
        Value::Null => &v.abs() >= overflow_threshold(),
        Value::Number(n) => n.as_f64().is_some_and(|f| f.is_finite() && nearest(v, f)),
        _ => false,
    }
}

/// Whether `json` is a list of the floats nearest to `values`, one each.
pub(super) fn nearest_vector(values: &[Q], json: Option<&Value>) -> bool {
    json.and_then(Value::as_array)
        .is_some_and(|fs| fs.len() == values.len() && values.iter().zip(fs).all(|(v, f)| is_nearest(v, f)))
}

/// Whether `json` is a list of rows of the floats nearest to `rows`.
pub(super) fn nearest_matrix(rows: &[Vec<Q>], json: Option<&Value>) -> bool {
    json.and_then(Value::as_array).is_some_and(|fs| {
        fs.len() == rows.len() && rows.iter().zip(fs).all(|(r, f)| nearest_vector(r, Some(f)))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exact::num::{from_f64_exact, parse_rational};

    /// The nearest float by exact distances to `f` and to both its neighbours (the definition).
    fn nearest_by_distances(v: &Q, f: f64) -> bool {
        let Some(e) = from_f64_exact(f) else { return false };
        if f.abs() == f64::MAX && &v.abs() >= overflow_threshold() {
            return false;
        }
        let distance = (v - &e).abs();
        let even = f.to_bits() & 1 == 0;
        [f.up(), f.down()].into_iter().filter(|g| g.is_finite()).all(|g| {
            let other = (v - from_f64_exact(g).expect("finite")).abs();
            distance < other || (distance == other && even)
        })
    }

    /// The midpoint test agrees with the distances on floats, their midpoints and values
    /// beside them, across the range (zero, subnormals, the largest float).
    #[test]
    fn midpoints_agree_with_distances() {
        let mut floats =
            vec![0.0, -0.0, 1.0, -1.5, 0.1, 1e300, -1e-310, 5e-324, f64::MAX, -f64::MAX, 1.0 / 3.0];
        let mut seed: u64 = 7;
        for _ in 0..200 {
            seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            let f = f64::from_bits(seed >> 1);
            if f.is_finite() {
                floats.push(f);
            }
        }
        let tiny = Q::new(1.into(), num_traits::pow(num_bigint::BigInt::from(2), 1200));
        for &f in &floats {
            let e = from_f64_exact(f).unwrap();
            let mut values = vec![e.clone(), &e + &tiny, &e - &tiny, -e.clone()];
            for g in [f.up(), f.down()].into_iter().filter(|g| g.is_finite()) {
                let mid = (&e + from_f64_exact(g).unwrap()) / Q::from_integer(2.into());
                values.extend([mid.clone(), &mid + &tiny, &mid - &tiny]);
            }
            for v in &values {
                for g in [f, f.up(), f.down()].into_iter().filter(|g| g.is_finite()) {
                    assert_eq!(nearest(v, g), nearest_by_distances(v, g), "{v} {g:e}");
                }
            }
        }
    }

    #[test]
    fn the_nearest_float_and_only_it_passes() {
        let r = |s: &str| parse_rational(s).unwrap();
        let json = |f: f64| serde_json::json!(f);
        assert!(is_nearest(&r("3/4"), &json(0.75)));
        assert!(is_nearest(&r("1/3"), &json(1.0 / 3.0)));
        assert!(!is_nearest(&r("1/3"), &json((1.0_f64 / 3.0).up())));
        assert!(!is_nearest(&r("1/3"), &json((1.0_f64 / 3.0).down())));
        assert!(is_nearest(&r("-1/10"), &json(-0.1)));
        assert!(is_nearest(&r("0"), &json(0.0)) && is_nearest(&r("0"), &json(-0.0)));
        // a tie between 1 and 1 + 2^-52 goes to 1 (even significand)
        let half_ulp = r("1") + Q::new(1.into(), num_traits::pow(num_bigint::BigInt::from(2), 53));
        assert!(is_nearest(&half_ulp, &json(1.0)));
        assert!(!is_nearest(&half_ulp, &json(1.0_f64.up())));
        // below the smallest subnormal's half: 0; beyond the range: null
        assert!(is_nearest(&r("1e-400"), &json(0.0)));
        assert!(is_nearest(&r("-1e400"), &Value::Null) && !is_nearest(&r("1e300"), &Value::Null));
        assert!(is_nearest(&r("1e300"), &json(1e300)));
        assert!(!is_nearest(&r("1"), &Value::String("1".into())));
        // the largest float, and a value just under the threshold that still rounds to it
        assert!(is_nearest(&from_f64_exact(f64::MAX).unwrap(), &json(f64::MAX)));
        let under = overflow_threshold() - Q::from_integer(1.into());
        assert!(is_nearest(&under, &json(f64::MAX)) && !is_nearest(overflow_threshold(), &json(f64::MAX)));
        for s in ["1/7", "-22/7", "123456789/1000", "1e-310", "-3e-320"] {
            let v = r(s);
            assert!(is_nearest(&v, &json(crate::exact::num::to_f64(&v))), "{s}");
        }
    }
}
