//! The fast path of the walk for a bounded region: its vertices first, then its face lattice
//! from them, with no LP and no affine frame.
//!
//! - **Vertices.** Floats propose, exact arithmetic decides. A first vertex is reached from the
//!   region's point by shooting rays in floats; from each vertex, each of its edges is followed
//!   in floats to the row it meets first, and the vertex there is looked up by its sign vector
//!   (or solved exactly from its `d` tight rows and its sign vector computed exactly, once for
//!   the whole complex). A vertex is accepted for the region only when its exact sign vector is
//!   below the region's (each entry equal or `0`/tight), which proves it lies in the region's
//!   closure: there every neuron's preactivation is the region's affine form, so its tight
//!   facet rows are read from its sign vector. A vertex with exactly `d` tight facet rows is
//!   simple, and its `d` edges are the lines where `d - 1` of them stay tight; an accepted
//!   vertex other than `v` on such a line is the edge's other end (a vertex of a polytope on an
//!   edge is an endpoint). When every accepted vertex is simple and has all `d` neighbours
//!   accepted, the accepted set is every vertex (the graph of a polytope is connected). Any
//!   degenerate vertex, or a float proposal the exact check refuses, hands the region back to
//!   the LP walk of [`super::faces`].
//! - **Faces.** The region is a polytope with the certified facets of the facet pipeline. A
//!   face is a set of vertices; the facets of a face `F` are the inclusion-maximal sets among
//!   `F ∩ G_j` other than `F` and the empty set, `G_j` the vertices of facet `j` (every face of a
//!   polytope is the intersection of the facets that hold it). A face's sign vector is the
//!   meet of its vertices' (a neuron is affine on the region's closure, so its sign at a
//!   positive combination of the vertices is `+` if one vertex has `+`, `-` if one has `-`, else `0`; a
//!   domain row is tight when it is tight at every vertex), and its relative-interior point is
//!   the average of its vertices (exact, strictly inside every facet inequality it does not lie
//!   on, since such an inequality is strict at one of its vertices at least).

use super::faces::Walker;
use super::sign::SignKey;
use super::ComplexError;
use crate::analysis::facets::Facet;
use crate::enumerate::region::{Origin, Region};
use crate::exact::num::Q;
use crate::kernel::halfspace::Halfspace;
use crate::network::Network;
use num_bigint::BigInt;
use std::collections::HashMap;

/// The vertices found so far (for the whole complex) and the faces known by vertex set.
#[derive(Default)]
pub(crate) struct Table {
    index: HashMap<SignKey, u32>,
    keys: Vec<SignKey>,
    points: Vec<Vec<Q>>,
    /// Each vertex as integer numerators over its positive common denominator.
    ints: Vec<(Vec<BigInt>, BigInt)>,
    floats: Vec<Vec<f64>>,
    /// A face's sorted vertex ids -> its index in the walker.
    by_set: HashMap<Vec<u32>, usize>,
    /// Key position of each ReLU layer's first neuron, by layer index.
    layer_start: HashMap<usize, usize>,
    /// Key position of each domain row, by its row index.
    domain_pos: HashMap<usize, usize>,
    /// The number of neuron entries of a key (the domain rows follow).
    neurons: usize,
}

impl Table {
    pub(crate) fn new(net: &Network) -> Table {
        let mut layer_start = HashMap::new();
        let mut at = 0;
        for i in net.relu_layers() {
            layer_start.insert(i, at);
            at += net.layers()[i].width();
        }
        let domain_pos = net
            .domain()
            .indexed_halfspaces(net.input_dim())
            .iter()
            .enumerate()
            .map(|(p, (k, _))| (*k, at + p))
            .collect();
        Table { layer_start, domain_pos, neurons: at, ..Table::default() }
    }

    /// The key position of a row and the value meaning "tight" there.
    fn position(&self, origin: &Origin) -> Option<(usize, i8)> {
        match origin {
            Origin::Domain(k) => self.domain_pos.get(k).map(|&p| (p, 1)),
            Origin::Neuron(n) => self.layer_start.get(&n.layer).map(|&s| (s + n.index, 0)),
        }
    }
}

