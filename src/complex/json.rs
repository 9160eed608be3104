//! The wire forms of the complex: the `faces` document (f-vectors and their identities), one
//! JSON line per face, and the `boundary` document. Rationals are strings `"p/q"` or integers,
//! as in every other output.

use super::faces::{Complex, Face};
use super::level::{Betti, Boundary, LevelSpec};
use super::sign::sign_strings;
use crate::exact::num::{fmt_q, Q};
use serde_json::{json, Value};

fn point(x: &[Q]) -> Value {
    Value::Array(x.iter().map(|v| Value::String(fmt_q(v))).collect())
}

/// The `faces --json` document (without provenance, which the caller adds).
///
/// # Examples
/// ```
/// use relu_regions::{complex::{complex, json::faces_document}, Enumerator, Network};
/// let net = Network::from_json(r#"{"input_dim": 1, "layers": [{"weights": [["1"]], "activation": "relu"}]}"#).unwrap();
/// let doc = faces_document(&complex(&net, &Enumerator::builder().build()).unwrap());
/// assert_eq!(doc["f_vector"], serde_json::json!([1, 2]));
/// assert_eq!(doc["euler_characteristic"], -1);
/// ```
pub fn faces_document(c: &Complex) -> Value {
    f_vectors_document(c.input_dim, c.f_vector(), c.f_vector_bounded(), c.euler_characteristic())
}

/// The `faces --json` document of a complex given by its f-vectors (held or compact,
/// [`super::spilled`]): `f_vector[input_dim]` is the number of regions.
pub(crate) fn f_vectors_document(
    input_dim: usize,
    f_vector: Vec<usize>,
    f_vector_bounded: Vec<usize>,
    euler_characteristic: i64,
) -> Value {
    let regions = f_vector[input_dim];
    json!({
        "input_dim": input_dim,
        "f_vector": f_vector,
        "f_vector_bounded": f_vector_bounded,
        "euler_characteristic": euler_characteristic,
        "regions": regions,
        "complete": true,
    })
}

/// One face as a JSON line of `faces --jsonl`.
///
/// See the example on [`faces_document`]; `faces --jsonl` writes one of these per face.
pub fn face_line(c: &Complex, f: &Face) -> Value {
    let (neurons, domain) = sign_strings(&f.sign, &c.widths);
    json!({
        "id": f.id,
        "dim": f.dim,
        "sign": {"neurons": neurons, "domain": domain},
        "point": point(&f.point.to_vec()),
        "bounded": f.bounded,
        "boundary": f.boundary,
    })
}

fn betti(b: &Betti) -> Value {
    let q = |r: &Option<crate::complex::rational::Rational>| match r {
        Some(r) => json!({"betti": r.betti, "two_torsion": r.two_torsion}),
        None => Value::Null,
    };
    json!({"set": b.set, "borel_moore": b.borel_moore, "one_point": b.one_point,
        "rational": {"set": q(&b.rational[0]), "borel_moore": q(&b.rational[1]), "one_point": q(&b.rational[2])}})
}

/// In 2-D, the bounded edges of the boundary set as pairs of exact endpoints (what a plot
/// draws); empty in other dimensions.
fn segments(b: &Boundary) -> Vec<Value> {
    let c = &b.complex;
    if c.input_dim != 2 {
        return Vec::new();
    }
    b.cells
        .iter()
        .map(|&i| &c.faces[i])
        .filter(|f| f.dim == 1 && f.boundary.len() == 2)
        .map(|f| {
            json!([
                point(&c.faces[f.boundary[0]].point.to_vec()),
                point(&c.faces[f.boundary[1]].point.to_vec())
            ])
        })
        .collect()
}

/// The `boundary --json` document (without provenance).
///
/// See the example on [`crate::complex::boundary`] for the figures it lists.
pub fn boundary_document(b: &Boundary) -> Value {
    let c = &b.complex;
    let cell = |i: usize| {
        let f = &c.faces[i];
        json!({"id": f.id, "dim": f.dim, "point": point(&f.point.to_vec()), "bounded": f.bounded})
    };
    let what = match &b.spec {
        LevelSpec::Level { output, level } => json!({"output": output, "level": fmt_q(level)}),
        LevelSpec::Classes => json!({"classes": true}),
    };
    json!({
        "input_dim": c.input_dim,
        "boundary": what,
        "cells": b.top_cells.iter().map(|&i| cell(i)).collect::<Vec<_>>(),
        "f_vector": b.f_vector,
        "euler_characteristic": b.euler_characteristic,
        "betti": betti(&b.betti),
        "full_dimensional_regions": b.full_dimensional.iter().map(|&i| cell(i)).collect::<Vec<_>>(),
        "components": b.decision.iter().map(|r| json!({
            "region": r.name,
            "betti": betti(&r.betti),
            "components": r.components.iter().map(|k| json!({
                "point": point(&k.point), "dim": k.dim, "regions": k.regions})).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
        "truncation_box": b.truncation.as_ref().map(fmt_q),
        "segments": segments(b),
        "complex_f_vector": c.f_vector(),
        "faces": c.faces.iter().map(|f| face_line(c, f)).collect::<Vec<_>>(),
        "complete": true,
    })
}
