//! A small dual simplex for `min g . x` over `{A x <= b} ∩ [lo, hi]` in floating point: the
//! question "can this neuron change sign inside this region?" asked of a region of a box
//! domain, with the box kept as bounds rather than rows.
//!
//! Both methods start from the box corner that minimizes `g` (dual feasible) and let violated
//! constraints enter one at a time. The vertex method keeps `d` active constraints (rows or
//! bounds) and their inverse, updated by a rank-one formula: `O(d^2 + m d)` a pivot, best for
//! many rows in few dimensions (ACAS Xu). The bounded method keeps the `m x (d + m)` tableau
//! of the rows with slacks, the variables at their bounds unless basic: `O(m (d + m))` a
//! pivot, best for few rows in many dimensions (MNIST, 784 inputs). The answer is a *hint*:
//! its multipliers go to the safe dual bound ([`crate::kernel::float_box::proves_empty`]), which
//! alone decides.

use super::unit_scale;

mod bounded;
mod kept;
use crate::kernel::float_box::FloatBox;
use crate::kernel::halfspace::Halfspace;
pub(crate) use kept::{Handed, KeptBases, KeptBasis};

/// The relative size of the bounded method's cost perturbation ([`BoxLp::minimize`]).
const COST_PERTURBATION: f64 = 1e-7;

/// Per column of the row-major `m x d` matrix `a`, whether some row has a nonzero there.
fn read_columns(a: &[f64], d: usize) -> Vec<bool> {
    let mut read = vec![false; d];
    for row in a.chunks_exact(d.max(1)) {
        for (r, v) in read.iter_mut().zip(row) {
            *r |= *v != 0.0;
        }
    }
    read
}

/// The rows of one region scaled to unit infinity norm, with the box as `2d` extra rows
/// (bounds, for the bounded method).
#[derive(Debug, Clone)]
pub(crate) struct BoxLp {
    d: usize,
    m: usize,
    /// `m x d`, row-major: the scaled rows. The box rows `-e_j <= -lo_j`, `e_j <= hi_j` (numbers
    /// `m + 2j`, `m + 2j + 1`) are implicit.
    a: Vec<f64>,
    /// The right-hand sides of the `m + 2d` rows.
    b: Vec<f64>,
    /// The factor each of the `m` rows was scaled by.
    scale: Vec<f64>,
    /// Per variable, whether some row reads it (a nonzero coefficient), listed once for the
    /// many costs minimized over the same rows.
    read: Vec<bool>,
    /// Per row of the `m + 2d`, the violation the vertex method tolerates: `1e-10 (1 + |b_k|)`.
    tol: Vec<f64>,
}

/// A caller's proof that `min g . x` exceeds its threshold, given a basis's multipliers
/// ([`BoxLp::minimize_or_prove`]) sparsely: `(i, y_i)` by increasing row number `i`, of the
/// rows as given (unscaled), every other row's multiplier 0.
pub(crate) type Prove<'a> = &'a mut dyn FnMut(&[(usize, f64)]) -> bool;

/// The dimensions up to which the vertex method keeps its working arrays on the stack and
/// reads the rows with the dimension known at compile time.
const SMALL: usize = 8;

/// `row . x` summed left to right, for rows of `D` entries (unrolled by the compiler; the same
/// floats as the loop over slices).
#[inline(always)]
fn dot_fixed<const D: usize>(row: &[f64], x: &[f64; D]) -> f64 {
    let row: &[f64; D] = row.try_into().expect("a row of the LP's dimension");
    row.iter().zip(x).map(|(a, xi)| a * xi).sum::<f64>()
}

/// The tolerances of [`BoxLp::tol`] for the right-hand sides `b`.
fn tolerances(b: &[f64]) -> Vec<f64> {
    b.iter().map(|bk| 1e-10 * (1.0 + bk.abs())).collect()
}

