//! Planar slices of higher-dimensional inputs: the network restricted to the plane
//! `x = p + s u + t v` is an exact rational 2-input network in `(s, t)`, so its partition is the
//! exact partition of that plane.

use crate::error::{NetworkError, Problem};
use crate::exact::num::{dot, parse_rational, q, Q};
use crate::network::{Domain, Network};
use num_traits::Zero;

/// A plane `p + s u + t v` in input space.
#[derive(Debug, Clone, PartialEq)]
pub struct Plane {
    /// The origin `p` (s = t = 0).
    pub p: Vec<Q>,
    /// The direction of `s`.
    pub u: Vec<Q>,
    /// The direction of `t`.
    pub v: Vec<Q>,
}

/// Parses `count` vectors of `dim` exact numbers separated by `;` (the option `what` names them
/// in errors).
pub(crate) fn parse_points(
    text: &str,
    what: &str,
    count: usize,
    dim: usize,
) -> Result<Vec<Vec<Q>>, NetworkError> {
    let invalid = |message: String| NetworkError::Invalid {
        source_name: what.into(),
        problems: vec![Problem::new(what, message)],
    };
    let parts: Vec<&str> = text.split(';').collect();
    if parts.len() != count {
        return Err(invalid(format!("expected {count} vectors separated by `;`, got {}", parts.len())));
    }
    parts
        .iter()
        .enumerate()
        .map(|(k, part)| {
            let values: Vec<Q> = part
                .split(',')
                .map(|t| parse_rational(t).map_err(|e| invalid(format!("vector {}: {e}", k + 1))))
                .collect::<Result<_, _>>()?;
            if values.len() != dim {
                return Err(invalid(format!(
                    "vector {} has {} coordinates, the network has {dim} inputs",
                    k + 1,
                    values.len()
                )));
            }
            Ok(values)
        })
        .collect()
}

impl Plane {
    /// Parses `"p1,p2,..;u1,u2,..;v1,v2,.."` (a point and two directions).
    ///
    /// # Examples
    /// ```
    /// use relu_regions::{exact::num::q, queries::slice::Plane};
    /// let plane = Plane::parse_plane("0,0,1;1,0,0;0,1,0", 3).unwrap(); // z = 1, s along x, t along y
    /// assert_eq!(plane.point(&q(2), &q(3)), vec![q(2), q(3), q(1)]);
    /// let same = Plane::parse_through("0,0,1;1,0,1;0,1,1", 3).unwrap();
    /// assert_eq!(same, plane);
    /// assert!(Plane::parse_plane("0,0,1;1,0,0;2,0,0", 3).is_err()); // parallel directions
    /// ```
    pub fn parse_plane(text: &str, dim: usize) -> Result<Plane, NetworkError> {
        let mut v = parse_points(text, "the plane", 3, dim)?;
        let (vv, uu, pp) = (v.pop().expect("3"), v.pop().expect("3"), v.pop().expect("3"));
        Plane::checked(pp, uu, vv, "the plane")
    }

    /// Parses `"a;b;c"` (three points): `p = a`, `u = b - a`, `v = c - a`.
    ///
    /// See the example on [`Plane::parse_plane`].
    pub fn parse_through(text: &str, dim: usize) -> Result<Plane, NetworkError> {
        let v = parse_points(text, "the plane's three points", 3, dim)?;
        let sub = |x: &[Q], y: &[Q]| x.iter().zip(y).map(|(a, b)| a - b).collect::<Vec<Q>>();
        Plane::checked(v[0].clone(), sub(&v[1], &v[0]), sub(&v[2], &v[0]), "the plane's three points")
    }

    fn checked(p: Vec<Q>, u: Vec<Q>, v: Vec<Q>, what: &str) -> Result<Plane, NetworkError> {
        // u and v must be linearly independent: some 2x2 minor is nonzero
        let n = u.len();
        let independent = (0..n).any(|i| (i + 1..n).any(|j| &u[i] * &v[j] != &u[j] * &v[i]));
        if !independent {
            return Err(NetworkError::Invalid {
                source_name: what.into(),
                problems: vec![Problem::new(what, "the two directions are parallel: not a plane")],
            });
        }
        Ok(Plane { p, u, v })
    }

    /// The input point at `(s, t)`.
    ///
    /// See the example on [`Plane::parse_plane`].
    pub fn point(&self, s: &Q, t: &Q) -> Vec<Q> {
        (0..self.p.len()).map(|i| &self.p[i] + s * &self.u[i] + t * &self.v[i]).collect()
    }
}

/// The network restricted to the plane, on `st_box` (default `[0, 1]^2`) clipped by the
/// network's own domain.
///
/// # Examples
/// ```
/// use relu_regions::{exact::num::q, queries::slice::{restrict, Plane}, Network};
/// // relu(x + y + z - 1) on the plane z = 0, (s, t) in [0, 1]^2: relu(s + t - 1)
/// let net = Network::from_json(r#"{"input_dim": 3, "layers": [
///     {"weights": [["1", "1", "1"]], "bias": ["-1"], "activation": "relu"}]}"#).unwrap();
/// let plane = Plane::parse_plane("0,0,0;1,0,0;0,1,0", 3).unwrap();
/// let flat = restrict(&net, &plane, None).unwrap();
/// assert_eq!(flat.input_dim(), 2);
/// assert_eq!(flat.output(&[q(1), q(1)]), vec![q(1)]);
/// ```
pub fn restrict(net: &Network, plane: &Plane, st_box: Option<Domain>) -> Result<Network, NetworkError> {
    let layers = net
        .compose_input(&plane.p, &[Network::sparse_direction(&plane.u), Network::sparse_direction(&plane.v)]);
    let st = st_box.unwrap_or_else(|| Domain::Box(vec![(q(0), q(1)), (q(0), q(1))]));
    let mut a: Vec<Vec<Q>> = Vec::new();
    let mut b: Vec<Q> = Vec::new();
    for h in
        st.halfspaces(2).into_iter().chain(net.domain().halfspaces(net.input_dim()).into_iter().map(|h| {
            crate::kernel::halfspace::Halfspace::new(
                vec![dot(&h.a, &plane.u), dot(&h.a, &plane.v)],
                &h.b - dot(&h.a, &plane.p),
            )
        }))
    {
        if h.a.iter().all(Zero::is_zero) && h.b >= Q::zero() {
            continue;
        }
        a.push(h.a);
        b.push(h.b);
    }
    let domain = if matches!(net.domain(), Domain::Whole) { st } else { Domain::Polytope { a, b } };
    Network::new(2, layers, domain).map_err(|e| match e {
        NetworkError::Invalid { problems, .. } => NetworkError::Invalid {
            source_name: "the slice".into(),
            problems: problems
                .into_iter()
                .map(|p| Problem::new(p.location, format!("{} (the plane misses the domain?)", p.message)))
                .collect(),
        },
        other => other,
    })
}
