//! The checker of a `boundary --json` document, independent of the prover (no `complex`,
//! `enumerate` or `certify`): from the network and the document alone, in exact arithmetic.
//!
//! The document lists every face of the complex of the augmented network (the network with
//! the boundary's neurons `y_k - c`, or `y_i - y_j` for `i < j`, as a last ReLU layer, built
//! here again) in `faces`; each is checked as `check --faces` checks a face (point, sign vector,
//! dimension, facets, boundedness, diamond property, Euler relation). From the verified faces
//! alone the checker then derives the boundary set (the faces whose added neuron is `0`, or
//! where two outputs tie for the maximum), checks each of its points exactly on the set, and
//! recomputes and compares `cells` (the maximal ones), `full_dimensional_regions`, `f_vector`,
//! `euler_characteristic`, `complex_f_vector`, the Betti numbers over GF(2) under the three
//! conventions (its own boundary-matrix reduction; `set` on the bounded faces when every face
//! is pointed, the convention of docs/algorithm.md; on the order complex of the set's faces
//! when a face holds a line), the Euler characteristic from them, the Betti numbers over Q and
//! the 2-torsion recomputed (`boundary_rational`) with their identities (`b_k(GF(2)) = b_k(Q) +
//! t_k + t_(k-1)`, the Euler characteristic), the decision regions' Betti numbers and their
//! components (count, points, cells per component), and the truncation box (every vertex
//! strictly inside).

use super::faces::{check_listed, identities, parse_face, Listed};
use crate::exact::num::{fmt_q, parse_rational, Q};
use crate::network::{Activation, Layer, Network, Weights};
use num_traits::Zero;
use serde_json::{json, Value};

/// What the check of a boundary document found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BoundaryReport {
    /// Faces of the augmented complex checked.
    pub faces: usize,
    /// Cells of the boundary set.
    pub cells: usize,
    /// Every failure, one line each, naming the field.
    pub failures: Vec<String>,
    /// What could not be checked, and why.
    pub notes: Vec<String>,
}

/// The boundary asked for.
enum Spec {
    Level(usize, Q),
    Classes(usize),
}

fn augmented(net: &Network, spec: &Spec) -> Result<Network, String> {
    let m = net.output_dim();
    let row = |i: usize, j: Option<usize>| {
        let mut r = vec![Q::zero(); m];
        r[i] = Q::from_integer(1.into());
        if let Some(j) = j {
            r[j] = Q::from_integer((-1).into());
        }
        r
    };
    let (rows, bias): (Vec<Vec<Q>>, Vec<Q>) = match spec {
        Spec::Level(k, _) if *k >= m => {
            return Err(format!("`boundary.output` {k}: the network has {m} outputs"))
        }
        Spec::Level(k, c) => (vec![row(*k, None)], vec![-c.clone()]),
        Spec::Classes(_) if m < 2 => return Err("`boundary.classes`: the network has one output".into()),
        Spec::Classes(_) => {
            let rows: Vec<Vec<Q>> =
                (0..m).flat_map(|i| (i + 1..m).map(move |j| (i, j))).map(|(i, j)| row(i, Some(j))).collect();
            let n = rows.len();
            (rows, vec![Q::zero(); n])
        }
    };
    let mut layers = net.layers().to_vec();
    layers.push(Layer { weights: Weights::from_dense_rows(rows), bias, activation: Activation::Relu });
    Network::new(net.input_dim(), layers, net.domain().clone()).map_err(|e| e.to_string())
}

/// The sets of the document, by the signs `s` of the added neurons: the boundary itself, then
/// each decision region with its name.
type Member = Box<dyn Fn(&[i8]) -> bool>;

fn members(spec: &Spec) -> (Member, Vec<(String, Member)>) {
    match spec {
        Spec::Level(k, c) => {
            let c = fmt_q(c);
            (
                Box::new(|s: &[i8]| s[0] == 0),
                vec![
                    (format!("y_{k} >= {c}"), Box::new(|s: &[i8]| s[0] >= 0) as Member),
                    (format!("y_{k} <= {c}"), Box::new(|s: &[i8]| s[0] <= 0) as Member),
                ],
            )
        }
        &Spec::Classes(m) => {
            // the sign of y_i - y_j for i != j, from the pairs i < j in order
            let diff = move |s: &[i8], i: usize, j: usize| {
                let (a, b) = (i.min(j), i.max(j));
                let v = s[a * m - a * (a + 1) / 2 + (b - a - 1)];
                if i < j {
                    v
                } else {
                    -v
                }
            };
            let top = move |s: &[i8], i: usize| (0..m).filter(|&j| j != i).all(|j| diff(s, i, j) >= 0);
            let ties = Box::new(move |s: &[i8]| (0..m).filter(|&i| top(s, i)).count() >= 2) as Member;
            let regions = (0..m)
                .map(|i| (format!("argmax = {i}"), Box::new(move |s: &[i8]| top(s, i)) as Member))
                .collect();
            (ties, regions)
        }
    }
}

