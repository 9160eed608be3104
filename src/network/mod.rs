//! The network model: layers of exact affine maps with `relu` or `linear` activations, and the
//! input domain (all of R^d, a box, or a polytope), plus exact evaluation at rational points.
//!
//! Readers for the file formats live in the submodules ([`json`] for our exact JSON,
//! [`nnet`] for the ACAS Xu / Reluplex text format); they all produce a validated [`Network`].

pub mod json;
pub mod limits;
pub mod nnet;
pub mod onnx;
pub mod pieces;
pub mod weights;
pub use onnx::graph_form;
pub use weights::Weights;
pub(crate) mod protobuf;

use crate::error::{NetworkError, Problem};
use crate::num::Q;
use crate::poly::Halfspace;
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
    /// use relu_regions::num::q;
    /// // z = (x - y, 2 y + 1)
    /// let layer = Layer { weights: Weights::dense(vec![vec![q(1), q(-1)], vec![q(0), q(2)]]), bias: vec![q(0), q(1)], activation: Activation::Relu };
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

/// The input domain of a network.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Domain {
    /// All of R^d.
    Whole,
    /// `lo_j <= x_j <= hi_j` with `lo_j < hi_j`.
    Box(Vec<(Q, Q)>),
    /// `A x <= b`, full-dimensional.
    Polytope {
        /// Row normals.
        a: Vec<Vec<Q>>,
        /// Right-hand sides.
        b: Vec<Q>,
    },
}

impl Domain {
    /// The domain as a list of halfspaces `a . x <= b` (empty for all of R^d).
    ///
    /// # Examples
    /// ```
    /// use relu_regions::network::Domain;
    /// use relu_regions::num::q;
    /// let unit = Domain::Box(vec![(q(0), q(1)), (q(0), q(1))]);
    /// assert!(unit.is_box() && !Domain::Whole.is_box());
    /// let rows = unit.halfspaces(2); // -x <= 0, x <= 1, -y <= 0, y <= 1
    /// assert_eq!(rows.len(), 4);
    /// assert!(rows.iter().all(|h| h.slack(&[q(1), q(0)]) >= q(0))); // a corner is in the closed box
    /// assert!(Domain::Whole.halfspaces(2).is_empty());
    /// ```
    pub fn halfspaces(&self, dim: usize) -> Vec<Halfspace> {
        match self {
            Domain::Whole => Vec::new(),
            Domain::Box(bounds) => bounds
                .iter()
                .enumerate()
                .flat_map(|(j, (lo, hi))| {
                    let mut up = vec![Q::zero(); dim];
                    up[j] = crate::num::q(1);
                    let mut down = vec![Q::zero(); dim];
                    down[j] = crate::num::q(-1);
                    [Halfspace::new(down, -lo.clone()), Halfspace::new(up, hi.clone())]
                })
                .collect(),
            Domain::Polytope { a, b } => {
                a.iter().zip(b).map(|(row, rhs)| Halfspace::new(row.clone(), rhs.clone())).collect()
            }
        }
    }

