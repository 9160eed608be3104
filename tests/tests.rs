//! Integration tests: one binary, laid out like the code (one folder per layer or concern;
//! `regression` holds the regressions of reported bugs).

mod analysis;
mod architecture;
mod check;
mod cli;
mod enumerate;
mod jobs;
mod network;
mod onnx;
mod queries;
mod regression;
mod support;
mod vnnlib;
