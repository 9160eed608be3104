//! The constraints of a stated pattern, each with the neuron (or domain row) it comes from
//! (their composition is [`super::compose`]'s), and exact slack signs of constraints at
//! rational points.

use super::farkas::IntRow;
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
/// the constraint is made).
#[derive(Clone)]
pub(super) struct Constraint {
    /// The row in rationals, made from the integers on first use (most never need it).
    row: std::sync::OnceLock<Row>,
    /// The nearest floats of the row's entries and of its bound: they decide a slack sign only
    /// through the kernel's proved bound ([`super::signs`]).
    floats: (Vec<f64>, f64),
    pub origin: Origin,
    pub exact: ExactRow,
}

impl Constraint {
    /// A constraint given in rationals.
    pub(super) fn new(row: Row, origin: Origin) -> Constraint {
        let floats = (row.float_a().to_vec(), row.float_b());
        Constraint { exact: ExactRow::new(&row), floats, row: row.into(), origin }
    }

    /// The nearest floats of the row's entries and of its bound.
    pub(super) fn floats(&self) -> (&[f64], f64) {
        (&self.floats.0, self.floats.1)
    }

    /// The row in rationals.
    pub(super) fn row(&self) -> &Row {
        self.row.get_or_init(|| {
            let int = &self.exact.int;
            Halfspace::new(
                int.a.iter().cloned().map(Q::from_integer).collect(),
                Q::from_integer(int.b.clone()),
            )
        })
    }

    /// A constraint given in integers: `a . x <= b`.
    fn integer(a: Vec<BigInt>, b: BigInt, origin: Origin) -> Constraint {
        let zero = a.iter().all(Zero::is_zero);
        // the images straight from the integers (correctly rounded, [`integer_image`]) rather
        // than through the rationals' slower general conversion
        let floats = (a.iter().map(integer_image).collect(), integer_image(&b));
        Constraint {
            row: std::sync::OnceLock::new(),
            floats,
            origin,
            exact: ExactRow { int: IntRow { a, b }, zero },
        }
    }
}

/// The nearest `f64` of an integer (`+-inf` beyond the float range): num-bigint's conversion
/// keeps the top 64 bits with a sticky bit (round to odd) and rounds those once to nearest, so
/// the image is correctly rounded and obeys the kernel's error model (I).
pub(super) fn integer_image(v: &BigInt) -> f64 {
    v.to_f64().unwrap_or(if v.is_negative() { f64::NEG_INFINITY } else { f64::INFINITY })
}

/// `h >= 0` for a relu neuron on, `h <= 0` off, for the preactivations `h = jac x + off` (in
/// integers: a positive common denominator only scales the rows); a constant `h` the state
/// contradicts gives a row no point is strictly inside.
pub(super) fn relu_rows(jac: &[Vec<BigInt>], off: &[BigInt], bits: &[bool], layer: usize) -> Vec<Constraint> {
    let d = jac.first().map_or(0, Vec::len);
    let mut rows = Vec::new();
    for (index, ((row, o), &on)) in jac.iter().zip(off).zip(bits).enumerate() {
        let origin = Origin::Neuron(layer, index);
        if row.iter().any(|v| !v.is_zero()) {
            let (a, rhs) = if on { (row.iter().map(|v| -v).collect(), o.clone()) } else { (row.clone(), -o) };
            rows.push(Constraint::integer(a, rhs, origin));
        } else if on != o.is_positive() {
            let rhs = if on { o.clone() } else { -o };
            rows.push(Constraint::integer(vec![BigInt::zero(); d], rhs, origin));
        }
    }
    rows
}

/// For each max unit with winner `t`: `c_j <= c_t` for every other candidate `j`, and strictly
/// `c_j < c_t` when `c_j - c_t` is constant and `j < t` (equal candidates: the lower one wins);
/// the candidates `c = jac x + off` in integers as for [`relu_rows`].
pub(super) fn max_rows(
    jac: &[Vec<BigInt>],
    off: &[BigInt],
    bits: &[bool],
    k: usize,
    layer: usize,
) -> Vec<Constraint> {
    let d = jac.first().map_or(0, Vec::len);
    let mut rows = Vec::new();
    for (u, unit) in bits.chunks(k).enumerate() {
        let Some(t) = unit.iter().position(|&b| b) else { continue };
        let (ct, et) = (&jac[u * k + t], &off[u * k + t]);
        for j in (0..k).filter(|&j| j != t) {
            let a: Vec<BigInt> = jac[u * k + j].iter().zip(ct).map(|(x, y)| x - y).collect();
            let b = et - &off[u * k + j];
            let origin = Origin::Neuron(layer, u * k + j);
            if a.iter().any(|v| !v.is_zero()) {
                rows.push(Constraint::integer(a, b, origin));
            } else if b.is_negative() || (b.is_zero() && j < t) {
                rows.push(Constraint::integer(vec![BigInt::zero(); d], b, origin));
            }
        }
    }
    rows
}

/// A constraint with its integer numerators over a common denominator, computed once, so that
/// the sign of a slack is one integer expression with no gcd.
#[derive(Clone)]
pub(super) struct ExactRow {
    /// The row in integers.
    pub int: IntRow,
    /// Whether the normal is zero.
    pub zero: bool,
}

impl ExactRow {
    pub(super) fn new(row: &Row) -> ExactRow {
        ExactRow { int: IntRow::new(row), zero: row.a.iter().all(Zero::is_zero) }
    }

    /// The exact sign of the slack `b - a . x` at a point given by integers over a positive
    /// common denominator.
    pub(super) fn slack_sign(&self, (x, d): &(Vec<BigInt>, BigInt)) -> Ordering {
        let mut value = &self.int.b * d;
        for (a, v) in self.int.a.iter().zip(x) {
            if !a.is_zero() && !v.is_zero() {
                value -= a * v;
            }
        }
        value.sign().cmp(&num_bigint::Sign::NoSign)
    }
}

impl ExactRow {
    /// Whether `other` is a positive multiple of this row (the same halfspace), by integer
    /// cross products (no gcd). A zero row is no halfspace's.
    pub(super) fn same_halfspace(&self, other: &ExactRow) -> bool {
        let (this, other) = (&self.int, &other.int);
        let Some(k) = this.a.iter().position(|v| !v.is_zero()) else { return false };
        if this.a.len() != other.a.len() || other.a[k].sign() != this.a[k].sign() {
            return false;
        }
        let (s, o) = (&this.a[k], &other.a[k]);
        this.a.iter().zip(&other.a).chain([(&this.b, &other.b)]).all(|(x, y)| x * o == y * s)
    }
}

/// A point as integers over a positive common denominator.
pub(super) fn integer_point(x: &[Q]) -> (Vec<BigInt>, BigInt) {
    let d = common_denominator(x);
    (x.iter().map(|v| v.numer() * (&d / v.denom())).collect(), d)
}
