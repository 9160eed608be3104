//! The one outcome type of every decision: [`Outcome`], named by what it certifies (as
//! Clarabel's statuses name what a solution certifies): the claim proved with its certificate,
//! a witness of the opposite, or nothing proved.
//!
//! Each decision fixes the three payloads by its type, so that what a variant holds is never a
//! matter of convention:
//!
//! | decision | `Proved` | `Witness` | `Unknown` |
//! |---|---|---|---|
//! | [`crate::certify::find_strict_point`]: no point strictly inside | the checked Motzkin vector | a checked interior point (`Vec<Q>`) | cannot happen ([`Decided`]) |
//! | `reach`: a halfspace has no interior point in a region | `None` (no point at all, a safe dual bound) or the checked Motzkin vector | a checked interior point | cannot happen |
//! | `search_box`: a region is bounded | the certified box | the float LP's unbounded direction `(j, s)` (a hint only) | `()` |
//! | the bound LPs (`bound_by_basis`, a region's bound, a facet's redundancy): a side misses the region | `strict` or `()` | the float optimum's vertex (`Vec<f64>`, a proposal to certify) | `()` |
//!
//! A witness in exact numbers (`Vec<Q>`) is checked before it is returned; one in floats is a
//! proposal that the caller certifies or discards, and the type says which.
//!
//! May import nothing of the crate (it is a vocabulary).

use std::convert::Infallible;

/// What a decision established.
///
/// # Examples
/// ```
/// use relu_regions::certify::{Decided, Outcome};
/// // a decision that always decides: its `Unknown` cannot be built, and a match may omit it
/// fn parity(n: u32) -> Decided<u32, u32> {
///     if n % 2 == 0 { Outcome::Proved(n / 2) } else { Outcome::Witness(n) }
/// }
/// let halves = match parity(6) {
///     Outcome::Proved(half) => half,
///     Outcome::Witness(odd) => odd,
/// };
/// assert_eq!(halves, 3);
/// assert!(parity(7).is_witness() && !parity(7).is_proved());
/// assert_eq!((parity(8).proved(), parity(8).witness()), (Some(4), None));
/// assert_eq!(parity(8).map_proved(|half| half * 10), Outcome::Proved(40));
/// ```
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome<C, W, U = Infallible> {
    /// The claim holds: here is its certificate.
    Proved(C),
    /// The claim fails: here is a point (or direction) that shows it.
    Witness(W),
    /// Nothing was proved either way (never built when `U` is [`Infallible`]).
    Unknown(U),
}

/// A decision that always decides (exact arithmetic backs it): no `Unknown`.
pub type Decided<C, W> = Outcome<C, W, Infallible>;

/// A float probe: it may prove nothing.
pub type Probe<C, W> = Outcome<C, W, ()>;

impl<C, W, U> Outcome<C, W, U> {
    /// Whether the claim was proved.
    ///
    /// See the example on [`Outcome`].
    pub fn is_proved(&self) -> bool {
        matches!(self, Outcome::Proved(_))
    }

    /// Whether a witness of the opposite came back.
    ///
    /// See the example on [`Outcome`].
    pub fn is_witness(&self) -> bool {
        matches!(self, Outcome::Witness(_))
    }

    /// The certificate, if the claim was proved.
    ///
    /// See the example on [`Outcome`].
    pub fn proved(self) -> Option<C> {
        match self {
            Outcome::Proved(c) => Some(c),
            _ => None,
        }
    }

    /// The witness, if one came back.
    ///
    /// See the example on [`Outcome`].
    pub fn witness(self) -> Option<W> {
        match self {
            Outcome::Witness(w) => Some(w),
            _ => None,
        }
    }

    /// The same outcome with its certificate mapped.
    ///
    /// See the example on [`Outcome`].
    pub fn map_proved<D>(self, f: impl FnOnce(C) -> D) -> Outcome<D, W, U> {
        match self {
            Outcome::Proved(c) => Outcome::Proved(f(c)),
            Outcome::Witness(w) => Outcome::Witness(w),
            Outcome::Unknown(u) => Outcome::Unknown(u),
        }
    }
}