    /// Whether every point of the domain has bounded coordinates known without solving an LP.
    ///
    /// See the example on [`Domain::halfspaces`].
    pub fn is_box(&self) -> bool {
        matches!(self, Domain::Box(_))
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
    /// use relu_regions::num::q;
    /// let hidden = Layer { weights: Weights::dense(vec![vec![q(1), q(0)], vec![q(0), q(1)]]), bias: vec![q(0), q(0)], activation: Activation::Relu };
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
    /// use relu_regions::num::q;
    /// // a 2x1 weight matrix for an input of dimension 2 and a bias of the wrong length
    /// let bad = Layer { weights: Weights::dense(vec![vec![q(1)], vec![q(2)]]), bias: vec![q(0)], activation: Activation::Relu };
    /// let err = Network::new(2, vec![bad], Domain::Whole).unwrap_err();
    /// assert!(err.to_string().contains("layers[0]"));
    /// let fine = Layer { weights: Weights::dense(vec![vec![q(1), q(2)]]), bias: vec![q(0)], activation: Activation::Relu };
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

    /// The input domain.
    ///
    /// See the example on [`Network::evaluate`].
    pub fn domain(&self) -> &Domain {
        &self.domain
    }

    /// The same network on another domain (validated; the notes are kept).
    ///
    /// See the example on [`Network::evaluate`].
    pub fn with_domain(&self, domain: Domain) -> Result<Network, NetworkError> {
        Network::new(self.input_dim, self.layers.clone(), domain).map(|n| n.with_notes(self.notes.clone()))
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
    /// use relu_regions::num::q;
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

    /// Whether a point lies in the closed domain.
    ///
    /// See the example on [`Network::evaluate`].
    pub fn domain_contains(&self, x: &[Q]) -> bool {
        self.domain.halfspaces(self.input_dim).iter().all(|h| h.slack(x) >= Q::zero())
    }
}

fn domain_problems(domain: &Domain, dim: usize) -> Vec<Problem> {
    let mut problems = Vec::new();
    match domain {
        Domain::Whole => {}
        Domain::Box(bounds) => {
            if bounds.len() != dim {
                problems.push(Problem::new(
                    "domain.box",
                    format!("has {} intervals, expected {dim} (one per input)", bounds.len()),
                ));
            }
            for (j, (lo, hi)) in bounds.iter().enumerate() {
                if lo >= hi {
                    problems.push(Problem::new(
                        format!("domain.box[{j}]"),
                        "needs lo < hi (the box must be full-dimensional)",
                    ));
                }
            }
        }
        Domain::Polytope { a, b } => {
            if a.len() != b.len() {
                problems.push(Problem::new(
                    "domain.polytope",
                    format!("A has {} rows but b has {} entries", a.len(), b.len()),
                ));
            }
            for (i, row) in a.iter().enumerate() {
                if row.len() != dim {
                    problems.push(Problem::new(
                        format!("domain.polytope.A[{i}]"),
                        format!("row has {} entries, expected {dim}", row.len()),
                    ));
                }
            }
            if problems.is_empty() && !crate::certify::polytope_is_full_dimensional(domain, dim) {
                problems.push(Problem::new(
                    "domain.polytope",
                    "is empty or lower-dimensional (certified by an exact Motzkin certificate)",
                ));
            }
        }
    }
    problems
}

impl Network {
    /// The activation pattern at `x + t n` for every small enough `t > 0`, computed exactly with
    /// no epsilon: each neuron's sign is taken lexicographically on (value at `x`, derivative
    /// along `n`); a neuron with both zero is off.
    ///
    /// # Examples
    /// ```
    /// use relu_regions::network::json::read_network;
    /// use relu_regions::num::q;
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

/// The file formats a network can be read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum InputFormat {
    /// Our exact JSON.
    Json,
    /// The `.nnet` text format.
    Nnet,
    /// ONNX (fully connected ReLU networks).
    Onnx,
}

impl InputFormat {
    /// The format's name on the command line (`json`, `nnet`, `onnx`).
    ///
    /// # Examples
    /// ```
    /// use relu_regions::InputFormat;
    /// use std::path::Path;
    /// assert_eq!(InputFormat::from_path(Path::new("acas.NNET")), Some(InputFormat::Nnet));
    /// assert_eq!(InputFormat::from_path(Path::new("weights.txt")), None);
    /// assert_eq!(InputFormat::from_name("onnx").map(InputFormat::name), Some("onnx"));
    /// ```
    pub fn name(self) -> &'static str {
        match self {
            InputFormat::Json => "json",
            InputFormat::Nnet => "nnet",
            InputFormat::Onnx => "onnx",
        }
    }

    /// The format named on the command line.
    ///
    /// See the example on [`InputFormat::name`].
    pub fn from_name(name: &str) -> Option<InputFormat> {
        match name {
            "json" => Some(InputFormat::Json),
            "nnet" => Some(InputFormat::Nnet),
            "onnx" => Some(InputFormat::Onnx),
            _ => None,
        }
    }

    /// The format implied by a file name's extension.
    ///
    /// See the example on [`InputFormat::name`].
    pub fn from_path(path: &std::path::Path) -> Option<InputFormat> {
        match path.extension()?.to_str()?.to_ascii_lowercase().as_str() {
            "json" => Some(InputFormat::Json),
            "nnet" => Some(InputFormat::Nnet),
            "onnx" => Some(InputFormat::Onnx),
            _ => None,
        }
    }
}

impl Network {
    /// Reads a network from the text of our JSON format.
    ///
    /// # Examples
    /// ```
    /// let net = relu_regions::Network::from_json(r#"{"input_dim": 2, "layers": [
    ///     {"weights": [["1", "-1"], ["1", "1"]], "activation": "relu"},
    ///     {"weights": [["1", "2"]], "activation": "linear"}]}"#).unwrap();
    /// assert_eq!((net.input_dim(), net.hidden_neurons()), (2, 2));
    /// ```
    pub fn from_json(text: &str) -> Result<Network, NetworkError> {
        json::read_network(text, "<json>")
    }

