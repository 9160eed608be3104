//! The network model: layers of exact affine maps with `relu` or `linear` activations, and the
//! input domain (all of R^d, a box, or a polytope), plus exact evaluation at rational points.
//!
//! Readers for the file formats live in the submodules ([`json`] for our exact JSON and its
//! graph form, [`nnet`] for the ACAS Xu / Reluplex text format, [`onnx`]); they all produce a
//! validated [`Network`], and check every size a file sets against [`limits`] before they
//! allocate it. Loading a file by its format: [`load()`].

mod domain;
mod fingerprint;
pub mod json;
pub mod limits;
mod load;
pub mod nnet;
pub mod onnx;
pub mod pieces;
mod restrict;
pub mod vnnlib;
pub mod weights;
use domain::domain_problems;
pub use domain::Domain;
pub use limits::MAX_FILE_BYTES;
pub use load::{load, load_with_bytes, InputFormat};
pub use onnx::graph_form;
pub use weights::Weights;
pub(crate) mod protobuf;

use crate::error::{NetworkError, Problem};
use crate::exact::num::Q;
use num_traits::Zero;

/// The activation function of a layer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Activation {
    /// `max(0, z)`: every neuron of the layer is a hidden neuron with an on/off state.
    Relu,
    /// The identity: the layer is a plain affine map.
    Linear,
    /// `k` pieces per unit: the layer's rows are the units' candidates (unit-major, `k` per
    /// unit), and each unit passes its largest candidate on (see [`pieces`]).
    Max(usize),
}

impl Activation {
    /// The name used in the JSON format.
    ///
    /// # Examples
    /// ```
    /// use relu_regions::network::Activation;
    /// assert_eq!((Activation::Relu.name(), Activation::Linear.name()), ("relu", "linear"));
    /// ```
    pub fn name(self) -> &'static str {
        match self {
            Activation::Relu => "relu",
            Activation::Linear => "linear",
            Activation::Max(_) => "max",
        }
    }
}

/// One layer `z = W h + b` followed by its activation.
#[derive(Debug, Clone, PartialEq)]
pub struct Layer {
    /// `W` (out x in): the entry in row `i`, column `j` is from input `j` of the layer to neuron `i`.
    pub weights: Weights,
    /// One bias per neuron.
    pub bias: Vec<Q>,
    /// The activation applied to `z`.
    pub activation: Activation,
}

impl Layer {
    /// Number of neurons (outputs) of the layer.
    ///
    /// # Examples
    /// ```
    /// use relu_regions::network::{Activation, Layer, Weights};
    /// use relu_regions::exact::num::q;
    /// // z = (x - y, 2 y + 1)
    /// let layer = Layer { weights: Weights::dense(vec![vec![q(1), q(-1)], vec![q(0), q(2)]]).unwrap(), bias: vec![q(0), q(1)], activation: Activation::Relu };
    /// assert_eq!(layer.width(), 2);
    /// assert_eq!(layer.preactivation(&[q(3), q(5)]), vec![q(-2), q(11)]);
    /// ```
    pub fn width(&self) -> usize {
        self.weights.outputs()
    }

    /// The preactivation `W h + b` at an exact input `h`.
    ///
    /// See the example on [`Layer::width`].
    pub fn preactivation(&self, h: &[Q]) -> Vec<Q> {
        self.weights.rows().zip(&self.bias).map(|(row, b)| weights::sparse_dot(row, h) + b).collect()
    }
}

/// A validated ReLU network with exact rational weights and its input domain.
#[derive(Debug, Clone, PartialEq)]
pub struct Network {
    input_dim: usize,
    layers: Vec<Layer>,
    domain: Domain,
    /// What the reader wants users told (an approximation it made, outputs it left out).
    notes: Vec<String>,
}

/// The activation pattern: for each `relu` layer, one bit per neuron (true = on).
pub type Pattern = Vec<Vec<bool>>;

impl Network {
    /// Builds a network, checking every shape. Returns all problems found, not just the first.
    ///
    /// # Examples
    /// ```
    /// use relu_regions::network::{Network, Layer, Activation, Domain, Weights};
    /// use relu_regions::exact::num::q;
    /// let hidden = Layer { weights: Weights::dense(vec![vec![q(1), q(0)], vec![q(0), q(1)]]).unwrap(), bias: vec![q(0), q(0)], activation: Activation::Relu };
    /// let net = Network::new(2, vec![hidden], Domain::Whole).unwrap();
    /// assert_eq!(net.hidden_neurons(), 2);
    /// ```
    pub fn new(input_dim: usize, layers: Vec<Layer>, domain: Domain) -> Result<Network, NetworkError> {
        let net = Network { input_dim, layers, domain, notes: Vec::new() };
        let problems = net.validation_problems();
        if problems.is_empty() {
            Ok(net)
        } else {
            Err(NetworkError::Invalid { source_name: "<memory>".into(), problems })
        }
    }

