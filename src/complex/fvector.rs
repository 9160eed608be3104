//! The f-vector's self-checks: the Euler relation of the domain (`sum (-1)^k f_k` is 1 on a
//! box or a bounded polytope, `(-1)^d` on all of R^d, 0 on an unbounded pointed polytope: the
//! Euler characteristic with compact supports, additive over open cells), every facet one
//! dimension down, and the diamond property (each (k-2)-face below a k-face lies in exactly
//! two of its (k-1)-faces). Boundedness is derived from the incidences.

use super::faces::{Complex, Face};
use super::ComplexError;
use crate::network::{Domain, Network};
use std::collections::HashMap;

/// Sets `bounded` for every face, bottom up: a point is bounded; an edge when it has two
/// vertices; a face of dimension 2 or more when it has facets and all are bounded (the
/// boundary of an unbounded convex set of dimension 2 or more is unbounded).
pub(crate) fn derive_bounded(faces: &mut [Face]) {
    // faces are sorted by dimension: the facets of a face come before it
    for i in 0..faces.len() {
        let bounded = match faces[i].dim {
            0 => true,
            1 => faces[i].boundary.len() == 2,
            _ => !faces[i].boundary.is_empty() && faces[i].boundary.iter().all(|&b| faces[b].bounded),
        };
        faces[i].bounded = bounded;
    }
}

/// The Euler characteristic with compact supports of the domain, when known.
pub(crate) fn domain_euler(net: &Network) -> Result<Option<i64>, ComplexError> {
    let d = net.input_dim();
    Ok(match net.domain() {
        Domain::Whole => Some(if d % 2 == 0 { 1 } else { -1 }),
        Domain::Box(_) => Some(1),
        Domain::Polytope { .. } => {
            let rows = net.domain().halfspaces(d);
            let refs: Vec<_> = rows.iter().collect();
            if crate::certify::is_bounded(&refs, d, crate::kernel::Filter::Off)? {
                Some(1)
            } else if rank(&rows.iter().map(|h| h.a.clone()).collect::<Vec<_>>()) == d {
                Some(0) // pointed and unbounded
            } else {
                None
            }
        }
    })
}

/// The rank of a rational matrix (exact elimination).
pub(crate) fn rank(rows: &[Vec<crate::exact::num::Q>]) -> usize {
    use num_traits::Zero;
    let mut m: Vec<Vec<crate::exact::num::Q>> = rows.to_vec();
    let cols = m.first().map_or(0, Vec::len);
    let mut r = 0;
    for c in 0..cols {
        let Some(p) = (r..m.len()).find(|&i| !m[i][c].is_zero()) else { continue };
        m.swap(r, p);
        for i in 0..m.len() {
            if i != r && !m[i][c].is_zero() {
                let f = &m[i][c] / &m[r][c];
                let pivot = m[r].clone();
                for (v, pv) in m[i].iter_mut().zip(&pivot) {
                    *v -= &f * pv;
                }
            }
        }
        r += 1;
    }
    r
}

/// Every identity of the complex; a failure is an internal error naming it.
pub(crate) fn check(c: &Complex, net: &Network) -> Result<(), ComplexError> {
    for f in &c.faces {
        if f.boundary.iter().any(|&b| c.faces[b].dim + 1 != f.dim) {
            return Err(ComplexError::identity(format!("face {} has a facet of another dimension", f.id)));
        }
    }
    diamonds(&c.faces)?;
    euler_holds(c.euler_characteristic(), || c.f_vector(), net)
}

/// Euler's identity: `chi = sum (-1)^k f_k` is the domain's (where it has one); the f-vector
/// is asked only to name a failure.
pub(super) fn euler_holds(
    chi: i64,
    f_vector: impl FnOnce() -> Vec<usize>,
    net: &Network,
) -> Result<(), ComplexError> {
    match domain_euler(net)? {
        Some(expected) if chi != expected => Err(ComplexError::identity(format!(
            "sum (-1)^k f_k = {chi} for the f-vector {:?}, the domain's is {expected}",
            f_vector()
        ))),
        _ => Ok(()),
    }
}

/// The diamond property of every face of dimension 2 or more.
pub(crate) fn diamonds(faces: &[Face]) -> Result<(), ComplexError> {
    let mut count: HashMap<usize, u32> = HashMap::new();
    for f in faces.iter().filter(|f| f.dim >= 2) {
        count.clear();
        for &g in &f.boundary {
            for &h in &faces[g].boundary {
                *count.entry(h).or_default() += 1;
            }
        }
        if let Some((h, n)) = count.iter().find(|(_, &n)| n != 2) {
            return Err(ComplexError::identity(format!(
                "the diamond property fails: face {h} lies in {n} facets of face {}",
                f.id
            )));
        }
    }
    Ok(())
}
