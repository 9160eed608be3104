//! Betti numbers over Q and the 2-torsion of a cell complex given by its face poset.
//!
//! - **Orientation.** The cells of a polyhedral complex (its truncation included) are closed
//!   balls: a regular CW complex, whose incidence numbers `[F : G] = ±1` are fixed by the face
//!   poset up to the choice of an orientation per cell: an edge has `+1` on one vertex and `-1`
//!   on the other, and a cell of dimension `k >= 2` gets `+1` on one facet, the others following
//!   from `∂∂ = 0` around each ridge (a (k-2)-face of the cell lies in exactly two of its facets,
//!   `[F:G1][G1:H] + [F:G2][G2:H] = 0`; the facets of a ball of dimension >= 2 are connected
//!   through ridges). Where the poset does not fix them (an unbounded open cell: a strip
//!   between two parallel lines has no ridge), [`orient`] answers `None` and no rational answer
//!   is given for those chains. The answer is then checked: `∂∂ = 0` over the integers.
//! - **Ranks.** Each boundary matrix is reduced exactly over Q (sparse column reduction, exact
//!   rationals: no prime, no float), `b_k = f_k - rank ∂_k - rank ∂_(k+1)`.
//! - **Torsion.** Over GF(2) the rank of `∂_k` counts the invariant factors of its Smith normal
//!   form that are odd, over Q all of them; so `rank_Q ∂_k - rank_GF(2) ∂_k` is the number of
//!   cyclic summands of even order in `H_(k-1)` over the integers (its 2-torsion), and
//!   `b_k(GF(2)) = b_k(Q) + t_k + t_(k-1)`.

use super::homology::{betti, Chains};
use crate::exact::num::Q;
use num_traits::Zero;
use std::collections::HashMap;

/// Betti numbers over Q and the number of even-order cyclic summands of each `H_k` over Z.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rational {
    /// `b_0 .. b_top` over Q.
    pub betti: Vec<usize>,
    /// `t_0 .. t_top`: the cyclic summands of even order of `H_k(.; Z)` (all zero: no 2-torsion).
    pub two_torsion: Vec<usize>,
}

/// The incidence numbers of a regular cell complex (one sign per entry of `c.boundary`), or
/// `None` when its face poset does not fix them or they fail `∂∂ = 0`.
///
/// # Examples
/// ```
/// use relu_regions::complex::homology::Chains;
/// use relu_regions::complex::rational::orient;
/// // a triangle: three vertices, three edges, the 2-cell
/// let c = Chains { dims: vec![0, 0, 0, 1, 1, 1, 2],
///     boundary: vec![vec![], vec![], vec![], vec![0, 1], vec![1, 2], vec![0, 2], vec![3, 4, 5]] };
/// let s = orient(&c).unwrap();
/// assert_eq!(s[3], [1, -1]);
/// assert_eq!(s[6].iter().map(|&x| x as i32).sum::<i32>().abs(), 1);
/// ```
pub fn orient(c: &Chains) -> Option<Vec<Vec<i8>>> {
    let mut order: Vec<usize> = (0..c.dims.len()).collect();
    order.sort_by_key(|&i| c.dims[i]);
    let mut signs: Vec<Vec<i8>> = c.boundary.iter().map(|b| vec![0; b.len()]).collect();
    for &i in &order {
        let facets = &c.boundary[i];
        match c.dims[i] {
            0 => {}
            1 => match facets.len() {
                0 => {}
                1 => signs[i][0] = 1,
                2 => signs[i] = vec![1, -1],
                _ => return None,
            },
            _ => {
                if facets.is_empty() {
                    continue;
                }
                // ridge -> the (facet position, [G:H]) pairs holding it
                let mut ridges: HashMap<usize, Vec<(usize, i8)>> = HashMap::new();
                for (p, &g) in facets.iter().enumerate() {
                    for (&h, &s) in c.boundary[g].iter().zip(&signs[g]) {
                        ridges.entry(h).or_default().push((p, s));
                    }
                }
                let mut links: Vec<Vec<(usize, i8)>> = vec![Vec::new(); facets.len()];
                for pairs in ridges.values() {
                    match pairs.as_slice() {
                        [(a, sa), (b, sb)] => {
                            // s_b = -s_a [G_a:H] [G_b:H]
                            links[*a].push((*b, -sa * sb));
                            links[*b].push((*a, -sa * sb));
                        }
                        [_] => {}
                        _ => return None,
                    }
                }
                let s = &mut signs[i];
                s[0] = 1;
                let mut stack = vec![0];
                while let Some(a) = stack.pop() {
                    for &(b, rel) in &links[a] {
                        let want = s[a] * rel;
                        if s[b] == 0 {
                            s[b] = want;
                            stack.push(b);
                        } else if s[b] != want {
                            return None;
                        }
                    }
                }
                if s.contains(&0) {
                    return None;
                }
            }
        }
    }
    boundary_of_boundary_vanishes(c, &signs).then_some(signs)
}

