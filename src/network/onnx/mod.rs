//! ONNX reader for piecewise-linear networks, converted exactly: float32/float64 weights are
//! dyadic rationals, taken with no rounding.
//!
//! The model is read with a small protobuf walker (`network::protobuf`, `parse.rs`) rather than
//! a full ONNX runtime; the graph's data path is then composed exactly into layers
//! (`build.rs`, and one module per kind of operator: `dispatch.rs` says which). Tensors keep
//! every axis (the first one is an axis like the others). Every size the file sets is checked
//! against [`crate::network::limits`] before it is allocated. An operator that is not
//! supported is an error naming the node and its operator (`docs/format.md` lists the
//! supported ones).

use super::{Domain, Network};
use crate::error::NetworkError;
use crate::exact::num::Q;
use std::collections::HashMap;

/// A message about a node, naming it and its operator.
fn at(node: &Node, message: &str) -> String {
    format!("node `{}` (operator {}): {message}", node.name, node.op)
}

mod activations;
mod build;
mod conv_transpose;
mod dispatch;
mod fold;
mod join;
mod json_form;
mod linear;
mod lower;
mod maxunits;
mod parse;
mod roots;
mod rows;
mod shapes;

use build::convert;
pub(crate) use json_form::network_from_value as network_from_graph_form;
pub use json_form::{graph_form, layers_graph_form, onnx_graph_form};

/// A constant tensor (flattened, row-major) with its shape.
#[derive(Debug, Clone)]
struct Tensor {
    dims: Vec<usize>,
    values: Vec<Q>,
}

/// A tensor whose data lies in a file next to the model (ONNX external data), to be read.
#[derive(Debug, Clone)]
struct External {
    name: String,
    dims: Vec<usize>,
    data_type: u64,
    location: String,
    offset: usize,
    length: Option<usize>,
}

#[derive(Debug, Default)]
struct Node {
    name: String,
    op: String,
    inputs: Vec<String>,
    outputs: Vec<String>,
    ints: HashMap<String, i64>,
    /// Float attributes, exactly (an ONNX float attribute is a float32, a dyadic rational).
    floats: HashMap<String, Q>,
    tensors: HashMap<String, Tensor>,
    strings: HashMap<String, String>,
    int_lists: HashMap<String, Vec<i64>>,
}

#[derive(Debug, Default)]
struct Graph {
    nodes: Vec<Node>,
    constants: HashMap<String, Tensor>,
    /// Initializers stored as external data, not read yet.
    external: Vec<External>,
    inputs: Vec<(String, Vec<Option<u64>>)>,
    /// The declared outputs' names (none in a graph form that does not say).
    outputs: Vec<String>,
}

type Res<T> = Result<T, String>;

/// Reads an ONNX model's bytes into an exact network (domain: all of R^d; override it with
/// `--box` or `--domain`).
///
/// # Examples
/// ```
/// use relu_regions::network::onnx::read_onnx;
/// // a field with wire type 7 (none such): refused, naming the file and the byte offset
/// let err = read_onnx(&[0x0f], "model.onnx").unwrap_err().to_string();
/// assert!(err.starts_with("model.onnx") && err.contains("byte"), "{err}");
/// ```
pub fn read_onnx(data: &[u8], source_name: &str) -> Result<Network, NetworkError> {
    read_onnx_in(data, source_name, None)
}

/// [`read_onnx`] for a model read from a file in `dir`, whose external data files (ONNX's
/// `data_location = EXTERNAL`) lie next to it.
///
/// # Examples
/// ```
/// use relu_regions::network::onnx::read_onnx_in;
/// let dir = std::env::temp_dir();
/// let err = read_onnx_in(&[], "empty.onnx", Some(&dir)).unwrap_err();
/// assert!(err.to_string().starts_with("empty.onnx"));
/// ```
pub fn read_onnx_in(
    data: &[u8],
    source_name: &str,
    dir: Option<&std::path::Path>,
) -> Result<Network, NetworkError> {
    let graph = read_graph(data, source_name, dir)?;
    let (input_dim, layers, notes) = convert(&graph).map_err(|m| unsupported(source_name, m))?;
    Network::new(input_dim, layers, Domain::Whole)
        .map(|n| n.with_notes(notes))
        .map_err(|e| e.with_source(source_name))
}

fn unsupported(source_name: &str, message: String) -> NetworkError {
    NetworkError::Unsupported { source_name: source_name.into(), message }
}

/// The model's graph with its external data read (its constants counted against
/// [`MAX_CONSTANT_VALUES`](crate::network::limits::MAX_CONSTANT_VALUES)).
fn read_graph(data: &[u8], source_name: &str, dir: Option<&std::path::Path>) -> Result<Graph, NetworkError> {
    let limit = crate::network::limits::MAX_FILE_BYTES;
    if data.len() as u64 > limit {
        let message =
            format!("the model is {} bytes, more than the limit of {limit} (MAX_FILE_BYTES)", data.len());
        return Err(unsupported(source_name, message));
    }
    let mut budget = crate::network::limits::constant_budget();
    let mut graph = parse::parse_model(data, &mut budget)
        .map_err(|m| NetworkError::Syntax { source_name: source_name.into(), message: m })?;
    parse::load_external(&mut graph, dir, &mut budget).map_err(|m| unsupported(source_name, m))?;
    Ok(graph)
}
