//! The constraints of a stated pattern, each with the neuron (or domain row) it comes from
//! (their composition is [`super::compose`]'s), and exact slack signs of constraints at
//! rational points.

use super::farkas::IntRow;
use super::int_map::RowMap;
use super::int_vec::{combination, IntVec};
use crate::exact::num::{common_denominator, Q};
use crate::kernel::halfspace::Halfspace;
use num_bigint::BigInt;
use num_traits::{Signed, ToPrimitive, Zero};
use std::cmp::Ordering;

/// A dense rational matrix (rows).
pub(super) type Matrix = Vec<Vec<Q>>;

/// A constraint `a . x <= b`: a [`Halfspace`], used here through its exact operations and its
/// float image, which decides a slack sign only through the kernel's proved bound
/// ([`super::signs`]).
pub(super) type Row = Halfspace;

/// Where a constraint comes from: a neuron `(layer, index)` (`layer` its index in the
/// network's layers; for a max unit, the index of the losing candidate `j` of `c_j <= c_t`),
/// or a domain row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum Origin {
    Neuron(usize, usize),
    Domain(usize),
}

impl Origin {
    /// The constraint's name in messages.
    pub(super) fn describe(self) -> String {
        match self {
            Origin::Neuron(layer, index) => format!("neuron L{layer}.{index}'s constraint"),
            Origin::Domain(row) => format!("domain row {row}"),
        }
    }
}

/// A constraint of a pattern with its origin, and its row in integers (computed once, where
/// the constraint is made; sparse where it has few nonzero coefficients, [`IntVec`]).
#[derive(Clone)]
pub(super) struct Constraint {
    /// The row in rationals, made from the integers on first use (most never need it).
    row: std::sync::OnceLock<Row>,
    /// The nearest floats of the row's entries (each of the integer row's held entries: every
    /// entry of a dense row, the nonzero ones of a sparse row) and of its bound: they decide a
    /// slack sign only through the kernel's proved bound ([`super::signs`]).
    floats: (Vec<f64>, f64),
    pub origin: Origin,
    pub exact: ExactRow,
}

impl Constraint {
    /// A constraint given in rationals.
    pub(super) fn new(row: Row, origin: Origin) -> Constraint {
        let exact = ExactRow::new(&row);
        let float_a = match &exact.a {
            IntVec::Dense(_) => row.float_a().to_vec(),
            IntVec::Sparse(p) => p.iter().map(|(j, _)| row.float_a()[*j as usize]).collect(),
        };
        Constraint { exact, floats: (float_a, row.float_b()), row: row.into(), origin }
    }

    /// The nearest floats of the row's held entries (aligned with `exact.a`: all of a dense
    /// row, the nonzero ones of a sparse row) and of its bound.
    pub(super) fn floats(&self) -> (&[f64], f64) {
        (&self.floats.0, self.floats.1)
    }

    /// The nearest floats of every entry of the row (a dense copy for a sparse row).
    pub(super) fn dense_floats(&self) -> std::borrow::Cow<'_, [f64]> {
        match &self.exact.a {
            IntVec::Dense(_) => std::borrow::Cow::Borrowed(&self.floats.0),
            IntVec::Sparse(p) => {
                let mut v = vec![0.0; self.exact.d];
                for ((j, _), f) in p.iter().zip(&self.floats.0) {
                    v[*j as usize] = *f;
                }
                std::borrow::Cow::Owned(v)
            }
        }
    }

    /// The row in rationals.
    pub(super) fn row(&self) -> &Row {
        self.row.get_or_init(|| {
            let a = self.exact.a.to_dense(self.exact.d);
            Halfspace::new(
                a.into_iter().map(Q::from_integer).collect(),
                Q::from_integer(self.exact.b.clone()),
            )
        })
    }

    /// A constraint given in integers: `a . x <= b` on `d` inputs.
    fn integer(a: IntVec, b: BigInt, d: usize, origin: Origin) -> Constraint {
        let zero = a.is_zero();
        // the images straight from the integers (correctly rounded, [`integer_image`]) rather
        // than through the rationals' slower general conversion
        let float_a = match &a {
            IntVec::Dense(v) => v.iter().map(integer_image).collect(),
            IntVec::Sparse(p) => p.iter().map(|(_, v)| integer_image(v)).collect(),
        };
        Constraint {
            row: std::sync::OnceLock::new(),
            floats: (float_a, integer_image(&b)),
            origin,
            exact: ExactRow { a, b, zero, d },
        }
    }
}

/// The nearest `f64` of an integer (`+-inf` beyond the float range): num-bigint's conversion
/// keeps the top 64 bits with a sticky bit (round to odd) and rounds those once to nearest, so
/// the image is correctly rounded and obeys the kernel's error model (I).
pub(super) fn integer_image(v: &BigInt) -> f64 {
    v.to_f64().unwrap_or(if v.is_negative() { f64::NEG_INFINITY } else { f64::INFINITY })
}