/// A vertex of a region: its id in the table and its tight facet rows.
type Vertex = (u32, Vec<usize>);

/// Why the fast path gave a region back (nothing but exact vertices was recorded).
struct GiveBack;

/// One region's rows as the fast path sees them.
struct Rows<'a> {
    rows: Vec<&'a Halfspace>,
    /// Key position and tight value of each row.
    pos: Vec<(usize, i8)>,
    /// The region's own key.
    key: SignKey,
}

impl Rows<'_> {
    fn tight(&self, key: &[i8], j: usize) -> bool {
        let (p, t) = self.pos[j];
        key[p] == t
    }

    /// Whether `key` is below the region's key (the face lies in the region's closure).
    fn below(&self, key: &[i8], neurons: usize) -> bool {
        key.len() == self.key.len()
            && key.iter().zip(&self.key).enumerate().all(|(i, (&k, &r))| {
                if i < neurons {
                    k == r || k == 0
                } else {
                    k == r || k == 1
                }
            })
    }
}

/// Walks a bounded region by its vertices: `Ok(true)` when done, `Ok(false)` when the region
/// is handed back to the LP walk (only vertices were recorded then).
pub(crate) fn region(w: &mut Walker, region: &Region, facets: &[Facet]) -> Result<bool, ComplexError> {
    let d = region.point.len();
    if !region.bounded || d == 0 || facets.len() <= d {
        return Ok(false);
    }
    let mut pos = Vec::with_capacity(facets.len());
    for f in facets {
        match w.table.position(&region.constraints[f.constraints[0]].origin) {
            Some(p) => pos.push(p),
            None => return Ok(false),
        }
    }
    let rows = Rows {
        rows: facets.iter().map(|f| &*region.constraints[f.constraints[0]].halfspace).collect(),
        pos,
        key: w.signer.key(&region.point),
    };
    let Ok(verts) = vertices(w, &rows, &region.point)? else { return Ok(false) };
    lattice(w, &rows, &verts, region)?;
    Ok(true)
}

/// Every vertex of the region (ids into the table) with its tight rows, or [`GiveBack`].
fn vertices(w: &mut Walker, rows: &Rows, point: &[Q]) -> Result<Result<Vec<Vertex>, GiveBack>, ComplexError> {
    let d = point.len();
    let m = rows.rows.len();
    // a first vertex: rays from the region's point, each keeping the rows met so far tight
    let mut x: Vec<f64> = point.iter().map(crate::exact::num::to_f64).collect();
    let mut tight: Vec<usize> = Vec::new();
    for step in 0..d {
        let g: Vec<f64> = (0..d).map(|i| 1.0 + 0.618_034 * ((i * 7 + step * 3) % 11) as f64).collect();
        let dir = project(&g, &tight.iter().map(|&j| rows.rows[j].float_a()).collect::<Vec<_>>());
        let Some(k) = first_hit(rows, &x, &dir, &tight) else { return Ok(Err(GiveBack)) };
        let t = rows.rows[k].float_slack(&x) / dot(rows.rows[k].float_a(), &dir);
        x.iter_mut().zip(&dir).for_each(|(xi, di)| *xi += t * di);
        tight.push(k);
    }
    let mut cand = rows.key.clone();
    for &j in &tight {
        cand[rows.pos[j].0] = rows.pos[j].1;
    }
    let Some(first) = vertex(w, rows, &tight, cand)? else { return Ok(Err(GiveBack)) };
    let mut seen: HashMap<u32, usize> = HashMap::new();
    let mut out: Vec<Vertex> = Vec::new();
    let mut queue = vec![first];
    seen.insert(first, 0);
    out.push((first, Vec::new()));
    let mut next = 0;
    while next < queue.len() {
        let v = queue[next];
        let at = next;
        next += 1;
        let key = w.table.keys[v as usize].clone();
        let tv: Vec<usize> = (0..m).filter(|&j| rows.tight(&key, j)).collect();
        if tv.len() != d {
            return Ok(Err(GiveBack)); // degenerate (or not a vertex of the region): the LP walk
        }
        out[at].1 = tv.clone();
        let xv = w.table.floats[v as usize].clone();
        for &j in &tv {
            let s: Vec<usize> = tv.iter().copied().filter(|&k| k != j).collect();
            let minus: Vec<f64> = rows.rows[j].float_a().iter().map(|a| -a).collect();
            let dir = project(&minus, &s.iter().map(|&k| rows.rows[k].float_a()).collect::<Vec<_>>());
            let Some(k) = first_hit(rows, &xv, &dir, &tv) else { return Ok(Err(GiveBack)) };
            let mut cand = key.clone();
            cand[rows.pos[j].0] = rows.key[rows.pos[j].0];
            cand[rows.pos[k].0] = rows.pos[k].1;
            let mut basis = s.clone();
            basis.push(k);
            let Some(u) = vertex(w, rows, &basis, cand)? else { return Ok(Err(GiveBack)) };
            let ku = &w.table.keys[u as usize];
            if u == v || !s.iter().all(|&k| rows.tight(ku, k)) {
                return Ok(Err(GiveBack));
            }
            if let std::collections::hash_map::Entry::Vacant(e) = seen.entry(u) {
                e.insert(out.len());
                out.push((u, Vec::new()));
                queue.push(u);
            }
        }
    }
    Ok(Ok(out))
}

