//! The boundary set and the decision regions of a `boundary --json` document, recomputed from
//! its verified faces ([`super::boundary`]): cells, f-vector, Betti numbers over GF(2) under the
//! three conventions (a boundary-matrix reduction of its own), the Betti numbers over Q and the
//! 2-torsion recomputed ([`super::boundary_rational`]) with their identities, components.

use super::faces::Listed;
use crate::exact::num::{fmt_q, Q};
use crate::network::{Activation, Network};
use num_traits::{Signed, Zero};
use serde_json::{json, Value};
use std::collections::HashMap;

/// How a point of the boundary set is recognised.
pub(super) enum OnSet {
    /// `y_k = c`.
    Level(usize, Q),
    /// Two outputs or more reach the maximum.
    Ties,
}

/// The outputs of `net` at `x`, exactly.
fn outputs(net: &Network, x: &[Q]) -> Vec<Q> {
    let mut h = x.to_vec();
    for layer in net.layers() {
        let z = layer.preactivation(&h);
        h = if layer.activation == Activation::Relu {
            z.into_iter().map(|v| if v.is_positive() { v } else { Q::zero() }).collect()
        } else {
            z
        };
    }
    h
}

fn on_set(net: &Network, on: &OnSet, x: &[Q]) -> bool {
    let y = outputs(net, x);
    match on {
        OnSet::Level(k, c) => y[*k] == *c,
        OnSet::Ties => {
            let max = y.iter().max().expect("two outputs at least");
            y.iter().filter(|v| *v == max).count() >= 2
        }
    }
}

/// Betti numbers over GF(2) of the cells `keep` (each with its kept facets), with a point at
/// infinity in the boundary of every kept 1-cell with one vertex (`one_point`), of length
/// `max(top, highest dimension) + 1`, and the ranks of the boundary matrices (entry `k`:
/// `rank ∂_k`, entries `0` and `max + 1` zero).
fn gf2(faces: &[Listed], keep: &[bool], top: usize, one_point: bool) -> (Vec<usize>, Vec<usize>) {
    let max_dim = faces.iter().zip(keep).filter(|(_, &k)| k).map(|(f, _)| f.dim).max().unwrap_or(0).max(top);
    // cells renumbered per dimension; the point at infinity is the last 0-cell
    let mut local = vec![0usize; faces.len()];
    let mut count = vec![0usize; max_dim + 2];
    for (i, f) in faces.iter().enumerate().filter(|(i, _)| keep[*i]) {
        local[i] = count[f.dim];
        count[f.dim] += 1;
    }
    let infinity = count[0];
    if one_point {
        count[0] += 1;
    }
    let mut rank = vec![0usize; max_dim + 2];
    for (k, rank_k) in rank.iter_mut().enumerate().take(max_dim + 1).skip(1) {
        let mut pivots: HashMap<usize, Vec<usize>> = HashMap::new();
        for (_, f) in faces.iter().enumerate().filter(|(i, f)| keep[*i] && f.dim == k) {
            let mut col: Vec<usize> = f.boundary.iter().filter(|&&b| keep[b]).map(|&b| local[b]).collect();
            if one_point && k == 1 && col.len() == 1 {
                col.push(infinity);
            }
            col.sort_unstable();
            while let Some(&low) = col.last() {
                match pivots.get(&low) {
                    Some(p) => col = xor(&col, p),
                    None => break,
                }
            }
            if let Some(&low) = col.last() {
                pivots.insert(low, col);
                *rank_k += 1;
            }
        }
    }
    ((0..=max_dim).map(|k| count[k] - rank[k] - rank[k + 1]).collect(), rank)
}

/// The symmetric difference of two sorted lists.
fn xor(a: &[usize], b: &[usize]) -> Vec<usize> {
    let (mut i, mut j, mut out) = (0, 0, Vec::with_capacity(a.len() + b.len()));
    while i < a.len() || j < b.len() {
        if j == b.len() || (i < a.len() && a[i] < b[j]) {
            out.push(a[i]);
            i += 1;
        } else if i == a.len() || b[j] < a[i] {
            out.push(b[j]);
            j += 1;
        } else {
            i += 1;
            j += 1;
        }
    }
    out
}