/// `h >= 0` for a relu neuron on, `h <= 0` off, for the preactivations `h = rows x + off` (in
/// integers: a positive common denominator only scales the rows); a constant `h` the state
/// contradicts gives a row no point is strictly inside.
pub(super) fn relu_rows(pre: &RowMap, bits: &[bool], layer: usize) -> Vec<Constraint> {
    let d = pre.d;
    let mut rows = Vec::new();
    for (index, ((row, o), &on)) in pre.rows.iter().zip(&pre.off).zip(bits).enumerate() {
        let origin = Origin::Neuron(layer, index);
        if !row.is_zero() {
            let (a, rhs) = if on { (row.negated(), o.clone()) } else { (row.clone(), -o) };
            rows.push(Constraint::integer(a, rhs, d, origin));
        } else if on != o.is_positive() {
            let rhs = if on { o.clone() } else { -o };
            rows.push(Constraint::integer(IntVec::zero(d), rhs, d, origin));
        }
    }
    rows
}

/// For each max unit with winner `t`: `c_j <= c_t` for every other candidate `j`, and strictly
/// `c_j < c_t` when `c_j - c_t` is constant and `j < t` (equal candidates: the lower one wins);
/// the candidates `c = rows x + off` in integers as for [`relu_rows`].
pub(super) fn max_rows(pre: &RowMap, bits: &[bool], k: usize, layer: usize) -> Vec<Constraint> {
    let d = pre.d;
    let (one, minus_one) = (BigInt::from(1), BigInt::from(-1));
    let mut rows = Vec::new();
    for (u, unit) in bits.chunks(k).enumerate() {
        let Some(t) = unit.iter().position(|&b| b) else { continue };
        let (ct, et) = (&pre.rows[u * k + t], &pre.off[u * k + t]);
        for j in (0..k).filter(|&j| j != t) {
            let a = combination([(&one, &pre.rows[u * k + j]), (&minus_one, ct)].into_iter(), d);
            let b = et - &pre.off[u * k + j];
            let origin = Origin::Neuron(layer, u * k + j);
            if !a.is_zero() {
                rows.push(Constraint::integer(a, b, d, origin));
            } else if b.is_negative() || (b.is_zero() && j < t) {
                rows.push(Constraint::integer(IntVec::zero(d), b, d, origin));
            }
        }
    }
    rows
}

/// A constraint `a . x <= b` in integers (a positive multiple of the rational row), computed
/// once, so that the sign of a slack is one integer expression with no gcd.
#[derive(Clone)]
pub(super) struct ExactRow {
    /// The normal's integers, dense or sparse.
    pub a: IntVec,
    /// The bound.
    pub b: BigInt,
    /// Whether the normal is zero.
    pub zero: bool,
    /// The dimension.
    d: usize,
}

impl ExactRow {
    pub(super) fn new(row: &Row) -> ExactRow {
        let IntRow { a, b } = IntRow::new(row);
        let d = a.len();
        let a = IntVec::from_dense(a);
        ExactRow { zero: a.is_zero(), a, b, d }
    }

    /// The dimension.
    pub(super) fn dim(&self) -> usize {
        self.d
    }

    /// The row with every entry (a dense copy), as the Farkas code takes it.
    pub(super) fn to_int(&self) -> IntRow {
        IntRow { a: self.a.to_dense(self.d), b: self.b.clone() }
    }

    /// The exact sign of the slack `b - a . x` at a point given by integers over a positive
    /// common denominator.
    pub(super) fn slack_sign(&self, (x, d): &(Vec<BigInt>, BigInt)) -> Ordering {
        let mut value = &self.b * d;
        self.a.nonzeros(|j, a| {
            let v = &x[j];
            if !v.is_zero() {
                value -= a * v;
            }
        });
        value.sign().cmp(&num_bigint::Sign::NoSign)
    }

    /// Whether `other` is a positive multiple of this row (the same halfspace), by integer
    /// cross products (no gcd). A zero row is no halfspace's.
    pub(super) fn same_halfspace(&self, other: &ExactRow) -> bool {
        let mut first = None;
        self.a.nonzeros(|j, v| {
            if first.is_none() {
                first = Some((j, v.clone()));
            }
        });
        let Some((k, s)) = first else { return false };
        let Some(o) = other.a.get(k).filter(|_| self.d == other.d) else { return false };
        if o.sign() != s.sign() || self.a.nonzero_count() != other.a.nonzero_count() {
            return false;
        }
        // the same support (as many nonzeros, each of this row's nonzero in the other) and
        // proportional entries
        let mut same = &self.b * o == &other.b * &s;
        self.a.nonzeros(|j, x| same = same && other.a.get(j).is_some_and(|y| x * o == y * &s));
        same
    }
}

/// A point as integers over a positive common denominator.
pub(super) fn integer_point(x: &[Q]) -> (Vec<BigInt>, BigInt) {
    let d = common_denominator(x);
    (x.iter().map(|v| v.numer() * (&d / v.denom())).collect(), d)
}
