//! The checker's integer rows, dense or sparse. A conv layer's preactivation over the input has
//! a few nonzero coefficients (its kernel's window): holding it as `(index, value)` pairs keeps
//! the composition of a layer of tens of thousands of neurons over hundreds of inputs at the
//! size of its windows, not of its dense matrix. A row is made sparse when at most a quarter
//! of its entries are nonzero in a dimension of at least [`SPARSE_MIN_DIM`] (in low dimension
//! every row is dense: ACAS Xu's five inputs gain nothing from indices); a sum of rows becomes
//! dense again where it fills up (after a dense layer).
//!
//! The representation decides nothing: every consumer sees the same integers (a zero where no
//! pair is held), through [`IntVec::nonzeros`], [`IntVec::get`] or a dense copy on demand
//! ([`IntVec::to_dense`]).

use num_bigint::BigInt;
use num_traits::Zero;

/// From this dimension on, rows with few nonzero entries are held sparse.
pub(super) const SPARSE_MIN_DIM: usize = 64;

/// A row of `d` integers (`d` known to its holder).
#[derive(Clone, Debug)]
pub(super) enum IntVec {
    /// Every entry.
    Dense(Vec<BigInt>),
    /// The nonzero entries, by increasing index.
    Sparse(Vec<(u32, BigInt)>),
}

/// Whether a row of `d` entries with `nonzero` of them nonzero is held sparse.
fn sparse_fits(nonzero: usize, d: usize) -> bool {
    d >= SPARSE_MIN_DIM && 4 * nonzero <= d
}

impl IntVec {
    /// The zero row of dimension `d`.
    pub(super) fn zero(d: usize) -> IntVec {
        if sparse_fits(0, d) {
            IntVec::Sparse(Vec::new())
        } else {
            IntVec::Dense(vec![BigInt::zero(); d])
        }
    }

    /// A row from its dense entries, sparse where it fits.
    pub(super) fn from_dense(v: Vec<BigInt>) -> IntVec {
        let nonzero = v.iter().filter(|x| !x.is_zero()).count();
        if sparse_fits(nonzero, v.len()) {
            IntVec::Sparse(
                v.into_iter().enumerate().filter(|(_, x)| !x.is_zero()).map(|(j, x)| (index(j), x)).collect(),
            )
        } else {
            IntVec::Dense(v)
        }
    }

    /// A row from its nonzero entries (by increasing index, none zero) in dimension `d`, dense
    /// where sparse does not fit.
    pub(super) fn from_pairs(pairs: Vec<(u32, BigInt)>, d: usize) -> IntVec {
        if sparse_fits(pairs.len(), d) {
            IntVec::Sparse(pairs)
        } else {
            let mut v = vec![BigInt::zero(); d];
            for (j, x) in pairs {
                v[j as usize] = x;
            }
            IntVec::Dense(v)
        }
    }

    /// Calls `f(j, a_j)` for each nonzero entry, by increasing index.
    #[inline]
    pub(super) fn nonzeros(&self, mut f: impl FnMut(usize, &BigInt)) {
        match self {
            IntVec::Dense(v) => v.iter().enumerate().filter(|(_, x)| !x.is_zero()).for_each(|(j, x)| f(j, x)),
            IntVec::Sparse(p) => p.iter().for_each(|(j, x)| f(*j as usize, x)),
        }
    }

    /// Entry `j` (`None` for a zero).
    pub(super) fn get(&self, j: usize) -> Option<&BigInt> {
        match self {
            IntVec::Dense(v) => v.get(j).filter(|x| !x.is_zero()),
            IntVec::Sparse(p) => {
                let j = u32::try_from(j).ok()?;
                p.binary_search_by_key(&j, |(k, _)| *k).ok().map(|k| &p[k].1)
            }
        }
    }

    /// Whether every entry is zero.
    pub(super) fn is_zero(&self) -> bool {
        match self {
            IntVec::Dense(v) => v.iter().all(Zero::is_zero),
            IntVec::Sparse(p) => p.is_empty(),
        }
    }

    /// The number of nonzero entries.
    pub(super) fn nonzero_count(&self) -> usize {
        match self {
            IntVec::Dense(v) => v.iter().filter(|x| !x.is_zero()).count(),
            IntVec::Sparse(p) => p.len(),
        }
    }

    /// Every entry, in dimension `d`.
    pub(super) fn to_dense(&self, d: usize) -> Vec<BigInt> {
        match self {
            IntVec::Dense(v) => v.clone(),
            IntVec::Sparse(p) => {
                let mut v = vec![BigInt::zero(); d];
                for (j, x) in p {
                    v[*j as usize] = x.clone();
                }
                v
            }
        }
    }

