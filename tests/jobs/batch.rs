//! Issue 33 (point 2): `count_many`, counts of many boxes at once. Checked against closed
//! forms (a grid of axis-parallel lines: the regions in a box are the product of the cells on
//! each axis), against one `count` per box, across thread counts, with limits per box and for
//! the batch, and with bad boxes refused by index before any work.

use crate::support::*;
use relu_regions::exact::num::{q, Q};
use relu_regions::jobs::batch::{count_many, linf_ball, BatchError};
use relu_regions::network::{Domain, Network};
use relu_regions::{Enumerator, StopReason};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;

/// The lines x = 0..k-1 and y = 0..k-1 (one ReLU each) on all of R^2.
fn grid(k: i64) -> Network {
    let mut planes = Vec::new();
    for i in 0..k {
        planes.push((vec![q(1), q(0)], q(-i)));
        planes.push((vec![q(0), q(1)], q(-i)));
    }
    arrangement(2, planes, Domain::Whole)
}

/// Cells of the grid's lines 0..k-1 on the open interval (lo, hi).
fn cells(lo: &Q, hi: &Q, k: i64) -> usize {
    1 + (0..k).filter(|&i| lo < &q(i) && &q(i) < hi).count()
}

/// Deterministic boxes, some crossing many lines, some none, some with corners on a line.
fn boxes(n: usize) -> Vec<Vec<(Q, Q)>> {
    let mut s = 7u64;
    let mut next = |m: u64| {
        s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (s >> 33) % m
    };
    (0..n)
        .map(|_| {
            (0..2)
                .map(|_| {
                    let lo = Q::new((next(60) as i64 - 20).into(), 4.into());
                    let width = Q::new((1 + next(16) as i64).into(), 4.into());
                    (lo.clone(), lo + width)
                })
                .collect()
        })
        .collect()
}

#[test]
fn each_box_counts_the_grid_cells_it_meets() {
    let k = 6;
    let net = grid(k);
    let bs = boxes(40);
    let got = count_many(&net, &bs, true, &Enumerator::builder().threads(3).build(), None).unwrap();
    assert_eq!(got.len(), bs.len());
    for (b, c) in bs.iter().zip(&got) {
        let (nx, ny) = (cells(&b[0].0, &b[0].1, k), cells(&b[1].0, &b[1].1, k));
        assert_eq!(c.regions, nx * ny, "box {b:?}");
        assert_eq!(c.bounded, c.regions, "every region of a box is bounded");
        // a grid's cells: (nx - 1) ny vertical and nx (ny - 1) horizontal shared sides
        assert_eq!(c.edges, Some((nx - 1) * ny + nx * (ny - 1)), "box {b:?}");
        assert!(c.complete() && c.pieces.unwrap() <= c.regions);
    }
}

#[test]
fn the_batch_equals_one_count_per_box_for_every_thread_count() {
    let net = generic(7, 2, &default_ts(7));
    let bs: Vec<Vec<(Q, Q)>> = (0..12)
        .map(|i| linf_ball(&[Q::new(i.into(), 3.into()), Q::new((5 - i).into(), 4.into())], &r("3/2")))
        .collect();
    let single: Vec<(usize, usize, usize)> = bs
        .iter()
        .map(|b| {
            let a = run(&net.with_domain(Domain::Box(b.clone())).unwrap());
            (a.regions().len(), a.edges(), a.graph().pieces())
        })
        .collect();
    for threads in [1, 2, 5] {
        let done = AtomicUsize::new(0);
        let got = count_many(&net, &bs, true, &Enumerator::builder().threads(threads).build(), Some(&done))
            .unwrap();
        let figures: Vec<_> = got.iter().map(|c| (c.regions, c.edges.unwrap(), c.pieces.unwrap())).collect();
        assert_eq!(figures, single, "{threads} threads");
        assert_eq!(done.load(Ordering::Relaxed), bs.len());
        // without the graph: the same regions, no graph figures
        let plain =
            count_many(&net, &bs, false, &Enumerator::builder().threads(threads).build(), None).unwrap();
        assert!(plain
            .iter()
            .zip(&got)
            .all(|(p, g)| p.regions == g.regions && p.edges.is_none() && p.pieces.is_none()));
    }
}

#[test]
fn limits_mark_each_box_that_stopped() {
    let net = grid(6);
    let bs = vec![
        vec![(r("1/2"), r("3/4")), (r("1/2"), r("3/4"))], // one cell
        vec![(q(-1), q(6)), (q(-1), q(6))],               // 49 cells
    ];
    let capped = Enumerator::builder().max_regions(Some(5)).threads(2).build();
    let got = count_many(&net, &bs, false, &capped, None).unwrap();
    assert!(got[0].complete() && got[0].regions == 1);
    assert_eq!((got[1].regions, got[1].stopped), (5, Some(StopReason::MaxRegions)));
    // a raised cancel flag stops every box of the batch: nothing found, each marked
    let flag = Arc::new(AtomicBool::new(true));
    let cancelled = Enumerator::builder().cancel_flag(flag).threads(2).build();
    for graph in [false, true] {
        let got = count_many(&net, &bs, graph, &cancelled, None).unwrap();
        assert!(got.iter().all(|c| c.stopped == Some(StopReason::Cancelled) && c.regions == 0), "{got:?}");
    }
    // a batch deadline already passed: every box incomplete
    let late = Enumerator::builder().deadline(Some(std::time::Instant::now())).build();
    assert!(count_many(&net, &bs, true, &late, None)
        .unwrap()
        .iter()
        .all(|c| c.stopped == Some(StopReason::TimeLimit)));
}

#[test]
fn bad_boxes_are_refused_by_index_before_any_work() {
    let net = grid(3);
    let bs = vec![vec![(q(0), q(1)), (q(0), q(1))], vec![(q(0), q(1)), (q(2), q(2))], vec![(q(0), q(1))]];
    let e = count_many(&net, &bs, true, &Enumerator::builder().build(), None).unwrap_err();
    assert!(matches!(e, BatchError::Box(_)));
    let text = e.to_string();
    assert!(text.contains("boxes[1][1]") && text.contains("not below"), "{text}");
    assert!(text.contains("boxes[2]") && text.contains("1 intervals"), "{text}");
    assert!(count_many(&net, &[], true, &Enumerator::builder().build(), None).unwrap().is_empty());
}
