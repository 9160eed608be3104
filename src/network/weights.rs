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

/// A weight matrix that cannot be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum WeightsError {
    /// A row's length differs from the first row's.
    #[error("row {row} of the weight matrix has {entries} entries, row 0 has {first}")]
    RowLength {
        /// The row.
        row: usize,
        /// Its entries.
        entries: usize,
        /// The first row's entries.
        first: usize,
    },
    /// An entry's column is not one of the inputs.
    #[error("row {row} of the weight matrix has an entry in column {column}, beyond its {inputs} inputs")]
    Column {
        /// The row.
        row: usize,
        /// The column.
        column: usize,
        /// The inputs.
        inputs: usize,
    },
}

/// The weights `W` (outputs x inputs) of a layer `z = W h + b`.
///
/// # Examples
/// ```
/// use relu_regions::network::Weights;
/// use relu_regions::exact::num::q;
/// let dense = Weights::dense(vec![vec![q(1), q(0), q(2)], vec![q(0), q(0), q(-1)]]).unwrap();
/// let sparse = Weights::sparse(3, vec![vec![(2, q(2)), (0, q(1))], vec![(2, q(-1))]]).unwrap();
/// assert!(Weights::dense(vec![vec![q(1)], vec![q(1), q(2)]]).is_err()); // ragged rows
/// assert!(Weights::sparse(3, vec![vec![(3, q(1))]]).is_err()); // no column 3
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
    /// See the example on [`Weights`].
    ///
    /// # Errors
    /// The rows differ in length.
    pub fn dense(rows: Vec<Vec<Q>>) -> Result<Weights, WeightsError> {
        let inputs = rows.first().map_or(0, Vec::len);
        if let Some((row, r)) = rows.iter().enumerate().find(|(_, r)| r.len() != inputs) {
            return Err(WeightsError::RowLength { row, entries: r.len(), first: inputs });
        }
        Ok(Weights::from_dense_rows(rows))
    }

    /// [`Weights::dense`] of rows the caller has checked (a reader names the bad row first).
    pub(crate) fn from_dense_rows(rows: Vec<Vec<Q>>) -> Weights {
        let inputs = rows.first().map_or(0, Vec::len);
        debug_assert!(rows.iter().all(|r| r.len() == inputs), "rows of one length");
        let rows = rows
            .into_iter()
            .map(|row| row.into_iter().enumerate().filter(|(_, v)| !v.is_zero()).collect())
            .collect();
        Weights { inputs, rows }
    }

    /// A matrix of `inputs` columns from `(column, weight)` entries per row, in any order
    /// (entries of one column are added, zeros dropped).
    ///
    /// See the example on [`Weights`].
    ///
    /// # Errors
    /// A column is `inputs` or more.
    pub fn sparse(inputs: usize, rows: Vec<SparseRow>) -> Result<Weights, WeightsError> {
        for (row, entries) in rows.iter().enumerate() {
            if let Some((column, _)) = entries.iter().find(|(j, _)| *j >= inputs) {
                return Err(WeightsError::Column { row, column: *column, inputs });
            }
        }
        Ok(Weights::from_sparse_rows(inputs, rows))
    }

    /// [`Weights::sparse`] of rows whose columns the caller has checked.
    pub(crate) fn from_sparse_rows(inputs: usize, rows: Vec<SparseRow>) -> Weights {
        debug_assert!(rows.iter().flatten().all(|(j, _)| *j < inputs), "columns within the inputs");
        Weights { inputs, rows: rows.into_iter().map(normalise).collect() }
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

    /// The matrix with every row passed through `f` (a row's new entries over `inputs` columns,
    /// which the caller keeps within `inputs`).
    pub(crate) fn map_rows(&self, inputs: usize, f: impl FnMut(&[(usize, Q)]) -> SparseRow) -> Weights {
        Weights::from_sparse_rows(inputs, self.rows.iter().map(Vec::as_slice).map(f).collect())
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
