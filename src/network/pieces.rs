//! Units with more than one state per neuron row: max units, and how a pattern names the piece
//! of every unit.
//!
//! A `max` layer with `k` pieces has `k n` rows, unit-major: rows `u k .. u k + k` are the
//! candidates of unit `u`. Its output is `k n` values where each unit's winning candidate passes
//! and the others are zero, so the next layer (whose `k` columns of a unit are equal) reads the
//! unit's maximum. In a pattern the layer has one bit per row, exactly one on per unit (the
//! winner), so every masked composition of the crate treats relu and max layers alike.
//!
//! The winner is the candidate with the largest value; ties go to the lowest index. On a
//! full-dimensional set where two candidates are the same affine function the lower one wins,
//! so every unit has one piece on every region (the ties of measure zero are region
//! boundaries).

use super::{Activation, Network, Pattern};
use crate::error::Problem;

/// The largest number of pieces of a max unit (a pattern names a piece by one base-36 digit).
pub const MAX_PIECES: usize = 36;

impl Activation {
    /// Whether the layer's rows have states in the pattern (relu and max layers).
    ///
    /// # Examples
    /// ```
    /// use relu_regions::network::Activation;
    /// assert!(Activation::Relu.has_states() && Activation::Max(4).has_states());
    /// assert!(!Activation::Linear.has_states());
    /// assert_eq!((Activation::Max(4).pieces(), Activation::Relu.pieces()), (4, 2));
    /// ```
    pub fn has_states(self) -> bool {
        !matches!(self, Activation::Linear)
    }

    /// The number of pieces of one unit (relu 2, linear 1, max `k`).
    ///
    /// See the example on [`Activation::has_states`].
    pub fn pieces(self) -> usize {
        match self {
            Activation::Relu => 2,
            Activation::Linear => 1,
            Activation::Max(k) => k,
        }
    }

    /// The states of a layer's rows from one key per row (compared as they are: a value, or
    /// a value and a derivative lexicographically): relu rows are on when the key is above
    /// `zero`, a max unit's winner is its largest key, the lowest index among equals.
    ///
    /// # Examples
    /// ```
    /// use relu_regions::network::Activation;
    /// assert_eq!(Activation::Relu.states(&[3, 0, -1], &0), [true, false, false]);
    /// // two units of two pieces: a tie goes to the first candidate
    /// assert_eq!(Activation::Max(2).states(&[1, 5, 2, 2], &0), [false, true, true, false]);
    /// ```
    pub fn states<K: Ord>(self, keys: &[K], zero: &K) -> Vec<bool> {
        match self {
            Activation::Linear => Vec::new(),
            Activation::Relu => keys.iter().map(|k| k > zero).collect(),
            Activation::Max(k) => {
                let mut bits = vec![false; keys.len()];
                for (u, unit) in keys.chunks(k.max(1)).enumerate() {
                    let mut best = 0;
                    for (t, key) in unit.iter().enumerate().skip(1) {
                        if key > &unit[best] {
                            best = t;
                        }
                    }
                    bits[u * k + best] = true;
                }
                bits
            }
        }
    }
}

/// The name of a piece in a pattern string: a base-36 digit.
fn piece_char(t: usize) -> char {
    char::from_digit(t as u32, MAX_PIECES as u32).unwrap_or('?')
}

/// How a pattern is written: for each layer with states, `0` for a relu layer (a `0`/`1` per
/// neuron) or the `k` of a max layer (per unit the index of its winner, a base-36 digit).
/// The default layout writes every layer as relu bits.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct PatternLayout(std::sync::Arc<[usize]>);

impl PatternLayout {
    /// The layout of a network's patterns.
    ///
    /// # Examples
    /// ```
    /// use relu_regions::network::pieces::PatternLayout;
    /// let net = relu_regions::Network::from_json(r#"{"input_dim": 1, "layers": [
    ///     {"weights": [[1], [2]], "activation": "relu"},
    ///     {"weights": [[1, 0], [0, 1]], "activation": "max", "pieces": 2},
    ///     {"weights": [[1, 1]], "activation": "linear"}]}"#).unwrap();
    /// let layout = PatternLayout::of(&net);
    /// let pattern = vec![vec![true, false], vec![false, true]];
    /// assert_eq!(layout.strings(&pattern), ["10", "1"]);
    /// assert_eq!(layout.parse(&["10".into(), "1".into()]), Some(pattern));
    /// assert_eq!(PatternLayout::default().strings(&vec![vec![false, true]]), ["01"]);
    /// ```
    pub fn of(net: &Network) -> PatternLayout {
        let kinds = net.layers.iter().filter(|l| l.activation.has_states()).map(|l| match l.activation {
            Activation::Max(k) => k,
            _ => 0,
        });
        PatternLayout(kinds.collect())
    }

