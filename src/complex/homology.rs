//! Betti numbers over GF(2) of a cell complex given by its cells' dimensions and facets, by
//! sparse column reduction of each boundary matrix (the "low pivot" elimination of persistent
//! homology): `b_k = f_k - rank d_k - rank d_(k+1)`.
//!
//! The chains of a closed union of open cells with every facet counted once compute, over
//! GF(2): its Borel-Moore homology (the open cells are the cells of the one-point
//! compactification relative to the added point), and its ordinary homology when every cell
//! is bounded. [`with_point_at_infinity`] adds the point for the one-point compactification.

/// A chain complex over GF(2): cell `i` has dimension `dims[i]` and facets `boundary[i]`
/// (indices into the same lists).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Chains {
    /// Each cell's dimension.
    pub dims: Vec<usize>,
    /// Each cell's facets.
    pub boundary: Vec<Vec<usize>>,
}

impl Chains {
    /// The highest dimension (at least `top`), each cell's index within its dimension, and the
    /// number of cells of each dimension (`max_dim + 2` entries): the numbering of the boundary
    /// matrices that the GF(2) and the rational reductions share.
    pub(crate) fn numbering(&self, top: usize) -> (usize, Vec<u32>, Vec<usize>) {
        let max_dim = self.dims.iter().copied().max().unwrap_or(0).max(top);
        let mut local = vec![0u32; self.dims.len()];
        let mut count = vec![0usize; max_dim + 2];
        for (i, &k) in self.dims.iter().enumerate() {
            local[i] = count[k] as u32;
            count[k] += 1;
        }
        (max_dim, local, count)
    }

    /// The cells of `complex` kept by `keep`, renumbered (each kept cell's facets must be kept:
    /// the set is closed).
    ///
    /// # Examples
    /// ```
    /// use relu_regions::complex::homology::{betti, Chains};
    /// // a circle: a triangle's three vertices and three edges
    /// let c = Chains { dims: vec![0, 0, 0, 1, 1, 1], boundary: vec![vec![], vec![], vec![], vec![0, 1], vec![1, 2], vec![0, 2]] };
    /// assert_eq!(betti(&c, 1), [1, 1]);
    /// // keeping the vertices and two edges: a path
    /// let path = Chains::restricted(&c, |i| i != 5);
    /// assert_eq!(betti(&path, 1), [1, 0]);
    /// ```
    pub fn restricted(complex: &Chains, keep: impl Fn(usize) -> bool) -> Chains {
        let mut new = vec![usize::MAX; complex.dims.len()];
        let mut out = Chains::default();
        for (i, slot) in new.iter_mut().enumerate() {
            if keep(i) {
                *slot = out.dims.len();
                out.dims.push(complex.dims[i]);
                out.boundary.push(Vec::new());
            }
        }
        for (i, facets) in complex.boundary.iter().enumerate() {
            if new[i] != usize::MAX {
                out.boundary[new[i]] = facets.iter().map(|&b| new[b]).filter(|&b| b != usize::MAX).collect();
            }
        }
        out
    }

    /// `sum (-1)^k f_k` of the cells.
    ///
    /// See the example on [`Chains::restricted`].
    pub fn euler(&self) -> i64 {
        self.dims.iter().map(|&k| if k % 2 == 0 { 1 } else { -1 }).sum()
    }
}

/// The chains with a point at infinity: a 0-cell added, in the boundary of every 1-cell with
/// one vertex (a ray; a line, with both ends at infinity, gets it twice, that is not at all).
/// Its homology is that of the one-point compactification.
///
/// # Examples
/// ```
/// use relu_regions::complex::homology::{betti, with_point_at_infinity, Chains};
/// // a line (one open 1-cell, no vertex): Borel-Moore b = (0, 1); compactified, a circle
/// let line = Chains { dims: vec![1], boundary: vec![vec![]] };
/// assert_eq!(betti(&line, 1), [0, 1]);
/// assert_eq!(betti(&with_point_at_infinity(&line), 1), [1, 1]);
/// ```
pub fn with_point_at_infinity(c: &Chains) -> Chains {
    let mut out = c.clone();
    let inf = out.dims.len();
    out.dims.push(0);
    out.boundary.push(Vec::new());
    for i in 0..inf {
        if out.dims[i] == 1 && out.boundary[i].len() == 1 {
            out.boundary[i].push(inf);
        }
    }
    out
}

