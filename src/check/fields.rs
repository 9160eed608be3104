//! Reading the fields of an answer: the keys each object may have (an unknown key is a claim
//! that nothing checks, so it fails), and exact rationals, vectors and labels.

use crate::exact::num::{parse_rational, Q};
use serde_json::Value;

/// The keys of a `regions --json` document.
pub(super) const DOCUMENT: &[&str] = &["input_dim", "complete", "regions", "provenance"];
/// The keys of a region.
pub(super) const REGION: &[&str] = &[
    "id",
    "pattern",
    "point",
    "inequalities",
    "jacobian",
    "offset",
    "bounded",
    "piece",
    "point_f64",
    "jacobian_f64",
    "offset_f64",
    "facets_uncertified",
    "size",
];
/// The keys of an inequality.
pub(super) const INEQUALITY: &[&str] = &["a", "b", "neurons", "domain_rows", "facet_point"];
/// The keys of a `graph --format json` document.
pub(super) const GRAPH: &[&str] = &["nodes", "edges", "pieces", "complete", "provenance"];
/// The keys of a graph node.
pub(super) const NODE: &[&str] = &[
    "id",
    "pattern",
    "piece",
    "bounded",
    "jacobian",
    "offset",
    "point",
    "point_f64",
    "jacobian_f64",
    "offset_f64",
];
/// The keys of a graph edge.
pub(super) const EDGE: &[&str] = &["source", "target", "neurons", "same_map", "point"];
/// The keys of a neuron label.
const NEURON: &[&str] = &["layer", "index"];

/// Reports every key of `object` not in `allowed` (or that it is not an object at all).
pub(super) fn known_keys(object: &Value, what: &str, allowed: &[&str], fail: &mut impl FnMut(String)) {
    match object.as_object() {
        Some(map) => {
            for key in map.keys().filter(|k| !allowed.contains(&k.as_str())) {
                fail(format!("{what} has a field `{key}` that the format does not have"));
            }
        }
        None => fail(format!("{what} is not an object")),
    }
}

/// Parses a JSON rational (string or integer).
pub(super) fn rational(v: &Value) -> Option<Q> {
    match v {
        Value::String(s) => match s.split_once('/') {
            Some((n, d)) => fraction(n, d),
            // a plain integer that fits a word (most coefficients): no decimal parser; the
            // strings `i64` reads (`[+-]digits`) are integers the decimal parser reads alike
            None => match s.parse::<i64>() {
                Ok(i) => Some(Q::from_integer(i.into())),
                Err(_) => parse_rational(s).ok(),
            },
        },
        Value::Number(n) => parse_rational(&n.to_string()).ok(),
        _ => None,
    }
}

/// `n/d` as written, not reduced (no gcd: every use of it is exact on any representative),
/// the denominator made positive; `None` unless both are integers and `d != 0`.
fn fraction(n: &str, d: &str) -> Option<Q> {
    let int = |s: &str| -> Option<num_bigint::BigInt> {
        let digits = s.strip_prefix(['+', '-']).unwrap_or(s);
        if digits.is_empty() || !digits.bytes().all(|c| c.is_ascii_digit()) {
            return None;
        }
        s.strip_prefix('+').unwrap_or(s).parse().ok()
    };
    let (n, d) = (int(n)?, int(d)?);
    match d.sign() {
        num_bigint::Sign::NoSign => None,
        num_bigint::Sign::Minus => Some(Q::new_raw(-n, -d)),
        num_bigint::Sign::Plus => Some(Q::new_raw(n, d)),
    }
}

/// A list of rationals.
pub(super) fn vector(v: &Value) -> Option<Vec<Q>> {
    v.as_array()?.iter().map(rational).collect()
}

/// A list of lists of rationals.
pub(super) fn matrix(v: &Value) -> Option<Vec<Vec<Q>>> {
    v.as_array()?.iter().map(vector).collect()
}

/// A list of neuron labels `{"layer", "index"}`, sorted (`Some(empty)` when absent); `None`
/// when malformed.
pub(super) fn neurons(v: Option<&Value>) -> Option<Vec<(usize, usize)>> {
    let Some(v) = v else { return Some(Vec::new()) };
    let mut out: Vec<(usize, usize)> = v
        .as_array()?
        .iter()
        .map(|n| {
            let map = n.as_object()?;
            if map.keys().any(|k| !NEURON.contains(&k.as_str())) {
                return None;
            }
            Some((
                usize::try_from(n.get("layer")?.as_u64()?).ok()?,
                usize::try_from(n.get("index")?.as_u64()?).ok()?,
            ))
        })
        .collect::<Option<_>>()?;
    out.sort_unstable();
    Some(out)
}

/// A list of indices, sorted (`Some(empty)` when absent); `None` when malformed.
pub(super) fn indices(v: Option<&Value>) -> Option<Vec<usize>> {
    let Some(v) = v else { return Some(Vec::new()) };
    let mut out: Vec<usize> =
        v.as_array()?.iter().map(|i| usize::try_from(i.as_u64()?).ok()).collect::<Option<_>>()?;
    out.sort_unstable();
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Integers (of a word or longer, with a sign or not), fractions and decimals read as
        /// the decimal parser reads them; what it refuses is refused.
        #[test]
        fn strings_read_as_the_parser_reads_them(n in any::<i128>(), d in 1i64..1000) {
            let texts = [
                n.to_string(),
                (n as i64).to_string(),
                format!("+{}", n.unsigned_abs()),
                format!("{n}/{d}"),
                format!("{}.5", n as i64),
                format!("{n} "),
                format!("{n}x"),
            ];
            for s in texts {
                prop_assert_eq!(rational(&Value::String(s.clone())), parse_rational(&s).ok(), "{}", s);
            }
        }
    }
}
