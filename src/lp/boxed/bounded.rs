//! The bounded dual simplex of [`BoxLp::minimize_bounded_within`]: the tableau `B^-1 [A | I]` of
//! the `m` rows with slacks over the columns that matter, with the variables' bounds, the
//! (perturbed) reduced costs and the basis; one iteration is [`Tableau::update_values`],
//! [`Tableau::leaving`], [`Tableau::entering`] (the bound-flipping ratio test) and
//! [`Tableau::pivot`]. Floats only: its answer is a hint that the callers certify.
//!
//! May import: `lp::boxed` (the LP it solves).

use super::{BoxLp, BoxOptimum, COST_PERTURBATION};

/// The state of one bounded dual simplex solve.
pub(super) struct Tableau<'a> {
    lp: &'a BoxLp,
    /// The costs as given (not perturbed).
    g: &'a [f64],
    /// The columns that matter: a variable in no row and without cost stays at its lower bound
    /// (a pixel that no row of the region reads).
    cols: Vec<usize>,
    /// How many of them.
    dc: usize,
    /// Columns of the tableau: `dc` variables, then `m` slacks.
    pub(super) n: usize,
    /// Tableau rows `B^-1 [A | I]`, row-major.
    t: Vec<f64>,
    /// `B^-1 b`.
    beta: Vec<f64>,
    /// Reduced costs (perturbed).
    r: Vec<f64>,
    /// The basic variable of each row.
    basic: Vec<usize>,
    is_basic: Vec<bool>,
    /// A nonbasic variable's value: its upper bound when set, else its lower bound.
    at_upper: Vec<bool>,
    /// The basic variables' values.
    values: Vec<f64>,
    nonbasic_value: Vec<f64>,
    candidates: Vec<(f64, usize)>,
}

