//! # relu-regions
//!
//! Exact enumeration of the activation regions of ReLU networks: every full-dimensional region
//! of the input domain with its pattern, a rational interior point, its non-redundant
//! inequalities and its affine map `y = J x + c`, the adjacency graph of regions and the linear
//! pieces. Every decision is certified in rational arithmetic; floating-point LPs only propose.
//!
//! ```
//! use relu_regions::{analyze, Enumerator, Network};
//! // The seed network: two ReLU neurons, no bias. Is it just linear regression?
//! let net = Network::from_json(r#"{"input_dim": 2, "layers": [
//!     {"weights": [["1", "-1"], ["1", "1"]], "activation": "relu"},
//!     {"weights": [["1", "2"]], "activation": "linear"}]}"#).unwrap();
//! let (regions, summary) = Enumerator::builder().threads(2).build().collect(&net).unwrap();
//! assert!(summary.complete());
//! assert_eq!(regions.len(), 4); // four regions, four different slopes: not linear
//! // with facets, the adjacency graph and the linear pieces
//! let a = analyze(&net, &Enumerator::builder().build()).unwrap();
//! assert_eq!((a.edges(), a.graph().pieces()), (4, 4));
//! ```
//!
//! The main types are re-exported at the crate root (about twenty names): [`Network`] (with its
//! readers), [`Domain`], [`Enumerator`] and its builder, [`Sink`] with [`from_fn`], [`Summary`]
//! with [`StopReason`], [`Region`], [`Facet`], [`RegionGraph`], [`Analysis`] with [`analyze`],
//! the rational [`Q`], [`Halfspace`], the LP [`Backend`] and [`Filter`], and the errors. The rest
//! of the API lives in ten modules named after the layers: [`network`], [`exact`], [`certify`],
//! [`enumerate`] (a region's parts, the prepared network, counting sinks, subtree estimates),
//! [`analysis`] (facets, the graph, facet streams), [`queries`], [`complex`], [`check`],
//! [`export`] and [`jobs`] (what the front ends run, with the run controls: stop token,
//! progress, threads, shard plans).
//!
//! The folders are the layers, bottom to top (docs/architecture.md; a test enforces that no
//! module imports from a layer above its own):
//! - `runtime`: the stop token every long loop polls, the thread map, progress counters;
//! - [`exact`]: the rational type, exact parsing, square solves, the simplex (exact over `Q`);
//! - `kernel`: the one filtered-arithmetic kernel (every float filter, with its proved bound)
//!   and halfspaces with float-filtered exact signs;
//! - `lp`: float LP backends (hints only);
//! - [`certify`]: decisions about polyhedra with their certificates, and the pure checkers;
//! - [`network`]: the model and its readers (JSON, `.nnet`, ONNX, VNN-LIB);
//! - `forward`: running the network exactly (fixed-point maps, symbolic bounds, [`enumerate::AffineMap`]);
//! - [`enumerate`]: the region enumerator;
//! - [`analysis`]: non-redundant inequalities and facet points, the adjacency graph and pieces;
//! - [`queries`]: locate, ranges, sizes, slices, verification, VNN-LIB properties;
//! - [`check`]: the independent checker of every answer;
//! - [`export`]: JSON, DOT and SVG writers (and the reader of the region wire form);
//! - [`jobs`]: what the CLI and Python run (count, regions, graph, range, slice, locate, vnnlib,
//!   sharded runs).

#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod analysis;
pub mod certify;
pub mod check;
pub mod complex;
pub mod enumerate;
pub(crate) mod error;
pub mod exact;
pub mod export;
pub(crate) mod forward;
pub mod jobs;
pub(crate) mod kernel;
pub(crate) mod lp;
pub mod network;
pub mod queries;
pub(crate) mod runtime;

pub use analysis::facets::Facet;
pub use analysis::graph::RegionGraph;
pub use analysis::{analyze, Analysis};
pub use enumerate::{from_fn, Enumerator, EnumeratorBuilder, Region, Sink, StopReason, Summary};
pub use error::{InternalError, NetworkError, Problem, SinkError};
pub use exact::num::Q;
pub use kernel::halfspace::Halfspace;
pub use kernel::Filter;
pub use lp::Backend;
pub use network::{Domain, InputFormat, Network};
