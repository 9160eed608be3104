//! Exact numbers: the rational type [`Q`], the parser for every number form of the
//! network format, exact conversions from binary floats, and the one sign predicate.
//!
//! This module owns every conversion between text, `f64` and [`Q`]. Nothing here rounds:
//! a decimal such as `0.1` becomes exactly `1/10`, and an `f64` becomes the dyadic
//! rational it denotes.

use num_bigint::{BigInt, Sign};
use num_integer::Integer;
use num_rational::BigRational;
use num_traits::{One, Signed, ToPrimitive, Zero};
use std::cmp::Ordering;

/// The exact number type of the crate.
pub type Q = BigRational;

/// Largest decimal exponent accepted by the parser (`1e100000` is rejected, not expanded).
pub const MAX_EXPONENT: i64 = 100_000;

/// Why a number did not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ParseNumberError {
    /// The text was empty.
    #[error("empty number")]
    Empty,
    /// The text is not a number of any accepted form.
    #[error("`{0}` is not a number (expected an integer, p/q, a decimal or an exponent form)")]
    Invalid(String),
    /// A fraction `p/0`.
    #[error("`{0}` has a zero denominator")]
    ZeroDenominator(String),
    /// An exponent beyond [`MAX_EXPONENT`].
    #[error("`{0}` has an exponent beyond +-{MAX_EXPONENT}")]
    ExponentTooLarge(String),
}

/// Parses an exact rational from text: `"3"`, `"-2/7"`, `"0.125"`, `"1e-3"`, `"-2.5E2"`, `"+.5"`.
///
/// # Examples
/// ```
/// use relu_regions::exact::num::{parse_rational, q};
/// assert_eq!(parse_rational("0.1").unwrap() + parse_rational("0.2").unwrap(), parse_rational("3/10").unwrap());
/// assert_eq!(parse_rational("-2.5E2").unwrap(), q(-250));
/// assert!(parse_rational("1/0").is_err());
/// assert!(parse_rational("NaN").is_err());
/// ```
pub fn parse_rational(text: &str) -> Result<Q, ParseNumberError> {
    let s = text.trim();
    if s.is_empty() {
        return Err(ParseNumberError::Empty);
    }
    if let Some((num, den)) = s.split_once('/') {
        let n = parse_integer(num).ok_or_else(|| ParseNumberError::Invalid(s.to_string()))?;
        let d = parse_integer(den).ok_or_else(|| ParseNumberError::Invalid(s.to_string()))?;
        if d.is_zero() {
            return Err(ParseNumberError::ZeroDenominator(s.to_string()));
        }
        return Ok(Q::new(n, d));
    }
    parse_decimal(s)
}

fn parse_integer(s: &str) -> Option<BigInt> {
    let s = s.trim();
    let digits = s.strip_prefix(['+', '-']).unwrap_or(s);
    if digits.is_empty() || !digits.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let value: BigInt = digits.parse().ok()?;
    Some(if s.starts_with('-') { -value } else { value })
}

fn parse_decimal(s: &str) -> Result<Q, ParseNumberError> {
    let invalid = || ParseNumberError::Invalid(s.to_string());
    let (mantissa, exponent) = match s.find(['e', 'E']) {
        Some(i) => (&s[..i], parse_exponent(&s[i + 1..], s)?),
        None => (s, 0),
    };
    let negative = mantissa.starts_with('-');
    let unsigned = mantissa.strip_prefix(['+', '-']).unwrap_or(mantissa);
    let (int_part, frac_part) = unsigned.split_once('.').unwrap_or((unsigned, ""));
    let all_digits = |p: &str| p.bytes().all(|c| c.is_ascii_digit());
    if (int_part.is_empty() && frac_part.is_empty()) || !all_digits(int_part) || !all_digits(frac_part) {
        return Err(invalid());
    }
    let digits: BigInt = format!("{int_part}{frac_part}").parse().map_err(|_| invalid())?;
    let scale = exponent - frac_part.len() as i64;
    if scale.abs() > MAX_EXPONENT + 1000 {
        return Err(ParseNumberError::ExponentTooLarge(s.to_string()));
    }
    let power = num_traits::pow(BigInt::from(10), scale.unsigned_abs() as usize);
    let value = if scale >= 0 { Q::from_integer(digits * power) } else { Q::new(digits, power) };
    Ok(if negative { -value } else { value })
}