/// Betti numbers `b_0 .. b_top` over GF(2).
///
/// See the example on [`Chains::restricted`] (and on [`with_point_at_infinity`]).
pub fn betti(c: &Chains, top: usize) -> Vec<usize> {
    let (max_dim, local, count) = c.numbering(top);
    let mut rank = vec![0usize; max_dim + 2];
    for k in 1..=max_dim {
        let mut pivot_of: Vec<Option<usize>> = vec![None; count[k - 1]];
        let mut reduced: Vec<Vec<u32>> = Vec::new();
        for (i, _) in c.dims.iter().enumerate().filter(|&(_, &d)| d == k) {
            let mut col: Vec<u32> = c.boundary[i].iter().map(|&b| local[b]).collect();
            col.sort_unstable();
            col = cancel_pairs(col);
            while let Some(&low) = col.last() {
                match pivot_of[low as usize] {
                    Some(p) => col = symmetric_difference(&col, &reduced[p]),
                    None => {
                        pivot_of[low as usize] = Some(reduced.len());
                        reduced.push(col);
                        rank[k] += 1;
                        break;
                    }
                }
            }
        }
    }
    (0..=top).map(|k| count[k] - rank[k] - rank[k + 1]).collect()
}

/// A sorted column with equal entries cancelled in pairs (mod 2).
fn cancel_pairs(col: Vec<u32>) -> Vec<u32> {
    let mut out: Vec<u32> = Vec::with_capacity(col.len());
    for v in col {
        if out.last() == Some(&v) {
            out.pop();
        } else {
            out.push(v);
        }
    }
    out
}

/// The sum mod 2 of two sorted columns.
fn symmetric_difference(a: &[u32], b: &[u32]) -> Vec<u32> {
    let (mut i, mut j) = (0, 0);
    let mut out = Vec::with_capacity(a.len() + b.len());
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => {
                out.push(a[i]);
                i += 1;
            }
            std::cmp::Ordering::Greater => {
                out.push(b[j]);
                j += 1;
            }
            std::cmp::Ordering::Equal => {
                i += 1;
                j += 1;
            }
        }
    }
    out.extend_from_slice(&a[i..]);
    out.extend_from_slice(&b[j..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The boundary of a tetrahedron (a 2-sphere): b = (1, 0, 1); with the solid: (1, 0, 0, 0).
    #[test]
    fn sphere_and_ball() {
        let mut dims = vec![0; 4];
        let mut boundary: Vec<Vec<usize>> = vec![vec![]; 4];
        let mut edge = std::collections::HashMap::new();
        for a in 0..4 {
            for b in a + 1..4 {
                edge.insert((a, b), dims.len());
                dims.push(1);
                boundary.push(vec![a, b]);
            }
        }
        let mut tris = Vec::new();
        for (a, b, c) in [(0, 1, 2), (0, 1, 3), (0, 2, 3), (1, 2, 3)] {
            tris.push(dims.len());
            dims.push(2);
            boundary.push(vec![edge[&(a, b)], edge[&(a, c)], edge[&(b, c)]]);
        }
        let sphere = Chains { dims: dims.clone(), boundary: boundary.clone() };
        assert_eq!(betti(&sphere, 2), [1, 0, 1]);
        dims.push(3);
        boundary.push(tris);
        assert_eq!(betti(&Chains { dims, boundary }, 3), [1, 0, 0, 0]);
    }
}
