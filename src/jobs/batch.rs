//! Counts in batches: one count per box, many boxes at once (local complexity: the regions
//! meeting a small box or L_inf ball around each of many data points).
//!
//! This module owns [`count_many`] and its per-box answer [`BoxCount`]. The boxes run in
//! parallel, each on one thread (a small box has few regions: starting threads inside one
//! box would cost more than the box), pulled one at a time from a shared counter so that a
//! slow box does not hold back the others; the answers come back in the boxes' order and do
//! not depend on the thread count. Each box is a count of the network on that box as domain,
//! exactly what `count --box` (or `count --no-graph --box`) gives for it.
//!
//! Limits: the enumerator's `time_limit` and `max_regions` hold for each box; its deadline
//! and cancel flag (Ctrl-C, a dropped job) for the whole batch. A box stopped by either is
//! marked incomplete (its `stopped` says why) with what it had found; a box not reached before
//! the batch had to stop reports nothing found and is marked incomplete too.

use crate::enumerate::prepared::Prepared;
use crate::enumerate::{CountingSink, Enumerator};
use crate::error::{InternalError, NetworkError, Problem};
use crate::exact::num::{fmt_q, Q};
use crate::network::{Domain, Network};
use crate::runtime::stop::StopReason;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// The count of one box.
#[derive(Debug, Clone, PartialEq)]
pub struct BoxCount {
    /// Full-dimensional regions meeting the box (their intersections with it).
    pub regions: usize,
    /// Of those, the bounded ones (on a box: all of them).
    pub bounded: usize,
    /// Edges between them (`None` when counted without the graph).
    pub edges: Option<usize>,
    /// Linear pieces in the box (`None` when counted without the graph).
    pub pieces: Option<usize>,
    /// Distinct affine maps (`None` when counted without the graph).
    pub distinct_maps: Option<usize>,
    /// `None` when the box was counted to the end; otherwise why it stopped.
    pub stopped: Option<StopReason>,
    /// LPs solved for this box.
    pub lps: u64,
    /// Wall time spent on this box.
    pub elapsed: Duration,
}

impl BoxCount {
    /// Whether every region of the box was found.
    ///
    /// See the example on [`count_many`].
    pub fn complete(&self) -> bool {
        self.stopped.is_none()
    }
}

/// Why a batch could not run.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BatchError {
    /// A box is not a valid domain for the network (its problems name the box).
    #[error(transparent)]
    Box(#[from] NetworkError),
    /// An exact check failed on the crate's own answer for box `index`.
    #[error("box {index}: {error}")]
    Internal {
        /// The box.
        index: usize,
        /// What failed.
        error: InternalError,
    },
}

/// The box `center +- radius` (an L_inf ball), exact.
///
/// # Examples
/// ```
/// use relu_regions::jobs::batch::linf_ball;
/// use relu_regions::exact::num::{parse_rational, q};
/// let b = linf_ball(&[q(1), q(-2)], &parse_rational("1/4").unwrap());
/// assert_eq!(b[0], (parse_rational("3/4").unwrap(), parse_rational("5/4").unwrap()));
/// assert_eq!(b[1].1, parse_rational("-7/4").unwrap());
/// ```
pub fn linf_ball(center: &[Q], radius: &Q) -> Vec<(Q, Q)> {
    center.iter().map(|c| (c - radius, c + radius)).collect()
}

/// Checks every box before any work: one pair per input, `lo < hi`; the problems name the box
/// and the input (`boxes[i][j]`). [`count_many`] starts with it; a front end may call it
/// first to refuse bad boxes before it starts a job.
///
/// # Examples
/// ```
/// use relu_regions::jobs::batch::check_boxes;
/// use relu_regions::exact::num::q;
/// assert!(check_boxes(&[vec![(q(0), q(1))]], 1).is_ok());
/// let e = check_boxes(&[vec![(q(0), q(1))], vec![(q(1), q(1))]], 1).unwrap_err();
/// assert!(e.to_string().contains("boxes[1][0]"));
/// ```
pub fn check_boxes(boxes: &[Vec<(Q, Q)>], dim: usize) -> Result<(), NetworkError> {
    let problems = box_problems(boxes, dim);
    if problems.is_empty() {
        Ok(())
    } else {
        Err(NetworkError::Invalid { source_name: "boxes".into(), problems })
    }
}