/// `∂∂ = 0` over the integers.
fn boundary_of_boundary_vanishes(c: &Chains, signs: &[Vec<i8>]) -> bool {
    (0..c.dims.len()).all(|i| {
        let mut sum: HashMap<usize, i64> = HashMap::new();
        for (&g, &s) in c.boundary[i].iter().zip(&signs[i]) {
            for (&h, &t) in c.boundary[g].iter().zip(&signs[g]) {
                *sum.entry(h).or_default() += i64::from(s) * i64::from(t);
            }
        }
        sum.values().all(|&v| v == 0)
    })
}

/// Betti numbers over Q and the 2-torsion of `c`, `b_0 .. b_top`; `None` when the incidence
/// numbers are not fixed by the face poset ([`orient`]).
///
/// # Examples
/// ```
/// use relu_regions::complex::homology::Chains;
/// use relu_regions::complex::rational::rational_betti;
/// // a circle: over Q as over GF(2), no torsion
/// let c = Chains { dims: vec![0, 0, 0, 1, 1, 1], boundary: vec![vec![], vec![], vec![], vec![0, 1], vec![1, 2], vec![0, 2]] };
/// let r = rational_betti(&c, 1).unwrap();
/// assert_eq!((r.betti, r.two_torsion), (vec![1, 1], vec![0, 0]));
/// ```
pub fn rational_betti(c: &Chains, top: usize) -> Option<Rational> {
    rational_betti_given(c, top, &betti(c, top))
}

/// [`rational_betti`] given the Betti numbers over GF(2) of the same chains (`b_0 .. b_top`).
///
/// By the universal coefficients, `b_k(GF(2)) = b_k(Q) + t_k + t_(k-1)` with `t_k >= 0`, so
/// `b_k(GF(2)) = 0` forces `t_k = t_(k-1) = 0`; `t_top = 0` when no cell lies above `top`
/// (`H_top` is then a subgroup of the free chains). When that leaves no `t_k` free, which is the
/// common case (no two consecutive nonzero Betti numbers over GF(2) below the top), there is no
/// 2-torsion and the Betti numbers over Q are those over GF(2): no elimination over Q is run
/// (the incidence numbers are still fixed and checked, [`orient`]). Otherwise the boundary
/// matrices are reduced over Q.
pub(crate) fn rational_betti_given(c: &Chains, top: usize, two: &[usize]) -> Option<Rational> {
    let signs = orient(c)?;
    let above_top = c.dims.iter().any(|&k| k > top);
    let torsion_free = !above_top && two.len() == top + 1 && (0..top).all(|k| two[k] == 0 || two[k + 1] == 0);
    if torsion_free {
        return Some(Rational { betti: two.to_vec(), two_torsion: vec![0; top + 1] });
    }
    reduced_over_q(c, top, &signs, two)
}