    /// The row with each entry negated.
    pub(super) fn negated(&self) -> IntVec {
        match self {
            IntVec::Dense(v) => IntVec::Dense(v.iter().map(|x| -x).collect()),
            IntVec::Sparse(p) => IntVec::Sparse(p.iter().map(|(j, x)| (*j, -x)).collect()),
        }
    }
}

/// An index as held in a sparse row.
pub(super) fn index(j: usize) -> u32 {
    u32::try_from(j).expect("fewer than 2^32 inputs (the network's sizes are checked when read)")
}

/// `sum_k w_k row_k` over `d` entries: sparse pairs merged when every row is sparse and the
/// products are few, else a dense accumulator (made sparse again where it fits).
pub(super) fn combination<'r>(
    terms: impl Iterator<Item = (&'r BigInt, &'r IntVec)> + Clone,
    d: usize,
) -> IntVec {
    let all_sparse = terms.clone().all(|(_, r)| matches!(r, IntVec::Sparse(_)));
    let products: usize = terms.clone().map(|(_, r)| r.nonzero_count()).sum();
    if all_sparse && sparse_fits(products, d) {
        let mut pairs: Vec<(u32, BigInt)> = Vec::with_capacity(products);
        for (w, r) in terms {
            r.nonzeros(|j, x| pairs.push((index(j), w * x)));
        }
        pairs.sort_by_key(|(j, _)| *j);
        let mut merged: Vec<(u32, BigInt)> = Vec::with_capacity(pairs.len());
        for (j, x) in pairs {
            match merged.last_mut() {
                Some((k, y)) if *k == j => *y += x,
                _ => merged.push((j, x)),
            }
        }
        merged.retain(|(_, x)| !x.is_zero());
        return IntVec::Sparse(merged);
    }
    let mut acc = vec![BigInt::zero(); d];
    for (w, r) in terms {
        match r {
            IntVec::Dense(v) => {
                for (a, x) in acc.iter_mut().zip(v) {
                    if !x.is_zero() {
                        *a += w * x;
                    }
                }
            }
            IntVec::Sparse(p) => {
                for (j, x) in p {
                    acc[*j as usize] += w * x;
                }
            }
        }
    }
    IntVec::from_dense(acc)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn dense(v: &[i64]) -> Vec<BigInt> {
        v.iter().map(|&x| BigInt::from(x)).collect()
    }

    proptest! {
        /// A combination equals the dense sum of products entry by entry, whatever form its
        /// rows are held in, and a row's accessors agree with its dense entries.
        #[test]
        fn combination_is_the_dense_sum(
            d in prop::sample::select(vec![3usize, 64, 100]),
            rows in prop::collection::vec((prop::collection::vec((0usize..100, -3i64..4), 0..30), -3i64..4, any::<bool>()), 0..6),
        ) {
            let rows: Vec<(BigInt, Vec<BigInt>, IntVec)> = rows
                .into_iter()
                .map(|(entries, w, as_dense)| {
                    let mut v = vec![0i64; d];
                    for (j, x) in entries {
                        v[j % d] = x;
                    }
                    let held = if as_dense { IntVec::Dense(dense(&v)) } else { IntVec::from_dense(dense(&v)) };
                    (BigInt::from(w), dense(&v), held)
                })
                .collect();
            let mut want = vec![BigInt::zero(); d];
            for (w, v, held) in &rows {
                prop_assert_eq!(&held.to_dense(d), v);
                prop_assert_eq!(held.is_zero(), v.iter().all(Zero::is_zero));
                for (j, x) in v.iter().enumerate() {
                    prop_assert_eq!(held.get(j), Some(x).filter(|x| !x.is_zero()));
                    want[j] += w * x;
                }
                let mut seen = Vec::new();
                held.nonzeros(|j, x| seen.push((j, x.clone())));
                let nonzero: Vec<(usize, BigInt)> = v.iter().cloned().enumerate().filter(|(_, x)| !x.is_zero()).collect();
                prop_assert_eq!(seen, nonzero);
            }
            let got = combination(rows.iter().map(|(w, _, held)| (w, held)), d);
            prop_assert_eq!(got.to_dense(d), want.clone());
            let nonzero = want.iter().filter(|x| !x.is_zero()).count();
            prop_assert_eq!(matches!(got, IntVec::Sparse(_)), d >= SPARSE_MIN_DIM && 4 * nonzero <= d);
        }
    }
}