/// The vertex of the rows `basis` (d of them, tight) in the region, looked up by its proposed
/// key `cand` or solved exactly; `None` when the exact answer is not a vertex of the region.
fn vertex(w: &mut Walker, rows: &Rows, basis: &[usize], cand: SignKey) -> Result<Option<u32>, ComplexError> {
    if let Some(&v) = w.table.index.get(&cand) {
        return Ok(Some(v));
    }
    let m: Vec<Vec<Q>> = basis.iter().map(|&j| rows.rows[j].a.clone()).collect();
    let r: Vec<Q> = basis.iter().map(|&j| rows.rows[j].b.clone()).collect();
    let Some(x) = crate::exact::square::solve_square(&m, &r) else {
        if crate::runtime::stop::requested() {
            return Err(crate::runtime::stop::gave_up("the faces of the complex").into());
        }
        return Ok(None);
    };
    let key = w.signer.key(&x);
    if !rows.below(&key, w.table.neurons) {
        return Ok(None);
    }
    if let Some(&v) = w.table.index.get(&key) {
        return Ok(Some(v));
    }
    let v = w.table.keys.len() as u32;
    w.table.index.insert(key.clone(), v);
    w.table.keys.push(key);
    w.table.floats.push(x.iter().map(crate::exact::num::to_f64).collect());
    let den = crate::exact::num::common_denominator(&x);
    w.table.ints.push((x.iter().map(|v| crate::exact::num::scaled_numerator(v, &den)).collect(), den));
    w.table.points.push(x);
    Ok(Some(v))
}

