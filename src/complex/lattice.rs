//! The face lattice of a pointed region from its vertices and extreme rays ([`super::vertices`]).
//!
//! The region `P` is the set of points `conv(V) + cone(R)`, with the certified facets of the
//! facet pipeline. Homogenized, `P` is the pointed cone over `(v, 1)` and `(r, 0)`; the nonempty
//! faces of `P` are its faces holding some `(v, 1)`, each one generator set. The facets of a
//! face `F` are the inclusion-maximal sets among `F ∩ G_j` holding a vertex, other than `F`,
//! `G_j` the generators on facet `j` (every face of a polyhedron is the intersection of the
//! facets that hold it; the cone's one other facet, at infinity, holds no vertex, and a set
//! holding a vertex lies in none of its subsets). A face's relative-interior point is the
//! average of its vertices plus the sum of its rays (a combination of every generator with
//! positive weights), exact over integers. A bounded face's sign vector is the meet of its
//! vertices' (a neuron is affine on the region's closure, so its sign at a positive
//! combination of the vertices is `+` if one vertex has `+`, `-` if one has `-`, else `0`; a
//! domain row is tight when it is tight at every vertex); an unbounded face's is computed at its
//! point. The walk keeps a face's generator set, not its point ([`Sets`]): the point is made
//! from the set when the merge reads it ([`PointSource`]), the same integers in the same order
//! (a batch's points, numbers of hundreds of digits, are never all held at once, and a face
//! found again by a later batch, or not listed, never has its point made).

use super::faces::{Made, Walker};
use super::packed::{hash_of, number, Slots, EMPTY};
use super::point::FacePoint;
use super::vertices::{Rows, Vertex};
use super::ComplexError;
use crate::enumerate::region::Region;
use num_bigint::BigInt;

/// A set of the region's generators: its vertices by their position in its vertex list, then
/// its rays.
type Bits = Vec<u64>;

fn bits_and(a: &Bits, b: &Bits) -> Bits {
    a.iter().zip(b).map(|(x, y)| x & y).collect()
}

fn bits_subset(a: &Bits, b: &Bits) -> bool {
    a.iter().zip(b).all(|(x, y)| x & !y == 0)
}

fn bits_count(a: &Bits) -> usize {
    a.iter().map(|x| x.count_ones() as usize).sum()
}

fn bits_members(a: &Bits) -> impl Iterator<Item = usize> + '_ {
    a.iter().enumerate().flat_map(|(w, &x)| (0..64).filter(move |b| x >> b & 1 == 1).map(move |b| w * 64 + b))
}

/// Whether the set holds one of the first `nv` generators (a vertex).
fn has_vertex(a: &Bits, nv: usize) -> bool {
    bits_members(a).next().is_some_and(|i| i < nv)
}

/// The region's face lattice from its vertices and rays, every new face entered in the walker
/// with its facets.
pub(super) fn lattice(
    w: &mut Walker,
    rows: &Rows,
    verts: &[Vertex],
    rays: &[Vertex],
    region: &Region,
) -> Result<(), ComplexError> {
    let d = region.point.len();
    let nv = verts.len();
    let words = (nv + rays.len()).div_ceil(64);
    let mut facet_sets: Vec<Bits> = vec![vec![0; words]; rows.rows.len()];
    for (i, (_, tv)) in verts.iter().chain(rays).enumerate() {
        for &j in tv {
            facet_sets[j][i / 64] |= 1 << (i % 64);
        }
    }
    if facet_sets.iter().any(|g| bits_count(g) < d || !has_vertex(g, nv)) {
        return Err(ComplexError::identity(format!(
            "region {}: a certified facet has fewer than {d} generators or no vertex",
            region.id
        )));
    }
    let (top, fresh) = w.entry(&rows.key, d, Made::Point(Box::new(region.point.clone().into())))?;
    if !fresh {
        return Err(ComplexError::identity(format!("region {} has another region's sign vector", region.id)));
    }
    let gens = Generators { verts, rays };
    let mut stack: Vec<(Bits, usize, usize)> = Vec::new();
    let mut boundary = Vec::with_capacity(facet_sets.len());
    for g in &facet_sets {
        let (i, fresh) = face(w, &gens, g, d - 1)?;
        boundary.push(i);
        if fresh {
            stack.push((g.clone(), d - 1, i));
        }
    }
    w.finish(top, boundary)?;
    while let Some((f, dim, i)) = stack.pop() {
        if dim == 0 {
            w.finish(i, Vec::new())?;
            continue;
        }
        let mut parts: Vec<Bits> = Vec::new();
        for g in &facet_sets {
            let p = bits_and(&f, g);
            if p == f || !has_vertex(&p, nv) || parts.contains(&p) {
                continue;
            }
            parts.push(p);
        }
        let maximal: Vec<&Bits> =
            parts.iter().filter(|p| !parts.iter().any(|q| q != *p && bits_subset(p, q))).collect();
        let mut boundary = Vec::with_capacity(maximal.len());
        for p in maximal {
            if bits_count(p) < dim {
                return Err(ComplexError::identity(format!(
                    "region {}: a face of dimension {} has too few generators",
                    region.id,
                    dim - 1
                )));
            }
            let (j, fresh) = face(w, &gens, p, dim - 1)?;
            boundary.push(j);
            if fresh {
                stack.push((p.clone(), dim - 1, j));
            }
        }
        w.finish(i, boundary)?;
    }
    Ok(())
}

