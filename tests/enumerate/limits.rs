//! `--time-limit` and Ctrl-C reach every phase: on networks built here so that one phase
//! dominates (the facet phase of a small CNN whose facet LPs fall to the exact simplex on big
//! rationals, a long exact check, a vnnlib run, the reading of a network whose affine
//! operators compose into big rationals), each run ends within a few seconds of its deadline,
//! with exit code 3 and a partial answer. The bounds are generous (the deadline plus five
//! seconds) so that a loaded machine does not make the tests flaky; without the stop, each of
//! these runs lasts minutes.

use crate::cli::fixtures::run_cli;
use crate::support::fixture;
use relu_regions::jobs::{Phase, Progress};
use relu_regions::{analyze, Enumerator, Network, StopReason};
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How long after its deadline a run may end.
const GRACE: Duration = Duration::from_secs(5);

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("rr-limits-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Runs the CLI and times it.
fn timed(args: &[&str]) -> (Output, Duration) {
    let started = Instant::now();
    let out = run_cli(args);
    (out, started.elapsed())
}

/// A reproducible generator (SplitMix64).
struct Draw(u64);

impl Draw {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A float32-like value: a signed 24-bit integer over `2^bits`.
    fn dyadic(&mut self, bits: u32) -> String {
        let m = (self.next() >> 40) as i64 - (1 << 23);
        format!("{m}/{}", 1u64 << bits)
    }

    /// A positive one in `[1, 1.5)` times `2^shift`.
    fn positive(&mut self, shift: i32) -> String {
        let m = (1u64 << 24) + (self.next() >> 41);
        if shift >= 0 {
            format!("{}/{}", m << shift, 1u64 << 24)
        } else {
            format!("{m}/{}", 1u64 << (24 - shift))
        }
    }

    fn values(&mut self, n: usize, bits: u32) -> String {
        (0..n).map(|_| format!("\"{}\"", self.dyadic(bits))).collect::<Vec<_>>().join(", ")
    }
}

/// The exact decimal of `n / 2^24`.
fn decimal(n: i64) -> String {
    let scaled = n.unsigned_abs() as u128 * 5u128.pow(24);
    let (whole, fraction) = (scaled / 10u128.pow(24), scaled % 10u128.pow(24));
    format!("{}{whole}.{fraction:024}", if n < 0 { "-" } else { "" })
}

/// A small CNN like a user's (Conv2d, BatchNorm2d, ReLU, MaxPool2d, Linear on a 16 x 16 image)
/// in an L-infinity box of radius 1/32, with float32-like weights: its facet LPs in R^256 over
/// hundreds of rows fall to the exact simplex, whose rationals grow to thousands of digits
/// (the facets of one region take minutes). Returns the network's file and the box as
/// numerators over `2^24`.
fn cnn(dir: &std::path::Path) -> (PathBuf, Vec<(i64, i64)>) {
    let mut draw = Draw(2024);
    let (side, channels, outputs) = (16usize, 4usize, 10usize);
    let pooled = channels * ((side - 2) / 2).pow(2);
    let bn = |draw: &mut Draw, shift: i32| {
        (0..channels).map(|_| format!("\"{}\"", draw.positive(shift))).collect::<Vec<_>>().join(", ")
    };
    let constants = format!(
        r#""W1": {{"dims": [{channels}, 1, 3, 3], "values": [{}]}}, "B1": {{"dims": [{channels}], "values": [{}]}},
        "S": {{"dims": [{channels}], "values": [{}]}}, "T": {{"dims": [{channels}], "values": [{}]}},
        "M": {{"dims": [{channels}], "values": [{}]}}, "V": {{"dims": [{channels}], "values": [{}]}},
        "W2": {{"dims": [{outputs}, {pooled}], "values": [{}]}}, "B2": {{"dims": [{outputs}], "values": [{}]}}"#,
        draw.values(channels * 9, 25),
        draw.values(channels, 27),
        bn(&mut draw, 0),
        draw.values(channels, 27),
        draw.values(channels, 27),
        bn(&mut draw, -1),
        draw.values(outputs * pooled, 27),
        draw.values(outputs, 27),
    );
    let nodes = r#"{"op": "Conv", "inputs": ["x", "W1", "B1"], "outputs": ["c"], "int_lists": {"kernel_shape": [3, 3]}},
        {"op": "BatchNormalization", "inputs": ["c", "S", "T", "M", "V"], "outputs": ["b"], "floats": {"epsilon": "1/65536"}},
        {"op": "Relu", "inputs": ["b"], "outputs": ["r"]},
        {"op": "MaxPool", "inputs": ["r"], "outputs": ["p"], "int_lists": {"kernel_shape": [2, 2], "strides": [2, 2]}},
        {"op": "Flatten", "inputs": ["p"], "outputs": ["f"]},
        {"op": "Gemm", "inputs": ["f", "W2", "B2"], "outputs": ["y"], "ints": {"transB": 1}}"#;
    let radius = 1i64 << 19; // 1/32 in units of 2^-24
    let bounds: Vec<(i64, i64)> = (0..side * side)
        .map(|_| {
            let centre = (draw.next() >> 40) as i64;
            (centre - radius, centre + radius)
        })
        .collect();
    let domain = bounds
        .iter()
        .map(|(lo, hi)| format!("[\"{lo}/16777216\", \"{hi}/16777216\"]"))
        .collect::<Vec<_>>()
        .join(", ");
    let json = format!(
        r#"{{"input_dim": {}, "graph": {{"input": {{"name": "x", "shape": [1, 1, {side}, {side}]}},
        "constants": {{{constants}}}, "nodes": [{nodes}]}}, "domain": {{"box": [{domain}]}}}}"#,
        side * side
    );
    let path = dir.join("cnn.json");
    std::fs::write(&path, json).unwrap();
    (path, bounds)
}

