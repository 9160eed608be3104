//! The checker of a `faces --jsonl` answer, independent of the prover (no `certify`,
//! `enumerate`, `complex` or `property`): from the network and the document alone, in exact
//! arithmetic, each face's point lies in the domain and has exactly the recorded sign vector;
//! its dimension is `d` minus the rank of the affine functions that vanish there (the
//! neurons' preactivations under the recorded signs, composed here, and the tight domain rows),
//! which holds because every other sign is strict at the point; no sign vector is listed
//! twice; each listed facet is one dimension down with a sign vector below the face's (so it
//! lies in the face's closure); boundedness follows from the facets; and the identities hold:
//! the diamond property, the Euler relation of the domain, the summary's f-vectors.

use crate::exact::num::{parse_rational, Q};
use crate::network::{Activation, Domain, Network};
use num_traits::{Signed, Zero};
use serde_json::Value;
use std::collections::HashMap;

/// A face as listed.
pub(super) struct Listed {
    /// Where it is listed (`line 7`, `faces[3]`), for messages.
    pub(super) at: String,
    pub(super) dim: usize,
    /// Neuron signs `1`, `0`, `-1`, then domain rows `2` (tight) or `3`.
    pub(super) sign: Vec<i8>,
    pub(super) point: Vec<Q>,
    pub(super) bounded: bool,
    pub(super) boundary: Vec<usize>,
}

/// What the check of a faces answer found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FacesReport {
    /// Faces checked.
    pub faces: usize,
    /// Every failure, one line each (with the stream's line number where it applies).
    pub failures: Vec<String>,
}

/// A face from its JSON object, listed at `place` (`line 7`, `faces[3]`).
pub(super) fn parse_face(v: &Value, place: &str, d: usize) -> Result<(usize, Listed), String> {
    let at = |what: &str| format!("{place}: {what}");
    let int = |k: &str| {
        v.get(k)
            .and_then(Value::as_u64)
            .map(|x| x as usize)
            .ok_or_else(|| at(&format!("`{k}` is not a nonnegative integer")))
    };
    let id = int("id")?;
    let dim = int("dim")?;
    if dim > d {
        return Err(at(&format!("`dim` {dim} exceeds the input dimension {d}")));
    }
    let point: Vec<Q> = v
        .get("point")
        .and_then(Value::as_array)
        .ok_or_else(|| at("`point` is not a list"))?
        .iter()
        .map(|x| {
            x.as_str()
                .and_then(|s| parse_rational(s).ok())
                .ok_or_else(|| at("`point` holds a value that is not an exact rational string"))
        })
        .collect::<Result<_, _>>()?;
    if point.len() != d {
        return Err(at(&format!("`point` has {} coordinates, the network {d} inputs", point.len())));
    }
    let mut sign = Vec::new();
    let layers = v
        .pointer("/sign/neurons")
        .and_then(Value::as_array)
        .ok_or_else(|| at("`sign.neurons` is not a list"))?;
    for s in layers {
        for c in s.as_str().ok_or_else(|| at("`sign.neurons` holds a non-string"))?.chars() {
            sign.push(match c {
                '+' => 1,
                '-' => -1,
                '0' => 0,
                other => return Err(at(&format!("`sign.neurons` has the character {other:?}"))),
            });
        }
    }
    for c in v
        .pointer("/sign/domain")
        .and_then(Value::as_str)
        .ok_or_else(|| at("`sign.domain` is not a string"))?
        .chars()
    {
        sign.push(match c {
            't' => 2,
            '.' => 3,
            other => return Err(at(&format!("`sign.domain` has the character {other:?}"))),
        });
    }
    let bounded =
        v.get("bounded").and_then(Value::as_bool).ok_or_else(|| at("`bounded` is not a boolean"))?;
    let boundary = v
        .get("boundary")
        .and_then(Value::as_array)
        .ok_or_else(|| at("`boundary` is not a list"))?
        .iter()
        .map(|x| x.as_u64().map(|x| x as usize).ok_or_else(|| at("`boundary` holds a non-id")))
        .collect::<Result<_, _>>()?;
    Ok((id, Listed { at: place.to_string(), dim, sign, point, bounded, boundary }))
}