fn parse_exponent(e: &str, whole: &str) -> Result<i64, ParseNumberError> {
    let value = parse_integer(e).ok_or_else(|| ParseNumberError::Invalid(whole.to_string()))?;
    match value.to_i64() {
        Some(v) if v.abs() <= MAX_EXPONENT => Ok(v),
        _ => Err(ParseNumberError::ExponentTooLarge(whole.to_string())),
    }
}

/// An integer as a rational.
///
/// # Examples
/// ```
/// use relu_regions::exact::num::{parse_rational, q};
/// assert_eq!(q(-3) / q(4), parse_rational("-3/4").unwrap());
/// ```
pub fn q(n: i64) -> Q {
    Q::from_integer(BigInt::from(n))
}

/// The exact rational value of a finite `f64` (a dyadic rational); `None` for NaN or infinities.
///
/// # Examples
/// ```
/// use relu_regions::exact::num::{from_f64_exact, parse_rational};
/// assert_eq!(from_f64_exact(0.375).unwrap(), parse_rational("3/8").unwrap());
/// assert_ne!(from_f64_exact(0.1).unwrap(), parse_rational("0.1").unwrap());
/// ```
pub fn from_f64_exact(x: f64) -> Option<Q> {
    if !x.is_finite() {
        return None;
    }
    if x == 0.0 {
        return Some(Q::zero());
    }
    let bits = x.to_bits();
    let sign = if bits >> 63 == 1 { -1 } else { 1 };
    let exp_bits = ((bits >> 52) & 0x7ff) as i64;
    let frac = bits & ((1u64 << 52) - 1);
    let (mantissa, exp) = if exp_bits == 0 { (frac, -1074) } else { (frac | (1u64 << 52), exp_bits - 1075) };
    // in lowest terms without a gcd: an odd mantissa over a power of two
    let zeros = mantissa.trailing_zeros();
    let (mantissa, exp) = (mantissa >> zeros, exp + i64::from(zeros));
    let m = BigInt::from(mantissa) * sign;
    Some(if exp >= 0 {
        Q::from_integer(m << exp as u64)
    } else {
        Q::new_raw(m, BigInt::one() << (-exp) as u64)
    })
}

/// The nearest `f64` (saturating to +-infinity for huge values, 0 for tiny ones).
///
/// # Examples
/// ```
/// use relu_regions::exact::num::{parse_rational, to_f64};
/// assert_eq!(to_f64(&parse_rational("3/4").unwrap()), 0.75);
/// assert_eq!(to_f64(&parse_rational("-1e999").unwrap()), f64::NEG_INFINITY);
/// ```
pub fn to_f64(x: &Q) -> f64 {
    // both exactly representable: one correctly rounded division (num-rational's own fast
    // track, without its allocations)
    const EXACT: i64 = 1 << f64::MANTISSA_DIGITS;
    let n = x.numer().to_i64().filter(|n| (-EXACT..=EXACT).contains(n));
    if let (Some(n), Some(d)) = (n, x.denom().to_i64()) {
        if (1..=EXACT).contains(&d) {
            return n as f64 / d as f64;
        }
    }
    // an exact numerator over a power of two 2^k (dyadic values: floats, float32 weights):
    // n * 2^-k is one correctly rounded product (exact unless it is subnormal)
    if let (Some(n), Some(k)) = (n, power_of_two_exponent(x.denom())) {
        if k <= 1074 {
            return n as f64 * exact_power_of_two(-(k as i32));
        }
    }
    x.to_f64().unwrap_or_else(|| if x.is_negative() { f64::NEG_INFINITY } else { f64::INFINITY })
}

/// `k` when `d = 2^k` (`d > 0`).
fn power_of_two_exponent(d: &BigInt) -> Option<u64> {
    let k = d.trailing_zeros()?;
    (d.sign() == Sign::Plus && d.bits() == k + 1).then_some(k)
}

/// `2^e` as an `f64`, exactly, for `-1074 <= e <= 1023`.
fn exact_power_of_two(e: i32) -> f64 {
    debug_assert!((-1074..=1023).contains(&e));
    if e >= -1022 {
        f64::from_bits(((e + 1023) as u64) << 52)
    } else {
        f64::from_bits(1u64 << (e + 1074))
    }
}

/// The exact sign of a rational as an [`Ordering`] against zero.
pub(crate) fn sign(x: &Q) -> Ordering {
    match x.numer().sign() {
        Sign::Minus => Ordering::Less,
        Sign::NoSign => Ordering::Equal,
        Sign::Plus => Ordering::Greater,
    }
}

