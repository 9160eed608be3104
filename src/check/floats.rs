//! The `_f64` fields: each must be the float nearest to its exact value (ties to the even
//! significand), decided by exact comparisons with the float's two neighbours; JSON `null`
//! stands for a value beyond the float range (it rounds to an infinity, which JSON cannot
//! write).

use crate::exact::num::{from_f64_exact, Q};
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

/// The next float above `x` (finite `x`).
fn next_up(x: f64) -> f64 {
    let bits = x.to_bits();
    if x == 0.0 {
        f64::from_bits(1)
    } else if x > 0.0 {
        f64::from_bits(bits + 1)
    } else {
        f64::from_bits(bits - 1)
    }
}

/// Whether the float `f` is the one nearest to `v` (ties to even).
fn nearest(v: &Q, f: f64) -> bool {
    let Some(e) = from_f64_exact(f) else { return false };
    // below the largest float, a value at or beyond the threshold is nearer the next float up
    // (or down) than to `f`, which the comparison with the neighbours finds
    if f.abs() == f64::MAX && &v.abs() >= overflow_threshold() {
        return false;
    }
    let distance = (v - &e).abs();
    let even = f.to_bits() & 1 == 0;
    // both neighbours (an infinite one is no competitor below the threshold)
    [next_up(f), -next_up(-f)].into_iter().filter(|g| g.is_finite()).all(|g| {
        let other = (v - from_f64_exact(g).expect("finite")).abs();
        distance < other || (distance == other && even)
    })
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
    use crate::exact::num::parse_rational;

    #[test]
    fn the_nearest_float_and_only_it_passes() {
        let r = |s: &str| parse_rational(s).unwrap();
        let json = |f: f64| serde_json::json!(f);
        assert!(is_nearest(&r("3/4"), &json(0.75)));
        assert!(is_nearest(&r("1/3"), &json(1.0 / 3.0)));
        assert!(!is_nearest(&r("1/3"), &json(next_up(1.0 / 3.0))));
        assert!(!is_nearest(&r("1/3"), &json(-next_up(-1.0 / 3.0))));
        assert!(is_nearest(&r("-1/10"), &json(-0.1)));
        assert!(is_nearest(&r("0"), &json(0.0)) && is_nearest(&r("0"), &json(-0.0)));
        // a tie between 1 and 1 + 2^-52 goes to 1 (even significand)
        let half_ulp = r("1") + Q::new(1.into(), num_traits::pow(num_bigint::BigInt::from(2), 53));
        assert!(is_nearest(&half_ulp, &json(1.0)));
        assert!(!is_nearest(&half_ulp, &json(next_up(1.0))));
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