    /// Reads an ONNX model from its bytes (float weights taken as the exact values they are).
    ///
    /// # Examples
    /// ```
    /// // bytes that are not a protobuf message are refused with the position
    /// let err = relu_regions::Network::from_onnx(&[0xff, 0xff, 0xff]).unwrap_err();
    /// assert!(err.to_string().starts_with("<onnx>"));
    /// ```
    pub fn from_onnx(bytes: &[u8]) -> Result<Network, NetworkError> {
        onnx::read_onnx(bytes, "<onnx>")
    }

    /// Reads a `.nnet` network from its text, in the given coordinates.
    ///
    /// # Examples
    /// ```
    /// use relu_regions::network::nnet::Coords;
    /// use relu_regions::num::q;
    /// // 1 input, one hidden ReLU neuron, 1 output; no normalisation (means 0, ranges 1)
    /// let text = "2,1,1,1,\n1,1,1,\n0,\n-10,\n10,\n0,0,\n1,1,\n2,\n-1,\n3,\n1,\n";
    /// let net = relu_regions::Network::from_nnet(text, Coords::Raw).unwrap();
    /// assert_eq!(net.output(&[q(2)]), vec![q(10)]); // 3 relu(2 * 2 - 1) + 1
    /// assert_eq!(net.output(&[q(0)]), vec![q(1)]);
    /// ```
    pub fn from_nnet(text: &str, coords: nnet::Coords) -> Result<Network, NetworkError> {
        nnet::read_nnet(text, "<nnet>", coords)
    }

    /// Reads a network file, in `format` or the one its extension names (`.nnet` in raw
    /// coordinates; [`load`] takes them).
    ///
    /// # Examples
    /// ```
    /// let err = relu_regions::Network::load("no/such/file.json", None).unwrap_err();
    /// assert!(err.to_string().contains("no/such/file.json"));
    /// ```
    pub fn load(
        path: impl AsRef<std::path::Path>,
        format: Option<InputFormat>,
    ) -> Result<Network, NetworkError> {
        load(path.as_ref(), format, nnet::Coords::Raw)
    }
}

pub use limits::MAX_FILE_BYTES;

/// Reads a network file in the given (or implied) format.
///
/// See the example on [`load_with_bytes`].
pub fn load(
    path: &std::path::Path,
    format: Option<InputFormat>,
    coords: nnet::Coords,
) -> Result<Network, NetworkError> {
    load_with_bytes(path, format, coords).map(|(net, _)| net)
}

/// [`load`], also returning the file's bytes as read (for its provenance hash: the file is
/// read once).
///
/// # Examples
/// ```
/// use relu_regions::network::{load_with_bytes, nnet::Coords};
/// let path = std::env::temp_dir().join("relu-regions-doc-load.json");
/// std::fs::write(&path, r#"{"input_dim": 1, "layers": [{"weights": [["1"]], "activation": "relu"}]}"#).unwrap();
/// let (net, bytes) = load_with_bytes(&path, None, Coords::Raw).unwrap();
/// assert_eq!((net.hidden_neurons(), bytes.len()), (1, std::fs::metadata(&path).unwrap().len() as usize));
/// // the same bytes through `load`
/// assert_eq!(relu_regions::network::load(&path, None, Coords::Raw).unwrap(), net);
/// ```
pub fn load_with_bytes(
    path: &std::path::Path,
    format: Option<InputFormat>,
    coords: nnet::Coords,
) -> Result<(Network, Vec<u8>), NetworkError> {
    let name = path.display().to_string();
    let io = |error| NetworkError::Io { path: name.clone(), error };
    let format =
        format.or_else(|| InputFormat::from_path(path)).ok_or_else(|| NetworkError::Unsupported {
            source_name: name.clone(),
            message: "cannot tell the format from the extension (.json, .nnet or .onnx); name the format"
                .into(),
        })?;
    let size = std::fs::metadata(path).map_err(io)?.len();
    if size > MAX_FILE_BYTES {
        return Err(NetworkError::Unsupported {
            source_name: name,
            message: format!(
                "file is {size} bytes, more than the limit of {MAX_FILE_BYTES} (MAX_FILE_BYTES)"
            ),
        });
    }
    let bytes = std::fs::read(path).map_err(io)?;
    if format == InputFormat::Onnx {
        return onnx::read_onnx_in(&bytes, &name, path.parent()).map(|net| (net, bytes));
    }
    let text = std::str::from_utf8(&bytes).map_err(|_| {
        io(std::io::Error::new(std::io::ErrorKind::InvalidData, "stream did not contain valid UTF-8"))
    })?;
    let net = match format {
        InputFormat::Json => json::read_network(text, &name),
        InputFormat::Nnet => nnet::read_nnet(text, &name, coords),
        InputFormat::Onnx => unreachable!("handled above"),
    }?;
    Ok((net, bytes))
}