/// The exact dot product `a . x`, summed over integers on the common denominators of `a` and
/// of `x` and reduced once (a rational sum would take a gcd at every step).
///
/// # Examples
/// ```
/// use relu_regions::exact::num::{dot, parse_rational};
/// let p = |s: &str| parse_rational(s).unwrap();
/// assert_eq!(dot(&[p("1/2"), p("1/3")], &[p("2"), p("3")]), p("2"));
/// ```
pub fn dot(a: &[Q], x: &[Q]) -> Q {
    let (da, dx) = (common_denominator(a), common_denominator(x));
    let mut sum = BigInt::zero();
    for (ai, xi) in a.iter().zip(x) {
        if !ai.is_zero() && !xi.is_zero() {
            sum += scaled_numerator(ai, &da) * scaled_numerator(xi, &dx);
        }
    }
    Q::new(sum, da * dx)
}

/// The sign of `sum a_i * y_i`, exact and without a single gcd: the terms are added as
/// unreduced fractions (denominators are positive, so the sign is the numerator's).
///
/// # Examples
/// ```
/// use relu_regions::exact::num::{q, sign_of_sum_of_products};
/// let (a, b, c) = (q(1) / q(3), q(-1) / q(6), q(2));
/// assert_eq!(sign_of_sum_of_products([(&a, &c), (&b, &(q(4)))]), std::cmp::Ordering::Equal);
/// ```
pub fn sign_of_sum_of_products<'a>(terms: impl IntoIterator<Item = (&'a Q, &'a Q)>) -> Ordering {
    let (mut num, mut den) = (BigInt::zero(), BigInt::one());
    for (a, y) in terms {
        if a.is_zero() || y.is_zero() {
            continue;
        }
        let tn = a.numer() * y.numer();
        let td = a.denom() * y.denom();
        if den.is_one() {
            num = num * &td + tn;
            den = td;
        } else if td == den {
            num += tn;
        } else if td.is_one() {
            num += tn * &den;
        } else if td < den && (&den % &td).is_zero() {
            // one denominator a multiple of the other (powers of two, most often): the larger
            // is the common one, not their product
            num += tn * (&den / &td);
        } else if td > den && (&td % &den).is_zero() {
            num = num * (&td / &den) + tn;
            den = td;
        } else {
            num = num * &td + tn * &den;
            den *= td;
        }
    }
    num.cmp(&BigInt::zero())
}

/// `v * d` for a multiple `d` of `v`'s denominator, as an integer.
pub(crate) fn scaled_numerator(v: &Q, d: &BigInt) -> BigInt {
    if d.is_one() {
        v.numer().clone()
    } else if v.denom().is_one() {
        v.numer() * d
    } else {
        v.numer() * (d / v.denom())
    }
}

/// Formats a rational as `"p/q"` or `"p"` (the wire form of the JSON formats).
///
/// # Examples
/// ```
/// use relu_regions::exact::num::{fmt_approx, fmt_point, fmt_q, parse_rational};
/// let third = parse_rational("1/3").unwrap();
/// assert_eq!(fmt_q(&third), "1/3");
/// assert_eq!(fmt_q(&parse_rational("4/2").unwrap()), "2");
/// assert_eq!(fmt_point(&[third.clone(), parse_rational("-1").unwrap()]), "(1/3, -1)");
/// assert_eq!(fmt_approx(&third), "~0.333333"); // marked approximate
/// ```
pub fn fmt_q(x: &Q) -> String {
    if x.denom().is_one() {
        x.numer().to_string()
    } else {
        format!("{}/{}", x.numer(), x.denom())
    }
}

/// A point as `(x1, x2, ...)` in exact rationals, for messages.
///
/// See the example on [`fmt_q`].
pub fn fmt_point(x: &[Q]) -> String {
    format!("({})", x.iter().map(fmt_q).collect::<Vec<_>>().join(", "))
}