impl<'a> Tableau<'a> {
    /// The slack basis of `lp` for the costs `g` (finite, of the LP's dimension).
    pub(super) fn new(lp: &'a BoxLp, g: &'a [f64]) -> Tableau<'a> {
        let (d, m) = (lp.d, lp.m);
        let cols: Vec<usize> = (0..d).filter(|&j| g[j] != 0.0 || lp.read[j]).collect();
        let dc = cols.len();
        let n = dc + m;
        let mut t = vec![0.0; m * n];
        let beta = lp.b[..m].to_vec();
        for i in 0..m {
            let row = lp.row(i);
            for (k, &j) in cols.iter().enumerate() {
                t[i * n + k] = row[j];
            }
            t[i * n + dc + i] = 1.0;
        }
        let mut r: Vec<f64> = cols.iter().map(|&j| g[j]).chain(std::iter::repeat_n(0.0, m)).collect();
        let basic: Vec<usize> = (dc..n).collect();
        let mut is_basic = vec![false; n];
        is_basic[dc..].iter_mut().for_each(|b| *b = true);
        // nonbasic value: the g-minimizing bound for x_j, 0 for a slack
        let at_upper: Vec<bool> = (0..n).map(|k| k < dc && g[cols[k]] < 0.0).collect();
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
        Tableau {
            lp,
            g,
            cols,
            dc,
            n,
            t,
            beta,
            r,
            basic,
            is_basic,
            at_upper,
            values: vec![0.0; m],
            nonbasic_value: vec![0.0; n],
            candidates: Vec::new(),
        }
    }

    fn lo(&self, j: usize) -> f64 {
        if j < self.dc {
            -self.lp.b[self.lp.m + 2 * self.cols[j]]
        } else {
            0.0
        }
    }

    fn hi(&self, j: usize) -> f64 {
        if j < self.dc {
            self.lp.b[self.lp.m + 2 * self.cols[j] + 1]
        } else {
            f64::INFINITY
        }
    }

    fn value_of(&self, j: usize) -> f64 {
        if self.at_upper[j] {
            self.hi(j)
        } else {
            self.lo(j)
        }
    }

    /// The values of the basic variables: `B^-1 b` minus each nonbasic column times its value.
    pub(super) fn update_values(&mut self) {
        for j in 0..self.n {
            self.nonbasic_value[j] = if self.is_basic[j] { 0.0 } else { self.value_of(j) };
        }
        let n = self.n;
        for (i, value) in self.values.iter_mut().enumerate() {
            let row = &self.t[i * n..(i + 1) * n];
            *value = self.beta[i] - row.iter().zip(&self.nonbasic_value).map(|(a, x)| a * x).sum::<f64>();
        }
    }

    /// The basic variable most outside its bounds, which leaves: its row, whether it is below
    /// its lower bound, and by how much it is out; `None` when every one is within (optimal).
    pub(super) fn leaving(&self) -> Option<(usize, bool, f64)> {
        let mut leave = None;
        let mut worst = 0.0;
        for i in 0..self.lp.m {
            let (l, h, v) = (self.lo(self.basic[i]), self.hi(self.basic[i]), self.values[i]);
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
        leave.map(|(i, below)| (i, below, worst))
    }

    /// The optimum at the current (primal feasible) basis: the point, its value for the costs
    /// as given, and the multipliers `-c_B B^-1 e_k` of the rows (scaled back), or `None` when
    /// the value is not finite.
    pub(super) fn optimum(&self) -> Option<BoxOptimum> {
        let (lp, g, n, dc, m) = (self.lp, self.g, self.n, self.dc, self.lp.m);
        let mut x: Vec<f64> = (0..lp.d).map(|j| -lp.b[m + 2 * j]).collect();
        for (k, &j) in self.cols.iter().enumerate() {
            x[j] = self.value_of(k);
        }
        for (row, &var) in self.basic.iter().enumerate() {
            if var < dc {
                x[self.cols[var]] = self.values[row];
            }
        }
        let value: f64 = g.iter().zip(&x).map(|(gi, xi)| gi * xi).sum();
        // the multipliers of the final basis for the costs as given (not perturbed): the
        // slacks' reduced costs `-c_B B^-1 e_k`
        let basic_cost: Vec<f64> =
            self.basic.iter().map(|&var| if var < dc { g[self.cols[var]] } else { 0.0 }).collect();
        let y = (0..m)
            .map(|k| {
                let reduced: f64 = -(0..m).map(|i| basic_cost[i] * self.t[i * n + dc + k]).sum::<f64>();
                reduced.max(0.0) * lp.scale[k]
            })
            .collect();
        value.is_finite().then_some(BoxOptimum { value, y, x })
    }

    /// The entering column for leaving row `i`, by the bound-flipping ratio test: candidates in
    /// order of `|r_j / alpha_j|` (which keeps the reduced costs dual feasible); a boxed
    /// candidate whose whole range does not repair the violation `worst` flips to its other
    /// bound instead of entering. `None` when no candidate can enter (dual unbounded).
    pub(super) fn entering(&mut self, i: usize, below: bool, worst: f64) -> Option<usize> {
        let n = self.n;
        let mut candidates = std::mem::take(&mut self.candidates);
        candidates.clear();
        for j in (0..n).filter(|&j| !self.is_basic[j]) {
            let alpha = self.t[i * n + j];
            if alpha.abs() <= 1e-12 {
                continue;
            }
            // the basic variable moves by -alpha * (change of x_j): below its lower bound it
            // must rise, above its upper bound fall
            let can_rise = !self.at_upper[j] && self.hi(j) > self.lo(j);
            let can_fall = self.at_upper[j];
            let ok = if below {
                (alpha < 0.0 && can_rise) || (alpha > 0.0 && can_fall)
            } else {
                (alpha > 0.0 && can_rise) || (alpha < 0.0 && can_fall)
            };
            if ok {
                candidates.push(((self.r[j] / alpha).abs(), j));
            }
        }
        candidates.sort_by(|x, y| x.0.total_cmp(&y.0).then(x.1.cmp(&y.1)));
        let mut violation = worst;
        let mut enter = None;
        for &(_, j) in &candidates {
            let reach = self.t[i * n + j].abs() * (self.hi(j) - self.lo(j));
            if reach.is_finite() && reach < violation {
                violation -= reach;
                self.at_upper[j] = !self.at_upper[j];
            } else {
                enter = Some(j);
                break;
            }
        }
        self.candidates = candidates;
        enter
    }

    /// Pivots on `(i, j)`: `j` enters the basis in row `i`, whose variable leaves at the bound it
    /// violated (`below`: its lower bound).
    pub(super) fn pivot(&mut self, i: usize, j: usize, below: bool) {
        let (n, m) = (self.n, self.lp.m);
        let t = &mut self.t;
        let pivot = t[i * n + j];
        for v in &mut t[i * n..(i + 1) * n] {
            *v /= pivot;
        }
        self.beta[i] /= pivot;
        let pivot_row: Vec<f64> = t[i * n..(i + 1) * n].to_vec();
        for k in (0..m).filter(|&k| k != i) {
            let f = t[k * n + j];
            if f != 0.0 {
                for (v, p) in t[k * n..(k + 1) * n].iter_mut().zip(&pivot_row) {
                    *v -= f * p;
                }
                self.beta[k] -= f * self.beta[i];
            }
        }
        let f = self.r[j];
        if f != 0.0 {
            for (v, p) in self.r.iter_mut().zip(&pivot_row) {
                *v -= f * p;
            }
        }
        let leaving = self.basic[i];
        self.is_basic[leaving] = false;
        self.at_upper[leaving] = !below;
        self.is_basic[j] = true;
        self.at_upper[j] = false;
        self.basic[i] = j;
    }
}
