//! Regressions for the bugs reported in issues, one module per report.

pub(crate) mod extremes;
pub(crate) mod first_hour;
pub(crate) mod onnx_readers;
