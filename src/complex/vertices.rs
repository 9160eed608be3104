//! The fast path of the walk for a pointed region: its vertices and extreme rays first, then
//! its face lattice from them ([`super::lattice`]), with no LP and no affine frame.
//!
//! - **Vertices.** Floats propose, exact arithmetic decides. A first vertex is reached from the
//!   region's point by shooting rays in floats (a ray that meets no row is shot backwards: in a
//!   pointed polyhedron one of the two directions is blocked); from each vertex, each of its
//!   edges is followed in floats to the row it meets first, and the vertex there is looked up by
//!   its sign vector (or solved exactly from its `d` tight rows and its sign vector computed
//!   exactly, once for the whole complex). A vertex is accepted for the region only when its
//!   exact sign vector is below the region's (each entry equal or `0`/tight), which proves it
//!   lies in the region's closure: there every neuron's preactivation is the region's affine
//!   form, so its tight facet rows are read from its sign vector. A vertex with exactly `d`
//!   tight facet rows is simple, and its `d` edges are the lines where `d - 1` of them stay
//!   tight; an accepted vertex other than `v` on such a line is the edge's other end (a vertex
//!   of a polyhedron on an edge is an endpoint).
//! - **Extreme rays** (unbounded regions). An edge that meets no row in floats is checked
//!   exactly: its direction `r` solves `a_k . r = 0` for the `d - 1` rows kept tight and
//!   `a_j . r = -1` for the row left, and is accepted only when `a . r <= 0` for every facet row
//!   (so `v + t r` stays in the region for all `t >= 0`: an unbounded edge, and `r`, with `d - 1`
//!   independent rows tight, an extreme ray of the recession cone). Rays are kept as primitive
//!   integer vectors, one id each for the whole complex.
//! - **Completeness.** When every accepted vertex is simple and each of its `d` edges ends at
//!   an accepted vertex or is an accepted unbounded edge, the accepted vertices are every vertex
//!   (the vertex-edge graph of a pointed polyhedron is connected) and the accepted rays every
//!   extreme ray (each extreme ray of the recession cone is the direction of an unbounded edge
//!   at some vertex). Any degenerate vertex, a region without a vertex (one holding a line), or
//!   a float proposal the exact check refuses hands the region back to the LP walk of
//!   [`super::faces`].

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
    /// The vertices' sign vectors.
    pub(super) keys: super::packed::FlatKeys,
    /// Each vertex as integer numerators over its positive common denominator, in lowest
    /// terms (the denominator is the least common one of its coordinates).
    pub(super) ints: Vec<(Vec<BigInt>, BigInt)>,
    floats: Vec<Vec<f64>>,
    /// The extreme rays found so far, as primitive integer vectors, and their ids.
    ray_index: HashMap<Vec<BigInt>, u32>,
    pub(super) rays: Vec<Vec<BigInt>>,
    /// The faces by their sorted vertex ids and sorted ray ids.
    pub(super) sets: super::lattice::Sets,
    /// Key position of each ReLU layer's first neuron, by layer index.
    layer_start: HashMap<usize, usize>,
    /// Key position of each domain row, by its row index.
    domain_pos: HashMap<usize, usize>,
    /// The number of neuron entries of a key (the domain rows follow).
    pub(super) neurons: usize,
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

    /// What the points of the faces found by their vertices are made from (the lookup tables
    /// dropped).
    pub(crate) fn into_points(self) -> super::lattice::PointSource {
        super::lattice::PointSource::new(self.ints, self.rays, self.sets)
    }

    /// The key position of a row and the value meaning "tight" there.
    fn position(&self, origin: &Origin) -> Option<(usize, i8)> {
        match origin {
            Origin::Domain(k) => self.domain_pos.get(k).map(|&p| (p, 1)),
            Origin::Neuron(n) => self.layer_start.get(&n.layer).map(|&s| (s + n.index, 0)),
        }
    }
}

/// A vertex (or an extreme ray) of a region: its id in the table and its tight facet rows.
pub(super) type Vertex = (u32, Vec<usize>);

/// Why the fast path gave a region back (nothing but exact vertices was recorded).
struct GiveBack;

/// One region's rows as the fast path sees them.
pub(super) struct Rows<'a> {
    pub(super) rows: Vec<&'a Halfspace>,
    /// Key position and tight value of each row.
    pos: Vec<(usize, i8)>,
    /// The region's own key.
    pub(super) key: SignKey,
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