fn euler(b: &[usize]) -> i64 {
    b.iter().enumerate().map(|(k, &v)| if k % 2 == 0 { v as i64 } else { -(v as i64) }).sum()
}

fn as_list(v: &Value) -> Option<Vec<usize>> {
    v.as_array()?.iter().map(|x| x.as_u64().map(|x| x as usize)).collect()
}

/// The three conventions of the closed set `mask`, compared with `listed` (a `betti` object)
/// under the field name `field`: over GF(2), then over Q with the 2-torsion
/// ([`super::boundary_rational`]).
fn check_betti(
    faces: &[Listed],
    mask: &[bool],
    top: usize,
    listed: &Value,
    field: &str,
    report: &mut super::boundary::BoundaryReport,
) {
    let unbounded = faces.iter().zip(mask).any(|(f, &m)| m && !f.bounded);
    let pointed = faces.iter().all(|f| f.dim == 0 || !f.boundary.is_empty());
    let bounded: Vec<bool> = faces.iter().zip(mask).map(|(f, &m)| m && f.bounded).collect();
    // each convention: its cells and whether the point at infinity is added
    let mut conventions: Vec<(&str, &[bool], bool)> = Vec::new();
    if !unbounded {
        conventions.push(("set", mask, false));
    } else if pointed {
        conventions.push(("set", &bounded, false));
    } else {
        check_set_with_lines(faces, mask, top, listed, field, report);
    }
    conventions.push(("borel_moore", mask, false));
    conventions.push(("one_point", mask, unbounded));
    let cells: i64 =
        faces.iter().zip(mask).filter(|(_, &m)| m).map(|(f, _)| if f.dim % 2 == 0 { 1 } else { -1 }).sum();
    for (name, keep, one_point) in conventions {
        let (b, rank_gf2) = gf2(faces, keep, top, one_point);
        if name == "borel_moore" && euler(&b) != cells {
            report.failures.push(format!("`{field}`: internal: the Euler characteristic of the cells is not that of the Borel-Moore numbers"));
        }
        if as_list(&listed[name]).as_ref() != Some(&b) {
            report
                .failures
                .push(format!("`{field}.{name}` is {}, the verified cells give {b:?}", listed[name]));
        }
        check_rational(
            faces,
            (keep, top, one_point),
            (&b, &rank_gf2),
            &listed["rational"][name],
            &format!("{field}.rational.{name}"),
            report,
        );
    }
}

/// The `set` convention when a face of the complex holds a line: the homology of the order
/// complex of the set's faces ([`super::boundary_order`]), over GF(2) and Q.
fn check_set_with_lines(
    faces: &[Listed],
    mask: &[bool],
    top: usize,
    listed: &Value,
    field: &str,
    report: &mut super::boundary::BoundaryReport,
) {
    let Some((b, r)) = super::boundary_order::order_complex_betti(faces, mask, top) else {
        report.notes.push(format!(
            "`{field}.set` and `{field}.rational.set`: not checked (a face of the complex holds a line, and the order complex of the set's faces has more than {} chains; docs/algorithm.md)",
            super::boundary_order::MAX_CHAINS
        ));
        return;
    };
    if as_list(&listed["set"]).as_ref() != Some(&b) {
        report.failures.push(format!("`{field}.set` is {}, the verified cells give {b:?}", listed["set"]));
    }
    let q = &listed["rational"]["set"];
    for (key, want) in [("betti", &r.betti), ("two_torsion", &r.two_torsion)] {
        if as_list(&q[key]).as_ref() != Some(want) {
            report.failures.push(format!(
                "`{field}.rational.set.{key}` is {}, the verified cells give {want:?}",
                q[key]
            ));
        }
    }
}