/// How [`BoxLp::vertex_solve`] ended.
enum Solved {
    Optimum(BoxOptimum),
    /// The caller's proof accepted a basis before the optimum.
    Proved,
}

/// The float optimum of [`BoxLp::minimize`].
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct BoxOptimum {
    /// `min g . x` (float).
    pub value: f64,
    /// Multipliers `y >= 0` of the rows as given (unscaled), zero off the optimal basis.
    pub y: Vec<f64>,
    /// The float minimizer (a vertex of the region, up to rounding).
    pub x: Vec<f64>,
}

impl BoxLp {
    /// The LP of `rows` inside the box; `None` when a float image is not finite.
    pub(crate) fn new(rows: &[&Halfspace], bx: &FloatBox) -> Option<BoxLp> {
        let d = bx.dim();
        let m = rows.len();
        let mut a = Vec::with_capacity(m * d);
        let mut b = Vec::with_capacity(m + 2 * d);
        let mut scale = Vec::with_capacity(m);
        for row in rows {
            let s = unit_scale(row.float_a());
            a.extend(row.float_a().iter().map(|v| v * s));
            b.push(row.float_b() * s);
            scale.push(s);
        }
        for j in 0..d {
            b.extend([-bx.lo(j), bx.hi(j)]);
        }
        let read = read_columns(&a, d);
        let tol = tolerances(&b);
        a.iter().chain(&b).all(|v| v.is_finite()).then_some(BoxLp { d, m, a, b, scale, read, tol })
    }

    /// [`BoxLp::minimize`] by the bounded dual simplex on the tableau `B^-1 [A | I]` of the
    /// `m` rows with slacks: the `d` variables stay at their bounds unless basic, so a pivot
    /// costs `O(m (d + m))` whatever the dimension.
    fn minimize_bounded(&self, g: &[f64]) -> Option<BoxOptimum> {
        self.minimize_bounded_within(g, 20)
    }

    /// [`BoxLp::minimize`] by the bounded method with up to `patience (d + m + 1)` iterations
    /// (the default 20 can be too few for degenerate rows in hundreds of dimensions): the
    /// tableau of [`bounded::Tableau`], a leaving row, a bound-flipping ratio test and a pivot
    /// per iteration, until no basic variable is outside its bounds.
    pub(crate) fn minimize_bounded_within(&self, g: &[f64], patience: usize) -> Option<BoxOptimum> {
        if g.len() != self.d || g.iter().any(|v| !v.is_finite()) {
            return None;
        }
        let mut t = bounded::Tableau::new(self, g);
        for _ in 0..patience * (t.n + 1) {
            // a long solve gives way to the run's stop request (like the dense tableau); the
            // bound LPs (default patience) run to their end, as their answers steer decisions
            if patience > 20 && crate::runtime::stop::requested() {
                return None;
            }
            t.update_values();
            let Some((i, below, worst)) = t.leaving() else { return t.optimum() };
            let j = t.entering(i, below, worst)?;
            t.pivot(i, j, below);
        }
        None
    }

    /// The LP of float rows `a_i . x <= b_i` inside the float box `[lo, hi]` (`lo_j <= hi_j`;
    /// equal bounds fix a variable); `None` when a number is not finite.
    pub(crate) fn from_floats(rows: &[(Vec<f64>, f64)], lo: &[f64], hi: &[f64]) -> Option<BoxLp> {
        let d = lo.len();
        let m = rows.len();
        let mut a = Vec::with_capacity(m * d);
        let mut b = Vec::with_capacity(m + 2 * d);
        let mut scale = Vec::with_capacity(m);
        for (row, rhs) in rows {
            let s = unit_scale(row);
            a.extend(row.iter().map(|v| v * s));
            b.push(rhs * s);
            scale.push(s);
        }
        for (l, h) in lo.iter().zip(hi) {
            b.extend([-l, *h]);
        }
        let finite = a.iter().chain(&b).all(|v| v.is_finite());
        let read = read_columns(&a, d);
        let tol = tolerances(&b);
        (finite && a.len() == m * d && hi.len() == d).then_some(BoxLp { d, m, a, b, scale, read, tol })
    }

