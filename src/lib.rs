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
//! let (regions, summary) = Enumerator::builder().threads(2).build().collect(&net);
//! assert!(summary.complete());
//! assert_eq!(regions.len(), 4); // four regions, four different slopes: not linear
//! // with facets, the adjacency graph and the linear pieces
//! let a = analyze(&net, &Enumerator::builder().build()).unwrap();
//! assert_eq!((a.edges(), a.graph.pieces), (4, 4));
//! ```
//!
//! The main types are re-exported at the crate root: [`Network`] (with its readers), [`Domain`],
//! [`Enumerator`] and its builder, [`RegionSink`], [`Summary`], [`Region`], [`Facet`],
//! [`RegionGraph`], [`Analysis`] with [`analyze`], the shard [`Plan`], and the errors.
//!
//! Architecture (one module per concern):
//! - [`num`]: the exact rational type and number parsing;
//! - [`network`]: the model and its readers;
//! - [`kernel`]: the one filtered-arithmetic kernel (every float filter, with its proved bound);
//! - [`poly`]: halfspaces with float-filtered exact signs;
//! - [`lp`]: float LP backends (hints) and the generic simplex (exact when run over `Q`);
//! - [`proof`]: the pure checkers of certificates;
//! - [`certify`]: the decisions: how each certificate is obtained (and checked by [`proof`]);
//! - [`enumerate`]: the region enumerator;
//! - [`facets`]: non-redundant inequalities and facet points;
//! - [`graph`]: the adjacency graph and linear pieces;
//! - [`export`]: JSON, DOT and SVG writers (and the reader of the region wire form);
//! - [`shard`]: sharded runs (plan, run a shard, merge the parts exactly);
//! - [`reports`]: the JSON answers of `range`, `slice`, `locate`, `vnnlib` and `regions
//!   --sizes`, shared by the CLI and the Python package;
//! - [`batch`]: counts of many boxes at once (local complexity);
//! - [`stop`]: a run's stop token (deadline and cancel flag), polled by every long loop.

#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod analysis;
pub mod batch;
pub mod bounds;
pub mod certify;
pub mod check;
pub mod enumerate;
pub mod error;
pub mod export;
pub mod facets;
pub(crate) mod fixed;
pub mod graph;
pub mod graph_counts;
pub mod kernel;
pub mod line;
pub mod locate;
pub mod lp;
pub(crate) mod neighbour;
pub mod network;
pub mod num;
pub(crate) mod parallel;
pub mod plane;
pub mod poly;
pub mod prepared;
pub mod progress;
pub mod proof;
pub mod property;
pub mod range;
pub mod region;
pub mod reports;
pub mod shard;
pub mod sizes;
pub mod slice;
pub mod stop;
pub mod verify;
pub mod vnnlib;

pub use analysis::{analyze, Analysis};
pub use enumerate::{CountingSink, Enumerator, EnumeratorBuilder, RegionSink, StopReason, Summary};
pub use error::{InternalError, NetworkError};
pub use facets::Facet;
pub use graph::RegionGraph;
pub use lp::Backend;
pub use network::{Domain, InputFormat, Network};
pub use prepared::Prepared;
pub use region::{AffineMap, Region};
pub use shard::{Plan, ShardError};