/// Walks a pointed region by its vertices and rays: `Ok(true)` when done, `Ok(false)` when
/// the region is handed back to the LP walk (only vertices and rays were recorded then).
pub(crate) fn region(w: &mut Walker, region: &Region, facets: &[Facet]) -> Result<bool, ComplexError> {
    let d = region.point.len();
    // a polytope has d + 1 facets at least, a pointed polyhedron d
    if d == 0 || facets.len() < d || (region.bounded && facets.len() == d) {
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
    let Ok((verts, rays)) = vertices(w, &rows, &region.point)? else { return Ok(false) };
    super::lattice::lattice(w, &rows, &verts, &rays, region)?;
    Ok(true)
}

/// Every vertex and every extreme ray of the region (ids into the table) with their tight
/// rows, or [`GiveBack`].
#[allow(clippy::type_complexity)]
fn vertices(
    w: &mut Walker,
    rows: &Rows,
    point: &[Q],
) -> Result<Result<(Vec<Vertex>, Vec<Vertex>), GiveBack>, ComplexError> {
    let d = point.len();
    let m = rows.rows.len();
    // a first vertex: rays from the region's point, each keeping the rows met so far tight
    let mut x: Vec<f64> = point.iter().map(crate::exact::num::to_f64).collect();
    let mut tight: Vec<usize> = Vec::new();
    for step in 0..d {
        let g: Vec<f64> = (0..d).map(|i| 1.0 + 0.618_034 * ((i * 7 + step * 3) % 11) as f64).collect();
        let mut dir = project(&g, &tight.iter().map(|&j| rows.rows[j].float_a()).collect::<Vec<_>>());
        let hit = match first_hit(rows, &x, &dir, &tight) {
            Some(k) => Some(k),
            None => {
                dir.iter_mut().for_each(|v| *v = -*v);
                first_hit(rows, &x, &dir, &tight)
            }
        };
        let Some(k) = hit else { return Ok(Err(GiveBack)) };
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
    let mut rays: Vec<Vertex> = Vec::new();
    let mut ray_seen: HashMap<u32, ()> = HashMap::new();
    let mut queue = vec![first];
    seen.insert(first, 0);
    out.push((first, Vec::new()));
    let mut next = 0;
    while next < queue.len() {
        let v = queue[next];
        let at = next;
        next += 1;
        let key = w.table.keys.get(v).to_vec();
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
            let Some(k) = first_hit(rows, &xv, &dir, &tv) else {
                // no row ahead in floats: an unbounded edge, if exactly so
                let Some((r, tight)) = ray(w, rows, &s, j) else { return Ok(Err(GiveBack)) };
                if ray_seen.insert(r, ()).is_none() {
                    rays.push((r, tight));
                }
                continue;
            };
            let mut cand = key.clone();
            cand[rows.pos[j].0] = rows.key[rows.pos[j].0];
            cand[rows.pos[k].0] = rows.pos[k].1;
            let mut basis = s.clone();
            basis.push(k);
            let Some(u) = vertex(w, rows, &basis, cand)? else { return Ok(Err(GiveBack)) };
            let ku = w.table.keys.get(u);
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
    Ok(Ok((out, rays)))
}

/// The direction of the edge leaving row `j` with the rows `s` tight, when it is exactly an
/// unbounded edge of the region: its ray id and its tight rows (`None` otherwise).
fn ray(w: &mut Walker, rows: &Rows, s: &[usize], j: usize) -> Option<(u32, Vec<usize>)> {
    use num_traits::{One, Zero};
    // over the rows' integer forms (each row a positive multiple of its rational one): the
    // answer is a positive multiple of the direction asked for, which is all a ray is
    let int_row = |k: usize, rhs: BigInt| -> Vec<BigInt> {
        rows.rows[k].integer_row().0.iter().cloned().chain([rhs]).collect()
    };
    let mut augmented: Vec<Vec<BigInt>> = s.iter().map(|&k| int_row(k, BigInt::zero())).collect();
    augmented.push(int_row(j, -BigInt::one()));
    let (r, _) = crate::exact::square::solve_square_scaled_integers(augmented)?;
    let mut tight = Vec::new();
    for (k, row) in rows.rows.iter().enumerate() {
        // the sign of a . r over integers (this runs for every row of every unbounded edge of
        // every vertex)
        let dot: BigInt =
            row.integer_row().0.iter().zip(&r).filter(|(a, _)| !a.is_zero()).map(|(a, x)| a * x).sum();
        match dot.sign() {
            num_bigint::Sign::Plus => return None, // a row ahead after all: the floats were wrong
            num_bigint::Sign::NoSign => tight.push(k),
            num_bigint::Sign::Minus => {}
        }
    }
    let g = r.iter().fold(BigInt::zero(), |acc, v| super::gcd::gcd(&acc, v));
    let ints: Vec<BigInt> = r.into_iter().map(|v| v / &g).collect();
    let t = &mut w.table;
    let id = match t.ray_index.get(&ints) {
        Some(&id) => id,
        None => {
            let id = t.rays.len() as u32;
            t.ray_index.insert(ints.clone(), id);
            t.rays.push(ints);
            id
        }
    };
    Some((id, tight))
}

/// The vertex of the rows `basis` (d of them, tight) in the region, looked up by its proposed
/// key `cand` or solved exactly; `None` when the exact answer is not a vertex of the region.
fn vertex(w: &mut Walker, rows: &Rows, basis: &[usize], cand: SignKey) -> Result<Option<u32>, ComplexError> {
    use num_traits::One;
    if let Some(v) = w.table.keys.find(&cand) {
        return Ok(Some(v));
    }
    // a fraction-free solve over the rows' integer forms: `x = n / det`, unreduced (no gcd)
    let augmented: Vec<Vec<BigInt>> = basis
        .iter()
        .map(|&j| {
            let (a, b) = rows.rows[j].integer_row();
            a.iter().chain([b]).cloned().collect()
        })
        .collect();
    let Some((n, det)) = crate::exact::square::solve_square_scaled_integers(augmented) else {
        if crate::runtime::stop::requested() {
            return Err(crate::runtime::stop::gave_up("the faces of the complex").into());
        }
        return Ok(None);
    };
    let key = w.signer.key_over(n.clone(), det.clone());
    if !rows.below(&key, w.table.neurons) {
        return Ok(None);
    }
    if let Some(v) = w.table.keys.find(&key) {
        return Ok(Some(v));
    }
    // a new vertex: in lowest terms over its least common denominator, `det / gcd(det, n)`
    let mut g = det.clone();
    for v in &n {
        if g.is_one() {
            break;
        }
        g = super::gcd::gcd(&g, v);
    }
    let (ints, den) = if g.is_one() { (n, det) } else { (n.iter().map(|v| v / &g).collect(), &det / &g) };
    let v = w.table.keys.insert(&key).ok_or_else(|| ComplexError::identity("2^32 vertices"))?;
    w.table
        .floats
        .push(ints.iter().map(|h| crate::exact::num::to_f64(&Q::new_raw(h.clone(), den.clone()))).collect());
    w.table.ints.push((ints, den));
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