    fn row(&self, k: usize) -> &[f64] {
        &self.a[k * self.d..(k + 1) * self.d]
    }

    /// The float optimum of `min g . x`, or `None` when the float solve fails (never a
    /// decision: the caller proves or tries something else). Few rows in a high dimension go
    /// to the bounded tableau method, many rows in a low dimension to the vertex method.
    pub(crate) fn minimize(&self, g: &[f64]) -> Option<BoxOptimum> {
        let (d, m) = (self.d, self.m);
        if 5 * d * d < m * d + 2 * m * m {
            self.minimize_vertex(g)
        } else {
            self.minimize_bounded(g)
        }
    }

    /// [`BoxLp::minimize`] for a caller that wants `min g . x > above` proved: `Ok(())` as soon
    /// as `prove(y)` accepts the multipliers `y` (of the rows as given, `y >= 0`) of a basis
    /// whose value exceeds `above`, else `Err` with the float optimum (`None` when the float
    /// solve fails). On the vertex method every basis is dual feasible, so its value is a lower
    /// bound on the minimum in exact arithmetic (the dual objective, which only rises): a
    /// proof can be tried before the optimum, and is tried at each basis past `above`; the
    /// bounded method tries it at the optimum only. `prove` alone decides (a safe dual bound),
    /// so stopping early changes no answer: only how soon it is found.
    pub(crate) fn minimize_or_prove(
        &self,
        g: &[f64],
        above: f64,
        prove: Prove<'_>,
    ) -> Result<(), Option<BoxOptimum>> {
        self.minimize_or_prove_keeping(g, above, prove, None)
    }

    /// [`BoxLp::minimize_or_prove`], writing the vertex method's last basis into `keep` when
    /// given ([`KeptBasis`]: for other costs over the same rows, [`BoxLp::prove_by_kept`]).
    pub(crate) fn minimize_or_prove_keeping(
        &self,
        g: &[f64],
        above: f64,
        prove: Prove<'_>,
        keep: Option<&mut Option<KeptBasis>>,
    ) -> Result<(), Option<BoxOptimum>> {
        let (d, m) = (self.d, self.m);
        let opt = if 5 * d * d < m * d + 2 * m * m {
            // the vertex method tries the optimum's proof itself
            return match self.vertex_solve_keeping(g, None, Some((above, &mut *prove)), keep) {
                Some(Solved::Proved) => Ok(()),
                Some(Solved::Optimum(opt)) => Err(Some(opt)),
                None => Err(None),
            };
        } else {
            self.minimize_bounded(g)
        };
        match opt {
            Some(opt) if opt.value > above && prove(&sparse(&opt.y)) => Ok(()),
            opt => Err(opt),
        }
    }

    /// [`BoxLp::minimize`] with row `skip` left out (its multiplier 0), when the LP goes to the
    /// vertex method (many rows in few dimensions); `None` otherwise or when the float solve
    /// fails. The facets of a region ask this of each of its rows in turn over one LP.
    pub(crate) fn minimize_skipping(&self, g: &[f64], skip: usize) -> Option<BoxOptimum> {
        let (d, m) = (self.d, self.m);
        (5 * d * d < m * d + 2 * m * m).then(|| self.minimize_vertex_skipping(g, Some(skip)))?
    }

    /// [`BoxLp::minimize`] by a vertex (active-set) dual simplex: the basis is `d` active
    /// constraints with an explicit inverse, so a pivot costs `O(d^2 + m d)`.
    fn minimize_vertex(&self, g: &[f64]) -> Option<BoxOptimum> {
        self.minimize_vertex_skipping(g, None)
    }

