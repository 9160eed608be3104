//! Reading a network: the file formats, the readers' entry points on [`Network`], and loading
//! a file (its size checked against [`MAX_FILE_BYTES`] before it is read, its format from the
//! extension unless named).

use super::limits::MAX_FILE_BYTES;
use super::{json, nnet, onnx, Network};
use crate::error::NetworkError;

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
    /// use relu_regions::exact::num::q;
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
