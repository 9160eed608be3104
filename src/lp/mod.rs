//! Floating-point LP backends behind one small trait. Their answers are *hints*: a candidate
//! interior point and, where the backend knows it, the optimal basis. Nothing they say is
//! trusted; [`crate::certify`] proves or refutes every hint in rational arithmetic.
//!
//! The one LP asked of a backend is the Chebyshev-style centring LP of a system of
//! halfspaces: `max t  s.t.  a_i . x + t w_i <= b_i,  t <= 1`, with `w_i = ||a_i||_inf` for the
//! rows that must hold strictly and `w_i = 0` for the rows that may be tight.

mod box_centre;
pub(crate) mod boxed;
pub(crate) mod good_lp_backend;

use crate::exact::simplex::{solve, LpOutcome};
use crate::kernel::halfspace::Halfspace;
use crate::kernel::Filter;

/// A backend's proposal for the centring LP.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Hint {
    /// A candidate centre `x` (floats).
    pub point: Option<Vec<f64>>,
    /// The float optimum `t` (positive: the system looks strictly feasible).
    pub radius: f64,
    /// Indices of the optimal basis rows (`rows.len()` stands for the row `t <= 1`).
    pub basis: Option<Vec<usize>>,
    /// Float dual multipliers of the rows as given (unscaled), when the backend knows them.
    pub dual: Option<Vec<f64>>,
}

/// A floating-point LP backend.
pub trait LpBackend: Send + Sync {
    /// The backend's name, for reports.
    fn name(&self) -> &'static str;
    /// Proposes a solution of the centring LP of `rows`; `strict[i]` says whether row `i` gets
    /// its weight `||a_i||` (must hold strictly) or weight 0.
    fn centre(&self, rows: &[&Halfspace], strict: &[bool]) -> Hint;
    /// Whether float filters may decide alongside this backend ([`Filter::Off`] for the
    /// float-free reference, [`ExactOnly`]).
    fn filter(&self) -> Filter {
        Filter::Float
    }
}

/// The backends, selectable at run time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Backend {
    /// Our dense dual simplex in `f64` (the default): gives a point and a basis.
    #[default]
    FloatSimplex,
    /// good_lp with the pure-Rust microlp solver: gives a point.
    GoodLp,
    /// No floats at all (a float-free reference): every LP is solved by the exact rational
    /// simplex and every sign computed exactly.
    ExactOnly,
}

impl Backend {
    /// Parses a backend name as used on the command line.
    ///
    /// # Examples
    /// ```
    /// use relu_regions::Backend;
    /// assert_eq!(Backend::from_name("exact"), Some(Backend::ExactOnly));
    /// assert_eq!(Backend::from_name("cplex"), None);
    /// assert!(!Backend::ExactOnly.filter().on()); // the float-free reference
    /// ```
    pub fn from_name(name: &str) -> Option<Backend> {
        match name {
            "simplex" | "float-simplex" => Some(Backend::FloatSimplex),
            "good_lp" | "good-lp" | "microlp" => Some(Backend::GoodLp),
            "exact" => Some(Backend::ExactOnly),
            _ => None,
        }
    }

    /// Whether float filters may decide: everywhere but on the float-free [`Backend::ExactOnly`].
    ///
    /// See the example on [`Backend::from_name`].
    pub fn filter(self) -> Filter {
        self.solver().filter()
    }

    /// The backend object.
    ///
    /// # Examples
    /// ```
    /// use relu_regions::Backend;
    /// assert!(Backend::GoodLp.solver().filter().on());
    /// assert!(!Backend::ExactOnly.solver().filter().on());
    /// ```
    pub fn solver(self) -> &'static dyn LpBackend {
        match self {
            Backend::FloatSimplex => &FloatSimplex,
            Backend::GoodLp => &good_lp_backend::GoodLpBackend,
            Backend::ExactOnly => &ExactOnly,
        }
    }
}

/// Our dual simplex run in `f64` on rows scaled to unit infinity norm.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct FloatSimplex;

impl LpBackend for FloatSimplex {
    fn name(&self) -> &'static str {
        "float-simplex"
    }

    fn centre(&self, rows: &[&Halfspace], strict: &[bool]) -> Hint {
        let d = rows.first().map_or(0, |r| r.a.len());
        if let Some(hint) = box_centre::centre_in_box(rows, strict, d) {
            return hint;
        }
        let (mut a, mut b, scales) = scaled_rows(rows);
        for (r, &s) in a.iter_mut().zip(strict) {
            r.push(if s { 1.0 } else { 0.0 });
        }
        let mut top = vec![0.0; d + 1];
        top[d] = 1.0;
        a.push(top);
        b.push(1.0);
        if a.iter().flatten().chain(&b).any(|v| !v.is_finite()) {
            return Hint::default();
        }
        let mut c = vec![0.0; d + 1];
        c[d] = -1.0;
        match solve(&a, &b, &c, 50 * (a.len() + d + 2)) {
            Some(LpOutcome::Optimal { x, basis, y }) => Hint {
                radius: x[d],
                point: Some(x[..d].to_vec()),
                basis: Some(basis),
                dual: Some(y.iter().zip(scales.iter().chain([&1.0])).map(|(v, s)| v * s).collect()),
            },
            _ => Hint::default(),
        }
    }
}

/// The factor that scales a float row to unit infinity norm (1 for a zero or non-finite row).
pub(crate) fn unit_scale(a: &[f64]) -> f64 {
    let norm = a.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    if norm > 0.0 && norm.is_finite() {
        1.0 / norm
    } else {
        1.0
    }
}

/// The float rows scaled to unit infinity norm (`a`, `b`) and the scale of each row (to map
/// multipliers back to the rows as given).
pub(crate) fn scaled_rows(rows: &[&Halfspace]) -> (Vec<Vec<f64>>, Vec<f64>, Vec<f64>) {
    let mut a = Vec::with_capacity(rows.len() + 1);
    let mut b = Vec::with_capacity(rows.len() + 1);
    let mut scales = Vec::with_capacity(rows.len());
    for row in rows {
        let scale = unit_scale(row.float_a());
        a.push(row.float_a().iter().map(|v| v * scale).collect::<Vec<f64>>());
        b.push(row.float_b() * scale);
        scales.push(scale);
    }
    (a, b, scales)
}

/// No hint: forces the exact rational simplex on every LP (slow; for testing and as a reference).
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct ExactOnly;

impl LpBackend for ExactOnly {
    fn name(&self) -> &'static str {
        "exact"
    }

    fn centre(&self, _rows: &[&Halfspace], _strict: &[bool]) -> Hint {
        Hint::default()
    }

    fn filter(&self) -> Filter {
        Filter::Off
    }
}