    /// Every shape problem of the network (empty when it is valid).
    ///
    /// # Examples
    /// ```
    /// use relu_regions::network::{Activation, Domain, Layer, Network, Weights};
    /// use relu_regions::exact::num::q;
    /// // a 2x1 weight matrix for an input of dimension 2 and a bias of the wrong length
    /// let bad = Layer { weights: Weights::dense(vec![vec![q(1)], vec![q(2)]]).unwrap(), bias: vec![q(0)], activation: Activation::Relu };
    /// let err = Network::new(2, vec![bad], Domain::Whole).unwrap_err();
    /// assert!(err.to_string().contains("layers[0]"));
    /// let fine = Layer { weights: Weights::dense(vec![vec![q(1), q(2)]]).unwrap(), bias: vec![q(0)], activation: Activation::Relu };
    /// assert!(Network::new(2, vec![fine], Domain::Whole).unwrap().validation_problems().is_empty());
    /// ```
    pub fn validation_problems(&self) -> Vec<Problem> {
        let mut problems = Vec::new();
        if self.input_dim == 0 {
            problems.push(Problem::new("input_dim", "must be at least 1"));
        }
        if self.layers.is_empty() {
            problems.push(Problem::new("layers", "the network has no layers"));
        }
        let mut width = self.input_dim;
        for (l, layer) in self.layers.iter().enumerate() {
            if layer.weights.is_empty() {
                problems.push(Problem::new(format!("layers[{l}].weights"), "layer has no neurons"));
            }
            if !layer.weights.is_empty() && layer.weights.inputs() != width {
                problems.push(Problem::new(
                    format!("layers[{l}].weights[0]"),
                    format!(
                        "row has {} entries, expected {width} (the layer's input width)",
                        layer.weights.inputs()
                    ),
                ));
            }
            if layer.bias.len() != layer.weights.outputs() {
                problems.push(Problem::new(
                    format!("layers[{l}].bias"),
                    format!(
                        "has {} entries, expected {} (one per neuron)",
                        layer.bias.len(),
                        layer.weights.outputs()
                    ),
                ));
            }
            width = layer.weights.outputs();
        }
        problems.extend(pieces::max_layer_problems(self));
        problems.extend(domain_problems(&self.domain, self.input_dim));
        problems
    }

    /// The input dimension d.
    ///
    /// See the example on [`Network::evaluate`] for the shape and domain accessors.
    pub fn input_dim(&self) -> usize {
        self.input_dim
    }

    /// The output dimension.
    ///
    /// See the example on [`Network::evaluate`].
    pub fn output_dim(&self) -> usize {
        self.layers.last().map_or(self.input_dim, Layer::width)
    }

    /// The layers in order.
    ///
    /// See the example on [`Network::evaluate`].
    pub fn layers(&self) -> &[Layer] {
        &self.layers
    }

    /// The network with notes for its users (what a reader approximated or left out).
    ///
    /// # Examples
    /// ```
    /// let net = relu_regions::Network::from_json(r#"{"input_dim": 1, "layers": [{"weights": [[1]], "activation": "relu"}]}"#).unwrap();
    /// let noted = net.with_notes(vec!["outputs after the last ReLU were left out".into()]);
    /// assert_eq!(noted.notes().len(), 1);
    /// ```
    pub fn with_notes(mut self, notes: Vec<String>) -> Network {
        self.notes = notes;
        self
    }

    /// The reader's notes: e.g. that a batch normalisation's square root was rounded, or that
    /// trailing softmax outputs were left out. Empty for networks read exactly as they are.
    ///
    /// # Examples
    /// ```
    /// use relu_regions::network::json::read_network;
    /// let net = read_network(r#"{"input_dim": 1, "layers": [{"weights": [[1]], "activation": "relu"}]}"#, "t").unwrap();
    /// assert!(net.notes().is_empty());
    /// ```
    pub fn notes(&self) -> &[String] {
        &self.notes
    }

