//! The Betti numbers over Q and the 2-torsion of a closed set of verified faces, recomputed by
//! the checker of a `boundary --json` document ([`super::boundary_sets`]), with code of its own
//! (the prover's `complex::rational` is not imported).
//!
//! - **Incidence numbers.** The closed cells of a polyhedral complex are convex; a bounded one
//!   is a ball, so the complex is a regular CW complex whose incidence numbers `[F : G] = ±1` are
//!   fixed by the face poset up to one sign per cell: an edge is `+1` on one end and `-1` on the
//!   other (a ray has one end, `+1`; with the point at infinity of the one-point
//!   compactification its other end is that point), and a cell of dimension `k >= 2` takes `+1`
//!   on one facet, every other facet's sign following from `∂∂ = 0` at the ridges (each ridge
//!   of the cell lies in exactly two of its facets). When the poset does not fix them (a cell
//!   whose facets are not connected through its ridges, a ridge in three facets, an edge with
//!   three ends, a sign asked two ways) there is no answer, as in the prover: the document must
//!   then give `null`. The signs found are checked: `∂∂ = 0` over the integers.
//! - **Ranks over Q.** Each boundary matrix has entries `0, ±1`; its rank over Q is found by
//!   fraction-free column reduction over the integers: a column whose lowest entry `b` (at
//!   row `r`) is the pivot row of an earlier reduced column `p` (lowest entry `a`) becomes
//!   `a col - b p`, then is divided by the gcd of its entries. Both steps multiply a column by a
//!   nonzero integer and add a multiple of another, so the span over Q of the columns seen so
//!   far is unchanged; the reduced nonzero columns have distinct lowest rows, so they are
//!   independent: their number is the rank over Q. Entries are `i64` with every operation
//!   checked; on an overflow the reduction starts again in big integers, so the answer is
//!   exact for every input.
//! - **Torsion.** `t_(k-1) = rank_Q ∂_k - rank_GF(2) ∂_k` (the GF(2) ranks are the checker's
//!   own, [`super::boundary_sets`]): the cyclic summands of even order of `H_(k-1)` over the
//!   integers. A GF(2) rank above the Q rank is impossible for an integer matrix and is a
//!   failure.

use super::faces::Listed;
use num_bigint::BigInt;
use num_integer::Integer;
use num_traits::{Signed, Zero};
use std::collections::HashMap;

/// The Betti numbers over Q and the 2-torsion of a closed set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct RationalBetti {
    /// `b_0 .. b_max` over Q.
    pub(super) betti: Vec<usize>,
    /// `t_0 .. t_max`: the cyclic summands of even order of each `H_k` over Z.
    pub(super) two_torsion: Vec<usize>,
}

/// The kept cells renumbered `0..n` (the point at infinity last, with `one_point`), each with
/// its dimension and its facets.
struct Cells {
    dims: Vec<usize>,
    facets: Vec<Vec<usize>>,
}

impl Cells {
    fn of(faces: &[Listed], keep: &[bool], one_point: bool) -> Cells {
        let mut new = vec![usize::MAX; faces.len()];
        let mut dims = Vec::new();
        for (i, f) in faces.iter().enumerate().filter(|(i, _)| keep[*i]) {
            new[i] = dims.len();
            dims.push(f.dim);
        }
        let infinity = dims.len();
        let mut facets: Vec<Vec<usize>> = faces
            .iter()
            .enumerate()
            .filter(|(i, _)| keep[*i])
            .map(|(_, f)| f.boundary.iter().map(|&b| new[b]).filter(|&b| b != usize::MAX).collect::<Vec<_>>())
            .map(|mut b: Vec<usize>| {
                b.sort_unstable();
                b
            })
            .collect();
        if one_point {
            for (k, b) in facets.iter_mut().enumerate() {
                if dims[k] == 1 && b.len() == 1 {
                    b.push(infinity);
                }
            }
            dims.push(0);
            facets.push(Vec::new());
        }
        Cells { dims, facets }
    }

