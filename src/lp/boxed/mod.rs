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
use crate::kernel::float_box::FloatBox;
use crate::kernel::halfspace::Halfspace;

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
        a.iter().chain(&b).all(|v| v.is_finite()).then_some(BoxLp { d, m, a, b, scale, read })
    }

    /// [`BoxLp::minimize`] by the bounded dual simplex on the tableau `B^-1 [A | I]` of the
    /// `m` rows with slacks: the `d` variables stay at their bounds unless basic, so a pivot
    /// costs `O(m (d + m))` whatever the dimension.
    fn minimize_bounded(&self, g: &[f64]) -> Option<BoxOptimum> {
        self.minimize_bounded_within(g, 20)
    }

    /// [`BoxLp::minimize`] by the bounded method with up to `patience (d + m + 1)` iterations
    /// (the default 20 can be too few for degenerate rows in hundreds of dimensions).
    pub(crate) fn minimize_bounded_within(&self, g: &[f64], patience: usize) -> Option<BoxOptimum> {
        let (d, m) = (self.d, self.m);
        if g.len() != d || g.iter().any(|v| !v.is_finite()) {
            return None;
        }
        // the columns that matter: a variable in no row and without cost stays at its lower
        // bound (a pixel that no row of the region reads)
        let cols: Vec<usize> = (0..d).filter(|&j| g[j] != 0.0 || self.read[j]).collect();
        let dc = cols.len();
        let n = dc + m;
        let lo = |j: usize| if j < dc { -self.b[m + 2 * cols[j]] } else { 0.0 };
        let hi = |j: usize| if j < dc { self.b[m + 2 * cols[j] + 1] } else { f64::INFINITY };
        // tableau rows B^-1 [A | I] and B^-1 b; reduced costs; basic variable of each row
        let mut t = vec![0.0; m * n];
        let mut beta = self.b[..m].to_vec();
        for i in 0..m {
            let row = self.row(i);
            for (k, &j) in cols.iter().enumerate() {
                t[i * n + k] = row[j];
            }
            t[i * n + dc + i] = 1.0;
        }
        let mut r: Vec<f64> = cols.iter().map(|&j| g[j]).chain(std::iter::repeat_n(0.0, m)).collect();
        let mut basic: Vec<usize> = (dc..n).collect();
        let mut is_basic = vec![false; n];
        is_basic[dc..].iter_mut().for_each(|b| *b = true);
        // nonbasic value: the g-minimizing bound for x_j, 0 for a slack
        let mut at_upper: Vec<bool> = (0..n).map(|k| k < dc && g[cols[k]] < 0.0).collect();
        // most costs are 0 (a bound LP's row has kernel-size terms, the centring LP's cost is t
        // alone), and the ties of such a dual degenerate ratio test stall it for thousands of
        // pivots: the costs are perturbed in their dual feasible direction by deterministic
        // amounts that break the ties (as industrial dual simplex codes do). The answer stays a
        // hint: a point is checked exactly, and the safe bound charges the multipliers' residual
        // against the box.
        let largest = g.iter().fold(0.0f64, |m, v| m.max(v.abs()));
        for (k, rk) in r[..dc].iter_mut().enumerate() {
            let delta = COST_PERTURBATION * largest * (1.0 + ((cols[k] * 7919) % 1009) as f64 / 1009.0);
            *rk += if at_upper[k] { -delta } else { delta };
        }
        let value_of = |j: usize, at_upper: &[bool]| if at_upper[j] { hi(j) } else { lo(j) };
        let mut values = vec![0.0; m];
        let mut nonbasic_value = vec![0.0; n];
        let mut candidates: Vec<(f64, usize)> = Vec::new();
        for _ in 0..patience * (n + 1) {
            // a long solve gives way to the run's stop request (like the dense tableau); the
            // bound LPs (default patience) run to their end, as their answers steer decisions
            if patience > 20 && crate::runtime::stop::requested() {
                return None;
            }
            // values of the basic variables: B^-1 b - sum over nonbasic of column * value
            for (j, v) in nonbasic_value.iter_mut().enumerate() {
                *v = if is_basic[j] { 0.0 } else { value_of(j, &at_upper) };
            }
            for (i, value) in values.iter_mut().enumerate() {
                let row = &t[i * n..(i + 1) * n];
                *value = beta[i] - row.iter().zip(&nonbasic_value).map(|(a, x)| a * x).sum::<f64>();
            }
            // the basic variable most outside its bounds leaves
            let mut leave = None;
            let mut worst = 0.0;
            for i in 0..m {
                let (l, h, v) = (lo(basic[i]), hi(basic[i]), values[i]);
                let tol = 1e-10 * (1.0 + v.abs());
                let excess = if v < l - tol {
                    l - v
                } else if v > h + tol {
                    v - h
                } else {
                    0.0
                };
                if excess > worst {
                    worst = excess;
                    leave = Some((i, v < l));
                }
            }
            let Some((i, below)) = leave else {
                let mut x: Vec<f64> = (0..d).map(|j| -self.b[m + 2 * j]).collect();
                for (k, &j) in cols.iter().enumerate() {
                    x[j] = value_of(k, &at_upper);
                }
                for (row, &var) in basic.iter().enumerate() {
                    if var < dc {
                        x[cols[var]] = values[row];
                    }
                }
                let value: f64 = g.iter().zip(&x).map(|(gi, xi)| gi * xi).sum();
                // the multipliers of the final basis for the costs as given (not perturbed): the
                // slacks' reduced costs `-c_B B^-1 e_k`
                let basic_cost: Vec<f64> =
                    basic.iter().map(|&var| if var < dc { g[cols[var]] } else { 0.0 }).collect();
                let y = (0..m)
                    .map(|k| {
                        let reduced: f64 = -(0..m).map(|i| basic_cost[i] * t[i * n + dc + k]).sum::<f64>();
                        reduced.max(0.0) * self.scale[k]
                    })
                    .collect();
                return value.is_finite().then_some(BoxOptimum { value, y, x });
            };
            // entering, by the bound-flipping ratio test: candidates in order of |r_j / alpha_j|
            // (which keeps the reduced costs dual feasible); a boxed candidate whose whole range
            // does not repair the violation flips to its other bound instead of entering
            let row = &t[i * n..(i + 1) * n];
            candidates.clear();
            for j in (0..n).filter(|&j| !is_basic[j]) {
                let alpha = row[j];
                if alpha.abs() <= 1e-12 {
                    continue;
                }
                // the basic variable moves by -alpha * (change of x_j): below its lower bound it
                // must rise, above its upper bound fall
                let can_rise = !at_upper[j] && hi(j) > lo(j);
                let can_fall = at_upper[j];
                let ok = if below {
                    (alpha < 0.0 && can_rise) || (alpha > 0.0 && can_fall)
                } else {
                    (alpha > 0.0 && can_rise) || (alpha < 0.0 && can_fall)
                };
                if ok {
                    candidates.push(((r[j] / alpha).abs(), j));
                }
            }
            candidates.sort_by(|x, y| x.0.total_cmp(&y.0).then(x.1.cmp(&y.1)));
            let mut violation = worst;
            let mut enter = None;
            for &(_, j) in &candidates {
                let reach = row[j].abs() * (hi(j) - lo(j));
                if reach.is_finite() && reach < violation {
                    violation -= reach;
                    at_upper[j] = !at_upper[j];
                } else {
                    enter = Some(j);
                    break;
                }
            }
            let j = enter?;
            // pivot on (i, j)
            let pivot = t[i * n + j];
            for v in &mut t[i * n..(i + 1) * n] {
                *v /= pivot;
            }
            beta[i] /= pivot;
            let pivot_row: Vec<f64> = t[i * n..(i + 1) * n].to_vec();
            for k in (0..m).filter(|&k| k != i) {
                let f = t[k * n + j];
                if f != 0.0 {
                    for (v, p) in t[k * n..(k + 1) * n].iter_mut().zip(&pivot_row) {
                        *v -= f * p;
                    }
                    beta[k] -= f * beta[i];
                }
            }
            let f = r[j];
            if f != 0.0 {
                for (v, p) in r.iter_mut().zip(&pivot_row) {
                    *v -= f * p;
                }
            }
            let leaving = basic[i];
            is_basic[leaving] = false;
            at_upper[leaving] = !below;
            is_basic[j] = true;
            at_upper[j] = false;
            basic[i] = j;
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
        (finite && a.len() == m * d && hi.len() == d).then_some(BoxLp { d, m, a, b, scale, read })
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
        let d = self.d;
        if g.len() != d || g.iter().any(|v| !v.is_finite()) {
            return None;
        }
        // the g-minimizing corner: x_j at lo_j (row m + 2j) when g_j > 0, else at hi_j
        let mut basis: Vec<usize> = (0..d).map(|j| self.m + 2 * j + usize::from(g[j] <= 0.0)).collect();
        let mut lambda: Vec<f64> = g.iter().map(|v| v.abs()).collect();
        // inverse of the basis matrix (rows a_k, k in basis): diagonal +-1 at the start
        let mut inv = vec![0.0; d * d];
        for j in 0..d {
            inv[j * d + j] = if basis[j] % 2 == self.m % 2 { -1.0 } else { 1.0 };
        }
        let mut x = vec![0.0; d];
        let total = self.m + 2 * d;
        let mut w = vec![0.0; d];
        for _ in 0..20 * (total + d) {
            // x = inv * b_B
            for (i, xi) in x.iter_mut().enumerate() {
                *xi = (0..d).map(|r| inv[i * d + r] * self.b[basis[r]]).sum();
            }
            let Some(k) = self.most_violated(&x, &basis, skip) else {
                let value: f64 = g.iter().zip(&x).map(|(gi, xi)| gi * xi).sum();
                let mut y = vec![0.0; self.m];
                for (r, &k) in basis.iter().enumerate() {
                    if k < self.m {
                        y[k] = lambda[r].max(0.0) * self.scale[k];
                    }
                }
                return value.is_finite().then_some(BoxOptimum { value, y, x: x.clone() });
            };
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
            let leave = (0..d)
                .filter(|&r| w[r] > 1e-12)
                .min_by(|&r, &s| (lambda[r] / w[r]).total_cmp(&(lambda[s] / w[s])))?;
            let t = (lambda[leave] / w[leave]).max(0.0);
            for r in 0..d {
                lambda[r] -= t * w[r];
            }
            lambda[leave] = t;
            basis[leave] = k;
            // rank-one update: column `leave` becomes u / w_leave, the others lose u w_j / w_leave
            let wl = w[leave];
            for i in 0..d {
                let u = inv[i * d + leave];
                for j in 0..d {
                    if j == leave {
                        inv[i * d + j] = u / wl;
                    } else {
                        inv[i * d + j] -= u * w[j] / wl;
                    }
                }
            }
        }
        None
    }

    /// The constraint outside the basis that `x` violates most (beyond a small tolerance).
    fn most_violated(&self, x: &[f64], basis: &[usize], skip: Option<usize>) -> Option<usize> {
        let (d, m) = (self.d, self.m);
        let mut best = None;
        let mut worst = 0.0;
        let mut consider = |k: usize, excess: f64| {
            if excess > 1e-10 * (1.0 + self.b[k].abs()) && excess > worst && !basis.contains(&k) {
                worst = excess;
                best = Some(k);
            }
        };
        for (k, row) in self.a.chunks_exact(d.max(1)).enumerate().take(m) {
            if Some(k) != skip {
                consider(k, row.iter().zip(x).map(|(a, xi)| a * xi).sum::<f64>() - self.b[k]);
            }
        }
        // the box rows `-x_j <= -lo_j`, `x_j <= hi_j`
        for (j, &xj) in x.iter().enumerate().take(d) {
            consider(m + 2 * j, -xj - self.b[m + 2 * j]);
            consider(m + 2 * j + 1, xj - self.b[m + 2 * j + 1]);
        }
        best
    }
}

#[cfg(test)]
mod tests;