/// The row (not in `skip`) that the ray `x + t dir`, `t > 0`, meets first, in floats.
fn first_hit(rows: &Rows, x: &[f64], dir: &[f64], skip: &[usize]) -> Option<usize> {
    let scale = dir.iter().map(|v| v.abs()).fold(0.0, f64::max);
    if scale == 0.0 || !scale.is_finite() {
        return None;
    }
    let mut best: Option<(f64, usize)> = None;
    for (k, r) in rows.rows.iter().enumerate() {
        if skip.contains(&k) {
            continue;
        }
        let rate = dot(r.float_a(), dir);
        let norm = r.float_a().iter().map(|v| v.abs()).fold(0.0, f64::max);
        if rate <= 1e-12 * norm * scale {
            continue;
        }
        let t = r.float_slack(x).max(0.0) / rate;
        if best.is_none_or(|(bt, _)| t < bt) {
            best = Some((t, k));
        }
    }
    best.map(|(_, k)| k)
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// `g` projected onto the null space of `rows` (Gram-Schmidt, floats).
fn project(g: &[f64], rows: &[&[f64]]) -> Vec<f64> {
    let mut basis: Vec<Vec<f64>> = Vec::with_capacity(rows.len());
    for r in rows {
        let mut v = r.to_vec();
        for _ in 0..2 {
            for q in &basis {
                let c = dot(&v, q);
                v.iter_mut().zip(q).for_each(|(vi, qi)| *vi -= c * qi);
            }
        }
        let n = dot(&v, &v).sqrt();
        if n > 0.0 {
            basis.push(v.iter().map(|x| x / n).collect());
        }
    }
    let mut out = g.to_vec();
    for _ in 0..2 {
        for q in &basis {
            let c = dot(&out, q);
            out.iter_mut().zip(q).for_each(|(oi, qi)| *oi -= c * qi);
        }
    }
    out
}

/// A set of the region's vertices (by their position in its vertex list).
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

/// The region's face lattice from its vertices, every new face entered in the walker with its
/// facets.
fn lattice(w: &mut Walker, rows: &Rows, verts: &[Vertex], region: &Region) -> Result<(), ComplexError> {
    let d = region.point.len();
    let words = verts.len().div_ceil(64);
    let mut facet_sets: Vec<Bits> = vec![vec![0; words]; rows.rows.len()];
    for (i, (_, tv)) in verts.iter().enumerate() {
        for &j in tv {
            facet_sets[j][i / 64] |= 1 << (i % 64);
        }
    }
    if facet_sets.iter().any(|g| bits_count(g) < d) {
        return Err(ComplexError::identity(format!(
            "region {}: a certified facet has fewer than {d} vertices",
            region.id
        )));
    }
    let (top, fresh) = w.entry(rows.key.clone(), d, region.point.clone())?;
    if !fresh {
        return Err(ComplexError::identity(format!("region {} has another region's sign vector", region.id)));
    }
    let mut stack: Vec<(Bits, usize, usize)> = Vec::new();
    let mut boundary = Vec::with_capacity(facet_sets.len());
    for g in &facet_sets {
        let (i, fresh) = face(w, verts, g, d - 1)?;
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
            if p == f || p.iter().all(|&x| x == 0) || parts.contains(&p) {
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
                    "region {}: a face of dimension {} has too few vertices",
                    region.id,
                    dim - 1
                )));
            }
            let (j, fresh) = face(w, verts, p, dim - 1)?;
            boundary.push(j);
            if fresh {
                stack.push((p.clone(), dim - 1, j));
            }
        }
        w.finish(i, boundary)?;
    }
    Ok(())
}

/// The face of the vertex set `set`, of dimension `dim`: its index in the walker and whether
/// it is new (its facets still to be found).
fn face(w: &mut Walker, verts: &[Vertex], set: &Bits, dim: usize) -> Result<(usize, bool), ComplexError> {
    let mut ids: Vec<u32> = bits_members(set).map(|i| verts[i].0).collect();
    ids.sort_unstable();
    if let Some(&i) = w.table.by_set.get(&ids) {
        return Ok((i, !w.done(i)));
    }
    let keys = &w.table.keys;
    let neurons = w.table.neurons;
    let mut key = keys[ids[0] as usize].clone();
    for &v in &ids[1..] {
        for (p, (k, &o)) in key.iter_mut().zip(&keys[v as usize]).enumerate() {
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
    // the vertices weighted by their denominators: sum_v e_v (h_v / e_v) / sum_v e_v, a convex
    // combination with positive weights (so in the relative interior) over integers only
    let point = if ids.len() == 1 {
        w.table.points[ids[0] as usize].clone()
    } else {
        let (h0, e0) = &w.table.ints[ids[0] as usize];
        let mut sum = h0.clone();
        let mut den = e0.clone();
        for &v in &ids[1..] {
            let (h, e) = &w.table.ints[v as usize];
            sum.iter_mut().zip(h).for_each(|(s, x)| *s += x);
            den += e;
        }
        sum.into_iter().map(|s| Q::new(s, den.clone())).collect()
    };
    let (i, fresh) = w.entry(key, dim, point)?;
    w.table.by_set.insert(ids, i);
    Ok((i, fresh))
}
