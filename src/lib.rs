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
//! The main types are re-exported at the crate root: [`Network`] (with its readers), [`Domain`],
//! [`Enumerator`] and its builder, [`Sink`], [`Summary`], [`Region`], [`Facet`],
//! [`RegionGraph`], [`Analysis`] with [`analyze`], the shard [`Plan`], and the errors.
//!
//! The folders are the layers, bottom to top (docs/architecture.md; a test enforces that no
//! module imports from a layer above its own):
//! - [`runtime`]: the stop token every long loop polls, the thread map, progress counters;
//! - [`exact`]: the rational type, exact parsing, square solves, the simplex (exact over `Q`);
//! - `kernel`: the one filtered-arithmetic kernel (every float filter, with its proved bound)
//!   and halfspaces with float-filtered exact signs;
//! - `lp`: float LP backends (hints only);
//! - [`certify`]: decisions about polyhedra with their certificates, and the pure checkers;
//! - [`network`]: the model and its readers (JSON, `.nnet`, ONNX, VNN-LIB);
//! - `forward`: running the network exactly (fixed-point maps, symbolic bounds, [`AffineMap`]);
//! - `enumerate`: the region enumerator;
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
pub(crate) mod enumerate;
pub mod error;
pub mod exact;
pub mod export;
pub(crate) mod forward;
pub mod jobs;
pub(crate) mod kernel;
pub(crate) mod lp;
pub mod network;
pub mod queries;
pub mod runtime;

pub use analysis::facets::Facet;
pub use analysis::graph::RegionGraph;
pub use analysis::{analyze, Analysis};
pub use analysis::{stream_with_facets, FacetedRegion};
pub use enumerate::prepared::Prepared;
pub use enumerate::region::{AffineMap, Constraint, NeuronId, Origin, Region};
pub use enumerate::{
    from_fn, CountingSink, Enumerator, EnumeratorBuilder, Estimate, FromFn, Sink, StopReason, Subtrees,
    Summary,
};
pub use error::{InternalError, NetworkError, SinkError};
pub use exact::num::Q;
pub use jobs::shard::{Plan, ShardError};
pub use kernel::halfspace::Halfspace;
pub use kernel::Filter;
pub use lp::Backend;
pub use network::{Domain, InputFormat, Network};