/// The Betti numbers over Q by exact sparse column reduction, and the 2-torsion from them and
/// those over GF(2) (`two`).
fn reduced_over_q(c: &Chains, top: usize, signs: &[Vec<i8>], two: &[usize]) -> Option<Rational> {
    let (max_dim, local, count) = c.numbering(top);
    let mut rank = vec![0usize; max_dim + 2];
    for (k, r) in rank.iter_mut().enumerate().take(max_dim + 1).skip(1) {
        let mut pivot_of: HashMap<u32, usize> = HashMap::new();
        let mut reduced: Vec<Vec<(u32, Q)>> = Vec::new();
        for i in (0..c.dims.len()).filter(|&i| c.dims[i] == k) {
            let mut col: Vec<(u32, Q)> = c.boundary[i]
                .iter()
                .zip(&signs[i])
                .map(|(&b, &s)| (local[b], Q::from_integer(s.into())))
                .collect();
            col.sort_by_key(|e| e.0);
            while let Some((low, v)) = col.last().cloned() {
                match pivot_of.get(&low) {
                    Some(&p) => {
                        let piv = &reduced[p];
                        let f = &v / &piv.last().expect("a pivot column is nonempty").1;
                        col = axpy(&col, &f, piv);
                    }
                    None => {
                        pivot_of.insert(low, reduced.len());
                        reduced.push(col);
                        *r += 1;
                        break;
                    }
                }
            }
        }
    }
    let rational: Vec<usize> = (0..=top).map(|k| count[k] - rank[k] - rank[k + 1]).collect();
    // t_(k-1) = rank_Q d_k - rank_2 d_k, from b_k(2) = b_k(Q) + t_k + t_(k-1) bottom up
    let mut two_torsion = vec![0usize; top + 1];
    for k in 0..=top {
        let below = if k == 0 { 0 } else { two_torsion[k - 1] };
        two_torsion[k] = two[k].checked_sub(rational[k] + below)?;
    }
    Some(Rational { betti: rational, two_torsion })
}

