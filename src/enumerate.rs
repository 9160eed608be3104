//! Region enumeration: a depth-first split of the domain, layer by layer and neuron by neuron,
//! streaming every full-dimensional activation region to a [`RegionSink`].
//!
//! A region carries a rational interior point `p`. For each neuron, with preactivation
//! `h(x) = c . x + e` (affine on the region), the side of `p` is known by one exact (filtered)
//! evaluation; only the other side needs a centring LP, certified by [`crate::certify`]:
//! a checked rational point means the neuron splits the region, a checked Motzkin certificate
//! means it does not (and its row is redundant there, so it is not added). A neuron with
//! `c = 0` never splits (its sign is that of `e`; identically zero counts as off).
//!
//! # Complexity
//! One LP per (region of the layer, neuron) pair, plus exact linear algebra for the maps.
//! Memory while streaming is the depth-first stack: `O(neurons)` partial regions.

use crate::certify::safe::{proves_empty_floats, FloatBox};
use crate::certify::{find_strict_point, is_bounded, split_point, Feasibility, LpStats};
use crate::fixed::{FixedLayer, FixedMap};
use crate::lp::Backend;
use crate::network::{Activation, Domain, Network, Pattern};
use crate::num::{sign, to_f64, Q};
use crate::poly::{float_affine_sign, Halfspace};
use crate::region::{Constraint, NeuronId, Origin, Region};
use num_bigint::BigInt;
use num_traits::Zero;
use std::cmp::Ordering;
use std::ops::ControlFlow;
use std::sync::atomic::{AtomicBool, Ordering as AtomicOrdering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Receives regions as they are found.
pub trait RegionSink {
    /// Takes one region; `Break` stops the enumeration (the result is then partial).
    fn region(&mut self, region: Region) -> ControlFlow<()>;
}

impl RegionSink for Vec<Region> {
    fn region(&mut self, region: Region) -> ControlFlow<()> {
        self.push(region);
        ControlFlow::Continue(())
    }
}

/// Counts regions without keeping them.
#[derive(Debug, Default, Clone, Copy)]
pub struct CountingSink {
    /// Regions seen.
    pub regions: usize,
    /// Bounded regions seen.
    pub bounded: usize,
}

impl RegionSink for CountingSink {
    fn region(&mut self, region: Region) -> ControlFlow<()> {
        self.regions += 1;
        self.bounded += usize::from(region.bounded);
        ControlFlow::Continue(())
    }
}

/// Why an enumeration stopped early.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum StopReason {
    /// `max_regions` was reached.
    MaxRegions,
    /// The time limit passed.
    TimeLimit,
    /// The cancel flag was raised (e.g. Ctrl-C).
    Cancelled,
    /// The sink asked to stop.
    Sink,
}

/// What an enumeration did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Summary {
    /// Regions emitted.
    pub regions: usize,
    /// `None` when every region was found; otherwise why it stopped.
    pub stopped: Option<StopReason>,
    /// How the LP decisions were certified.
    pub stats: LpStats,
    /// Wall time.
    pub elapsed: Duration,
}

impl Summary {
    /// Whether the enumeration is complete.
    pub fn complete(&self) -> bool {
        self.stopped.is_none()
    }
}

/// The enumerator, configured once (certification is always on; it is not a setting).
#[derive(Debug, Clone, Default)]
pub struct Enumerator {
    backend: Backend,
    max_regions: Option<usize>,
    time_limit: Option<Duration>,
    cancel: Option<Arc<AtomicBool>>,
}

/// Builds an [`Enumerator`].
#[derive(Debug, Clone, Default)]
pub struct EnumeratorBuilder {
    inner: Enumerator,
}

impl EnumeratorBuilder {
    /// The float LP backend that proposes hints.
    pub fn backend(mut self, backend: Backend) -> Self {
        self.inner.backend = backend;
        self
    }
    /// Stop after this many regions.
    pub fn max_regions(mut self, n: Option<usize>) -> Self {
        self.inner.max_regions = n;
        self
    }
    /// Stop after this much time.
    pub fn time_limit(mut self, t: Option<Duration>) -> Self {
        self.inner.time_limit = t;
        self
    }
    /// Stop when this flag becomes true.
    pub fn cancel_flag(mut self, flag: Arc<AtomicBool>) -> Self {
        self.inner.cancel = Some(flag);
        self
    }
    /// The configured enumerator.
    pub fn build(self) -> Enumerator {
        self.inner
    }
}

/// A partial region on the depth-first stack.
#[derive(Clone)]
struct Partial {
    layer: usize,
    neuron: usize,
    constraints: Vec<Constraint>,
    point: Vec<Q>,
    point_float: Vec<f64>,
    pattern: Pattern,
    bits: Vec<bool>,
    /// The map of the current layer's input.
    input: Arc<FixedMap>,
    /// The current layer's preactivation map (computed when the region enters the layer).
    pre: Option<Arc<FixedMap>>,
}