    /// The `k` of each max layer, `0` for relu layers (past the end: relu).
    fn kind(&self, layer: usize) -> usize {
        self.0.get(layer).copied().unwrap_or(0)
    }

    /// One string per layer with states: a `0`/`1` per relu neuron, and per max unit the
    /// index of its winning piece as a base-36 digit.
    ///
    /// See the example on [`PatternLayout::of`].
    pub fn strings(&self, pattern: &Pattern) -> Vec<String> {
        let unit_string = |bits: &[bool], k: usize| -> String {
            bits.chunks(k)
                .map(|unit| piece_char(unit.iter().position(|&b| b).unwrap_or(MAX_PIECES)))
                .collect()
        };
        pattern
            .iter()
            .enumerate()
            .map(|(l, bits)| match self.kind(l) {
                0 => bits.iter().map(|&b| if b { '1' } else { '0' }).collect(),
                k => unit_string(bits, k),
            })
            .collect()
    }

    /// The pattern a list of strings names, `None` when a character is not a state of its
    /// layer.
    ///
    /// See the example on [`PatternLayout::of`].
    pub fn parse(&self, strings: &[String]) -> Option<Pattern> {
        if !self.0.is_empty() && strings.len() != self.0.len() {
            return None;
        }
        let layer = |(l, s): (usize, &String)| -> Option<Vec<bool>> {
            match self.kind(l) {
                0 => s.chars().map(|c| matches!(c, '0' | '1').then_some(c == '1')).collect(),
                k => {
                    let mut bits = Vec::with_capacity(k * s.len());
                    for c in s.chars() {
                        let t = c.to_digit(MAX_PIECES as u32)? as usize;
                        if t >= k {
                            return None;
                        }
                        bits.extend((0..k).map(|i| i == t));
                    }
                    Some(bits)
                }
            }
        };
        strings.iter().enumerate().map(layer).collect()
    }
}

impl Network {
    /// Whether the network has max units (units with a piece per candidate).
    ///
    /// See the example on [`Network::pattern_strings`].
    pub fn has_max_units(&self) -> bool {
        self.layers.iter().any(|l| matches!(l.activation, Activation::Max(_)))
    }

    /// A pattern as one string per layer with states (see [`PatternLayout::strings`]).
    ///
    /// # Examples
    /// ```
    /// use relu_regions::{exact::num::q, Network};
    /// // the max of (x, -x, 1/2) (three pieces)
    /// let net = Network::from_json(r#"{"input_dim": 1, "layers": [
    ///     {"weights": [[1], [-1], [0]], "bias": [0, 0, "1/2"], "activation": "max", "pieces": 3},
    ///     {"weights": [[1, 1, 1]], "activation": "linear"}]}"#).unwrap();
    /// assert!(net.has_max_units());
    /// let (pattern, y) = net.evaluate(&[q(-2)]);
    /// assert_eq!(net.pattern_strings(&pattern), ["1"]);
    /// assert_eq!(y, [q(2)]);
    /// assert_eq!(net.parse_pattern(&["1".to_string()]), Some(pattern));
    /// assert_eq!(net.parse_pattern(&["3".to_string()]), None);
    /// ```
    pub fn pattern_strings(&self, pattern: &Pattern) -> Vec<String> {
        PatternLayout::of(self).strings(pattern)
    }

    /// The pattern a list of strings names (see [`PatternLayout::parse`]).
    ///
    /// See the example on [`Network::pattern_strings`].
    pub fn parse_pattern(&self, strings: &[String]) -> Option<Pattern> {
        let pattern = PatternLayout::of(self).parse(strings)?;
        let stateful = self.layers.iter().filter(|l| l.activation.has_states());
        pattern.iter().zip(stateful).all(|(bits, l)| bits.len() == l.width()).then_some(pattern)
    }

