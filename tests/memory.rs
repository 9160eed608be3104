//! Peak memory of the writers that write as they go (`regions --json`, `graph --format json`,
//! `graph --format dot`), measured by a counting allocator: once the analysis is held, writing
//! its whole answer may allocate about one region's worth at a time, never the document. The
//! whole-document writers are measured beside them, so the bound is seen to bite.
//!
//! A test binary of its own: the allocator counts every allocation of the process, so its
//! tests run one at a time (a lock) and nothing else runs in it.

use relu_regions::export::{dot, json, stream};
use relu_regions::{analyze, Analysis, Enumerator, Network};
use std::alloc::{GlobalAlloc, Layout, System};
use std::io::Write;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

/// The system allocator, counting the bytes held now and their peak.
struct Counting;

static NOW: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

fn held(more: usize) {
    let now = NOW.fetch_add(more, Ordering::Relaxed) + more;
    PEAK.fetch_max(now, Ordering::Relaxed);
}

// SAFETY: every call is forwarded to the system allocator unchanged; only counters are added.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        held(layout.size());
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        NOW.fetch_sub(layout.size(), Ordering::Relaxed);
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        held(new_size);
        NOW.fetch_sub(layout.size(), Ordering::Relaxed);
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// One measurement at a time.
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

/// The most bytes held above what was held before `f`, while it ran.
fn peak_above(f: impl FnOnce()) -> usize {
    let base = NOW.load(Ordering::Relaxed);
    PEAK.store(base, Ordering::Relaxed);
    f();
    PEAK.load(Ordering::Relaxed) - base
}

/// A writer that only counts bytes (it allocates nothing).
#[derive(Default)]
struct Bytes(usize);

impl Write for Bytes {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0 += buf.len();
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// `n` relu neurons in general position in R^3 (integer coefficients from a fixed LCG): the
/// arrangement has `1 + n + C(n,2) + C(n,3)` regions.
fn arrangement(n: usize) -> Network {
    let mut seed: u64 = 12345;
    let mut draw = || {
        seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        ((seed >> 33) % 2001) as i64 - 1000
    };
    let rows: Vec<String> =
        (0..n).map(|_| format!("[\"{}\", \"{}\", \"{}\"]", draw(), draw(), draw())).collect();
    let bias: Vec<String> = (0..n).map(|_| format!("\"{}\"", draw())).collect();
    let out: Vec<String> = (1..=n).map(|k| format!("\"{k}\"")).collect();
    Network::from_json(&format!(
        r#"{{"input_dim": 3, "layers": [
            {{"weights": [{}], "bias": [{}], "activation": "relu"}},
            {{"weights": [[{}]], "activation": "linear"}}]}}"#,
        rows.join(", "),
        bias.join(", "),
        out.join(", ")
    ))
    .unwrap()
}

/// What writing `a` costs above the analysis: (streamed, whole document, document bytes), for
/// each of the three writers.
fn measure(net: &Network, a: &Analysis) -> Vec<(&'static str, usize, usize, usize)> {
    let mut rows = Vec::new();
    let mut bytes = Bytes::default();
    let streamed = peak_above(|| stream::write_regions_json(&mut bytes, net, a, None, None).unwrap());
    let whole = peak_above(|| {
        let text = json::to_json(&json::regions_document(net, a, None));
        std::hint::black_box(&text);
    });
    rows.push(("regions --json", streamed, whole, bytes.0));
    let mut bytes = Bytes::default();
    let streamed =
        peak_above(|| stream::write_graph_json(&mut bytes, &a.regions, &a.graph, true, None).unwrap());
    let whole = peak_above(|| {
        std::hint::black_box(json::graph_json(&a.regions, &a.graph, true, None));
    });
    rows.push(("graph --format json", streamed, whole, bytes.0));
    let mut bytes = Bytes::default();
    let streamed = peak_above(|| dot::write_graph_dot(&mut bytes, &a.regions, &a.graph, false).unwrap());
    let whole = peak_above(|| {
        std::hint::black_box(dot::graph_dot(&a.regions, &a.graph, false));
    });
    rows.push(("graph --format dot", streamed, whole, bytes.0));
    rows
}

/// The writers hold at most `per_region` bytes plus the sorted edge list above the analysis,
/// where the whole-document writers held at least the document.
fn check_streams(planes: usize, per_region: usize) {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let net = arrangement(planes);
    let a = analyze(&net, &Enumerator::builder().threads(1).build()).unwrap();
    let n = planes;
    assert_eq!(a.regions.len(), 1 + n + n * (n - 1) / 2 + n * (n - 1) * (n - 2) / 6, "general position");
    // the sorted edge list (three words an edge) is the one thing held for the whole graph
    let edges = a.graph.graph.edge_count() * 3 * std::mem::size_of::<usize>();
    for (what, streamed, whole, bytes) in measure(&net, &a) {
        eprintln!("{what}: {streamed} bytes streamed, {whole} whole, a document of {bytes} bytes");
        assert!(streamed <= per_region + edges, "{what}: {streamed} bytes held while writing {bytes}");
        assert!(whole >= bytes, "{what}: the whole document ({bytes} bytes) was held");
    }
}

/// The CI-fast variant: 1,794 regions (a regions document of a few MB).
#[test]
fn writers_hold_one_region_at_a_time() {
    check_streams(22, 256 * 1024);
}

/// 47,972 regions (about a minute in a release build): `cargo test --release --test memory --
/// --ignored`.
#[test]
#[ignore]
fn writers_hold_one_region_at_a_time_on_48k_regions() {
    check_streams(66, 256 * 1024);
}