/// The facet phase, watched through the progress counters: the regions are found quickly
/// (up to 64, with `max_regions`), the phase starts before the deadline, and the run comes back
/// within the grace after it, the regions whose facets were not done kept without facets.
/// Before, the exact simplex of the facet phase ignored the deadline for minutes. (The facets
/// of one region take a few seconds, of all of them minutes; one region alone could finish by
/// the deadline on a quiet machine.)
#[test]
fn the_facet_phase_stops_at_the_deadline() {
    let dir = scratch("facets");
    let (path, _) = cnn(&dir);
    let net = Network::from_json(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let heard: Arc<Mutex<Vec<(Phase, Instant)>>> = Arc::default();
    let log = heard.clone();
    let progress =
        Arc::new(Progress::with_listener(move |phase| log.lock().unwrap().push((phase, Instant::now()))));
    // the regions alone, timed on this machine (a loaded one takes longer): the limit leaves
    // the facet phase time to start, and is at least 4 s
    let regions_alone = Instant::now();
    Enumerator::builder().max_regions(Some(64)).threads(2).build().collect(&net).unwrap();
    let limit = Duration::from_secs(4).max(regions_alone.elapsed() * 3);
    let enumerator = Enumerator::builder()
        .max_regions(Some(64))
        .time_limit(Some(limit))
        .threads(2)
        .progress(progress)
        .build();
    let started = Instant::now();
    let a = analyze(&net, &enumerator).unwrap();
    let ended = started.elapsed();
    assert!(ended < limit + GRACE, "the analysis ended {ended:?} after its start ({limit:?} limit)");
    let heard = heard.lock().unwrap();
    let facets_from = heard.iter().find(|(p, _)| *p == Phase::Facets).map(|(_, at)| *at - started);
    assert!(facets_from.is_some_and(|t| t < limit), "the facet phase started at {facets_from:?}");
    assert!(!a.regions().is_empty());
    assert!(
        a.facets_certified() < a.regions().len(),
        "the facets of the {} regions take minutes: not all done by the deadline ({} were)",
        a.regions().len(),
        a.facets_certified()
    );
    assert!(!a.summary().complete());
    let _ = std::fs::remove_dir_all(dir);
}

/// The same on the command line: `regions --json` and `count` (with the graph, whose facet
/// workers run beside the enumeration) end by the deadline plus the grace, exit 3, and write
/// a partial answer.
#[test]
fn commands_with_the_graph_stop_at_the_deadline() {
    let dir = scratch("graph");
    let (path, _) = cnn(&dir);
    let net = path.to_str().unwrap();
    let (out, took) = timed(&["regions", net, "--json", "--max-regions", "2", "--time-limit", "2"]);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out.stderr));
    assert!(took < Duration::from_secs(2) + GRACE, "regions --json took {took:?}");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["complete"], false);
    let regions = v["regions"].as_array().unwrap();
    // each region has its certified facets or says they are uncertified (on a quiet machine the
    // two regions' facets may be certified before the deadline stops the rest of the run)
    let listed = |r: &serde_json::Value| r["inequalities"].as_array().is_some_and(|l| !l.is_empty());
    assert!(regions.iter().all(|r| (r["facets_uncertified"] == true) != listed(r)), "facets or the flag");
    assert!(text(&out.stderr).contains("INCOMPLETE"));
    let (out, took) = timed(&["count", net, "--json", "--time-limit", "2"]);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out.stderr));
    assert!(took < Duration::from_secs(2) + GRACE, "count took {took:?}");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!((v["complete"].clone(), v["stopped"].clone()), (false.into(), "TimeLimit".into()));
    assert!(v["edges"].is_u64() && v["pieces"].is_u64(), "the graph's figures so far: {v}");
    let _ = std::fs::remove_dir_all(dir);
}