    /// Whether `x` lies on a hyperplane of some unit as the network evaluates it: a relu
    /// preactivation exactly zero, or two candidates of a max unit tied at its maximum.
    ///
    /// # Examples
    /// ```
    /// use relu_regions::{exact::num::q, Network};
    /// let net = Network::from_json(r#"{"input_dim": 1, "layers": [
    ///     {"weights": [[1], [-1]], "activation": "max", "pieces": 2},
    ///     {"weights": [[1, 1]], "activation": "linear"}]}"#).unwrap();
    /// assert!(net.touches_a_hyperplane(&[q(0)]) && !net.touches_a_hyperplane(&[q(1)]));
    /// ```
    pub fn touches_a_hyperplane(&self, x: &[crate::exact::num::Q]) -> bool {
        use num_traits::Zero;
        let mut h = x.to_vec();
        for layer in &self.layers {
            let z = layer.preactivation(&h);
            let touches = match layer.activation {
                Activation::Linear => false,
                Activation::Relu => z.iter().any(Zero::is_zero),
                Activation::Max(k) => z.chunks(k).any(|unit| {
                    let best = unit.iter().max().expect("a unit has candidates");
                    unit.iter().filter(|&c| c == best).count() > 1
                }),
            };
            if touches {
                return true;
            }
            let bits = layer.activation.states(&z, &crate::exact::num::Q::zero());
            h = if layer.activation.has_states() {
                z.into_iter()
                    .zip(&bits)
                    .map(|(v, &on)| if on { v } else { crate::exact::num::Q::zero() })
                    .collect()
            } else {
                z
            };
        }
        false
    }

    /// The number of hidden units: relu neurons and max units.
    ///
    /// See the example on [`Network::new`].
    pub fn hidden_neurons(&self) -> usize {
        self.layers
            .iter()
            .map(|l| match l.activation {
                Activation::Relu => l.width(),
                Activation::Max(k) => l.width() / k.max(1),
                Activation::Linear => 0,
            })
            .sum()
    }
}

/// The problems of the network's max layers: `k` between 2 and [`MAX_PIECES`], a width that
/// is a multiple of `k`, a following layer, whose columns are equal within each unit (so that
/// it reads the unit's maximum and the network is continuous).
pub(super) fn max_layer_problems(net: &Network) -> Vec<Problem> {
    let mut problems = Vec::new();
    for (l, layer) in net.layers.iter().enumerate() {
        let Activation::Max(k) = layer.activation else { continue };
        let at = format!("layers[{l}]");
        if !(2..=MAX_PIECES).contains(&k) {
            problems
                .push(Problem::new(format!("{at}.pieces"), format!("is {k}, expected 2 to {MAX_PIECES}")));
            continue;
        }
        if layer.width() % k != 0 {
            problems.push(Problem::new(
                format!("{at}.weights"),
                format!("has {} rows, not a multiple of the {k} pieces of a unit", layer.width()),
            ));
            continue;
        }
        let Some(next) = net.layers.get(l + 1) else {
            problems.push(Problem::new(
                at,
                "a max layer is followed by the layer that reads its units (add a linear layer)",
            ));
            continue;
        };
        for (i, row) in next.weights.rows().enumerate() {
            // a unit's columns are all stored (nonzero) and equal, or none is
            let unequal = row.chunk_by(|(a, _), (b, _)| a / k == b / k).find_map(|unit| {
                (unit.len() != k || unit.iter().any(|(_, w)| w != &unit[0].1)).then_some(unit[0].0 / k)
            });
            if let Some(u) = unequal {
                problems.push(Problem::new(
                    format!("layers[{}].weights[{i}]", l + 1),
                    format!(
                        "columns {} to {} (the candidates of max unit {u}) differ: they must be equal",
                        u * k,
                        u * k + k - 1
                    ),
                ));
                break;
            }
        }
    }
    problems
}

