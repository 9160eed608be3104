//! Tests of the dense simplex: certificates of each outcome, degenerate vertices, and the stop
//! token polled inside a pivot.

use super::*;
use crate::exact::num::q;

fn qs(v: &[i64]) -> Vec<Q> {
    v.iter().map(|&x| q(x)).collect()
}

#[test]
fn detects_infeasible_with_farkas() {
    // x <= 0 and -x <= -1
    let a = vec![qs(&[1]), qs(&[-1])];
    let b = qs(&[0, -1]);
    match solve(&a, &b, &qs(&[0]), 100).unwrap() {
        LpOutcome::Infeasible { y } => {
            assert!(all_nonnegative(&y));
            assert_eq!(&y[0] * q(1) + &y[1] * q(-1), q(0));
            assert!(&y[0] * q(0) + &y[1] * q(-1) < q(0));
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn detects_unbounded_with_ray() {
    let a = vec![qs(&[1, 0])];
    let b = qs(&[1]);
    match solve(&a, &b, &qs(&[0, 1]), 100).unwrap() {
        LpOutcome::Unbounded { ray } => {
            assert!(ray[0] <= q(0));
            assert!(ray[1] < q(0));
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn degenerate_vertex_terminates() {
    // many constraints through the origin
    let a = vec![qs(&[1, 1]), qs(&[1, 2]), qs(&[2, 1]), qs(&[1, 0]), qs(&[0, 1]), qs(&[-1, 0]), qs(&[0, -1])];
    let b = qs(&[0, 0, 0, 0, 0, 1, 1]);
    match solve(&a, &b, &qs(&[-1, -1]), 1000).unwrap() {
        LpOutcome::Optimal { x, y, .. } => {
            assert_eq!(&x[0] + &x[1], q(0));
            assert!(all_nonnegative(&y));
        }
        other => panic!("{other:?}"),
    }
    let f: Vec<Vec<f64>> = a.iter().map(|r| r.iter().map(crate::exact::num::to_f64).collect()).collect();
    let fb: Vec<f64> = b.iter().map(crate::exact::num::to_f64).collect();
    assert!(matches!(solve(&f, &fb, &[-1.0, -1.0], 1000), Some(LpOutcome::Optimal { .. })));
}

/// `f64` counting its subtractions (the entry updates of a pivot), raising the run's cancel
/// flag at a chosen one: Ctrl-C pressed in the middle of a pivot.
#[derive(Clone, Debug)]
struct Counted(f64);

thread_local! {
    static SUBS: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
    static RAISE: std::cell::RefCell<Option<(usize, std::sync::Arc<std::sync::atomic::AtomicBool>)>> =
        const { std::cell::RefCell::new(None) };
}

impl Field for Counted {
    const POLL_ENTRIES: usize = 8;
    fn zero() -> Self {
        Counted(0.0)
    }
    fn one() -> Self {
        Counted(1.0)
    }
    fn sgn(&self) -> Ordering {
        self.0.sgn()
    }
    fn sub(&self, o: &Self) -> Self {
        let n = SUBS.with(|s| {
            s.set(s.get() + 1);
            s.get()
        });
        RAISE.with(|r| {
            if let Some((at, flag)) = &*r.borrow() {
                if n == *at {
                    flag.store(true, std::sync::atomic::Ordering::Relaxed);
                }
            }
        });
        Counted(self.0 - o.0)
    }
    fn mul(&self, o: &Self) -> Self {
        Counted(self.0 * o.0)
    }
    fn div(&self, o: &Self) -> Self {
        Counted(self.0 / o.0)
    }
    fn neg(&self) -> Self {
        Counted(-self.0)
    }
}

/// Ctrl-C at any entry update of a solve ends it within one row's updates (plus the poll's
/// few): a pivot, or the forming of an objective row, never runs to its end first.
#[test]
fn a_stop_inside_a_pivot_ends_the_solve_within_one_row() {
    let (m, n) = (300, 4);
    let mut a: Vec<Vec<Counted>> = (0..m - 2 * n)
        .map(|k| (0..n).map(|j| Counted(((k * 7 + j * 3) as f64 * 0.37).sin())).collect())
        .collect();
    for j in 0..n {
        for sign in [1.0, -1.0] {
            a.push((0..n).map(|i| Counted(if i == j { sign } else { 0.0 })).collect());
        }
    }
    let b = vec![Counted(1.0); m];
    let c = vec![Counted(-1.0); n];
    SUBS.with(|s| s.set(0));
    assert!(matches!(solve(&a, &b, &c, 10_000), Some(LpOutcome::Optimal { .. })));
    let total = SUBS.with(std::cell::Cell::get);
    let width = m + n + 1;
    assert!(total > 20 * width, "a solve of several pivots: {total} updates");
    for at in [1, width / 2, total / 7, total / 3, total / 2, total - 2 * width] {
        let flag = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        RAISE.with(|r| *r.borrow_mut() = Some((at, flag.clone())));
        SUBS.with(|s| s.set(0));
        let answer = {
            let _stop = crate::runtime::stop::StopToken::new(None, Some(flag)).install();
            solve(&a, &b, &c, 10_000)
        };
        RAISE.with(|r| *r.borrow_mut() = None);
        let done = SUBS.with(std::cell::Cell::get);
        assert!(answer.is_none(), "raised at update {at} of {total}");
        assert!(done - at <= 2 * width, "raised at update {at}: {} more updates", done - at);
    }
}