/// One convention over Q: the Betti numbers and the 2-torsion recomputed from the cells
/// `keep` and compared with `listed` (`null` when the poset does not fix the incidence
/// numbers); the identities `b_k(GF(2)) = b_k(Q) + t_k + t_(k-1)` and the Euler
/// characteristic; a torsion found is a note.
fn check_rational(
    faces: &[Listed],
    (keep, top, one_point): (&[bool], usize, bool),
    (gf2, rank_gf2): (&[usize], &[usize]),
    listed: &Value,
    field: &str,
    report: &mut super::boundary::BoundaryReport,
) {
    let computed = match super::boundary_rational::rational_betti(faces, keep, top, one_point, rank_gf2) {
        Ok(c) => c,
        Err(e) => {
            report.failures.push(format!("`{field}`: internal: {e}"));
            return;
        }
    };
    let Some(r) = computed else {
        if !listed.is_null() {
            report.failures.push(format!(
                "`{field}` is {listed}, but the face poset does not fix the incidence numbers of these cells: it must be null"
            ));
        }
        return;
    };
    if listed.is_null() {
        report.failures.push(format!(
            "`{field}` is null, but the face poset fixes the incidence numbers: the verified cells give betti {:?}, two_torsion {:?}",
            r.betti, r.two_torsion
        ));
        return;
    }
    for (key, want) in [("betti", &r.betti), ("two_torsion", &r.two_torsion)] {
        if as_list(&listed[key]).as_ref() != Some(want) {
            report
                .failures
                .push(format!("`{field}.{key}` is {}, the verified cells give {want:?}", listed[key]));
        }
    }
    let (bq, t) = (&r.betti, &r.two_torsion);
    let identity = bq.len() == gf2.len()
        && (0..gf2.len()).all(|k| gf2[k] == bq[k] + t[k] + if k > 0 { t[k - 1] } else { 0 })
        && euler(bq) == euler(gf2);
    if !identity {
        report.failures.push(format!(
            "`{field}`: internal: b_k(GF(2)) = b_k(Q) + t_k + t_(k-1) or the Euler characteristic fails against {gf2:?}"
        ));
    }
    if t.iter().any(|&x| x > 0) {
        report.notes.push(format!(
            "`{field}`: 2-torsion over the integers (checked): {t:?} cyclic summands of even order in H_0, H_1, ..."
        ));
    }
}

/// The boundary set: its points on the set, `cells`, `full_dimensional_regions`, `f_vector`,
/// `euler_characteristic`, `complex_f_vector`, `betti`, `truncation_box`.
pub(super) fn check_set(
    net: &Network,
    on: &OnSet,
    faces: &[Listed],
    mask: &[bool],
    doc: &Value,
    report: &mut super::boundary::BoundaryReport,
) {
    let d = net.input_dim();
    for (i, f) in faces.iter().enumerate().filter(|(i, _)| mask[*i]) {
        if !on_set(net, on, &f.point) {
            report.failures.push(format!("`faces[{i}].point` is not on the boundary set"));
        }
    }
    let mut covered = vec![false; faces.len()];
    faces
        .iter()
        .enumerate()
        .filter(|(i, _)| mask[*i])
        .for_each(|(_, f)| f.boundary.iter().for_each(|&b| covered[b] = true));
    let cell = |i: usize| json!({"id": i, "dim": faces[i].dim, "point": faces[i].point.iter().map(fmt_q).collect::<Vec<_>>(), "bounded": faces[i].bounded});
    let top: Vec<Value> = (0..faces.len()).filter(|&i| mask[i] && !covered[i]).map(cell).collect();
    if doc["cells"] != Value::Array(top) {
        report
            .failures
            .push("`cells` are not the maximal cells of the boundary set of the verified faces".into());
    }
    let full: Vec<Value> = (0..faces.len()).filter(|&i| mask[i] && faces[i].dim == d).map(cell).collect();
    if doc["full_dimensional_regions"] != Value::Array(full) {
        report.failures.push("`full_dimensional_regions` are not the regions in the boundary set".into());
    }
    let mut f = vec![0usize; d + 1];
    let mut all = vec![0usize; d + 1];
    for (x, &m) in faces.iter().zip(mask) {
        all[x.dim] += 1;
        if m {
            f[x.dim] += 1;
        }
    }
    if as_list(&doc["f_vector"]) != Some(f.clone()) {
        report.failures.push(format!("`f_vector` is {}, the verified cells give {f:?}", doc["f_vector"]));
    }
    if as_list(&doc["complex_f_vector"]) != Some(all.clone()) {
        report.failures.push(format!(
            "`complex_f_vector` is {}, the faces listed give {all:?}",
            doc["complex_f_vector"]
        ));
    }
    let chi = euler(&f);
    if doc["euler_characteristic"].as_i64() != Some(chi) {
        report.failures.push(format!(
            "`euler_characteristic` is {}, the f-vector gives {chi}",
            doc["euler_characteristic"]
        ));
    }
    let top_dim = if f[d] > 0 { d } else { d.saturating_sub(1) };
    check_betti(faces, mask, top_dim, &doc["betti"], "betti", report);
    // the truncation box holds every vertex strictly inside; there is one when a face is unbounded
    match (&doc["truncation_box"], faces.iter().any(|f| !f.bounded)) {
        (Value::Null, false) => {}
        (Value::String(s), true) => match crate::exact::num::parse_rational(s) {
            Ok(r) if faces.iter().filter(|f| f.dim == 0).all(|v| v.point.iter().all(|x| x.abs() < r)) => {}
            _ => report
                .failures
                .push(format!("`truncation_box` {s} does not hold every vertex strictly inside")),
        },
        (other, unbounded) => report.failures.push(format!(
            "`truncation_box` is {other}, but {} face is unbounded",
            if unbounded { "a" } else { "no" }
        )),
    }
}

