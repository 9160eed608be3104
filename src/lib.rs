//! # relu-regions
//!
//! Exact enumeration of the activation regions of ReLU networks: every full-dimensional region
//! of the input domain with its pattern, a rational interior point, its non-redundant
//! inequalities and its affine map `y = J x + c`, the adjacency graph of regions and the linear
//! pieces. Every decision is certified in rational arithmetic; floating-point LPs only propose.
//!
//! ```
//! use relu_regions::{enumerate::Enumerator, network::json::read_network};
//! // The seed network: two ReLU neurons, no bias. Is it just linear regression?
//! let net = read_network(r#"{"input_dim": 2, "layers": [
//!     {"weights": [["1", "-1"], ["1", "1"]], "activation": "relu"},
//!     {"weights": [["1", "2"]], "activation": "linear"}]}"#, "seed").unwrap();
//! let (regions, summary) = Enumerator::builder().build().collect(&net);
//! assert!(summary.complete());
//! assert_eq!(regions.len(), 4); // four regions, four different slopes: not linear
//! ```
//!
//! Architecture (one module per concern):
//! - [`num`]: the exact rational type and number parsing;
//! - [`network`]: the model and its readers;
//! - [`kernel`]: the one filtered-arithmetic kernel (every float filter, with its proved bound);
//! - [`poly`]: halfspaces with float-filtered exact signs;
//! - [`lp`]: float LP backends (hints) and the generic simplex (exact when run over `Q`);
//! - [`certify`]: exact proofs of every decision;
//! - [`enumerate`]: the region enumerator;
//! - [`facets`]: non-redundant inequalities and facet points;
//! - [`graph`]: the adjacency graph and linear pieces;
//! - [`fixed`]: exact fixed-point layer maps on machine limbs;
//! - [`parallel`]: ordered parallel maps (output independent of the thread count);
//! - [`export`]: JSON, DOT and SVG writers (and the reader of the region wire form);
//! - [`shard`]: sharded runs (plan, run a shard, merge the parts exactly).

#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod analysis;
pub mod bounds;
pub mod certify;
pub mod check;
pub mod enumerate;
pub mod error;
pub mod export;
pub mod facets;
pub mod fixed;
pub mod graph;
pub mod kernel;
pub mod line;
pub mod locate;
pub mod lp;
pub mod neighbour;
pub mod network;
pub mod num;
pub mod parallel;
pub mod plane;
pub mod poly;
pub mod property;
pub mod range;
pub mod region;
pub mod shard;
pub mod sizes;
pub mod slice;
pub mod verify;
pub mod vnnlib;
