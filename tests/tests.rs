//! Integration tests: one binary, one module per concern.

#[path = "suite/support.rs"]
mod support;

#[path = "suite/analyses.rs"]
mod analyses;
#[path = "suite/axes.rs"]
mod axes;
#[path = "suite/checker.rs"]
mod checker;
#[path = "suite/checker_fields.rs"]
mod checker_fields;
#[path = "suite/checker_forgeries.rs"]
mod checker_forgeries;
#[path = "suite/cli.rs"]
mod cli;
#[path = "suite/concat.rs"]
mod concat;
#[path = "suite/conv_transpose.rs"]
mod conv_transpose;
#[path = "suite/counts.rs"]
mod counts;
#[path = "suite/degenerate.rs"]
mod degenerate;
#[path = "suite/docs.rs"]
mod docs;
#[path = "suite/domains.rs"]
mod domains;
#[path = "suite/errors.rs"]
mod errors;
#[path = "suite/extremes.rs"]
mod extremes;
#[path = "suite/first_hour.rs"]
mod first_hour;
#[path = "suite/graph.rs"]
mod graph;
#[path = "suite/graph_form.rs"]
mod graph_form;
#[path = "suite/hostile.rs"]
mod hostile;
#[path = "suite/invariants.rs"]
mod invariants;
#[path = "suite/layers.rs"]
mod layers;
#[path = "suite/limits.rs"]
mod limits;
#[path = "suite/locate.rs"]
mod locate;
#[path = "suite/maxunits.rs"]
mod maxunits;
#[path = "suite/merge_checks.rs"]
mod merge_checks;
#[path = "suite/minmax.rs"]
mod minmax;
#[path = "suite/onnx_exact.rs"]
mod onnx_exact;
#[path = "suite/onnx_writer.rs"]
mod onnx_writer;
#[path = "suite/plot.rs"]
mod plot;
#[path = "suite/properties.rs"]
mod properties;
#[path = "suite/readers.rs"]
mod readers;
#[path = "suite/residual.rs"]
mod residual;
#[path = "suite/round_trip.rs"]
mod round_trip;
#[path = "suite/shapes.rs"]
mod shapes;
#[path = "suite/shards.rs"]
mod shards;
#[path = "suite/size_limits.rs"]
mod size_limits;
#[path = "suite/sparse.rs"]
mod sparse;
#[path = "suite/streams.rs"]
mod streams;
#[path = "suite/verify.rs"]
mod verify;
#[path = "suite/vnnlib.rs"]
mod vnnlib;
#[path = "suite/vnnlib_formula.rs"]
mod vnnlib_formula;
#[path = "suite/vnnlib_reference.rs"]
mod vnnlib_reference;
#[path = "suite/vnnlib_strict.rs"]
mod vnnlib_strict;
