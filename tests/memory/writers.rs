//! The writers that write as they go, above a held analysis: about one region at a time, where
//! the whole documents hold their text.

use crate::{arrangement, peak_above, Bytes, ONE_AT_A_TIME};
use relu_regions::export::{dot, json, stream};
use relu_regions::{analyze, Analysis, Enumerator, Network};

/// What writing `a` costs above the analysis: (writer, streamed, whole document, document
/// bytes), `None` where the high-water mark cannot be read.
fn measure(net: &Network, a: &Analysis) -> Option<Vec<(&'static str, usize, usize, usize)>> {
    let mut rows = Vec::new();
    let mut bytes = Bytes::default();
    let streamed = peak_above(|| stream::write_regions_json(&mut bytes, net, a, None, None).unwrap())?;
    let whole = peak_above(|| {
        let text = json::to_json(&json::regions_document(net, a, None));
        std::hint::black_box(&text);
    })?;
    rows.push(("regions --json", streamed, whole, bytes.0));
    let mut bytes = Bytes::default();
    let streamed =
        peak_above(|| stream::write_graph_json(&mut bytes, a.regions(), a.graph(), true, None).unwrap())?;
    let whole = peak_above(|| {
        std::hint::black_box(json::graph_json(a.regions(), a.graph(), true, None));
    })?;
    rows.push(("graph --format json", streamed, whole, bytes.0));
    let mut bytes = Bytes::default();
    let streamed = peak_above(|| dot::write_graph_dot(&mut bytes, a.regions(), a.graph(), false).unwrap())?;
    let whole = peak_above(|| {
        std::hint::black_box(dot::graph_dot(a.regions(), a.graph(), false));
    })?;
    rows.push(("graph --format dot", streamed, whole, bytes.0));
    Some(rows)
}

/// The writers hold at most `per_region` bytes plus the sorted edge list above the analysis
/// (with 4 MB for pages and the allocator's slack), where the whole regions document held at
/// least its text.
fn check_streams(planes: usize, per_region: usize) {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let net = arrangement(planes);
    let a = analyze(&net, &Enumerator::builder().threads(1).build()).unwrap();
    let n = planes;
    assert_eq!(a.regions().len(), 1 + n + n * (n - 1) / 2 + n * (n - 1) * (n - 2) / 6, "general position");
    // the sorted edge list (three words an edge) is the one thing held for the whole graph
    let edges = a.graph().graph().edge_count() * 3 * std::mem::size_of::<usize>();
    let Some(rows) = measure(&net, &a) else {
        eprintln!("no /proc/self/clear_refs here: the peak is not measured");
        return;
    };
    for (what, streamed, whole, bytes) in rows {
        eprintln!("{what}: {streamed} bytes streamed, {whole} whole, a document of {bytes} bytes");
        assert!(
            streamed <= per_region + edges + (4 << 20),
            "{what}: {streamed} bytes held while writing {bytes}"
        );
        // measured first, before freed pages the allocator keeps can serve a later writer
        if what == "regions --json" {
            assert!(whole >= bytes, "{what}: the whole document ({bytes} bytes) was held");
        }
    }
}

/// The CI-fast variant: 1,794 regions (a regions document of a few MB).
#[test]
fn writers_hold_one_region_at_a_time() {
    check_streams(22, 256 * 1024);
}

/// The CI-fast variant at scale: 7,807 regions (a regions document of about 20 MB; a few
/// seconds in a release build), run by default.
#[test]
fn writers_hold_one_region_at_a_time_on_8k_regions() {
    check_streams(36, 256 * 1024);
}

/// 47,972 regions (about a minute in a release build): `cargo test --release --test memory --
/// --ignored`.
#[test]
#[ignore]
fn writers_hold_one_region_at_a_time_on_48k_regions() {
    check_streams(66, 256 * 1024);
}