/// A region's vertices and rays (ids into the walker's table).
struct Generators<'a> {
    verts: &'a [Vertex],
    rays: &'a [Vertex],
}

/// The face of the generator set `set`, of dimension `dim`: its index in the walker and whether
/// it is new (its facets still to be found). Its point is not made here but when the merge
/// reads it ([`PointSource::point`]), from its set.
fn face(w: &mut Walker, gens: &Generators, set: &Bits, dim: usize) -> Result<(usize, bool), ComplexError> {
    let nv = gens.verts.len();
    let mut ids: Vec<u32> = Vec::new();
    let mut ray_ids: Vec<u32> = Vec::new();
    for i in bits_members(set) {
        if i < nv {
            ids.push(gens.verts[i].0);
        } else {
            ray_ids.push(gens.rays[i - nv].0);
        }
    }
    ids.sort_unstable();
    ray_ids.sort_unstable();
    let slot = match w.table.sets.find(&ids, &ray_ids) {
        Ok(i) => return Ok((i, !w.done(i))),
        Err(slot) => slot,
    };
    let key = if ray_ids.is_empty() {
        meet(w, &ids)?
    } else {
        // the sign vector from the unreduced integers (no common denominator to rebuild)
        let (sum, den) = point_of(&w.table.ints, &w.table.rays, &ids, &ray_ids);
        w.signer.key_over(sum, den)
    };
    let made = Made::Set(w.table.sets.next());
    let (i, fresh) = w.entry(&key, dim, made)?;
    w.table.sets.insert(slot, &ids, &ray_ids, i)?;
    Ok((i, fresh))
}

/// The point of a face from its vertices `ids` and rays `ray_ids`: the vertices weighted by
/// their denominators, `sum_v e_v (h_v / e_v) / sum_v e_v`, a convex combination with positive
/// weights, plus the rays: over integers only, reduced only if the point is read
/// ([`FacePoint`]).
fn point_of(
    ints: &[(Vec<BigInt>, BigInt)],
    rays: &[Vec<BigInt>],
    ids: &[u32],
    ray_ids: &[u32],
) -> (Vec<BigInt>, BigInt) {
    let (h0, e0) = &ints[ids[0] as usize];
    let mut sum = h0.clone();
    let mut den = e0.clone();
    for &v in &ids[1..] {
        let (h, e) = &ints[v as usize];
        sum.iter_mut().zip(h).for_each(|(s, x)| *s += x);
        den += e;
    }
    for &r in ray_ids {
        let dir: &Vec<BigInt> = &rays[r as usize];
        sum.iter_mut().zip(dir).for_each(|(s, x)| *s += x * &den);
    }
    (sum, den)
}