/// A short decimal rendering for human-readable output (not exact for non-dyadic values).
///
/// See the example on [`fmt_q`].
pub fn fmt_approx(x: &Q) -> String {
    if x.denom().is_one() {
        return x.numer().to_string();
    }
    let v = to_f64(x);
    let s = format!("{v:.6}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    format!("~{s}")
}

/// A "nice" rational near `x` with a small denominator (a power of two), used to pick simple
/// interior points; the caller always re-checks the result exactly.
pub(crate) fn simple_dyadic_near(x: f64, bits: u32) -> Option<Q> {
    if !x.is_finite() {
        return None;
    }
    let scale = (1u64 << bits) as f64;
    let n = (x * scale).round();
    if !n.is_finite() || n.abs() > 9.0e15 {
        return from_f64_exact(x);
    }
    // n / 2^bits in lowest terms without a gcd: only twos can cancel
    let n = n as i64;
    let shift = if n == 0 { bits } else { n.trailing_zeros().min(bits) };
    Some(Q::new_raw(BigInt::from(n >> shift), BigInt::from(1u64 << (bits - shift))))
}

/// The least common multiple of the denominators of `values` (1 for an empty slice).
pub(crate) fn common_denominator<'a>(values: impl IntoIterator<Item = &'a Q>) -> BigInt {
    values.into_iter().fold(BigInt::one(), |acc, v| {
        if v.denom().is_one() || &acc == v.denom() {
            acc
        } else if acc.is_one() {
            v.denom().clone()
        } else if (&acc % v.denom()).is_zero() {
            // a divisor of the one so far (powers of two, most often): one division, no gcd
            acc
        } else {
            acc.lcm(v.denom())
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The fast tracks of `to_f64` agree with num-rational's correctly rounded conversion on
    /// small fractions and dyadic values down to the subnormals.
    #[test]
    fn to_f64_fast_tracks_round_correctly() {
        let mut state = 5u64;
        let mut next = || {
            state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            state
        };
        for _ in 0..20_000 {
            let n = (next() >> (11 + next() % 52)) as i64 * if next() % 2 == 0 { 1 } else { -1 };
            let d = match next() % 3 {
                0 => BigInt::from(1 + (next() >> (11 + next() % 52))),
                _ => BigInt::one() << (next() % 1100) as usize,
            };
            let x = Q::new(BigInt::from(n), d);
            let expected = num_traits::ToPrimitive::to_f64(&x).unwrap();
            assert_eq!(to_f64(&x).to_bits(), expected.to_bits(), "{x}");
        }
        assert_eq!(exact_power_of_two(-1074), f64::from_bits(1));
        assert_eq!(exact_power_of_two(0), 1.0);
        assert_eq!(exact_power_of_two(-1022), f64::MIN_POSITIVE);
    }

    #[test]
    fn parses_every_form() {
        let cases = [
            ("3", q(3)),
            ("-3", q(-3)),
            ("+4", q(4)),
            ("1/3", Q::new(1.into(), 3.into())),
            ("-2/-4", Q::new(1.into(), 2.into())),
            ("0.125", Q::new(1.into(), 8.into())),
            ("-.5", Q::new((-1).into(), 2.into())),
            ("5.", q(5)),
            ("1e-3", Q::new(1.into(), 1000.into())),
            ("-2.5E2", q(-250)),
            ("1.5e+1", q(15)),
        ];
        for (text, want) in cases {
            assert_eq!(parse_rational(text).unwrap(), want, "{text}");
        }
    }

    #[test]
    fn decimals_are_exact() {
        let a = parse_rational("0.1").unwrap();
        let b = parse_rational("0.2").unwrap();
        assert_eq!(a + b, parse_rational("0.3").unwrap());
    }

    #[test]
    fn rejects_bad_forms() {
        for bad in [
            "",
            "NaN",
            "Infinity",
            "-inf",
            "1/0",
            "0/0",
            "1//2",
            "e5",
            "1e",
            "--1",
            "1.2.3",
            "0x10",
            "1 2",
            "1e1000000",
            ".",
            "-",
            "1/2/3",
            "1.5/2",
        ] {
            assert!(parse_rational(bad).is_err(), "accepted {bad:?}");
        }
        assert!(matches!(parse_rational("3/0"), Err(ParseNumberError::ZeroDenominator(_))));
    }

    #[test]
    fn huge_and_tiny_exact() {
        let big = parse_rational("1e1000").unwrap();
        let tiny = parse_rational("1e-1000").unwrap();
        assert_eq!(big * tiny, q(1));
    }

    #[test]
    fn float_conversion_is_exact() {
        for x in [
            0.1,
            -3.5,
            1e-310,
            1e300,
            123456.789,
            1.0,
            -2f64.powi(70),
            5e-324,
            3.0 * 2f64.powi(-1000),
            1024.0,
        ] {
            let r = from_f64_exact(x).unwrap();
            assert_eq!(r.to_f64().unwrap(), x);
            // in lowest terms, as a reduction gives it
            let reduced = Q::new(r.numer().clone(), r.denom().clone());
            assert_eq!((r.numer(), r.denom()), (reduced.numer(), reduced.denom()));
        }
        assert!(from_f64_exact(f64::NAN).is_none());
        assert_eq!(fmt_q(&from_f64_exact(0.75).unwrap()), "3/4");
    }
}