    /// One sign per facet of each cell, or `None` when the poset does not fix them.
    fn orient(&self) -> Option<Vec<Vec<i8>>> {
        let mut order: Vec<usize> = (0..self.dims.len()).collect();
        order.sort_by_key(|&i| self.dims[i]);
        let mut signs: Vec<Vec<i8>> = vec![Vec::new(); self.dims.len()];
        for &i in &order {
            let facets = &self.facets[i];
            signs[i] = match (self.dims[i], facets.len()) {
                (_, 0) => Vec::new(),
                (0, _) => return None,
                (1, 1) => vec![1],
                (1, 2) => vec![1, -1],
                (1, _) => return None,
                _ => self.orient_cell(facets, &signs)?,
            };
        }
        self.boundary_squared_is_zero(&signs).then_some(signs)
    }

    /// The signs of a cell of dimension >= 2 from its facets' signs: around a ridge `H` in the
    /// facets `G1`, `G2`, `s1 [G1:H] + s2 [G2:H] = 0`.
    fn orient_cell(&self, facets: &[usize], signs: &[Vec<i8>]) -> Option<Vec<i8>> {
        let mut at: HashMap<usize, Vec<(usize, i8)>> = HashMap::new();
        for (p, &g) in facets.iter().enumerate() {
            for (&h, &s) in self.facets[g].iter().zip(&signs[g]) {
                at.entry(h).or_default().push((p, s));
            }
        }
        let mut next: Vec<Vec<(usize, i8)>> = vec![Vec::new(); facets.len()];
        for around in at.values() {
            if around.len() > 2 {
                return None;
            }
            if let [(a, sa), (b, sb)] = around[..] {
                next[a].push((b, -sa * sb));
                next[b].push((a, -sa * sb));
            }
        }
        let mut mine = vec![0i8; facets.len()];
        mine[0] = 1;
        let mut todo = vec![0usize];
        while let Some(a) = todo.pop() {
            for &(b, rel) in &next[a] {
                let want = mine[a] * rel;
                match mine[b] {
                    0 => {
                        mine[b] = want;
                        todo.push(b);
                    }
                    s if s != want => return None,
                    _ => {}
                }
            }
        }
        (!mine.contains(&0)).then_some(mine)
    }

    fn boundary_squared_is_zero(&self, signs: &[Vec<i8>]) -> bool {
        (0..self.dims.len()).all(|i| {
            let mut sum: HashMap<usize, i64> = HashMap::new();
            for (&g, &s) in self.facets[i].iter().zip(&signs[i]) {
                for (&h, &t) in self.facets[g].iter().zip(&signs[g]) {
                    *sum.entry(h).or_default() += i64::from(s * t);
                }
            }
            sum.values().all(|v| *v == 0)
        })
    }
}

/// Integers for the fraction-free reduction: `i64` with checked operations, or big integers.
trait Int: Clone + PartialEq + Zero + Sized {
    fn from_sign(s: i8) -> Self;
    /// `a b - c d`, or `None` on an overflow.
    fn mul_sub(a: &Self, b: &Self, c: &Self, d: &Self) -> Option<Self>;
    fn gcd_with(&self, other: &Self) -> Self;
    fn div_by(&self, g: &Self) -> Self;
    fn is_unit(&self) -> bool;
}

impl Int for i64 {
    fn from_sign(s: i8) -> Self {
        i64::from(s)
    }
    fn mul_sub(a: &Self, b: &Self, c: &Self, d: &Self) -> Option<Self> {
        a.checked_mul(*b)?.checked_sub(c.checked_mul(*d)?)
    }
    fn gcd_with(&self, other: &Self) -> Self {
        // i64::MIN has no absolute value: the gcd is then taken in i128
        (i128::from(*self).gcd(&i128::from(*other))).try_into().unwrap_or(1)
    }
    fn div_by(&self, g: &Self) -> Self {
        self / g
    }
    fn is_unit(&self) -> bool {
        *self == 1 || *self == -1
    }
}