impl Enumerator {
    /// A builder with the defaults (float simplex hints, no limits).
    ///
    /// # Examples
    /// ```
    /// use relu_regions::{enumerate::Enumerator, network::json::read_network};
    /// let net = read_network(r#"{"input_dim": 2, "layers": [
    ///     {"weights": [["1", "0"], ["0", "1"]], "activation": "relu"},
    ///     {"weights": [["1", "1"]], "activation": "linear"}]}"#, "inline").unwrap();
    /// let regions = Enumerator::builder().build().collect(&net).0;
    /// assert_eq!(regions.len(), 4);
    /// ```
    pub fn builder() -> EnumeratorBuilder {
        EnumeratorBuilder::default()
    }

    /// The backend in use.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Enumerates every region into a vector.
    pub fn collect(&self, net: &Network) -> (Vec<Region>, Summary) {
        let mut regions = Vec::new();
        let summary = self.enumerate(net, &mut regions);
        (regions, summary)
    }

    /// Enumerates every full-dimensional region of the network's domain, in a deterministic
    /// depth-first order, into `sink`.
    pub fn enumerate(&self, net: &Network, sink: &mut dyn RegionSink) -> Summary {
        let start = Instant::now();
        let mut summary = Summary::default();
        let d = net.input_dim();
        let domain_rows = net.domain().halfspaces(d);
        let bx = FloatBox::from_domain(net.domain());
        let fixed: Vec<FixedLayer> = net.layers().iter().map(FixedLayer::new).collect();
        let constraints: Vec<Constraint> = domain_rows
            .into_iter()
            .enumerate()
            .filter(|(_, h)| !h.is_trivial())
            .map(|(k, h)| Constraint { halfspace: h, origin: Origin::Domain(k) })
            .collect();
        let refs: Vec<&Halfspace> = constraints.iter().map(|c| &c.halfspace).collect();
        let point = match find_strict_point(&refs, None, self.backend.solver(), &mut summary.stats) {
            Feasibility::Interior(p) => p,
            Feasibility::Empty(_) => return summary,
        };
        let bounded_domain = match net.domain() {
            Domain::Whole => false,
            Domain::Box(_) => true,
            _ => is_bounded(&refs, d),
        };
        let mut stack = vec![Partial {
            layer: 0,
            neuron: 0,
            constraints,
            point_float: point.iter().map(to_f64).collect(),
            point,
            pattern: Vec::new(),
            bits: Vec::new(),
            input: Arc::new(FixedMap::identity(d)),
            pre: None,
        }];
        while let Some(partial) = stack.pop() {
            if let Some(reason) = self.should_stop(&summary, start) {
                summary.stopped = Some(reason);
                break;
            }
            match self.advance(net, partial, bx.as_ref(), &fixed, &mut stack, &mut summary.stats) {
                None => {}
                Some(done) => {
                    let region = finish(done, summary.regions, bounded_domain, d);
                    summary.regions += 1;
                    if sink.region(region).is_break() {
                        summary.stopped = Some(StopReason::Sink);
                        break;
                    }
                }
            }
        }
        summary.elapsed = start.elapsed();
        summary
    }

    fn should_stop(&self, summary: &Summary, start: Instant) -> Option<StopReason> {
        if self.max_regions.is_some_and(|n| summary.regions >= n) {
            return Some(StopReason::MaxRegions);
        }
        if self.time_limit.is_some_and(|t| start.elapsed() >= t) {
            return Some(StopReason::TimeLimit);
        }
        if self.cancel.as_ref().is_some_and(|c| c.load(AtomicOrdering::Relaxed)) {
            return Some(StopReason::Cancelled);
        }
        None
    }

    /// Advances a partial region until it splits (children pushed, `None`) or passes the last
    /// layer (returned).
    fn advance(
        &self,
        net: &Network,
        mut p: Partial,
        bx: Option<&FloatBox>,
        fixed: &[FixedLayer],
        stack: &mut Vec<Partial>,
        stats: &mut LpStats,
    ) -> Option<Partial> {
        let layers = net.layers();
        while p.layer < layers.len() {
            let layer = &layers[p.layer];
            if layer.activation == Activation::Linear {
                p.input = Arc::new(p.input.then_layer(&fixed[p.layer]));
                p.layer += 1;
                continue;
            }
            let pre = p.pre.get_or_insert_with(|| Arc::new(p.input.then_layer(&fixed[p.layer]))).clone();
            while p.neuron < layer.width() {
                let i = p.neuron;
                match self.decide(&p, &pre.num[i], &pre.off[i], bx, stats) {
                    Decision::Constant(on) => p.bits.push(on),
                    Decision::Split { off, on } => {
                        let mut off_child = p.clone();
                        push_side(&mut off_child, &pre, i, false, off);
                        let mut on_child = p;
                        push_side(&mut on_child, &pre, i, true, on);
                        stack.push(on_child);
                        stack.push(off_child);
                        return None;
                    }
                }
                p.neuron += 1;
            }
            let bits = std::mem::take(&mut p.bits);
            p.input = Arc::new(pre.masked(&bits));
            p.pattern.push(bits);
            p.pre = None;
            p.neuron = 0;
            p.layer += 1;
        }
        Some(p)
    }