/// The signs at `x` (neurons, then the domain rows as 2 tight, 3 not) and the neurons'
/// preactivations under those signs as affine maps `(a, b)`, composed here.
fn signs_and_forms(net: &Network, rows: &[(Vec<Q>, Q)], x: &[Q]) -> (Vec<i8>, Vec<Vec<Q>>) {
    let d = x.len();
    let mut h = x.to_vec();
    let mut forms: Vec<(Vec<Q>, Q)> = (0..d)
        .map(|i| {
            let mut a = vec![Q::zero(); d];
            a[i] = Q::from_integer(1.into());
            (a, Q::zero())
        })
        .collect();
    let mut signs = Vec::new();
    let mut zero_rows = Vec::new();
    for layer in net.layers() {
        let z = layer.preactivation(&h);
        let zf: Vec<(Vec<Q>, Q)> = layer
            .weights
            .rows()
            .zip(&layer.bias)
            .map(|(row, b)| {
                let mut a = vec![Q::zero(); d];
                let mut c = b.clone();
                for (j, w) in row {
                    for (av, fv) in a.iter_mut().zip(&forms[*j].0) {
                        *av += w * fv;
                    }
                    c += w * &forms[*j].1;
                }
                (a, c)
            })
            .collect();
        if layer.activation == Activation::Relu {
            let s: Vec<i8> = z
                .iter()
                .map(|v| {
                    if v.is_positive() {
                        1
                    } else if v.is_zero() {
                        0
                    } else {
                        -1
                    }
                })
                .collect();
            for (k, f) in zf.iter().enumerate() {
                if s[k] == 0 {
                    zero_rows.push(f.0.clone());
                }
            }
            h = z.iter().zip(&s).map(|(v, &sv)| if sv > 0 { v.clone() } else { Q::zero() }).collect();
            forms = zf
                .into_iter()
                .zip(&s)
                .map(|(f, &sv)| if sv > 0 { f } else { (vec![Q::zero(); d], Q::zero()) })
                .collect();
            signs.extend(s);
        } else {
            h = z;
            forms = zf;
        }
    }
    for (a, b) in rows {
        let slack = b - crate::exact::num::dot(a, x);
        signs.push(if slack.is_zero() { 2 } else { 3 });
        if slack.is_zero() {
            zero_rows.push(a.clone());
        }
    }
    (signs, zero_rows)
}

fn rank(mut m: Vec<Vec<Q>>) -> usize {
    let cols = m.first().map_or(0, Vec::len);
    let mut r = 0;
    for c in 0..cols {
        let Some(p) = (r..m.len()).find(|&i| !m[i][c].is_zero()) else { continue };
        m.swap(r, p);
        let pivot = m[r].clone();
        for row in m.iter_mut().skip(r + 1) {
            if !row[c].is_zero() {
                let f = &row[c] / &pivot[c];
                for (v, pv) in row.iter_mut().zip(&pivot) {
                    *v -= &f * pv;
                }
            }
        }
        r += 1;
    }
    r
}

/// `below` is a face of `above`'s closure: every neuron sign is kept or 0, every tight domain
/// row stays tight.
fn below(g: &[i8], f: &[i8]) -> bool {
    g.iter().zip(f).all(|(&a, &b)| a == b || a == 0 || (a == 2 && b == 3))
}

/// Checks a `faces --jsonl` stream (its lines parsed) against `net`.
///
/// # Examples
/// ```
/// use relu_regions::check::faces::check_faces;
/// use relu_regions::Network;
/// let net = Network::from_json(r#"{"input_dim": 1, "layers": [{"weights": [["1"]], "activation": "relu"}]}"#).unwrap();
/// let good = "{\"id\":0,\"dim\":0,\"sign\":{\"neurons\":[\"0\"],\"domain\":\"\"},\"point\":[\"0\"],\"bounded\":true,\"boundary\":[]}\n\
///   {\"id\":1,\"dim\":1,\"sign\":{\"neurons\":[\"-\"],\"domain\":\"\"},\"point\":[\"-1\"],\"bounded\":false,\"boundary\":[0]}\n\
///   {\"id\":2,\"dim\":1,\"sign\":{\"neurons\":[\"+\"],\"domain\":\"\"},\"point\":[\"1\"],\"bounded\":false,\"boundary\":[0]}\n\
///   {\"summary\":true,\"f_vector\":[1,2],\"f_vector_bounded\":[1,0],\"euler_characteristic\":-1,\"complete\":true}";
/// assert!(check_faces(&net, good).unwrap().failures.is_empty());
/// // a point that is not on the hyperplane
/// let bad = good.replace("\"point\":[\"0\"]", "\"point\":[\"1/2\"]");
/// assert!(!check_faces(&net, &bad).unwrap().failures.is_empty());
/// ```
pub fn check_faces(net: &Network, text: &str) -> Result<FacesReport, String> {
    let d = net.input_dim();
    let mut faces: Vec<Option<Listed>> = Vec::new();
    let mut summary = None;
    for (k, line) in text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
        let v: Value = serde_json::from_str(line).map_err(|e| format!("line {}: {e}", k + 1))?;
        if v.get("summary").is_some() {
            summary = Some(v);
            continue;
        }
        let (id, f) = parse_face(&v, &format!("line {}", k + 1), d)?;
        if id >= faces.len() {
            if id > 100_000_000 {
                return Err(format!("line {}: id {id} is too large", k + 1));
            }
            faces.resize_with(id + 1, || None);
        }
        if faces[id].is_some() {
            return Err(format!("line {}: id {id} is listed twice", k + 1));
        }
        faces[id] = Some(f);
    }
    let summary = summary.ok_or("no summary line (the stream was cut short)")?;
    let faces: Vec<Listed> = faces
        .into_iter()
        .enumerate()
        .map(|(i, f)| f.ok_or(format!("face id {i} is missing (ids must be 0..n)")))
        .collect::<Result<_, _>>()?;
    let mut report = FacesReport { faces: faces.len(), failures: Vec::new() };
    check_listed(net, &faces, &mut report.failures);
    if !report.failures.is_empty() {
        return Ok(report);
    }
    identities(net, &faces, Some(&summary), &mut report.failures);
    Ok(report)
}

