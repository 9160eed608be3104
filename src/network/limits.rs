//! The readers' limits, in one place: every size a network file can set (a dimension, a pad, a
//! stride, a kernel, a count of layers, nodes or weights) is checked against one of these
//! before anything of that size is allocated, with checked arithmetic, and a file over a limit
//! is refused (exit code 2) with an error that names the node, key or line and the limit.
//! `docs/format.md` lists them; a test per limit feeds a tiny file that claims a huge size.
//!
//! The limits are far above the networks this crate can analyse (VNN-COMP's largest reads use
//! a few percent of each) and far below what would exhaust a machine.

/// Largest network file read, in bytes (a larger file is refused before it is read; ONNX
/// external data files too).
pub const MAX_FILE_BYTES: u64 = 64 * 1024 * 1024;

/// The most inputs a network may have: the product of an ONNX input's shape, a JSON
/// `input_dim`, a `.nnet` `inputSize`.
pub const MAX_INPUT_DIM: usize = 1_000_000;

/// The most values of one tensor of an ONNX data path (so the widest layer a reader builds),
/// and of one `.nnet` or JSON layer.
pub const MAX_TENSOR_VALUES: usize = 1 << 22;

/// The largest integer on one axis: a dimension, a pad, a stride, a dilation, a kernel size or
/// an `output_padding` (a larger one would make a tensor wider than [`MAX_TENSOR_VALUES`], or
/// is meaningless). Keeps every index computation far from overflow.
pub const MAX_AXIS: i64 = 1 << 22;

/// The most axes of a tensor.
pub const MAX_RANK: usize = 16;

/// The most numbers a file may hold in all: an ONNX model's initializers and attribute tensors
/// (and, counted again, the constants its `Constant` nodes and shape arithmetic make while the
/// graph is read); a JSON file's numbers; a `.nnet` file's weights. (16 MiB of float32; an exact
/// rational costs some 100 bytes.)
pub const MAX_CONSTANT_VALUES: usize = 1 << 22;

/// The most terms of one affine map a reader forms: an operator's sparse map (a convolution
/// has output values x kernel x channels terms) composed with the pending one, and the
/// candidates a max operator copies.
pub const MAX_MAP_TERMS: usize = 1 << 22;

/// The most terms all the maps of one ONNX graph may be formed from together (the reader's
/// work), and the most entries (rows plus nonzero weights) of all the layers it makes. (VNN-COMP
/// 2021's `resnet_2b` needs 611,310 and 617,454.)
pub const MAX_NETWORK_TERMS: usize = 1 << 23;

/// The most values of one constant that ONNX shape arithmetic (`ConstantOfShape`, `Concat`,
/// `Gather`, ... of constants) may fold to.
pub const MAX_FOLDED_VALUES: usize = 1 << 20;

/// The most layers of a network (JSON `layers`, `.nnet` `numLayers`, the layers an ONNX graph
/// makes).
pub const MAX_LAYERS: usize = 4096;

/// The most nodes of an ONNX graph (or of the JSON graph form).
pub const MAX_NODES: usize = 1 << 16;

/// The most integers in one ONNX integer-list attribute (`pads`, `strides`, `perm`, ...).
pub const MAX_ATTRIBUTE_INTS: usize = 1024;

/// The number of values of a shape, refused (naming the shape) when the product overflows or
/// exceeds [`MAX_TENSOR_VALUES`].
///
/// # Examples
/// ```
/// use relu_regions::network::limits::tensor_values;
/// assert_eq!(tensor_values(&[2, 3, 4]), Ok(24));
/// assert_eq!(tensor_values(&[]), Ok(1)); // a scalar
/// assert!(tensor_values(&[1 << 40, 1 << 40]).unwrap_err().contains("MAX_TENSOR_VALUES"));
/// ```
pub fn tensor_values(shape: &[usize]) -> Result<usize, String> {
    let n = shape.iter().try_fold(1usize, |acc, &d| acc.checked_mul(d));
    n.filter(|&n| n <= MAX_TENSOR_VALUES).ok_or_else(|| {
        format!("a tensor of shape {shape:?} would have more than {MAX_TENSOR_VALUES} values (the limit MAX_TENSOR_VALUES)")
    })
}

/// An integer on one axis (`what` names it), refused outside `-MAX_AXIS..=MAX_AXIS`.
///
/// # Examples
/// ```
/// use relu_regions::network::limits::axis_value;
/// assert_eq!(axis_value(-3, "pad"), Ok(-3));
/// assert!(axis_value(1 << 40, "stride").unwrap_err().contains("stride"));
/// ```
pub fn axis_value(v: i64, what: &str) -> Result<i64, String> {
    if (-MAX_AXIS..=MAX_AXIS).contains(&v) {
        Ok(v)
    } else {
        Err(format!("{what} {v} is beyond the limit of {MAX_AXIS} on one axis (MAX_AXIS)"))
    }
}

/// A running total checked against a limit: the reader's work, the constants read.
///
/// # Examples
/// ```
/// use relu_regions::network::limits::Budget;
/// let mut b = Budget::new(10, "MAX_TEST", "values");
/// assert!(b.spend(6).is_ok());
/// let err = b.spend(6).unwrap_err();
/// assert!(err.contains("more than 10 values") && err.contains("MAX_TEST"), "{err}");
/// assert_eq!(b.used(), 6);
/// ```
#[derive(Debug, Clone)]
pub struct Budget {
    used: usize,
    limit: usize,
    name: &'static str,
    unit: &'static str,
}

impl Budget {
    /// A budget of `limit` (the constant `name`) counted in `unit`s.
    ///
    /// See the example on [`Budget`].
    pub fn new(limit: usize, name: &'static str, unit: &'static str) -> Budget {
        Budget { used: 0, limit, name, unit }
    }

    /// Spends `n`, refused (and nothing spent) when the total would pass the limit.
    ///
    /// See the example on [`Budget`].
    pub fn spend(&mut self, n: usize) -> Result<(), String> {
        match self.used.checked_add(n).filter(|&t| t <= self.limit) {
            Some(total) => {
                self.used = total;
                Ok(())
            }
            None => Err(format!("more than {} {} in all (the limit {})", self.limit, self.unit, self.name)),
        }
    }

    /// What has been spent.
    ///
    /// See the example on [`Budget`].
    pub fn used(&self) -> usize {
        self.used
    }
}

/// The budget of constant values of one file ([`MAX_CONSTANT_VALUES`]).
pub(crate) fn constant_budget() -> Budget {
    Budget::new(MAX_CONSTANT_VALUES, "MAX_CONSTANT_VALUES", "constant values")
}
