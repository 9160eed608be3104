//! The `set` convention on an unbounded set: its homology, through its bounded faces when
//! every face of the complex is pointed, else through its truncation by a box.
//!
//! - **Bounded faces** (the usual case). When every closed face of the complex has a vertex
//!   (every face of dimension 1 or more has a facet), a closed union `X` of faces deformation
//!   retracts, up to homotopy, onto the union `Bd(X)` of its bounded faces: cover `X` by its
//!   maximal closed faces `C_i` and `Bd(X)` by their bounded complexes `Bd(C_i)`; an
//!   intersection `C_i1 ∩ ... ∩ C_ik` is a closed face `G` of the complex (or empty), and
//!   `Bd(C_i1) ∩ ... ∩ Bd(C_ik) = Bd(G)`, nonempty exactly when `G` is (`G` has a vertex). `G`
//!   is convex and the bounded complex of a pointed polyhedron is contractible, so both covers
//!   have the same nerve with contractible intersections, and `X ≃ nerve ≃ Bd(X)` (nerve
//!   theorem). The same argument with `C_i ∩ B` shows `X ∩ B ≃ X` for any convex `B` holding
//!   every vertex, so the box `[-R, R]^d` with `R - 1` the largest sup norm of a vertex is a
//!   truncation giving these numbers: no further complex is computed.
//! - **Truncation** (a complex with a face that has no vertex, such as parallel lines with
//!   nothing crossing them): the complex refined by the hyperplanes `x_i = 0`, `x_i = +-x_j`
//!   bounds the vertices (on each of its faces the sup norm is linear), and the complex of the
//!   network on the domain cut by `[-R, R]^d` is computed (docs/algorithm.md).

use super::faces::{complex, Complex};
use super::ComplexError;
use crate::enumerate::Enumerator;
use crate::exact::num::{q, Q};
use crate::network::{Activation, Domain, Layer, Network, Weights};
use num_traits::{Signed, Zero};

/// How the `set` convention is computed for unbounded sets.
pub(crate) enum Truncation {
    /// Every face is bounded: nothing to do.
    Unneeded,
    /// Every face is pointed: the bounded faces of the set carry its homology; `R` as above.
    Bounded(Q),
    /// The complex of the network on the domain cut by `[-R, R]^d`.
    Boxed(Box<Complex>, Q),
}

impl Truncation {
    /// The box half-width `R`, when the set is unbounded.
    pub(crate) fn radius(&self) -> Option<Q> {
        match self {
            Truncation::Unneeded => None,
            Truncation::Bounded(r) | Truncation::Boxed(_, r) => Some(r.clone()),
        }
    }
}

/// The truncation for the complex `full` of `aug`; `by_bounded_faces: false` forces the box
/// (to compare the two in tests).
pub(crate) fn plan(
    aug: &Network,
    full: &Complex,
    enumerator: &Enumerator,
    by_bounded_faces: bool,
) -> Result<Truncation, ComplexError> {
    if full.faces.iter().all(|f| f.bounded) {
        return Ok(Truncation::Unneeded);
    }
    let pointed = full.faces.iter().all(|f| f.dim == 0 || !f.boundary.is_empty());
    if pointed && by_bounded_faces {
        return Ok(Truncation::Bounded(beyond_vertices(full)));
    }
    let d = aug.input_dim();
    let fan = complex(&with_norm_fan(aug)?, enumerator)?;
    let r = beyond_vertices(&fan);
    let cut = aug
        .with_domain(truncated(aug.domain(), d, &r))
        .map_err(|e| ComplexError::Unsupported(e.to_string()))?;
    Ok(Truncation::Boxed(Box::new(complex(&cut, enumerator)?), r))
}

/// One more than the integer part of the largest sup norm of a vertex.
fn beyond_vertices(c: &Complex) -> Q {
    let r0 = c
        .faces
        .iter()
        .filter(|f| f.dim == 0)
        .flat_map(|f| f.point.to_vec().into_iter().map(|v| v.abs()))
        .max()
        .unwrap_or_else(Q::zero);
    Q::from_integer(r0.floor().to_integer() + 1)
}

/// The network behind the hyperplanes `x_i = 0` and `x_i = +-x_j` (a first ReLU layer
/// passing `x` on as `relu(x) - relu(-x)`): its complex refines the given one so that the sup
/// norm is linear on every face.
fn with_norm_fan(net: &Network) -> Result<Network, ComplexError> {
    let d = net.input_dim();
    let unit = |i: usize, s: i64| {
        let mut r = vec![Q::zero(); d];
        r[i] = q(s);
        r
    };
    let mut rows: Vec<Vec<Q>> = (0..d).flat_map(|i| [unit(i, 1), unit(i, -1)]).collect();
    for i in 0..d {
        for j in i + 1..d {
            for s in [1, -1] {
                let mut r = unit(i, 1);
                r[j] = q(s);
                rows.push(r);
            }
        }
    }
    let width = rows.len();
    let back: Vec<Vec<Q>> = (0..d)
        .map(|i| {
            let mut r = vec![Q::zero(); width];
            r[2 * i] = q(1);
            r[2 * i + 1] = q(-1);
            r
        })
        .collect();
    let mut layers = vec![
        Layer {
            weights: Weights::from_dense_rows(rows),
            bias: vec![Q::zero(); width],
            activation: Activation::Relu,
        },
        Layer {
            weights: Weights::from_dense_rows(back),
            bias: vec![Q::zero(); d],
            activation: Activation::Linear,
        },
    ];
    layers.extend(net.layers().iter().cloned());
    Network::new(d, layers, net.domain().clone()).map_err(|e| ComplexError::Unsupported(e.to_string()))
}

/// The domain cut by the box `[-r, r]^d`.
fn truncated(domain: &Domain, d: usize, r: &Q) -> Domain {
    match domain {
        Domain::Whole => Domain::Box(vec![(-r.clone(), r.clone()); d]),
        other => {
            let rows = other.halfspaces(d);
            let mut a: Vec<Vec<Q>> = rows.iter().map(|h| h.a.clone()).collect();
            let mut b: Vec<Q> = rows.iter().map(|h| h.b.clone()).collect();
            for i in 0..d {
                for s in [1, -1] {
                    let mut row = vec![Q::zero(); d];
                    row[i] = q(s);
                    a.push(row);
                    b.push(r.clone());
                }
            }
            Domain::Polytope { a, b }
        }
    }
}
