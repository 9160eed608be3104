//! A face's exact relative-interior point, kept as the walk made it: rationals, or integer
//! numerators over one positive common denominator (a face of a pointed region: the sum of its
//! vertices' numerators over the sum of their denominators, plus its rays). The second form is
//! reduced to lowest terms only when it is read ([`FacePoint::to_vec`]): one (Lehmer) gcd of numbers of
//! hundreds of digits per coordinate, which `boundary` and `faces --json` never pay for the
//! faces they do not write.

use crate::exact::num::Q;
use num_bigint::BigInt;
use num_traits::Signed;

/// An exact point (see the module docs); equal points compare equal whatever their form.
///
/// # Examples
/// ```
/// use relu_regions::{complex::complex, exact::num::q, Enumerator, Network};
/// let net = Network::from_json(r#"{"input_dim": 1, "domain": {"box": [["-1", "1"]]},
///     "layers": [{"weights": [["1"]], "activation": "relu"}]}"#).unwrap();
/// let c = complex(&net, &Enumerator::builder().build()).unwrap();
/// // the three vertices -1, 0, 1 and the two edges between them, by their midpoints
/// let mut points: Vec<_> = c.faces.iter().map(|f| f.point.to_vec()[0].clone()).collect();
/// points.sort();
/// assert_eq!(points, [q(-1), "-1/2".parse().unwrap(), q(0), "1/2".parse().unwrap(), q(1)]);
/// let p = &c.faces[0].point;
/// assert!(p.len() == 1 && !p.is_empty() && p.coordinate(0) == p.to_vec()[0]);
/// ```
#[derive(Debug, Clone)]
pub struct FacePoint(Repr);

#[derive(Debug, Clone)]
enum Repr {
    Reduced(Vec<Q>),
    /// Numerators over a positive denominator, not necessarily in lowest terms.
    Over(Vec<BigInt>, BigInt),
}

impl FacePoint {
    /// The point `h / e` for integers `h` and a positive integer `e`.
    pub(crate) fn over(h: Vec<BigInt>, e: BigInt) -> FacePoint {
        debug_assert!(e.is_positive());
        FacePoint(Repr::Over(h, e))
    }

    /// Its coordinates in lowest terms.
    ///
    /// See the example on [`FacePoint`].
    pub fn to_vec(&self) -> Vec<Q> {
        match &self.0 {
            Repr::Reduced(x) => x.clone(),
            Repr::Over(h, e) => h.iter().map(|v| super::gcd::reduced(v, e)).collect(),
        }
    }

    /// Its dimension (the number of coordinates).
    ///
    /// See the example on [`FacePoint`].
    pub fn len(&self) -> usize {
        match &self.0 {
            Repr::Reduced(x) => x.len(),
            Repr::Over(h, _) => h.len(),
        }
    }

    /// Whether it has no coordinate (a point of `R^0`).
    ///
    /// See the example on [`FacePoint`].
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Coordinate `i` in lowest terms.
    ///
    /// See the example on [`FacePoint`].
    pub fn coordinate(&self, i: usize) -> Q {
        match &self.0 {
            Repr::Reduced(x) => x[i].clone(),
            Repr::Over(h, e) => super::gcd::reduced(&h[i], e),
        }
    }
}

impl From<Vec<Q>> for FacePoint {
    fn from(x: Vec<Q>) -> FacePoint {
        FacePoint(Repr::Reduced(x))
    }
}

impl PartialEq for FacePoint {
    fn eq(&self, other: &FacePoint) -> bool {
        match (&self.0, &other.0) {
            (Repr::Reduced(a), Repr::Reduced(b)) => a == b,
            // h / e = k / f exactly when h f = k e coordinate by coordinate (e, f > 0)
            (Repr::Over(h, e), Repr::Over(k, f)) => {
                h.len() == k.len() && h.iter().zip(k).all(|(x, y)| x * f == y * e)
            }
            _ => self.len() == other.len() && self.to_vec() == other.to_vec(),
        }
    }
}