    /// Indices of the layers with states in the pattern (`relu` and `max` layers).
    ///
    /// See the example on [`Network::evaluate`].
    pub fn relu_layers(&self) -> impl Iterator<Item = usize> + '_ {
        self.layers.iter().enumerate().filter(|(_, l)| l.activation.has_states()).map(|(i, _)| i)
    }

    /// The activation pattern and the output at an exact point. A neuron whose preactivation is
    /// exactly zero is off.
    ///
    /// # Examples
    /// ```
    /// use relu_regions::network::Domain;
    /// use relu_regions::exact::num::q;
    /// // the seed network: relu(x - y), relu(x + y), then u + 2 v
    /// let net = relu_regions::Network::from_json(r#"{"input_dim": 2, "layers": [
    ///     {"weights": [["1", "-1"], ["1", "1"]], "activation": "relu"},
    ///     {"weights": [["1", "2"]], "activation": "linear"}]}"#).unwrap();
    /// assert_eq!((net.input_dim(), net.output_dim(), net.layers().len()), (2, 1, 2));
    /// assert_eq!(net.relu_layers().collect::<Vec<_>>(), [0]);
    /// let (pattern, y) = net.evaluate(&[q(3), q(1)]);
    /// assert_eq!(pattern, vec![vec![true, true]]);
    /// assert_eq!(y, vec![q(2 + 2 * 4)]);
    /// // on a hyperplane the neuron is off (exactly zero counts as off)
    /// assert_eq!(net.evaluate(&[q(1), q(1)]).0, vec![vec![false, true]]);
    /// assert_eq!(net.output(&[q(-1), q(0)]), vec![q(0)]);
    /// // the same weights on the unit box
    /// let boxed = net.with_domain(Domain::Box(vec![(q(0), q(1)), (q(0), q(1))])).unwrap();
    /// assert!(boxed.domain().is_box());
    /// assert!(boxed.domain_contains(&[q(1), q(0)]) && !boxed.domain_contains(&[q(2), q(0)]));
    /// assert!(net.domain_contains(&[q(2), q(0)]));
    /// ```
    pub fn evaluate(&self, x: &[Q]) -> (Pattern, Vec<Q>) {
        let mut h = x.to_vec();
        let mut pattern = Vec::new();
        for layer in &self.layers {
            let z = layer.preactivation(&h);
            if !layer.activation.has_states() {
                h = z;
                continue;
            }
            let bits = layer.activation.states(&z, &Q::zero());
            h = z.into_iter().zip(&bits).map(|(v, &on)| if on { v } else { Q::zero() }).collect();
            pattern.push(bits);
        }
        (pattern, h)
    }

    /// The network's output at an exact point.
    ///
    /// See the example on [`Network::evaluate`].
    pub fn output(&self, x: &[Q]) -> Vec<Q> {
        self.evaluate(x).1
    }
}

impl Network {
    /// The activation pattern at `x + t n` for every small enough `t > 0`, computed exactly with
    /// no epsilon: each neuron's sign is taken lexicographically on (value at `x`, derivative
    /// along `n`); a neuron with both zero is off.
    ///
    /// # Examples
    /// ```
    /// use relu_regions::network::json::read_network;
    /// use relu_regions::exact::num::q;
    /// let net = read_network(r#"{"input_dim": 1, "layers": [{"weights": [["1"]], "activation": "relu"}]}"#, "n").unwrap();
    /// assert_eq!(net.pattern_towards(&[q(0)], &[q(1)]), vec![vec![true]]);
    /// assert_eq!(net.pattern_towards(&[q(0)], &[q(-1)]), vec![vec![false]]);
    /// ```
    pub fn pattern_towards(&self, x: &[Q], n: &[Q]) -> Pattern {
        let mut h = x.to_vec();
        let mut dh = n.to_vec();
        let mut pattern = Vec::new();
        for layer in &self.layers {
            let z = layer.preactivation(&h);
            let dz: Vec<Q> = layer.weights.apply(&dh);
            if !layer.activation.has_states() {
                h = z;
                dh = dz;
                continue;
            }
            // lexicographic keys (value, derivative)
            let keys: Vec<(Q, Q)> = z.iter().cloned().zip(dz.iter().cloned()).collect();
            let bits = layer.activation.states(&keys, &(Q::zero(), Q::zero()));
            h = z.into_iter().zip(&bits).map(|(v, &on)| if on { v } else { Q::zero() }).collect();
            dh = dz.into_iter().zip(&bits).map(|(v, &on)| if on { v } else { Q::zero() }).collect();
            pattern.push(bits);
        }
        pattern
    }
}
