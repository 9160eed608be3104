//! Line slices: the network along the segment `x = a + t (b - a)`, `t` in `[0, 1]`, is an exact
//! 1-input network in `t`; its regions are intervals, whose ends are the exact breakpoints of
//! the activation pattern along the segment, each interval with its affine map (in `t` and in
//! `x`). The 1-D analogue of [`crate::queries::slice`].

use crate::analysis::Analysis;
use crate::enumerate::region::AffineMap;
use crate::error::{NetworkError, Problem};
use crate::exact::num::{dot, q, Q};
use crate::network::{Domain, Network, Pattern};
use num_traits::Zero;

/// The segment from `a` to `b` in input space.
#[derive(Debug, Clone, PartialEq)]
pub struct Segment {
    /// Start (`t = 0`).
    pub a: Vec<Q>,
    /// End (`t = 1`).
    pub b: Vec<Q>,
}

impl Segment {
    /// Parses `"a1,a2,..;b1,b2,.."`.
    ///
    /// See the example on [`slice()`].
    pub fn parse(text: &str, dim: usize) -> Result<Segment, NetworkError> {
        let mut points = crate::queries::slice::parse_points(text, "the segment", 2, dim)?;
        let b = points.pop().expect("two points");
        let a = points.pop().expect("two points");
        if a == b {
            return Err(NetworkError::Invalid {
                source_name: "the segment".into(),
                problems: vec![Problem::new("the segment", "the two points are equal: not a segment")],
            });
        }
        Ok(Segment { a, b })
    }

    /// The input point at `t`.
    ///
    /// See the example on [`crate::export::answers::slice_json`].
    pub fn point(&self, t: &Q) -> Vec<Q> {
        self.a.iter().zip(&self.b).map(|(a, b)| a + t * (b - a)).collect()
    }
}

/// The network restricted to the segment: one input `t` on `[0, 1]`, clipped by the network's
/// domain (an error when the segment misses its interior).
///
/// See the example on [`slice()`].
pub fn restrict(net: &Network, segment: &Segment) -> Result<Network, NetworkError> {
    let direction: Vec<Q> = segment.b.iter().zip(&segment.a).map(|(b, a)| b - a).collect();
    let layers = net.compose_input(&segment.a, &[Network::sparse_direction(&direction)]);
    // t in [0, 1], and the domain's rows a . (p + t d) <= b as rows in t
    let (mut lo, mut hi) = (q(0), q(1));
    for h in net.domain().halfspaces(net.input_dim()) {
        let (slope, rhs) = (dot(&h.a, &direction), &h.b - dot(&h.a, &segment.a));
        if slope.is_zero() {
            if rhs < Q::zero() {
                lo = q(1);
                hi = q(0);
            }
        } else if slope > Q::zero() {
            hi = hi.min(rhs / slope);
        } else {
            lo = lo.max(rhs / slope);
        }
    }
    if lo >= hi {
        return Err(NetworkError::Invalid {
            source_name: "the segment".into(),
            problems: vec![Problem::new(
                "the segment",
                "the segment does not cross the interior of the domain",
            )],
        });
    }
    Network::new(1, layers, Domain::Box(vec![(lo, hi)]))
}

/// One interval of the segment on which the activation pattern is constant.
#[derive(Debug, Clone, PartialEq)]
pub struct LinePiece {
    /// Its ends in `t`.
    pub t: (Q, Q),
    /// Its ends in input space.
    pub x: (Vec<Q>, Vec<Q>),
    /// The activation pattern.
    pub pattern: Pattern,
    /// How the pattern is written (relu bits, max pieces).
    pub layout: crate::network::pieces::PatternLayout,
    /// `dy/dt` for every output.
    pub slope: Vec<Q>,
    /// Every output at the start of the interval.
    pub start: Vec<Q>,
    /// Every output at the end of the interval.
    pub end: Vec<Q>,
}

/// The exact breakpoints of a network along a segment.
#[derive(Debug, Clone, PartialEq)]
pub struct LineSlice {
    /// The intervals, in order of `t`.
    pub pieces: Vec<LinePiece>,
    /// The values of `t` inside the segment where the function's slope changes (activation
    /// boundaries where the slope does not change are not breakpoints).
    pub breakpoints: Vec<Q>,
}

/// The slice from the analysis of the restricted network ([`restrict`]).
///
/// # Examples
/// ```
/// use relu_regions::{analysis::analyze, Enumerator, network::json::read_network};
/// use relu_regions::queries::line::{restrict, slice, Segment};
/// use relu_regions::exact::num::parse_rational;
/// // |x0| + |x1| along the segment (-1, 1/2) -> (1, 1/2): a kink at x0 = 0 only
/// let net = read_network(r#"{"input_dim": 2, "layers": [
///     {"weights": [[1, 0], [-1, 0], [0, 1], [0, -1]], "activation": "relu"},
///     {"weights": [[1, 1, 1, 1]], "activation": "linear"}]}"#, "abs").unwrap();
/// let segment = Segment::parse("-1,1/2;1,1/2", 2).unwrap();
/// let line = restrict(&net, &segment).unwrap();
/// let s = slice(&segment, &analyze(&line, &Enumerator::builder().build()).unwrap());
/// assert_eq!(s.breakpoints, vec![parse_rational("1/2").unwrap()]);
/// ```
pub fn slice(segment: &Segment, a: &Analysis) -> LineSlice {
    let mut pieces: Vec<LinePiece> = a
        .regions
        .iter()
        .zip(&a.facets)
        .map(|(r, _)| {
            let (t0, t1) = interval(r);
            let map: &AffineMap = &r.map;
            let at = |t: &Q| map.apply(std::slice::from_ref(t));
            LinePiece {
                x: (segment.point(&t0), segment.point(&t1)),
                pattern: r.pattern.clone(),
                layout: r.layout.clone(),
                slope: map.jacobian.iter().map(|row| row[0].clone()).collect(),
                start: at(&t0),
                end: at(&t1),
                t: (t0, t1),
            }
        })
        .collect();
    pieces.sort_by(|p, q| p.t.0.cmp(&q.t.0));
    let breakpoints =
        pieces.windows(2).filter(|w| w[0].slope != w[1].slope).map(|w| w[1].t.0.clone()).collect();
    LineSlice { pieces, breakpoints }
}

/// The ends of a 1-D region: its constraints are `+-t <= b` (after scaling).
fn interval(r: &crate::enumerate::region::Region) -> (Q, Q) {
    let (mut lo, mut hi): (Option<Q>, Option<Q>) = (None, None);
    for h in r.halfspaces() {
        let a = &h.a[0];
        if a.is_zero() {
            continue;
        }
        let bound = &h.b / a;
        if *a > Q::zero() {
            hi = Some(hi.map_or(bound.clone(), |v| v.min(bound)));
        } else {
            lo = Some(lo.map_or(bound.clone(), |v| v.max(bound)));
        }
    }
    (lo.unwrap_or_default(), hi.unwrap_or_else(|| q(1)))
}