    /// Decides whether the neuron `h = c . x + e` splits the region, with certificates.
    fn decide(
        &self,
        p: &Partial,
        c: &[BigInt],
        e: &BigInt,
        bx: Option<&FloatBox>,
        stats: &mut LpStats,
    ) -> Decision {
        if c.iter().all(Zero::is_zero) {
            return Decision::Constant(e.sign() == num_bigint::Sign::Plus);
        }
        let row = IntRow::new(c, e);
        let rows: Vec<&Halfspace> = p.constraints.iter().map(|k| &k.halfspace).collect();
        let backend = self.backend.solver();
        let mut side_point = |on: bool| {
            let (fa, fb) = row.float_side(on);
            if bx.is_some_and(|bx| proves_empty_floats(&[], &fa, fb, None, bx)) {
                stats.by_interval += 1;
                return None;
            }
            split_point(&rows, &row.side(on, fa, fb), bx, backend, stats)
        };
        match row.sign_at(&p.point, &p.point_float) {
            Ordering::Greater => match side_point(false) {
                Some(q) => Decision::Split { off: Some(q), on: None },
                None => Decision::Constant(true),
            },
            Ordering::Less => match side_point(true) {
                Some(q) => Decision::Split { off: None, on: Some(q) },
                None => Decision::Constant(false),
            },
            Ordering::Equal => {
                // h vanishes at an interior point and is not constant: both sides have interior
                let off = side_point(false);
                let on = side_point(true);
                match (off, on) {
                    (Some(off), Some(on)) => Decision::Split { off: Some(off), on: Some(on) },
                    (None, _) => Decision::Constant(true),
                    (_, None) => Decision::Constant(false),
                }
            }
        }
    }
}

/// A neuron's effect on a region. In `Split`, a side with `None` keeps the parent's point.
enum Decision {
    Constant(bool),
    Split { off: Option<Vec<Q>>, on: Option<Vec<Q>> },
}

/// A neuron's preactivation `c . x + e` with integer coefficients (the fixed-point numerators),
/// with its float image computed once.
struct IntRow<'a> {
    c: &'a [BigInt],
    e: &'a BigInt,
    float_c: Vec<f64>,
    float_e: f64,
}

impl<'a> IntRow<'a> {
    fn new(c: &'a [BigInt], e: &'a BigInt) -> IntRow<'a> {
        IntRow { c, e, float_c: c.iter().map(big_to_f64).collect(), float_e: big_to_f64(e) }
    }

    /// The float image of the side's row: on is `-c . x <= e`, off is `c . x <= -e`.
    fn float_side(&self, on: bool) -> (Vec<f64>, f64) {
        if on {
            (self.float_c.iter().map(|v| -v).collect(), self.float_e)
        } else {
            (self.float_c.clone(), -self.float_e)
        }
    }

    /// The exact row of the side (on: `h >= 0`, off: `h <= 0`).
    fn side(&self, on: bool, float_a: Vec<f64>, float_b: f64) -> Halfspace {
        let int = |v: &BigInt| Q::from_integer(v.clone());
        let (a, b) = if on {
            (self.c.iter().map(|v| int(&-v)).collect(), int(self.e))
        } else {
            (self.c.iter().map(int).collect(), int(&-self.e))
        };
        Halfspace::with_floats(a, b, float_a, float_b)
    }

    /// The exact sign of `c . x + e` (float-filtered).
    fn sign_at(&self, x: &[Q], x_float: &[f64]) -> Ordering {
        if let Some(s) = float_affine_sign(&self.float_c, self.float_e, x_float, false) {
            return s;
        }
        let value: Q =
            self.c.iter().zip(x).map(|(ci, xi)| xi * ci).sum::<Q>() + Q::from_integer(self.e.clone());
        sign(&value)
    }
}

/// The nearest float of a big integer (saturating).
fn big_to_f64(v: &BigInt) -> f64 {
    use num_traits::ToPrimitive;
    v.to_f64().unwrap_or(if v.sign() == num_bigint::Sign::Minus { f64::NEG_INFINITY } else { f64::INFINITY })
}

fn push_side(p: &mut Partial, pre: &FixedMap, i: usize, on: bool, point: Option<Vec<Q>>) {
    let row = IntRow::new(&pre.num[i], &pre.off[i]);
    let (fa, fb) = row.float_side(on);
    let halfspace = row.side(on, fa, fb);
    p.constraints
        .push(Constraint { halfspace, origin: Origin::Neuron(NeuronId { layer: p.layer, index: i }) });
    if let Some(x) = point {
        p.point_float = x.iter().map(to_f64).collect();
        p.point = x;
    }
    p.bits.push(on);
    p.neuron = i + 1;
}

fn finish(p: Partial, id: usize, bounded_domain: bool, d: usize) -> Region {
    let bounded = bounded_domain || {
        let rows: Vec<&Halfspace> = p.constraints.iter().map(|c| &c.halfspace).collect();
        is_bounded(&rows, d)
    };
    Region {
        id,
        pattern: p.pattern,
        point: p.point,
        constraints: p.constraints,
        map: p.input.to_affine(),
        bounded,
    }
}
