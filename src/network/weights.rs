//! A layer's weight matrix, kept as rows of nonzero entries.
//!
//! A dense layer (ACAS Xu's 50 x 50) costs what it did as a table; a convolution's row has
//! kernel-size entries and a max-pooling layer's candidate row one, so a conv net's layers of tens
//! of thousands of units cost their nonzeros, not `outputs x inputs` rationals. Every entry is
//! exact; the rows are kept sorted by column, without zeros, so two equal matrices compare equal.

use crate::exact::num::{common_denominator, scaled_numerator, Q};
use num_bigint::BigInt;
use num_traits::Zero;

/// `(column, weight)` entries of one row, in increasing column order, without zeros.
pub type SparseRow = Vec<(usize, Q)>;

/// The weights `W` (outputs x inputs) of a layer `z = W h + b`.
///
/// # Examples
/// ```
/// use relu_regions::network::Weights;
/// use relu_regions::exact::num::q;
/// let dense = Weights::dense(vec![vec![q(1), q(0), q(2)], vec![q(0), q(0), q(-1)]]);
/// let sparse = Weights::sparse(3, vec![vec![(2, q(2)), (0, q(1))], vec![(2, q(-1))]]);
/// assert_eq!(dense, sparse); // one matrix, however it was written
/// assert_eq!((dense.outputs(), dense.inputs(), dense.nonzeros()), (2, 3, 3));
/// assert_eq!(dense.row(1), &[(2, q(-1))]);
/// assert_eq!(dense.apply(&[q(5), q(7), q(1)]), vec![q(7), q(-1)]);
/// assert_eq!(dense.transposed_apply(&[q(1), q(1)]), vec![q(1), q(0), q(1)]);
/// assert_eq!(sparse.to_dense()[0], vec![q(1), q(0), q(2)]);
/// assert_eq!(sparse.entry(0, 1), q(0));
/// ```
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Weights {
    inputs: usize,
    rows: Vec<SparseRow>,
}

impl Weights {
    /// A matrix from its rows, each with one entry per input.
    ///
    /// # Panics
    /// If the rows differ in length (the readers check their rows first and name the bad one).
    ///
    /// See the example on [`Weights`].
    pub fn dense(rows: Vec<Vec<Q>>) -> Weights {
        let inputs = rows.first().map_or(0, Vec::len);
        let rows = rows
            .into_iter()
            .enumerate()
            .map(|(i, row)| {
                assert_eq!(
                    row.len(),
                    inputs,
                    "row {i} of a weight matrix has {} entries, row 0 {inputs}",
                    row.len()
                );
                row.into_iter().enumerate().filter(|(_, v)| !v.is_zero()).collect()
            })
            .collect();
        Weights { inputs, rows }
    }

    /// A matrix of `inputs` columns from `(column, weight)` entries per row, in any order
    /// (entries of one column are added, zeros dropped).
    ///
    /// # Panics
    /// If a column is `inputs` or more.
    ///
    /// See the example on [`Weights`].
    pub fn sparse(inputs: usize, rows: Vec<SparseRow>) -> Weights {
        let rows = rows
            .into_iter()
            .map(|row| {
                assert!(
                    row.iter().all(|(j, _)| *j < inputs),
                    "a weight's column is beyond the {inputs} inputs"
                );
                normalise(row)
            })
            .collect();
        Weights { inputs, rows }
    }

    /// The number of rows (the layer's units or candidates).
    ///
    /// See the example on [`Weights`].
    pub fn outputs(&self) -> usize {
        self.rows.len()
    }

    /// The number of columns (the layer's inputs).
    ///
    /// See the example on [`Weights`].
    pub fn inputs(&self) -> usize {
        self.inputs
    }

    /// Whether the matrix has no rows.
    ///
    /// See the example on [`Weights`].
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// The number of nonzero entries.
    ///
    /// See the example on [`Weights`].
    pub fn nonzeros(&self) -> usize {
        self.rows.iter().map(Vec::len).sum()
    }

    /// Row `i`'s nonzero entries.
    ///
    /// See the example on [`Weights`].
    pub fn row(&self, i: usize) -> &[(usize, Q)] {
        &self.rows[i]
    }