/// `a - f b` for sorted sparse columns.
fn axpy(a: &[(u32, Q)], f: &Q, b: &[(u32, Q)]) -> Vec<(u32, Q)> {
    let (mut i, mut j) = (0, 0);
    let mut out = Vec::with_capacity(a.len() + b.len());
    while i < a.len() || j < b.len() {
        let take_a = j >= b.len() || (i < a.len() && a[i].0 < b[j].0);
        let take_b = i >= a.len() || (j < b.len() && b[j].0 < a[i].0);
        if take_a {
            out.push(a[i].clone());
            i += 1;
        } else if take_b {
            out.push((b[j].0, -(f * &b[j].1)));
            j += 1;
        } else {
            let v = &a[i].1 - f * &b[j].1;
            if !v.is_zero() {
                out.push((a[i].0, v));
            }
            i += 1;
            j += 1;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The cell complex of a triangulated surface given by its triangles (sorted vertex
    /// triples, vertices `0..n`): vertices, then each edge once, then the triangles.
    fn triangulated(triangles: &[[usize; 3]]) -> Chains {
        let n = triangles.iter().flatten().max().map_or(0, |v| v + 1);
        let mut dims = vec![0; n];
        let mut boundary: Vec<Vec<usize>> = vec![vec![]; n];
        let mut edges: HashMap<(usize, usize), usize> = HashMap::new();
        let mut faces = Vec::new();
        for t in triangles {
            let mut tri = Vec::new();
            for (a, b) in [(t[0], t[1]), (t[0], t[2]), (t[1], t[2])] {
                let id = *edges.entry((a, b)).or_insert_with(|| {
                    dims.push(1);
                    boundary.push(vec![a, b]);
                    dims.len() - 1
                });
                tri.push(id);
            }
            faces.push(tri);
        }
        for tri in faces {
            dims.push(2);
            boundary.push(tri);
        }
        Chains { dims, boundary }
    }

    /// The 6-vertex triangulation of the real projective plane: over GF(2) b = (1, 1, 1), over
    /// Q b = (1, 0, 0), and H_1 = Z/2 (one summand of even order).
    #[test]
    fn the_projective_plane_has_two_torsion() {
        let triangles = [
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
        let c = triangulated(&triangles);
        assert_eq!(c.dims.iter().filter(|&&k| k == 1).count(), 15);
        assert_eq!(c.euler(), 1);
        assert_eq!(betti(&c, 2), [1, 1, 1]);
        let r = rational_betti(&c, 2).expect("a regular complex");
        assert_eq!(r.betti, [1, 0, 0]);
        assert_eq!(r.two_torsion, [0, 1, 0]);
        // the alternating sums agree over both fields
        assert_eq!(r.betti[0] as i64 - r.betti[1] as i64 + r.betti[2] as i64, c.euler());
    }

    /// A sphere (the boundary of a tetrahedron) and a torus (7-vertex triangulation): the same
    /// over Q as over GF(2), no torsion.
    #[test]
    fn sphere_and_torus_have_no_torsion() {
        for (triangles, expect) in [
            (vec![[0, 1, 2], [0, 1, 3], [0, 2, 3], [1, 2, 3]], vec![1, 0, 1]),
            (
                (0..7)
                    .flat_map(|i| [[i, (i + 1) % 7, (i + 3) % 7], [i, (i + 2) % 7, (i + 3) % 7]])
                    .map(|mut t| {
                        t.sort_unstable();
                        t
                    })
                    .collect::<Vec<_>>(),
                vec![1, 2, 1],
            ),
        ] {
            let c = triangulated(&triangles);
            assert_eq!(betti(&c, 2), expect);
            let r = rational_betti(&c, 2).expect("a regular complex");
            assert_eq!(r.betti, expect);
            assert_eq!(r.two_torsion, [0, 0, 0]);
        }
    }

    /// The shortcut of [`rational_betti_given`] (no elimination when no torsion is possible)
    /// gives what the elimination over Q gives: on a sphere, a disc, a circle with a tail, two
    /// points, and on complexes where it must not apply (torus, projective plane: consecutive
    /// nonzero Betti numbers over GF(2)) it leaves the elimination to answer.
    #[test]
    fn the_torsion_free_shortcut_agrees_with_the_elimination() {
        let sphere = triangulated(&[[0, 1, 2], [0, 1, 3], [0, 2, 3], [1, 2, 3]]);
        let disc = triangulated(&[[0, 1, 2], [0, 2, 3]]);
        let circle_tail = Chains {
            dims: vec![0, 0, 0, 0, 1, 1, 1, 1],
            boundary: vec![vec![], vec![], vec![], vec![], vec![0, 1], vec![1, 2], vec![0, 2], vec![2, 3]],
        };
        let two_points = Chains { dims: vec![0, 0], boundary: vec![vec![], vec![]] };
        let torus = triangulated(
            &(0..7)
                .flat_map(|i| [[i, (i + 1) % 7, (i + 3) % 7], [i, (i + 2) % 7, (i + 3) % 7]])
                .map(|mut t| {
                    t.sort_unstable();
                    t
                })
                .collect::<Vec<_>>(),
        );
        let projective = triangulated(&[
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
        ]);
        for (c, top, shortcut) in [
            (&sphere, 2, true),
            (&disc, 2, true),
            (&circle_tail, 1, false),
            (&two_points, 0, true),
            (&torus, 2, false),
            (&projective, 2, false),
        ] {
            let two = betti(c, top);
            let signs = orient(c).expect("a regular complex");
            let eliminated = reduced_over_q(c, top, &signs, &two).expect("consistent");
            assert_eq!(rational_betti_given(c, top, &two).as_ref(), Some(&eliminated));
            // the shortcut applies exactly when no two consecutive GF(2) Betti numbers are nonzero
            assert_eq!((0..top).all(|k| two[k] == 0 || two[k + 1] == 0), shortcut);
            if shortcut {
                assert_eq!(eliminated.betti, two);
                assert!(eliminated.two_torsion.iter().all(|&t| t == 0));
            }
        }
    }

    /// A strip between two parallel lines (open cells): the poset does not orient it.
    #[test]
    fn a_strip_is_not_oriented_by_its_poset() {
        let c = Chains { dims: vec![1, 1, 2], boundary: vec![vec![], vec![], vec![0, 1]] };
        assert_eq!(orient(&c), None);
        assert_eq!(rational_betti(&c, 2), None);
    }
}
