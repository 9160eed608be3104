//! The input domain of a network (all of R^d, a box, or a polytope `A x <= b`) and its
//! validation: a box needs `lo < hi` on every axis; a polytope must have interior points, and
//! when it has none the refusal says why with a checked certificate
//! ([`crate::certify::polytope_defect`]). Zero rows `0 . x <= b` with `b >= 0` hold everywhere:
//! they are accepted and left out of every computation.

use crate::error::Problem;
use crate::exact::num::{fmt_q, Q};
use crate::kernel::halfspace::Halfspace;
use num_traits::Zero;

/// The input domain of a network.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Domain {
    /// All of R^d.
    Whole,
    /// `lo_j <= x_j <= hi_j` with `lo_j < hi_j`.
    Box(Vec<(Q, Q)>),
    /// `A x <= b`, full-dimensional.
    Polytope {
        /// Row normals.
        a: Vec<Vec<Q>>,
        /// Right-hand sides.
        b: Vec<Q>,
    },
}

impl Domain {
    /// The float box of a box domain (`None` for other domains): the images of its bounds.
    pub(crate) fn float_box(&self) -> Option<crate::kernel::float_box::FloatBox> {
        match self {
            Domain::Box(bounds) => Some(crate::kernel::float_box::FloatBox::of_box(bounds)),
            _ => None,
        }
    }

    /// The domain as a list of halfspaces `a . x <= b` (empty for all of R^d). A polytope's
    /// zero rows are left out: on a valid domain each reads `0 . x <= b` with `b >= 0` and holds
    /// everywhere.
    ///
    /// # Examples
    /// ```
    /// use relu_regions::network::Domain;
    /// use relu_regions::exact::num::q;
    /// let unit = Domain::Box(vec![(q(0), q(1)), (q(0), q(1))]);
    /// assert!(unit.is_box() && !Domain::Whole.is_box());
    /// let rows = unit.halfspaces(2); // -x <= 0, x <= 1, -y <= 0, y <= 1
    /// assert_eq!(rows.len(), 4);
    /// assert!(rows.iter().all(|h| h.slack(&[q(1), q(0)]) >= q(0))); // a corner is in the closed box
    /// assert!(Domain::Whole.halfspaces(2).is_empty());
    /// // 0 x + 0 y <= 0 holds everywhere: only x + y <= 1 is left, as row 1 of A
    /// let half = Domain::Polytope { a: vec![vec![q(0), q(0)], vec![q(1), q(1)]], b: vec![q(0), q(1)] };
    /// assert_eq!(half.halfspaces(2).len(), 1);
    /// assert_eq!(half.indexed_halfspaces(2)[0].0, 1);
    /// ```
    pub fn halfspaces(&self, dim: usize) -> Vec<Halfspace> {
        self.indexed_halfspaces(dim).into_iter().map(|(_, h)| h).collect()
    }

    /// [`Domain::halfspaces`], each with its row's index: row `k` of a polytope's `A`; a box
    /// gives rows `2j` for `x_j >= lo` and `2j + 1` for `x_j <= hi`.
    ///
    /// See the example on [`Domain::halfspaces`].
    pub fn indexed_halfspaces(&self, dim: usize) -> Vec<(usize, Halfspace)> {
        match self {
            Domain::Whole => Vec::new(),
            Domain::Box(bounds) => bounds
                .iter()
                .enumerate()
                .flat_map(|(j, (lo, hi))| {
                    let mut up = vec![Q::zero(); dim];
                    up[j] = crate::exact::num::q(1);
                    let mut down = vec![Q::zero(); dim];
                    down[j] = crate::exact::num::q(-1);
                    [Halfspace::new(down, -lo.clone()), Halfspace::new(up, hi.clone())]
                })
                .enumerate()
                .collect(),
            Domain::Polytope { a, b } => a
                .iter()
                .zip(b)
                .enumerate()
                .filter(|(_, (row, _))| !row.iter().all(Zero::is_zero))
                .map(|(k, (row, rhs))| (k, Halfspace::new(row.clone(), rhs.clone())))
                .collect(),
        }
    }

    /// Whether every point of the domain has bounded coordinates known without solving an LP.
    ///
    /// See the example on [`Domain::halfspaces`].
    pub fn is_box(&self) -> bool {
        matches!(self, Domain::Box(_))
    }
}

impl super::Network {
    /// The input domain.
    ///
    /// See the example on [`Network::evaluate`](super::Network::evaluate).
    pub fn domain(&self) -> &Domain {
        &self.domain
    }

    /// The same network on another domain (validated; the notes are kept).
    ///
    /// See the example on [`Network::evaluate`](super::Network::evaluate).
    pub fn with_domain(&self, domain: Domain) -> Result<super::Network, crate::error::NetworkError> {
        super::Network::new(self.input_dim, self.layers.clone(), domain)
            .map(|n| n.with_notes(self.notes.clone()))
    }

    /// Whether a point lies in the closed domain.
    ///
    /// See the example on [`Network::evaluate`](super::Network::evaluate).
    pub fn domain_contains(&self, x: &[Q]) -> bool {
        self.domain.halfspaces(self.input_dim).iter().all(|h| h.slack(x) >= Q::zero())
    }
}

/// Every problem of `domain` for inputs of dimension `dim` (empty when it is a valid domain).
pub(super) fn domain_problems(domain: &Domain, dim: usize) -> Vec<Problem> {
    let mut problems = Vec::new();
    match domain {
        Domain::Whole => {}
        Domain::Box(bounds) => {
            if bounds.len() != dim {
                problems.push(Problem::new(
                    "domain.box",
                    format!("has {} intervals, expected {dim} (one per input)", bounds.len()),
                ));
            }
            for (j, (lo, hi)) in bounds.iter().enumerate() {
                let why = match lo.cmp(hi) {
                    std::cmp::Ordering::Less => continue,
                    std::cmp::Ordering::Equal => format!(
                        "lo = hi = {}: the box is lower-dimensional (x{j} is fixed); it must be full-dimensional, lo < hi",
                        fmt_q(lo)
                    ),
                    std::cmp::Ordering::Greater => {
                        format!("lo = {} > hi = {}: the box is empty; it needs lo < hi", fmt_q(lo), fmt_q(hi))
                    }
                };
                problems.push(Problem::new(format!("domain.box[{j}]"), why));
            }
        }
        Domain::Polytope { a, b } => {
            if a.len() != b.len() {
                problems.push(Problem::new(
                    "domain.polytope",
                    format!("A has {} rows but b has {} entries", a.len(), b.len()),
                ));
            }
            for (i, row) in a.iter().enumerate() {
                if row.len() != dim {
                    problems.push(Problem::new(
                        format!("domain.polytope.A[{i}]"),
                        format!("row has {} entries, expected {dim}", row.len()),
                    ));
                }
            }
            if problems.is_empty() {
                problems.extend(polytope_problem(a, b));
            }
        }
    }
    problems
}

/// The refusal of a polytope without interior points, with its certificate.
fn polytope_problem(a: &[Vec<Q>], b: &[Q]) -> Option<Problem> {
    use crate::certify::PolytopeDefect;
    match crate::certify::polytope_defect(a, b) {
        Ok(None) => None,
        Ok(Some(defect @ PolytopeDefect::ContradictoryRow { row })) => {
            Some(Problem::new(format!("domain.polytope.A[{row}]"), defect.explain(b)))
        }
        Ok(Some(defect)) => Some(Problem::new("domain.polytope", defect.explain(b))),
        Err(e) => Some(Problem::new(
            "domain.polytope",
            format!("whether it has interior points could not be decided ({e}); please report this"),
        )),
    }
}
