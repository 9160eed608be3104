//! Sparse rows: the pending affine map of the ONNX builder, one row per value of the current
//! tensor, each a short list of `(column, weight)` terms over the layer input. A convolution's
//! row has kernel-size terms, so a wide tensor (a conv layer's tens of thousands of values) costs
//! its nonzeros, not width x width.

use crate::exact::num::Q;
use crate::network::weights::normalise;
use num_traits::{One, Zero};

/// `(column, weight)` terms in increasing column order, without zeros.
pub(super) type Row = crate::network::weights::SparseRow;

/// The identity map on `n` values.
pub(super) fn identity(n: usize) -> Vec<Row> {
    (0..n).map(|i| vec![(i, Q::one())]).collect()
}

/// `n` rows reading columns `start..start + n` (the values of a block of neurons).
pub(super) fn block(start: usize, n: usize) -> Vec<Row> {
    (start..start + n).map(|i| vec![(i, Q::one())]).collect()
}

/// `sum_t c_t rows[k_t]` for the terms `(k_t, c_t)`, as one row.
pub(super) fn combine<'a>(rows: &[Row], terms: impl IntoIterator<Item = (usize, &'a Q)>) -> Row {
    let mut all: Vec<(usize, Q)> = Vec::new();
    for (k, c) in terms {
        if c.is_zero() {
            continue;
        }
        all.extend(rows[k].iter().map(|(j, v)| (*j, v * c)));
    }
    normalise(all)
}

/// `a * x + b * y`.
pub(super) fn linear(a: &Q, x: &Row, b: &Q, y: &Row) -> Row {
    let all = x.iter().map(|(j, v)| (*j, v * a)).chain(y.iter().map(|(j, v)| (*j, v * b))).collect();
    normalise(all)
}

/// Whether `w x + b` is the identity map of `cols` values (as many rows as columns: a map that
/// keeps some of its inputs, `[[1, 0]]`, is not the identity).
pub(super) fn is_identity(w: &[Row], b: &[Q], cols: usize) -> bool {
    w.len() == cols
        && b.iter().all(Zero::is_zero)
        && w.iter().enumerate().all(|(i, row)| row.len() == 1 && row[0].0 == i && row[0].1.is_one())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exact::num::q;

    #[test]
    fn combining_adds_columns_and_drops_cancelled_terms() {
        let rows = vec![vec![(0, q(1)), (2, q(3))], vec![(1, q(5)), (2, q(-1))]];
        // 1*r0 + 3*r1 = [1, 15, 0]
        assert_eq!(combine(&rows, [(0, &q(1)), (1, &q(3))]), vec![(0, q(1)), (1, q(15))]);
        assert_eq!(linear(&q(2), &rows[0], &q(-2), &rows[0]), vec![]);
        assert!(is_identity(&identity(3), &[q(0), q(0), q(0)], 3));
        assert!(!is_identity(&block(1, 2), &[q(0), q(0)], 3));
        // keeping the first of two values is not the identity
        assert!(!is_identity(&identity(1), &[q(0)], 2));
    }
}