/// Ctrl-C while `count` certifies facets in the exact simplex: the run stops within moments,
/// exit 3, `"stopped": "Cancelled"`.
#[test]
fn ctrl_c_stops_the_facet_workers() {
    let dir = scratch("ctrl-c");
    let (path, _) = cnn(&dir);
    let child = Command::new(env!("CARGO_BIN_EXE_relu-regions"))
        .args(["count", path.to_str().unwrap(), "--json"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(2500));
    let sent = Instant::now();
    let _ = Command::new("kill").args(["-INT", &child.id().to_string()]).status();
    let out = child.wait_with_output().unwrap();
    let waited = sent.elapsed();
    assert_eq!(out.status.code(), Some(3), "{}", text(&out.stderr));
    assert!(waited < GRACE, "stopped {waited:?} after Ctrl-C");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!((v["complete"].clone(), v["stopped"].clone()), (false.into(), "Cancelled".into()));
    let _ = std::fs::remove_dir_all(dir);
}

/// `vnnlib` on the CNN with `Y_0 >= 0.4`: above what sampling reaches (0.36 is falsified), below
/// what the bounds at the root exclude (0.45 is unsat at once), so the regions must decide, and
/// they take minutes: at the deadline the answer is `unknown`, exit 3.
#[test]
fn vnnlib_stops_at_the_deadline() {
    let dir = scratch("vnnlib");
    let (path, bounds) = cnn(&dir);
    let mut property: String = (0..bounds.len()).map(|i| format!("(declare-const X_{i} Real)\n")).collect();
    property += &(0..10).map(|i| format!("(declare-const Y_{i} Real)\n")).collect::<String>();
    for (i, (lo, hi)) in bounds.iter().enumerate() {
        property += &format!("(assert (>= X_{i} {}))\n(assert (<= X_{i} {}))\n", decimal(*lo), decimal(*hi));
    }
    property += "(assert (>= Y_0 0.4))\n";
    let prop = dir.join("prop.vnnlib");
    std::fs::write(&prop, property).unwrap();
    let (out, took) = timed(&["vnnlib", path.to_str().unwrap(), prop.to_str().unwrap(), "--time-limit", "2"]);
    assert!(took < Duration::from_secs(2) + GRACE, "vnnlib took {took:?}");
    assert_eq!(out.status.code(), Some(3), "{}", text(&out.stderr));
    assert!(text(&out.stdout).starts_with("unknown"), "{}", text(&out.stdout));
    let _ = std::fs::remove_dir_all(dir);
}

/// `check` of a whole answer (1,287 regions whose exact checks take ten seconds and more) with a time
/// limit: it stops, exit 3, says how many regions it checked and that nothing is proved (and
/// no failure: the answer is right, and a check the stop cut short is not one).
#[test]
fn check_stops_at_the_deadline() {
    let dir = scratch("check");
    let net = fixture("bench/net-5-20-20.json");
    let net = net.to_str().unwrap();
    let out = run_cli(&["regions", net, "--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let answer = dir.join("answer.json");
    std::fs::write(&answer, &out.stdout).unwrap();
    let answer = answer.to_str().unwrap();
    // the whole check first, timed on this machine as loaded now; then a limit of a quarter of
    // that (the checker got faster than any fixed limit: load-robust like the facet-phase test)
    let (whole, full) = timed(&["check", net, answer]);
    assert_eq!(whole.status.code(), Some(0), "{}", text(&whole.stdout));
    let limit = (full / 4).max(Duration::from_millis(50));
    let (out, took) = timed(&["check", net, answer, "--time-limit", &format!("{:.3}", limit.as_secs_f64())]);
    assert!(took < limit + GRACE, "check took {took:?} with a limit of {limit:?}");
    assert_eq!(out.status.code(), Some(3), "{}", text(&out.stdout));
    let said = text(&out.stdout);
    assert!(
        said.contains("INCOMPLETE") && said.contains("nothing is proved"),
        "{said} {}",
        text(&out.stderr)
    );
    let checked: usize =
        said.split(" after ").nth(1).and_then(|s| s.split(' ').next()?.parse().ok()).unwrap();
    assert!(checked < 1287 && said.contains("of 1287 regions"), "{said}");
    assert!(!said.contains("FAIL"), "{said}");
    let _ = std::fs::remove_dir_all(dir);
}

/// A network whose reading takes long (eight 40 x 40 matrices of float32-like weights composed
/// exactly into one layer: the products' rationals grow): the time limit stops the reading,
/// exit 3, and says what it was doing.
#[test]
fn reading_a_network_stops_at_the_deadline() {
    let dir = scratch("reading");
    let mut draw = Draw(7);
    let (n, k) = (40, 8);
    let constants: Vec<String> = (0..k)
        .map(|l| format!(r#""W{l}": {{"dims": [{n}, {n}], "values": [{}]}}"#, draw.values(n * n, 27)))
        .collect();
    let mut nodes: Vec<String> = (0..k)
        .map(|l| {
            let input = if l == 0 { "x".to_string() } else { format!("h{}", l - 1) };
            format!(r#"{{"op": "Gemm", "inputs": ["{input}", "W{l}"], "outputs": ["h{l}"], "ints": {{"transB": 1}}}}"#)
        })
        .collect();
    nodes.push(format!(r#"{{"op": "Relu", "inputs": ["h{}"], "outputs": ["y"]}}"#, k - 1));
    let json = format!(
        r#"{{"input_dim": {n}, "graph": {{"input": {{"name": "x", "shape": [1, {n}]}}, "constants": {{{}}}, "nodes": [{}]}},
        "domain": {{"box": [{}]}}}}"#,
        constants.join(", "),
        nodes.join(", "),
        vec![r#"["-1", "1"]"#; n].join(", ")
    );
    let path = dir.join("chain.json");
    std::fs::write(&path, json).unwrap();
    let (out, took) = timed(&["count", path.to_str().unwrap(), "--time-limit", "1"]);
    assert!(took < Duration::from_secs(1) + GRACE, "count took {took:?}");
    assert_eq!(out.status.code(), Some(3), "{}", text(&out.stderr));
    let said = text(&out.stderr);
    assert!(said.contains("INCOMPLETE") && said.contains("while reading"), "{said}");
    let _ = std::fs::remove_dir_all(dir);
}

/// The library reports why: a run whose deadline passed while its facets were certified says
/// so in its summary (the region limit, reached first, is kept as the reason).
#[test]
fn a_passed_deadline_is_the_reason_when_nothing_else_stopped_the_run() {
    let net = Network::from_json(
        r#"{"input_dim": 1, "layers": [{"weights": [[1], [1]], "bias": [0, -1], "activation": "relu"}]}"#,
    )
    .unwrap();
    let passed = relu_regions::jobs::StopToken::new(Some(Instant::now()), None);
    let a = analyze(&net, &Enumerator::builder().stop(&passed).build()).unwrap();
    assert_eq!((a.regions().len(), a.summary().stopped()), (0, Some(StopReason::TimeLimit)));
}