/// Each listed face on its own: its point in the domain with exactly its sign vector and
/// dimension, no sign vector twice, its facets one dimension down and in its closure.
pub(super) fn check_listed(net: &Network, faces: &[Listed], failures: &mut Vec<String>) {
    let d = net.input_dim();
    let rows: Vec<(Vec<Q>, Q)> = net.domain().halfspaces(d).into_iter().map(|h| (h.a, h.b)).collect();
    let mut seen: HashMap<&[i8], usize> = HashMap::new();
    for (i, f) in faces.iter().enumerate() {
        let fail = |m: String| format!("{} (face {i}): {m}", f.at);
        if rows.iter().any(|(a, b)| crate::exact::num::dot(a, &f.point) > *b) {
            failures.push(fail("its point is outside the domain".into()));
            continue;
        }
        let (signs, zero) = signs_and_forms(net, &rows, &f.point);
        if signs != f.sign {
            failures.push(fail("its point does not have its sign vector".into()));
            continue;
        }
        if d - rank(zero) != f.dim {
            failures.push(fail(format!(
                "the face of its sign vector has dimension {}, not {}",
                d - rank_of(net, &rows, &f.point),
                f.dim
            )));
        }
        if let Some(j) = seen.insert(&f.sign, i) {
            failures.push(fail(format!("face {j} has the same sign vector")));
        }
        for &g in &f.boundary {
            match faces.get(g) {
                None => failures.push(fail(format!("its facet {g} is not listed"))),
                Some(h) if h.dim + 1 != f.dim || !below(&h.sign, &f.sign) => {
                    failures.push(fail(format!("face {g} is not a facet of it (dimension or signs)")))
                }
                _ => {}
            }
        }
    }
}

fn rank_of(net: &Network, rows: &[(Vec<Q>, Q)], x: &[Q]) -> usize {
    rank(signs_and_forms(net, rows, x).1)
}

/// Boundedness from the facets, the diamond property, the Euler relation and the summary's
/// f-vectors (when there is a summary).
pub(super) fn identities(
    net: &Network,
    faces: &[Listed],
    summary: Option<&Value>,
    failures: &mut Vec<String>,
) {
    let d = net.input_dim();
    let mut order: Vec<usize> = (0..faces.len()).collect();
    order.sort_by_key(|&i| faces[i].dim);
    let mut bounded = vec![false; faces.len()];
    for &i in &order {
        let f = &faces[i];
        bounded[i] = match f.dim {
            0 => true,
            1 => f.boundary.len() == 2,
            _ => !f.boundary.is_empty() && f.boundary.iter().all(|&b| bounded[b]),
        };
        if bounded[i] != f.bounded {
            failures.push(format!("face {i}: `bounded` is {}, its facets say {}", f.bounded, bounded[i]));
        }
    }
    for (i, f) in faces.iter().enumerate().filter(|(_, f)| f.dim >= 2) {
        let mut count: HashMap<usize, u32> = HashMap::new();
        for &g in &f.boundary {
            for &h in &faces[g].boundary {
                *count.entry(h).or_default() += 1;
            }
        }
        if let Some((h, n)) = count.iter().find(|(_, &n)| n != 2) {
            failures.push(format!("face {i}: the diamond property fails (face {h} in {n} of its facets)"));
        }
    }
    let mut f = vec![0u64; d + 1];
    let mut fb = vec![0u64; d + 1];
    for x in faces {
        f[x.dim] += 1;
        if x.bounded {
            fb[x.dim] += 1;
        }
    }
    let chi: i64 = f.iter().enumerate().map(|(k, &v)| if k % 2 == 0 { v as i64 } else { -(v as i64) }).sum();
    let expected = match net.domain() {
        Domain::Whole => Some(if d % 2 == 0 { 1 } else { -1 }),
        Domain::Box(_) => Some(1),
        Domain::Polytope { .. } => None,
    };
    if let Some(e) = expected.filter(|&e| e != chi) {
        failures.push(format!("sum (-1)^k f_k = {chi}, the domain's Euler characteristic is {e}"));
    }
    let Some(summary) = summary else { return };
    let listed = |k: &str| {
        summary.get(k).and_then(Value::as_array).map(|a| a.iter().map(Value::as_u64).collect::<Vec<_>>())
    };
    if listed("f_vector") != Some(f.iter().map(|&v| Some(v)).collect()) {
        failures.push(format!("the summary's `f_vector` is not the count of the faces listed, {f:?}"));
    }
    if listed("f_vector_bounded") != Some(fb.iter().map(|&v| Some(v)).collect()) {
        failures
            .push(format!("the summary's `f_vector_bounded` is not the count of the bounded faces, {fb:?}"));
    }
    if summary.get("euler_characteristic").and_then(Value::as_i64) != Some(chi) {
        failures.push(format!("the summary's `euler_characteristic` is not {chi}"));
    }
    if summary.get("complete").and_then(Value::as_bool) != Some(true) {
        failures.push("the summary does not say `complete`: true".into());
    }
}
