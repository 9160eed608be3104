//! The `set` convention of a closed set of verified faces when a face of the complex holds a
//! line (the prover then computes it on a truncated complex the document does not list): the
//! homology of the order complex of the set's face poset, over GF(2) and over Q.
//!
//! Why it is the set's homology: the closed faces of a polyhedral complex are convex and two of
//! them meet in a closed face or not at all. Cover the set `X` by its maximal closed faces
//! `C_i`; a nonempty intersection of some of them is a closed face `G`, convex, so by the nerve
//! theorem `X` is homotopy equivalent to the nerve `N` of the cover. Cover the order complex
//! `Δ(P)` of the face poset `P` of `X` (one simplex per chain `F_0 < F_1 < ..` of faces, `<`
//! meaning "in the closure of") by the cones `Δ(P_{<= C_i})`: their intersection is
//! `Δ(P_{<= G})`, a cone again, nonempty exactly when the `C_i` meet; so `Δ(P) ≃ N ≃ X`. The
//! chains of `Δ(P)` are simplicial: the boundary of a chain drops one face at a time with
//! alternating signs, no orientation to derive, and its ranks over Q are taken by the
//! fraction-free elimination of [`super::boundary_rational`].

use super::boundary_rational::{rank_over_q, RationalBetti};
use super::faces::Listed;
use std::collections::HashMap;

/// The most chains enumerated; beyond it the `set` convention is reported as not checked.
pub(super) const MAX_CHAINS: usize = 2_000_000;

/// The Betti numbers over GF(2) (`b_0 .. b_top`, at least `top + 1` entries) and over Q with
/// the 2-torsion of the order complex of the faces `keep`, or `None` beyond [`MAX_CHAINS`].
pub(super) fn order_complex_betti(
    faces: &[Listed],
    keep: &[bool],
    top: usize,
) -> Option<(Vec<usize>, RationalBetti)> {
    // the kept faces strictly below each kept face (closure minus itself), ascending
    let mut below: Vec<Vec<usize>> = vec![Vec::new(); faces.len()];
    let mut order: Vec<usize> = (0..faces.len()).filter(|&i| keep[i]).collect();
    order.sort_by_key(|&i| faces[i].dim);
    for &i in &order {
        let mut set: Vec<usize> = Vec::new();
        for &g in faces[i].boundary.iter().filter(|&&g| keep[g]) {
            set.push(g);
            set.extend_from_slice(&below[g]);
        }
        set.sort_unstable();
        set.dedup();
        below[i] = set;
    }
    // the chains, top face first, by length
    let mut chains: Vec<Vec<Vec<usize>>> = vec![order.iter().map(|&i| vec![i]).collect()];
    let mut total = chains[0].len();
    loop {
        let last = chains.last().expect("one length at least");
        let mut next = Vec::new();
        for c in last {
            for &g in &below[*c.last().expect("a chain is not empty")] {
                let mut longer = c.clone();
                longer.push(g);
                next.push(longer);
            }
        }
        total += next.len();
        if total > MAX_CHAINS {
            return None;
        }
        if next.is_empty() {
            break;
        }
        chains.push(next);
    }
    let max_dim = (chains.len() - 1).max(top);
    let index: Vec<HashMap<&[usize], usize>> =
        chains.iter().map(|cs| cs.iter().enumerate().map(|(k, c)| (c.as_slice(), k)).collect()).collect();
    let mut rank_q = vec![0usize; max_dim + 2];
    let mut rank_2 = vec![0usize; max_dim + 2];
    for k in 1..chains.len() {
        let columns: Vec<Vec<(usize, i8)>> = chains[k]
            .iter()
            .map(|c| {
                let mut col: Vec<(usize, i8)> = (0..c.len())
                    .map(|drop| {
                        let face: Vec<usize> =
                            c.iter().enumerate().filter(|(j, _)| *j != drop).map(|(_, &f)| f).collect();
                        (index[k - 1][face.as_slice()], if drop % 2 == 0 { 1 } else { -1 })
                    })
                    .collect();
                col.sort_unstable();
                col
            })
            .collect();
        rank_q[k] = rank_over_q(&columns);
        rank_2[k] = rank_gf2(&columns);
    }
    let count = |k: usize| chains.get(k).map_or(0, Vec::len);
    let gf2: Vec<usize> = (0..=max_dim).map(|k| count(k) - rank_2[k] - rank_2[k + 1]).collect();
    let betti = (0..=max_dim).map(|k| count(k) - rank_q[k] - rank_q[k + 1]).collect();
    let two_torsion = (0..=max_dim).map(|k| rank_q[k + 1] - rank_2[k + 1]).collect();
    Some((gf2, RationalBetti { betti, two_torsion }))
}

/// The rank over GF(2) of sparse columns (sorted rows; the signs dropped).
fn rank_gf2(columns: &[Vec<(usize, i8)>]) -> usize {
    let mut pivots: HashMap<usize, Vec<usize>> = HashMap::new();
    for column in columns {
        let mut col: Vec<usize> = column.iter().map(|e| e.0).collect();
        while let Some(&low) = col.last() {
            let Some(p) = pivots.get(&low) else { break };
            let mut merged: Vec<usize> = col.iter().chain(p).copied().collect();
            merged.sort_unstable();
            let mut out: Vec<usize> = Vec::with_capacity(merged.len());
            for x in merged {
                if out.last() == Some(&x) {
                    out.pop();
                } else {
                    out.push(x);
                }
            }
            col = out;
        }
        if let Some(&low) = col.last() {
            pivots.insert(low, col);
        }
    }
    pivots.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn face(dim: usize, boundary: Vec<usize>) -> Listed {
        Listed { at: String::new(), dim, sign: Vec::new(), point: Vec::new(), bounded: false, boundary }
    }

    /// Two parallel lines (no facets): two points. A strip between them: contractible. Two
    /// half-planes on either side of one line each and the lines: two components.
    #[test]
    fn lines_and_strips() {
        let faces = vec![face(1, vec![]), face(1, vec![]), face(2, vec![0, 1])];
        let (gf2, q) = order_complex_betti(&faces, &[true, true, false], 1).unwrap();
        assert_eq!((gf2, q.betti, q.two_torsion), (vec![2, 0], vec![2, 0], vec![0, 0]));
        let (gf2, q) = order_complex_betti(&faces, &[true; 3], 2).unwrap();
        assert_eq!((gf2, q.betti), (vec![1, 0, 0], vec![1, 0, 0]));
        // a circle cut into three arcs (vertices and edges): b = (1, 1)
        let circle = vec![
            face(0, vec![]),
            face(0, vec![]),
            face(0, vec![]),
            face(1, vec![0, 1]),
            face(1, vec![1, 2]),
            face(1, vec![0, 2]),
        ];
        let (gf2, q) = order_complex_betti(&circle, &[true; 6], 1).unwrap();
        assert_eq!((gf2, q.betti), (vec![1, 1], vec![1, 1]));
    }
}
