//! ONNX models read exactly: every operator family, shapes and axes, the graph form.

pub(crate) mod axes;
pub(crate) mod concat;
pub(crate) mod conv_transpose;
pub(crate) mod graph_form;
pub(crate) mod maxunits;
pub(crate) mod minmax;
pub(crate) mod operators;
pub(crate) mod residual;
pub(crate) mod round_trip;
pub(crate) mod shapes;
pub(crate) mod writer;