    /// The rows' nonzero entries, in order.
    ///
    /// See the example on [`Weights`].
    pub fn rows(&self) -> impl ExactSizeIterator<Item = &[(usize, Q)]> + '_ {
        self.rows.iter().map(Vec::as_slice)
    }

    /// Every nonzero entry's value.
    ///
    /// See the example on [`Weights`].
    pub fn values(&self) -> impl Iterator<Item = &Q> + '_ {
        self.rows.iter().flatten().map(|(_, v)| v)
    }

    /// The entry in row `i`, column `j` (zero when not stored).
    ///
    /// See the example on [`Weights`].
    pub fn entry(&self, i: usize, j: usize) -> Q {
        let row = &self.rows[i];
        row.binary_search_by_key(&j, |(k, _)| *k).map_or_else(|_| Q::zero(), |at| row[at].1.clone())
    }

    /// Row `i` with one entry per input.
    ///
    /// See the example on [`Weights`].
    pub fn dense_row(&self, i: usize) -> Vec<Q> {
        let mut out = vec![Q::zero(); self.inputs];
        for (j, v) in &self.rows[i] {
            out[*j] = v.clone();
        }
        out
    }

    /// The matrix as a table (`outputs x inputs`).
    ///
    /// See the example on [`Weights`].
    pub fn to_dense(&self) -> Vec<Vec<Q>> {
        (0..self.outputs()).map(|i| self.dense_row(i)).collect()
    }

    /// `W h`, exactly.
    ///
    /// See the example on [`Weights`].
    pub fn apply(&self, h: &[Q]) -> Vec<Q> {
        self.rows.iter().map(|row| sparse_dot(row, h)).collect()
    }

    /// `c^T W` (one value per input), exactly.
    ///
    /// See the example on [`Weights`].
    pub fn transposed_apply(&self, c: &[Q]) -> Vec<Q> {
        let mut out = vec![Q::zero(); self.inputs];
        for (row, ck) in self.rows.iter().zip(c) {
            if ck.is_zero() {
                continue;
            }
            for (j, v) in row {
                out[*j] += v * ck;
            }
        }
        out
    }

    /// The matrix with every row passed through `f` (a row's new entries over `inputs` columns).
    ///
    /// # Panics
    /// As [`Weights::sparse`].
    ///
    /// # Examples
    /// ```
    /// use relu_regions::network::Weights;
    /// use relu_regions::exact::num::q;
    /// let w = Weights::dense(vec![vec![q(1), q(2)], vec![q(3), q(4)]]);
    /// // keep column 1 only, as column 0 of a one-input matrix
    /// let kept = w.map_rows(1, |row| row.iter().filter(|(j, _)| *j == 1).map(|(_, v)| (0, v.clone())).collect());
    /// assert_eq!(kept, Weights::dense(vec![vec![q(2)], vec![q(4)]]));
    /// ```
    pub fn map_rows(&self, inputs: usize, f: impl FnMut(&[(usize, Q)]) -> SparseRow) -> Weights {
        Weights::sparse(inputs, self.rows.iter().map(Vec::as_slice).map(f).collect())
    }
}

/// `row . h` for a row of nonzero entries, exactly (one fraction, numerators over common
/// denominators as [`crate::exact::num::dot`] does).
///
/// # Examples
/// ```
/// use relu_regions::network::weights::sparse_dot;
/// use relu_regions::exact::num::{q, Q};
/// assert_eq!(sparse_dot(&[(0, q(2)), (2, Q::new(q(1).numer().clone(), 3.into()))], &[q(1), q(9), q(3)]), q(3));
/// ```
pub fn sparse_dot(row: &[(usize, Q)], h: &[Q]) -> Q {
    let da = common_denominator(row.iter().map(|(_, v)| v));
    let dx = common_denominator(row.iter().map(|(j, _)| &h[*j]));
    let mut sum = BigInt::zero();
    for (j, v) in row {
        let x = &h[*j];
        if !x.is_zero() {
            sum += scaled_numerator(v, &da) * scaled_numerator(x, &dx);
        }
    }
    Q::new(sum, da * dx)
}

/// Sorts entries by column, adds those of one column and drops zeros.
pub(crate) fn normalise(mut row: SparseRow) -> SparseRow {
    if row.windows(2).all(|w| w[0].0 < w[1].0) && row.iter().all(|(_, v)| !v.is_zero()) {
        return row;
    }
    row.sort_by_key(|(j, _)| *j);
    let mut out: SparseRow = Vec::with_capacity(row.len());
    for (j, v) in row {
        match out.last_mut() {
            Some((last, acc)) if *last == j => *acc += v,
            _ => {
                if out.last().is_some_and(|(_, acc)| acc.is_zero()) {
                    out.pop();
                }
                out.push((j, v));
            }
        }
    }
    if out.last().is_some_and(|(_, acc)| acc.is_zero()) {
        out.pop();
    }
    out
}