    /// [`BoxLp::minimize_vertex`] over the rows other than `skip`.
    fn minimize_vertex_skipping(&self, g: &[f64], skip: Option<usize>) -> Option<BoxOptimum> {
        match self.vertex_solve(g, skip, None)? {
            Solved::Optimum(opt) => Some(opt),
            Solved::Proved => unreachable!("nothing to prove"),
        }
    }

    /// [`BoxLp::multipliers`] sparsely, into `out` (at least `d` long): the positive ones,
    /// `(i, y_i)` by increasing row number; returns how many.
    fn sparse_multipliers(&self, basis: &[usize], lambda: &[f64], out: &mut [(usize, f64)]) -> usize {
        let mut n = 0;
        for (r, &k) in basis.iter().enumerate() {
            if k < self.m {
                let y = lambda[r].max(0.0) * self.scale[k];
                if y > 0.0 {
                    out[n] = (k, y);
                    n += 1;
                }
            }
        }
        out[..n].sort_unstable_by_key(|&(k, _)| k);
        n
    }

    /// The multipliers of the rows as given (unscaled) of a dual feasible basis.
    fn multipliers(&self, basis: &[usize], lambda: &[f64]) -> Vec<f64> {
        let mut y = vec![0.0; self.m];
        for (r, &k) in basis.iter().enumerate() {
            if k < self.m {
                y[k] = lambda[r].max(0.0) * self.scale[k];
            }
        }
        y
    }