/// Checks a `boundary --json` document against `net`.
///
/// # Examples
/// ```
/// use relu_regions::{check::boundary::check_boundary, complex::LevelSpec, exact::num::q, jobs, Enumerator, Network};
/// // |x| + |y| = 1 on R^2: a loop
/// let net = Network::from_json(r#"{"input_dim": 2, "layers": [
///     {"weights": [["1", "0"], ["-1", "0"], ["0", "1"], ["0", "-1"]], "activation": "relu"},
///     {"weights": [["1", "1", "1", "1"]], "bias": ["-1"], "activation": "linear"}]}"#).unwrap();
/// let spec = LevelSpec::Level { output: 0, level: q(0) };
/// let doc = jobs::boundary(&net, &spec, &Enumerator::builder().build()).unwrap().document(None);
/// assert!(check_boundary(&net, &doc.to_string()).unwrap().failures.is_empty());
/// // a Betti number changed
/// let mut bad = doc.clone();
/// bad["betti"]["set"][1] = 2.into();
/// let report = check_boundary(&net, &bad.to_string()).unwrap();
/// assert!(report.failures.iter().any(|f| f.contains("`betti.set`")));
/// ```
///
/// # Errors
/// The document is not a boundary document (a field missing or malformed).
pub fn check_boundary(net: &Network, text: &str) -> Result<BoundaryReport, String> {
    let doc: Value = serde_json::from_str(text).map_err(|e| format!("not JSON: {e}"))?;
    let d = net.input_dim();
    let spec = match (
        doc.pointer("/boundary/output"),
        doc.pointer("/boundary/level"),
        doc.pointer("/boundary/classes"),
    ) {
        (Some(k), Some(c), None) => Spec::Level(
            k.as_u64().ok_or("`boundary.output` is not a nonnegative integer")? as usize,
            c.as_str()
                .and_then(|s| parse_rational(s).ok())
                .ok_or("`boundary.level` is not an exact rational string")?,
        ),
        (None, None, Some(Value::Bool(true))) => Spec::Classes(net.output_dim()),
        _ => return Err("`boundary` is neither {output, level} nor {classes: true}".into()),
    };
    let aug = augmented(net, &spec)?;
    let listed = doc.get("faces").and_then(Value::as_array).ok_or("`faces` is not a list")?;
    let mut faces: Vec<Listed> = Vec::with_capacity(listed.len());
    for (i, v) in listed.iter().enumerate() {
        let (id, f) = parse_face(v, &format!("faces[{i}]"), d)?;
        if id != i {
            return Err(format!("faces[{i}]: `id` is {id}, ids must be 0..n in order"));
        }
        faces.push(f);
    }
    let mut report = BoundaryReport { faces: faces.len(), ..BoundaryReport::default() };
    check_listed(&aug, &faces, &mut report.failures);
    if report.failures.is_empty() {
        identities(&aug, &faces, None, &mut report.failures);
    }
    if !report.failures.is_empty() {
        report.failures.iter_mut().for_each(|f| *f = format!("`faces`: {f}"));
        return Ok(report);
    }
    let added = aug.layers().last().map_or(0, |l| l.width());
    let domain_rows = net.domain().halfspaces(d).len();
    let signs = |f: &Listed| f.sign[f.sign.len() - domain_rows - added..f.sign.len() - domain_rows].to_vec();
    let (in_set, regions) = members(&spec);
    let mask: Vec<bool> = faces.iter().map(|f| in_set(&signs(f))).collect();
    report.cells = mask.iter().filter(|&&m| m).count();
    super::boundary_sets::check_set(net, &spec_on(&spec), &faces, &mask, &doc, &mut report);
    let names: Vec<Value> = regions.iter().map(|(n, _)| json!(n)).collect();
    let listed_regions = doc.get("components").and_then(Value::as_array).cloned().unwrap_or_default();
    if listed_regions.iter().map(|r| r["region"].clone()).collect::<Vec<_>>() != names {
        report.failures.push(format!("`components`: the decision regions are not {names:?}"));
        return Ok(report);
    }
    for ((name, member), entry) in regions.iter().zip(&listed_regions) {
        let m: Vec<bool> = faces.iter().map(|f| member(&signs(f))).collect();
        super::boundary_sets::check_region(net, name, &faces, &m, entry, &mut report);
    }
    Ok(report)
}

/// What `check_set` needs of the spec: the point test.
fn spec_on(spec: &Spec) -> super::boundary_sets::OnSet {
    match spec {
        Spec::Level(k, c) => super::boundary_sets::OnSet::Level(*k, c.clone()),
        Spec::Classes(_) => super::boundary_sets::OnSet::Ties,
    }
}