impl Int for BigInt {
    fn from_sign(s: i8) -> Self {
        BigInt::from(s)
    }
    fn mul_sub(a: &Self, b: &Self, c: &Self, d: &Self) -> Option<Self> {
        Some(a * b - c * d)
    }
    fn gcd_with(&self, other: &Self) -> Self {
        self.gcd(other)
    }
    fn div_by(&self, g: &Self) -> Self {
        self / g
    }
    fn is_unit(&self) -> bool {
        self.abs() == BigInt::from(1)
    }
}

/// The rank over Q of the columns (each: sorted `(row, sign)`), or `None` on an overflow of `T`.
fn rank_over<T: Int>(columns: &[Vec<(usize, i8)>]) -> Option<usize> {
    let mut pivot_of: HashMap<usize, usize> = HashMap::new();
    let mut reduced: Vec<Vec<(usize, T)>> = Vec::new();
    for column in columns {
        let mut col: Vec<(usize, T)> = column.iter().map(|&(r, s)| (r, T::from_sign(s))).collect();
        while let Some((low, b)) = col.last().cloned() {
            let Some(&p) = pivot_of.get(&low) else {
                pivot_of.insert(low, reduced.len());
                reduced.push(col);
                break;
            };
            let piv = &reduced[p];
            let a = piv.last().expect("a pivot column is not empty").1.clone();
            col = combine(&col, &a, &b, piv)?;
            let g = col.iter().fold(T::zero(), |g, (_, v)| g.gcd_with(v));
            if !g.is_zero() && !g.is_unit() {
                col.iter_mut().for_each(|(_, v)| *v = v.div_by(&g));
            }
        }
    }
    Some(reduced.len())
}

/// The rank over Q of columns of `0, ±1` entries (each: sorted `(row, sign)`): in `i64`, again
/// in big integers on an overflow.
pub(super) fn rank_over_q(columns: &[Vec<(usize, i8)>]) -> usize {
    rank_over::<i64>(columns)
        .unwrap_or_else(|| rank_over::<BigInt>(columns).expect("big integers do not overflow"))
}

/// `a col - b piv` for sorted sparse columns, zeros dropped.
fn combine<T: Int>(col: &[(usize, T)], a: &T, b: &T, piv: &[(usize, T)]) -> Option<Vec<(usize, T)>> {
    let zero = T::zero();
    let (mut i, mut j) = (0, 0);
    let mut out = Vec::with_capacity(col.len() + piv.len());
    while i < col.len() || j < piv.len() {
        let (row, x, y) = match (col.get(i), piv.get(j)) {
            (Some(c), Some(p)) if c.0 == p.0 => {
                i += 1;
                j += 1;
                (c.0, &c.1, &p.1)
            }
            (Some(c), None) => {
                i += 1;
                (c.0, &c.1, &zero)
            }
            (Some(c), Some(p)) if c.0 < p.0 => {
                i += 1;
                (c.0, &c.1, &zero)
            }
            (_, Some(p)) => {
                j += 1;
                (p.0, &zero, &p.1)
            }
            (None, None) => break,
        };
        let v = T::mul_sub(a, x, b, y)?;
        if !v.is_zero() {
            out.push((row, v));
        }
    }
    Some(out)
}

/// The ranks over Q of the boundary matrices `∂_1 .. ∂_max` (entry `k` is `rank ∂_k`; entries
/// `0` and `max + 1` are zero), the cells per dimension, or `None` when the poset does not fix
/// the incidence numbers.
fn ranks(cells: &Cells, max_dim: usize) -> Option<(Vec<usize>, Vec<usize>)> {
    let signs = cells.orient()?;
    let mut local = vec![0usize; cells.dims.len()];
    let mut count = vec![0usize; max_dim + 2];
    for (i, &k) in cells.dims.iter().enumerate() {
        local[i] = count[k];
        count[k] += 1;
    }
    let mut rank = vec![0usize; max_dim + 2];
    for (k, rank_k) in rank.iter_mut().enumerate().take(max_dim + 1).skip(1) {
        let columns: Vec<Vec<(usize, i8)>> = (0..cells.dims.len())
            .filter(|&i| cells.dims[i] == k)
            .map(|i| {
                let mut c: Vec<(usize, i8)> =
                    cells.facets[i].iter().zip(&signs[i]).map(|(&g, &s)| (local[g], s)).collect();
                c.sort_unstable();
                c
            })
            .collect();
        *rank_k = rank_over_q(&columns);
    }
    Some((rank, count))
}