    /// The vertex method over the rows other than `skip`; with `early = (above, prove)`, stops
    /// at the first basis whose value exceeds `above` and whose multipliers `prove` accepts
    /// ([`BoxLp::minimize_or_prove`]), the optimal one included (an `Optimum` then was not
    /// proved). Up to [`SMALL`] dimensions the solve runs with the dimension known at compile
    /// time ([`BoxLp::vertex_solve_in`]): the same floats in the same order, loops unrolled.
    fn vertex_solve(
        &self,
        g: &[f64],
        skip: Option<usize>,
        early: Option<(f64, Prove<'_>)>,
    ) -> Option<Solved> {
        self.vertex_solve_keeping(g, skip, early, None)
    }

    /// [`BoxLp::vertex_solve`], writing its last basis (dual feasible) into `keep` when given
    /// and the dimension is at most [`SMALL`].
    fn vertex_solve_keeping(
        &self,
        g: &[f64],
        skip: Option<usize>,
        early: Option<(f64, Prove<'_>)>,
        keep: Option<&mut Option<KeptBasis>>,
    ) -> Option<Solved> {
        match self.d {
            1 => self.vertex_solve_in::<1>(g, skip, early, keep),
            2 => self.vertex_solve_in::<2>(g, skip, early, keep),
            3 => self.vertex_solve_in::<3>(g, skip, early, keep),
            4 => self.vertex_solve_in::<4>(g, skip, early, keep),
            5 => self.vertex_solve_in::<5>(g, skip, early, keep),
            6 => self.vertex_solve_in::<6>(g, skip, early, keep),
            7 => self.vertex_solve_in::<7>(g, skip, early, keep),
            8 => self.vertex_solve_in::<8>(g, skip, early, keep),
            _ => self.vertex_solve_in::<0>(g, skip, early, None),
        }
    }

    /// [`BoxLp::vertex_solve`] in `D` dimensions (`D == self.d`), or in `self.d` read at run
    /// time when `D` is 0: one body, whose loops the compiler unrolls when `D` is a constant.
    fn vertex_solve_in<const D: usize>(
        &self,
        g: &[f64],
        skip: Option<usize>,
        mut early: Option<(f64, Prove<'_>)>,
        mut keep: Option<&mut Option<KeptBasis>>,
    ) -> Option<Solved> {
        let d = if D == 0 { self.d } else { D };
        debug_assert_eq!(d, self.d);
        if g.len() != d || g.iter().any(|v| !v.is_finite()) {
            return None;
        }
        // the working arrays on the stack in few dimensions (the solve runs millions of times)
        let (mut basis_stack, mut basis_heap) = ([0usize; SMALL], Vec::new());
        let (mut buffer_stack, mut buffer_heap) = ([0.0f64; SMALL * SMALL + 4 * SMALL], Vec::new());
        let (mut sparse_stack, mut sparse_heap) = ([(0usize, 0.0f64); SMALL], Vec::new());
        let (basis, buffer, sparse_y): (&mut [usize], &mut [f64], &mut [(usize, f64)]) = if d <= SMALL {
            (&mut basis_stack[..d], &mut buffer_stack[..d * d + 4 * d], &mut sparse_stack[..d])
        } else {
            basis_heap.resize(d, 0);
            buffer_heap.resize(d * d + 4 * d, 0.0);
            sparse_heap.resize(d, (0, 0.0));
            (&mut basis_heap, &mut buffer_heap, &mut sparse_heap)
        };
        // the g-minimizing corner: x_j at lo_j (row m + 2j) when g_j > 0, else at hi_j
        for (j, k) in basis.iter_mut().enumerate() {
            *k = self.m + 2 * j + usize::from(g[j] <= 0.0);
        }
        // one buffer for the working arrays: the inverse of the basis matrix (rows a_k, k in
        // basis), diagonal +-1 at the start, then lambda, x, w and the basis's right-hand sides
        let (inv, rest) = buffer.split_at_mut(d * d);
        let (lambda, rest) = rest.split_at_mut(d);
        let (x, rest) = rest.split_at_mut(d);
        let (w, b_basis) = rest.split_at_mut(d);
        for j in 0..d {
            inv[j * d + j] = if basis[j] % 2 == self.m % 2 { -1.0 } else { 1.0 };
            lambda[j] = g[j].abs();
        }
        let total = self.m + 2 * d;
        for _ in 0..20 * (total + d) {
            // x = inv * b_B
            for (br, &k) in b_basis.iter_mut().zip(basis.iter()) {
                *br = self.b[k];
            }
            for (i, xi) in x.iter_mut().enumerate() {
                *xi = (0..d).map(|r| inv[i * d + r] * b_basis[r]).sum();
            }
            let Some(k) = self.most_violated(x, basis, skip) else {
                if let Some(keep) = keep.as_deref_mut() {
                    *keep = KeptBasis::of(basis, inv, x, self.m);
                }
                let value: f64 = g.iter().zip(x.iter()).map(|(gi, xi)| gi * xi).sum();
                // the optimum's proof tried here, without forming the dense multipliers: the
                // same list [`BoxLp::minimize_or_prove`] would hand `prove` from them
                if let Some((above, prove)) = early.as_mut() {
                    if value.is_finite() && value > *above && {
                        let n = self.sparse_multipliers(basis, lambda, sparse_y);
                        prove(&sparse_y[..n])
                    } {
                        return Some(Solved::Proved);
                    }
                }
                let y = self.multipliers(basis, lambda);
                return value.is_finite().then_some(Solved::Optimum(BoxOptimum { value, y, x: x.to_vec() }));
            };
            if let Some((above, prove)) = early.as_mut() {
                let value: f64 = g.iter().zip(x.iter()).map(|(gi, xi)| gi * xi).sum();
                if value > *above && {
                    let n = self.sparse_multipliers(basis, lambda, sparse_y);
                    prove(&sparse_y[..n])
                } {
                    if let Some(keep) = keep.as_deref_mut() {
                        *keep = KeptBasis::of(basis, inv, x, self.m);
                    }
                    return Some(Solved::Proved);
                }
            }
            // a_k = sum_r w_r a_{basis[r]}: w = inv^T a_k
            if k < self.m {
                let ak = self.row(k);
                for (r, wr) in w.iter_mut().enumerate() {
                    *wr = (0..d).map(|i| inv[i * d + r] * ak[i]).sum();
                }
            } else {
                // a_k = -+e_j
                let (j, sign) = ((k - self.m) / 2, if (k - self.m) % 2 == 0 { -1.0 } else { 1.0 });
                for (r, wr) in w.iter_mut().enumerate() {
                    *wr = sign * inv[j * d + r];
                }
            }
            // the ratio test: the first smallest `lambda_r / w_r` over `w_r > 1e-12`, each
            // ratio divided once
            let mut leave: Option<(usize, f64)> = None;
            for r in 0..d {
                if w[r] > 1e-12 {
                    let ratio = lambda[r] / w[r];
                    if leave.is_none_or(|(_, best)| ratio.total_cmp(&best) == std::cmp::Ordering::Less) {
                        leave = Some((r, ratio));
                    }
                }
            }
            let (leave, ratio) = leave?;
            let t = ratio.max(0.0);
            for r in 0..d {
                lambda[r] -= t * w[r];
            }
            lambda[leave] = t;
            basis[leave] = k;
            // rank-one update: column `leave` becomes u / w_leave, the others lose u w_j / w_leave
            // (column `leave` is computed with the others, then overwritten: no branch)
            let wl = w[leave];
            for i in 0..d {
                let row = &mut inv[i * d..(i + 1) * d];
                let u = row[leave];
                for (v, wj) in row.iter_mut().zip(w.iter()) {
                    *v -= u * wj / wl;
                }
                row[leave] = u / wl;
            }
        }
        None
    }

    /// The constraint outside the basis that `x` violates most (beyond its tolerance,
    /// [`BoxLp::tol`]); the rows read with the dimension known at compile time when it is
    /// small (the same floats either way).
    fn most_violated(&self, x: &[f64], basis: &[usize], skip: Option<usize>) -> Option<usize> {
        macro_rules! fixed {
            ($($d:literal)*) => {
                match self.d {
                    $($d => {
                        let x: &[f64; $d] = x.try_into().expect("a point of the LP's dimension");
                        self.most_violated_by(x, basis, skip, |row| dot_fixed::<$d>(row, x))
                    })*
                    _ => self.most_violated_by(x, basis, skip, |row| {
                        row.iter().zip(x).map(|(a, xi)| a * xi).sum::<f64>()
                    }),
                }
            };
        }
        fixed!(1 2 3 4 5 6 7 8)
    }

    /// [`BoxLp::most_violated`] with `dot(row) = row . x`.
    #[inline(always)]
    fn most_violated_by(
        &self,
        x: &[f64],
        basis: &[usize],
        skip: Option<usize>,
        dot: impl Fn(&[f64]) -> f64,
    ) -> Option<usize> {
        let (d, m) = (self.d, self.m);
        let mut best = None;
        let mut worst = 0.0;
        // the basis and `skip` are checked only for a new worst (rare)
        let mut consider = |k: usize, excess: f64| {
            if excess > self.tol[k] && excess > worst && Some(k) != skip && !basis.contains(&k) {
                worst = excess;
                best = Some(k);
            }
        };
        for (k, row) in self.a.chunks_exact(d.max(1)).enumerate().take(m) {
            consider(k, dot(row) - self.b[k]);
        }
        // the box rows `-x_j <= -lo_j`, `x_j <= hi_j`
        for (j, &xj) in x.iter().enumerate().take(d) {
            consider(m + 2 * j, -xj - self.b[m + 2 * j]);
            consider(m + 2 * j + 1, xj - self.b[m + 2 * j + 1]);
        }
        best
    }
}

/// The positive entries of dense multipliers, `(i, y_i)` by increasing `i`.
fn sparse(y: &[f64]) -> Vec<(usize, f64)> {
    y.iter().enumerate().filter(|(_, v)| **v > 0.0).map(|(i, v)| (i, *v)).collect()
}

#[cfg(test)]
mod tests;