fn box_problems(boxes: &[Vec<(Q, Q)>], dim: usize) -> Vec<Problem> {
    let mut problems = Vec::new();
    for (i, b) in boxes.iter().enumerate() {
        if b.len() != dim {
            problems.push(Problem::new(
                format!("boxes[{i}]"),
                format!("{} intervals, the network has {dim} inputs", b.len()),
            ));
            continue;
        }
        for (j, (lo, hi)) in b.iter().enumerate() {
            if lo >= hi {
                problems.push(Problem::new(
                    format!("boxes[{i}][{j}]"),
                    format!("lo {} is not below hi {}", fmt_q(lo), fmt_q(hi)),
                ));
            }
        }
        if problems.len() >= 20 {
            break; // enough to say what is wrong
        }
    }
    problems
}

/// Counts the regions of `net` in each box (its domain replaced by the box), in parallel
/// across boxes: `enumerator.thread_count()` boxes at a time, each box on one thread. With
/// `graph` the edges, pieces and distinct maps too (as `count`; without, as `count
/// --no-graph`). `done`, when given, counts the boxes finished (for a progress bar).
///
/// # Examples
/// ```
/// use relu_regions::jobs::batch::count_many;
/// use relu_regions::exact::num::q;
/// use relu_regions::{Enumerator, Network};
/// // |x| + |y| as two ReLU pairs: 4 regions around the origin, 1 away from the axes
/// let net = Network::from_json(r#"{"input_dim": 2, "layers": [
///     {"weights": [[1, 0], [-1, 0], [0, 1], [0, -1]], "activation": "relu"},
///     {"weights": [[1, 1, 1, 1]], "activation": "linear"}]}"#).unwrap();
/// let boxes = vec![vec![(q(-1), q(1)), (q(-1), q(1))], vec![(q(2), q(3)), (q(2), q(3))]];
/// let counts = count_many(&net, &boxes, true, &Enumerator::builder().threads(2).build(), None).unwrap();
/// assert_eq!((counts[0].regions, counts[0].pieces), (4, Some(4)));
/// assert_eq!((counts[1].regions, counts[1].edges), (1, Some(0)));
/// assert!(counts.iter().all(|c| c.complete()));
/// ```
pub fn count_many(
    net: &Network,
    boxes: &[Vec<(Q, Q)>],
    graph: bool,
    enumerator: &Enumerator,
    done: Option<&AtomicUsize>,
) -> Result<Vec<BoxCount>, BatchError> {
    check_boxes(boxes, net.input_dim())?;
    let per_box = enumerator.with_threads(1);
    // the network's integer layers, made once for every box
    let prepared = per_box.prepare(net);
    let indexed: Vec<(usize, &Vec<(Q, Q)>)> = boxes.iter().enumerate().collect();
    // chunks of one box: a worker takes the next box when it finishes one
    let answers =
        crate::runtime::parallel::map_chunks(&indexed, enumerator.thread_count(), boxes.len(), |chunk| {
            chunk
                .iter()
                .map(|&(index, b)| {
                    let answer = count_box(net, &prepared, index, b, graph, &per_box);
                    if let Some(done) = done {
                        done.fetch_add(1, Ordering::Relaxed);
                    }
                    answer
                })
                .collect::<Vec<_>>()
        });
    answers.into_iter().flatten().collect()
}

/// One box, on the calling thread, in the batch's prepared context moved onto the box.
fn count_box(
    net: &Network,
    prepared: &Prepared<'_>,
    index: usize,
    b: &[(Q, Q)],
    graph: bool,
    enumerator: &Enumerator,
) -> Result<BoxCount, BatchError> {
    let start = Instant::now();
    let boxed =
        net.with_domain(Domain::Box(b.to_vec())).map_err(|e| e.with_source(&format!("boxes[{index}]")))?;
    let internal = |error| BatchError::Internal { index, error };
    let prepared = prepared.on_domain(&boxed);
    if graph {
        let c =
            crate::analysis::graph_counts::count_graph_prepared(&prepared, enumerator).map_err(internal)?;
        return Ok(BoxCount {
            regions: c.regions,
            bounded: c.bounded,
            edges: Some(c.edges),
            pieces: Some(c.pieces),
            distinct_maps: Some(c.distinct_maps),
            stopped: c.summary.stopped,
            lps: c.summary.stats.lps,
            elapsed: start.elapsed(),
        });
    }
    let mut sink = CountingSink::default();
    let summary = enumerator.enumerate_prepared(&prepared, &mut sink).map_err(internal)?;
    Ok(BoxCount {
        regions: sink.regions,
        bounded: sink.bounded,
        edges: None,
        pieces: None,
        distinct_maps: None,
        stopped: summary.stopped,
        lps: summary.stats.lps,
        elapsed: start.elapsed(),
    })
}
