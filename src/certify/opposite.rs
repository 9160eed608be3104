//! "No interior point" from one row of a region facing the side asked about: `a . x <= b`
//! and `-lambda a . x <= c` with `lambda > 0` and `lambda b + c <= 0` leave no point strictly
//! inside both, and the pair is a Motzkin certificate. A residual block's neuron can repeat an
//! earlier one up to scale; the centring LP of such a side in thousands of variables is
//! degenerate (its optimum is 0) and can end in an exact solve of their order.

use crate::certify::certificate::check_motzkin;
use crate::exact::num::Q;
use crate::kernel::halfspace::Halfspace;
use crate::kernel::Filter;
use num_traits::{One, Signed, Zero};

/// The Motzkin vector (over `rows`, then `side`) of a row facing `side` with no room between
/// them, checked, and whether it proves more, that not even the closures meet (`lambda b + c
/// < 0`, a Farkas vector); `None` when no row does. Only where float filters run: the
/// float-free reference (`--lp exact`) keeps to its LPs.
pub(super) fn facing_row_certificate(
    rows: &[&Halfspace],
    side: &Halfspace,
    filter: Filter,
) -> Option<(Vec<Q>, bool)> {
    if !filter.on() {
        return None;
    }
    rows.iter().enumerate().find_map(|(i, row)| {
        let lambda = row.opposite_multiple(side, filter)?;
        let mut y = vec![Q::zero(); rows.len() + 1];
        y[i] = lambda;
        y[rows.len()] = Q::one();
        let with_side: Vec<&Halfspace> = rows.iter().copied().chain([side]).collect();
        let apart = (&row.b * &y[i] + &side.b).is_negative();
        check_motzkin(&with_side, None, &y).then_some((y, apart))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exact::num::{parse_rational, q};

    #[test]
    fn a_facing_row_with_no_room_is_a_certificate() {
        // the region x + 2y <= 1, y <= 5; sides facing the first row
        let rows = [Halfspace::new(vec![q(1), q(2)], q(1)), Halfspace::new(vec![q(0), q(1)], q(5))];
        let refs: Vec<&Halfspace> = rows.iter().collect();
        // -3x - 6y <= -3 (x + 2y >= 1): touches the region's boundary only
        let touching = Halfspace::new(vec![q(-3), q(-6)], q(-3));
        let y = facing_row_certificate(&refs, &touching, Filter::Float).expect("no interior");
        assert_eq!(y, (vec![q(3), q(0), q(1)], false));
        // -x/2 - y <= -2 (x + 2y >= 4): misses it
        let missing = Halfspace::new(vec![parse_rational("-1/2").unwrap(), q(-1)], q(-2));
        let (y, apart) = facing_row_certificate(&refs, &missing, Filter::Float).expect("no point");
        assert_eq!((y, apart), (vec![parse_rational("1/2").unwrap(), q(0), q(1)], true));
        // x + 2y >= 0 leaves room (0 < x + 2y < 1): no certificate, the LP decides
        let room = Halfspace::new(vec![q(-1), q(-2)], q(0));
        assert_eq!(facing_row_certificate(&refs, &room, Filter::Float), None);
        // not parallel, or the same side: none
        assert_eq!(
            facing_row_certificate(&refs, &Halfspace::new(vec![q(-1), q(-1)], q(-9)), Filter::Float),
            None
        );
        assert_eq!(
            facing_row_certificate(&refs, &Halfspace::new(vec![q(2), q(4)], q(-9)), Filter::Float),
            None
        );
        // the float-free reference asks its LP
        assert_eq!(facing_row_certificate(&refs, &touching, Filter::Off), None);
    }
}