/// The rows `a . x <= b` that the states `bits` of a layer impose, given its preactivations
/// composed on a region (`jacobian[i] . x + offset[i]`), each with the index of the row it
/// comes from: a relu neuron's side of its hyperplane, and for a max unit whose winner is `t`
/// the rows `c_j <= c_t` of its other candidates `j`. A row that is constant is left out when
/// the states satisfy it (a relu `c > 0` on, `c <= 0` off; a max `c_t - c_j > 0`, or `= 0` with
/// `j > t`), and kept as `0 <= b` with `b <= 0` when they do not (no point is strictly inside).
pub(crate) fn state_rows(
    activation: Activation,
    jacobian: &[Vec<crate::exact::num::Q>],
    offset: &[crate::exact::num::Q],
    bits: &[bool],
) -> Vec<(usize, crate::kernel::halfspace::Halfspace)> {
    use crate::exact::num::Q;
    use crate::kernel::halfspace::Halfspace;
    use num_traits::{Signed, Zero};
    let d = jacobian.first().map_or(0, Vec::len);
    // `a . x + c >= 0` (strictly, in the interior) as a row
    let at_least_zero = |a: Vec<Q>, c: Q, strict_tie: bool| -> Option<Halfspace> {
        if a.iter().all(Zero::is_zero) {
            let holds = c.is_positive() || (c.is_zero() && !strict_tie);
            return (!holds).then(|| Halfspace::new(vec![Q::zero(); d], c));
        }
        Some(Halfspace::new(a.into_iter().map(|v| -v).collect(), c))
    };
    let mut out = Vec::new();
    match activation {
        Activation::Linear => {}
        Activation::Relu => {
            for (i, ((row, c), &on)) in jacobian.iter().zip(offset).zip(bits).enumerate() {
                let side = if on {
                    at_least_zero(row.clone(), c.clone(), true)
                } else {
                    at_least_zero(row.iter().map(|v| -v).collect(), -c, false)
                };
                out.extend(side.map(|h| (i, h)));
            }
        }
        Activation::Max(k) => {
            for u in 0..bits.len() / k.max(1) {
                let Some(t) = (0..k).find(|&j| bits[u * k + j]) else { continue };
                let (rt, ct) = (&jacobian[u * k + t], &offset[u * k + t]);
                for j in (0..k).filter(|&j| j != t) {
                    let (rj, cj) = (&jacobian[u * k + j], &offset[u * k + j]);
                    let a = rt.iter().zip(rj).map(|(x, y)| x - y).collect();
                    out.extend(at_least_zero(a, ct - cj, j < t).map(|h| (u * k + j, h)));
                }
            }
        }
    }
    out
}

/// For each layer, when it is a max layer right after a relu layer, the relu output each
/// candidate row selects (`Some(i)`: the row is `h_i` exactly, no bias). Such a candidate is
/// `>= 0` everywhere and identically 0 where neuron `i` is off, which decides most cells of
/// max pooling after a ReLU without an LP: an off candidate never wins over an on one (an on
/// neuron is positive inside the region), and an on candidate is never below an off one.
///
/// # Examples
/// ```
/// use relu_regions::network::pieces::relu_selections;
/// let net = relu_regions::Network::from_json(r#"{"input_dim": 1, "layers": [
///     {"weights": [[1], [-1]], "activation": "relu"},
///     {"weights": [[1, 0], [0, 1]], "activation": "max", "pieces": 2},
///     {"weights": [[1, 1]], "activation": "linear"}]}"#).unwrap();
/// assert_eq!(relu_selections(&net), [None, Some(vec![Some(0), Some(1)]), None]);
/// ```
pub fn relu_selections(net: &Network) -> Vec<Option<Vec<Option<usize>>>> {
    use num_traits::{One, Zero};
    let layers = net.layers();
    (0..layers.len())
        .map(|l| {
            let layer = &layers[l];
            let after_relu = l > 0 && layers[l - 1].activation == Activation::Relu;
            (matches!(layer.activation, Activation::Max(_)) && after_relu).then(|| {
                layer
                    .weights
                    .rows()
                    .zip(&layer.bias)
                    .map(|(row, b)| match row {
                        [(i, v)] if v.is_one() && b.is_zero() => Some(*i),
                        _ => None,
                    })
                    .collect()
            })
        })
        .collect()
}