/// The Betti numbers over Q and the 2-torsion of the cells `keep` (with a point at infinity:
/// `one_point`), `b_0 .. b_max` with `max = max(top, highest dimension kept)`, given the GF(2)
/// ranks `rank_gf2` (entry `k`: `rank ∂_k`, as many entries as dimensions plus one). `Ok(None)`:
/// the poset does not fix the incidence numbers; `Err`: a GF(2) rank above the Q rank.
pub(super) fn rational_betti(
    faces: &[Listed],
    keep: &[bool],
    top: usize,
    one_point: bool,
    rank_gf2: &[usize],
) -> Result<Option<RationalBetti>, String> {
    let cells = Cells::of(faces, keep, one_point);
    let max_dim = cells.dims.iter().copied().max().unwrap_or(0).max(top);
    let Some((rank, count)) = ranks(&cells, max_dim) else { return Ok(None) };
    let betti = (0..=max_dim).map(|k| count[k] - rank[k] - rank[k + 1]).collect();
    let mut two_torsion = Vec::with_capacity(max_dim + 1);
    for k in 0..=max_dim {
        let two = rank_gf2.get(k + 1).copied().unwrap_or(0);
        let Some(t) = rank[k + 1].checked_sub(two) else {
            return Err(format!(
                "the boundary matrix of dimension {} has rank {two} over GF(2) but {} over Q",
                k + 1,
                rank[k + 1]
            ));
        };
        two_torsion.push(t);
    }
    Ok(Some(RationalBetti { betti, two_torsion }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn face(dim: usize, boundary: Vec<usize>) -> Listed {
        Listed { at: String::new(), dim, sign: Vec::new(), point: Vec::new(), bounded: true, boundary }
    }

    /// The cells of a triangulated surface from its triangles: vertices, edges, triangles.
    fn surface(triangles: &[[usize; 3]]) -> Vec<Listed> {
        let n = triangles.iter().flatten().max().map_or(0, |v| v + 1);
        let mut faces: Vec<Listed> = (0..n).map(|_| face(0, vec![])).collect();
        let mut edges: HashMap<(usize, usize), usize> = HashMap::new();
        let mut tris = Vec::new();
        for t in triangles {
            let mut sides = Vec::new();
            for (a, b) in [(t[0], t[1]), (t[0], t[2]), (t[1], t[2])] {
                let id = *edges.entry((a, b)).or_insert_with(|| {
                    faces.push(face(1, vec![a, b]));
                    faces.len() - 1
                });
                sides.push(id);
            }
            tris.push(sides);
        }
        faces.extend(tris.into_iter().map(|s| face(2, s)));
        faces
    }

    /// The GF(2) ranks of the same cells, by brute force over bit vectors (Gaussian elimination).
    fn gf2_ranks(faces: &[Listed], top: usize) -> Vec<usize> {
        let mut rank = vec![0; top + 2];
        for (k, r) in rank.iter_mut().enumerate().skip(1).take(top) {
            let mut rows: Vec<u128> = faces
                .iter()
                .filter(|f| f.dim == k)
                .map(|f| f.boundary.iter().fold(0u128, |m, &b| m ^ (1 << b)))
                .collect();
            for bit in 0..128 {
                if let Some(p) = rows.iter().position(|&v| v >> bit & 1 == 1) {
                    let pv = rows.swap_remove(p);
                    rows.iter_mut().filter(|v| **v >> bit & 1 == 1).for_each(|v| *v ^= pv);
                    *r += 1;
                }
            }
        }
        rank
    }

    #[test]
    fn the_projective_plane_has_two_torsion_in_h1() {
        let rp2 = [
            [0, 1, 2],
            [0, 2, 3],
            [0, 3, 4],
            [0, 4, 5],
            [0, 1, 5],
            [1, 2, 4],
            [2, 3, 5],
            [1, 3, 4],
            [1, 3, 5],
            [2, 4, 5],
        ];
        let faces = surface(&rp2);
        let keep = vec![true; faces.len()];
        let r = rational_betti(&faces, &keep, 2, false, &gf2_ranks(&faces, 2)).unwrap().unwrap();
        assert_eq!(r.betti, [1, 0, 0]);
        assert_eq!(r.two_torsion, [0, 1, 0]);
    }

    #[test]
    fn sphere_torus_and_a_disc_have_no_torsion() {
        let torus: Vec<[usize; 3]> = (0..7)
            .flat_map(|i| [[i, (i + 1) % 7, (i + 3) % 7], [i, (i + 2) % 7, (i + 3) % 7]])
            .map(|mut t| {
                t.sort_unstable();
                t
            })
            .collect();
        for (triangles, want) in [
            (vec![[0, 1, 2], [0, 1, 3], [0, 2, 3], [1, 2, 3]], vec![1, 0, 1]),
            (torus, vec![1, 2, 1]),
            (vec![[0, 1, 2], [0, 2, 3]], vec![1, 0, 0]),
        ] {
            let faces = surface(&triangles);
            let keep = vec![true; faces.len()];
            let r = rational_betti(&faces, &keep, 2, false, &gf2_ranks(&faces, 2)).unwrap().unwrap();
            assert_eq!((r.betti, r.two_torsion), (want, vec![0, 0, 0]));
        }
    }

    /// A strip between two parallel lines: its facets meet at no ridge, nothing is fixed; two
    /// rays from a vertex with the point at infinity: a circle.
    #[test]
    fn unbounded_cells() {
        let strip = vec![face(1, vec![]), face(1, vec![]), face(2, vec![0, 1])];
        assert_eq!(rational_betti(&strip, &[true; 3], 2, false, &[0, 0, 0, 0]), Ok(None));
        let rays = vec![face(0, vec![]), face(1, vec![0]), face(1, vec![0])];
        let r = rational_betti(&rays, &[true; 3], 1, true, &[0, 1, 0]).unwrap().unwrap();
        assert_eq!((r.betti, r.two_torsion), (vec![1, 1], vec![0, 0]));
        // a GF(2) rank above the Q rank is refused
        assert!(rational_betti(&rays, &[true; 3], 1, true, &[0, 2, 0]).is_err());
    }

    /// Ranks of matrices of known rank, in both kinds of integers; an i64 overflow is noticed.
    #[test]
    fn fraction_free_ranks_of_known_matrices() {
        // a path of 41 vertices (rank 40) and the all-ones column (independent of it)
        let columns: Vec<Vec<(usize, i8)>> =
            (0..40).map(|i| vec![(i, 1), (i + 1, -1)]).chain([(0..41).map(|r| (r, 1)).collect()]).collect();
        assert_eq!(rank_over::<i64>(&columns), Some(41));
        assert_eq!(rank_over::<BigInt>(&columns), Some(41));
        let dependent: Vec<Vec<(usize, i8)>> =
            (0..40).map(|i| vec![(i, 1), (i + 1, -1)]).chain([vec![(0, 1), (40, -1)]]).collect();
        assert_eq!(rank_over::<BigInt>(&dependent), Some(40));
        assert_eq!(rank_over::<i64>(&dependent), Some(40));
        assert_eq!(combine::<i64>(&[(0, i64::MAX)], &2, &1, &[(0, 1)]), None);
        assert_eq!(combine::<i64>(&[(0, 3)], &2, &3, &[(0, 2)]), Some(vec![]));
    }
}
