//! The good_lp backend (microlp, pure Rust): proposes a centre, no basis.

use super::{Hint, LpBackend};
use crate::kernel::halfspace::Halfspace;
use good_lp::{constraint, microlp, variable, Expression, ProblemVariables, Solution, SolverModel};

/// good_lp with microlp.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct GoodLpBackend;

impl LpBackend for GoodLpBackend {
    fn name(&self) -> &'static str {
        "good_lp-microlp"
    }

    fn centre(&self, rows: &[&Halfspace], strict: &[bool]) -> Hint {
        let d = rows.first().map_or(0, |r| r.a.len());
        let mut vars = ProblemVariables::new();
        let x: Vec<_> = (0..d).map(|_| vars.add(variable())).collect();
        let t = vars.add(variable().max(1.0));
        let mut model = vars.maximise(t).using(microlp);
        for (row, &s) in rows.iter().zip(strict) {
            let scale = super::unit_scale(row.float_a());
            let mut lhs = Expression::from(0.0);
            for (xi, ai) in x.iter().zip(row.float_a()) {
                lhs += *xi * (ai * scale);
            }
            if s {
                lhs += t;
            }
            let rhs = row.float_b() * scale;
            if !rhs.is_finite() {
                return Hint::default();
            }
            model = model.with(constraint!(lhs <= rhs));
        }
        match model.solve() {
            Ok(sol) => Hint {
                radius: sol.value(t),
                point: Some(x.iter().map(|v| sol.value(*v)).collect()),
                basis: None,
                dual: None,
            },
            Err(_) => Hint::default(),
        }
    }
}