/// The generator sets of the faces found by their vertices (vertex ids, then ray ids, each
/// ascending), found again by their contents: a face shared by two regions is looked up by its
/// set before its sign vector is made. Set `n` is `ids[spans[n].0..]`, its vertices then its
/// rays, of face `faces[n]`.
#[derive(Default)]
pub(super) struct Sets {
    ids: Vec<u32>,
    spans: Vec<(usize, u32, u32)>,
    faces: Vec<usize>,
    slots: Slots,
}

impl Sets {
    /// Set `n`: its vertices and its rays.
    fn get(&self, n: usize) -> (&[u32], &[u32]) {
        span(&self.ids, &self.spans, n)
    }

    /// The face of the set, or the slot where the set goes ([`Sets::insert`]).
    fn find(&mut self, verts: &[u32], rays: &[u32]) -> Result<usize, usize> {
        let Sets { ids, spans, faces, slots } = self;
        slots.reserve(spans.len(), |n| hash_of(&span(ids, spans, n as usize)));
        let at = slots.find(hash_of(&(verts, rays)), |n| span(ids, spans, n as usize) == (verts, rays));
        match slots.at(at) {
            EMPTY => Err(at),
            n => Ok(faces[n as usize]),
        }
    }

    /// The number the next set inserted gets.
    fn next(&self) -> u32 {
        self.spans.len() as u32
    }

    /// Enters a set not found ([`Sets::find`] gave `slot`), of face `face`.
    fn insert(&mut self, slot: usize, verts: &[u32], rays: &[u32], face: usize) -> Result<(), ComplexError> {
        let n = number(self.spans.len()).ok_or_else(|| ComplexError::identity("2^32 generator sets"))?;
        self.spans.push((self.ids.len(), verts.len() as u32, rays.len() as u32));
        self.ids.extend_from_slice(verts);
        self.ids.extend_from_slice(rays);
        self.faces.push(face);
        self.slots.put(slot, n);
        Ok(())
    }
}

/// Set `n` of [`Sets`]: its vertices and its rays.
fn span<'a>(ids: &'a [u32], spans: &[(usize, u32, u32)], n: usize) -> (&'a [u32], &'a [u32]) {
    let (at, v, r) = spans[n];
    let (v, r) = (v as usize, r as usize);
    (&ids[at..at + v], &ids[at + v..at + v + r])
}

/// What the points of a walk's faces found by their vertices are made from: the vertices and
/// rays of the walk's table and the faces' generator sets (the lookup tables dropped).
pub(super) struct PointSource {
    ints: Vec<(Vec<BigInt>, BigInt)>,
    rays: Vec<Vec<BigInt>>,
    sets: Sets,
}

impl PointSource {
    /// From the vertices, rays and sets of a walk's table.
    pub(super) fn new(
        ints: Vec<(Vec<BigInt>, BigInt)>,
        rays: Vec<Vec<BigInt>>,
        mut sets: Sets,
    ) -> PointSource {
        sets.slots = Slots::default();
        sets.faces = Vec::new();
        PointSource { ints, rays, sets }
    }

    /// The point of a face, as the walk would have made it.
    pub(super) fn point(&self, made: Made) -> FacePoint {
        match made {
            Made::Point(p) => *p,
            Made::Set(n) => {
                let (ids, ray_ids) = self.sets.get(n as usize);
                let (sum, den) = point_of(&self.ints, &self.rays, ids, ray_ids);
                FacePoint::over(sum, den)
            }
        }
    }
}

/// The sign vector of a bounded face from its vertices'.
fn meet(w: &Walker, ids: &[u32]) -> Result<Vec<i8>, ComplexError> {
    let keys = &w.table.keys;
    let neurons = w.table.neurons;
    let mut key = keys.get(ids[0]).to_vec();
    for &v in &ids[1..] {
        for (p, (k, &o)) in key.iter_mut().zip(keys.get(v)).enumerate() {
            if p < neurons {
                if *k == 0 {
                    *k = o;
                } else if o != 0 && o != *k {
                    return Err(ComplexError::identity(
                        "a neuron changes sign between two vertices of one face",
                    ));
                }
            } else if o == 0 {
                *k = 0;
            }
        }
    }
    Ok(key)
}