/// One decision region (`entry` of `components`): its Betti numbers and components.
pub(super) fn check_region(
    net: &Network,
    name: &str,
    faces: &[Listed],
    mask: &[bool],
    entry: &Value,
    report: &mut super::boundary::BoundaryReport,
) {
    let d = net.input_dim();
    let field = format!("components[{name}]");
    check_betti(faces, mask, d, &entry["betti"], &format!("{field}.betti"), report);
    // components: union-find over the incidences within the region
    let mut parent: Vec<usize> = (0..faces.len()).collect();
    fn find(p: &mut [usize], mut x: usize) -> usize {
        while p[x] != x {
            p[x] = p[p[x]];
            x = p[x];
        }
        x
    }
    for (i, f) in faces.iter().enumerate().filter(|(i, _)| mask[*i]) {
        for &b in f.boundary.iter().filter(|&&b| mask[b]) {
            let (x, y) = (find(&mut parent, i), find(&mut parent, b));
            if x != y {
                parent[x.max(y)] = x.min(y);
            }
        }
    }
    let mut regions: HashMap<usize, usize> = HashMap::new();
    for i in (0..faces.len()).filter(|&i| mask[i]) {
        let r = find(&mut parent, i);
        *regions.entry(r).or_default() += usize::from(faces[i].dim == d);
    }
    let Some(listed) = entry["components"].as_array() else {
        report.failures.push(format!("`{field}.components` is not a list"));
        return;
    };
    if listed.len() != regions.len() {
        report.failures.push(format!(
            "`{field}.components` lists {}, the verified cells have {}",
            listed.len(),
            regions.len()
        ));
        return;
    }
    let mut used = std::collections::HashSet::new();
    for (k, c) in listed.iter().enumerate() {
        let point: Option<Vec<Q>> = c["point"].as_array().and_then(|p| {
            p.iter().map(|x| x.as_str().and_then(|s| crate::exact::num::parse_rational(s).ok())).collect()
        });
        // the component's point is the point of one of its cells, of its dimension
        let at = point.and_then(|p| {
            (0..faces.len())
                .find(|&i| mask[i] && faces[i].point == p && Some(faces[i].dim as u64) == c["dim"].as_u64())
        });
        let Some(i) = at else {
            report
                .failures
                .push(format!("`{field}.components[{k}].point` is not the point of a cell of the region"));
            continue;
        };
        let root = find(&mut parent, i);
        if !used.insert(root) {
            report.failures.push(format!("`{field}.components[{k}]` is in the same component as another"));
        }
        if c["regions"].as_u64() != Some(regions[&root] as u64) {
            report.failures.push(format!(
                "`{field}.components[{k}].regions` is not its number of d-dimensional cells, {}",
                regions[&root]
            ));
        }
        if faces
            .iter()
            .enumerate()
            .any(|(j, f)| mask[j] && find(&mut parent, j) == root && f.dim > faces[i].dim)
        {
            report.failures.push(format!("`{field}.components[{k}].dim` is not its highest dimension"));
        }
    }
}
