//! Parts of the depth-first tree, for sharded runs: the *frontier* of a run is the list of
//! subtrees (and regions already finished) obtained by advancing every open subtree to its
//! next split, round after round, until there are at least `frontier` of them. It depends
//! only on the network, its domain, the backend and `frontier` (never on the thread count),
//! and its items, explored in order, give exactly the regions of the whole run in its order.
//! A shard is a contiguous range of frontier items, named by their *addresses*: the child taken
//! at each split on the way from the root (a digit per split, in depth-first order), with a
//! final `.` for an item that is a finished region. A shard replays its addresses (a few
//! advances each) instead of recomputing the frontier.
//!
//! Sizes are estimated by Knuth's estimator: a random descent from a subtree to a region
//! multiplies the numbers of children met on the way, which is an unbiased estimate of the
//! number of regions below. A descent costs about what one region costs.

use super::frontier::Item;
use super::{finish, Context, Emitter, Enumerator, Partial};
use crate::certify::LpStats;
use crate::error::InternalError;
use crate::exact::rng::SplitMix;
use crate::network::Network;
use std::time::Instant;

/// Frontier items to enumerate, by address, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subtrees {
    /// Their addresses.
    pub addresses: Vec<String>,
}

/// One frontier item: its address and estimated size.
#[derive(Debug, Clone, PartialEq)]
pub struct Estimate {
    /// Its address.
    pub address: String,
    /// Estimated regions below it (exactly 1 for a finished region).
    pub regions: f64,
    /// Whether the item is a finished region.
    pub finished: bool,
}

impl Enumerator {
    /// The frontier of `frontier` subtrees of the network's tree, with a size estimate of each
    /// item from `descents` random descents (deterministic: the seed is fixed), and the LP
    /// figures of the work above the subtrees (which the shards leave out).
    ///
    /// # Examples
    /// ```
    /// use relu_regions::{Enumerator, network::json::read_network};
    /// let net = read_network(r#"{"input_dim": 2, "layers": [
    ///     {"weights": [["1", "0"], ["0", "1"], ["1", "1"]], "activation": "relu"},
    ///     {"weights": [["1", "1", "1"]], "activation": "linear"}]}"#, "t").unwrap();
    /// let e = Enumerator::builder().build();
    /// let (items, _) = e.frontier_estimates(&net, 4, 8).unwrap();
    /// assert!(items.len() >= 4);
    /// // the estimates add up to about the 6 regions (exactly here: every descent is exact)
    /// let total: f64 = items.iter().map(|i| i.regions).sum();
    /// assert_eq!(total, 6.0);
    /// ```
    pub fn frontier_estimates(
        &self,
        net: &Network,
        frontier: usize,
        descents: usize,
    ) -> Result<(Vec<Estimate>, LpStats), InternalError> {
        let start = Instant::now();
        let mut stats = LpStats::default();
        let prepared = self.prepare(net);
        let Some((ctx, root)) = self.root(&prepared, None, (false, false), start, &mut stats)? else {
            return Ok((Vec::new(), stats));
        };
        let threads = self.thread_count().max(1);
        let items = self.addressed_frontier(&ctx, root, frontier, threads, &mut stats);
        let estimates = crate::runtime::parallel::map_chunks(&items, threads, 4, |part| {
            part.iter()
                .map(|(address, item)| match item {
                    Item::Done(_) => Ok(Estimate { address: address.clone(), regions: 1.0, finished: true }),
                    Item::Task(p) => {
                        let mut stats = LpStats::default();
                        let mut rng = SplitMix(0x5eed ^ (p.bits.len() as u64));
                        let mut total = 0.0;
                        for _ in 0..descents.max(1) {
                            total += self.descend(&ctx, Partial::clone(p), &mut rng, &mut stats);
                        }
                        let regions = total / descents.max(1) as f64;
                        Ok(Estimate { address: address.clone(), regions, finished: false })
                    }
                })
                .collect::<Vec<_>>()
        });
        if let Some(e) = ctx.failure.into_inner().unwrap_or_else(std::sync::PoisonError::into_inner) {
            return Err(e);
        }
        Ok((estimates.into_iter().flatten().collect::<Result<_, InternalError>>()?, stats))
    }

    /// One random descent from `p` to a region: the product of the numbers of children met.
    fn descend(
        &self,
        ctx: &super::Context<'_>,
        mut p: Partial,
        rng: &mut SplitMix,
        stats: &mut LpStats,
    ) -> f64 {
        let mut weight = 1.0;
        loop {
            let mut children = Vec::new();
            match self.advance(ctx, p, &mut children, stats) {
                Some(_) => return weight,
                None if children.is_empty() => return 0.0,
                None => {
                    weight *= children.len() as f64;
                    let pick = (rng.next_u64() % children.len() as u64) as usize;
                    p = children.swap_remove(pick);
                }
            }
        }
    }

    /// The item at `address`, replayed from `root` (`None` if the address leads nowhere).
    fn replay(&self, ctx: &Context<'_>, root: &Partial, address: &str) -> Option<Item> {
        let mut stats = LpStats::default();
        let mut p = root.clone();
        for step in address.chars() {
            let mut children = Vec::new();
            match (self.advance(ctx, p, &mut children, &mut stats), step) {
                (Some(done), '.') => return finish(done, ctx).map(|r| Item::Done(Box::new(r))),
                (None, digit) => {
                    let k = digit.to_digit(36)? as usize;
                    children.reverse();
                    p = (k < children.len()).then(|| children.swap_remove(k))?;
                }
                _ => return None,
            }
        }
        Some(Item::Task(Box::new(p)))
    }

    /// Explores the items at the given addresses in order (see [`Subtrees`]).
    pub(super) fn explore_subtrees(
        &self,
        ctx: &Context<'_>,
        root: Partial,
        part: &Subtrees,
        threads: usize,
        stats: &mut LpStats,
        emitter: &mut Emitter<'_, '_>,
    ) -> Option<super::StopReason> {
        let mut items = Vec::with_capacity(part.addresses.len());
        for address in &part.addresses {
            match self.replay(ctx, &root, address) {
                Some(item) => items.push(item),
                None => {
                    ctx.fail(InternalError::new(format!(
                        "the subtree at address {address:?} does not exist: the plan was made for another network or backend"
                    )));
                    return Some(super::StopReason::Failed);
                }
            }
        }
        self.explore_parallel(ctx, items, threads, stats, emitter)
    }
}
