//! The `check` job in a fresh process against `count` with the graph: within twice its peak,
//! reading the answer as it goes.

use crate::{arrangement, peak_of, peak_of_on, ONE_AT_A_TIME};
use relu_regions::{Enumerator, Network};
use std::io::Write;
use std::path::{Path, PathBuf};

/// Writes the `regions --json` answer of `net` (one thread) to `path`.
fn write_answer(net: &Network, path: &Path) {
    let e = Enumerator::builder().threads(1).build();
    let stop = relu_regions::jobs::StopToken::new(None, None);
    let mut file = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    let (summary, written) =
        relu_regions::jobs::write_regions_json(net, &e, None, None, &stop, &mut file).unwrap();
    assert!(summary.complete() && written.is_ok());
    file.flush().unwrap();
}

/// A scratch file of this process.
fn scratch(name: &str) -> PathBuf {
    std::env::temp_dir().join(format!("relu-regions-memory-{}-{name}", std::process::id()))
}

/// `check` of the whole `regions --json` answer (written to a file here), read as it goes,
/// against `count` with the graph, each in a fresh process: its peak stays within twice
/// count's plus `per_region`, where parsing the document whole first took at least the
/// document.
fn check_check_job(planes: usize, per_region: usize) {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let Some((counted, _, count)) = peak_of("count", planes) else {
        eprintln!("no VmHWM here: the peak is not measured");
        return;
    };
    let path = scratch(&format!("{planes}.json"));
    write_answer(&arrangement(planes), &path);
    let checked = peak_of_on("check", planes, Some(&path));
    let held = peak_of_on("check_held", planes, Some(&path));
    std::fs::remove_file(&path).unwrap();
    let ((regions, bytes, streamed), (_, _, held)) = (checked.unwrap(), held.unwrap());
    eprintln!("{counted} regions: count {count} bytes, check {streamed} streamed, {held} parsing whole, an answer of {bytes} bytes");
    assert_eq!(regions, counted, "every region checked");
    assert!(streamed <= 2 * count + per_region, "check held {streamed} bytes, count {count}");
    assert!(held >= bytes, "the whole document ({bytes} bytes) was held");
}

/// `check` at the memory of `count`: 7,807 regions (a 21 MB answer), run by default.
#[test]
fn check_at_counting_memory() {
    check_check_job(36, 256 * 1024);
}

/// `check` at the memory of `count`: 47,972 regions (a 134 MB answer; about two minutes in a
/// release build): `cargo test --release --test memory -- --ignored`.
#[test]
#[ignore]
fn check_at_counting_memory_on_48k_regions() {
    check_check_job(66, 256 * 1024);
}

/// `check` of the answer written on one line (as Python's `json.dump` writes it: no line break
/// at all) against the same answer as `regions --json` writes it, each in a fresh process: the
/// same regions checked (both pass), the one-line answer within the pretty one's peak plus
/// `allowance` and within twice `count`'s plus `allowance`, where parsing it whole took at
/// least the document (before, `check` read the first line whole to tell `--json` from
/// `--jsonl`: 1.6 GB against 896 MB on the conv answer).
fn check_one_line_job(planes: usize, allowance: usize) {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let Some((counted, _, count)) = peak_of("count", planes) else { return };
    let (pretty, compact) =
        (scratch(&format!("{planes}.pretty.json")), scratch(&format!("{planes}.compact.json")));
    write_answer(&arrangement(planes), &pretty);
    let doc: serde_json::Value = serde_json::from_slice(&std::fs::read(&pretty).unwrap()).unwrap();
    let text = serde_json::to_vec(&doc).unwrap();
    assert!(!text.contains(&b'\n'), "one line");
    std::fs::write(&compact, text).unwrap();
    drop(doc);
    let [(regions, _, pretty_peak), (one_line_regions, bytes, one_line), (_, _, held)] =
        [("check", &pretty), ("check", &compact), ("check_held", &compact)]
            .map(|(job, path)| peak_of_on(job, planes, Some(path)).unwrap());
    for path in [pretty, compact] {
        std::fs::remove_file(path).unwrap();
    }
    eprintln!("{counted} regions: count {count} bytes, check {pretty_peak} pretty, {one_line} on one line ({bytes} bytes), {held} parsing it whole");
    assert_eq!((regions, one_line_regions), (counted, counted), "every region checked, both forms");
    assert!(one_line <= pretty_peak + allowance, "one line: {one_line} bytes, pretty {pretty_peak}");
    assert!(one_line <= 2 * count + allowance, "one line: {one_line} bytes, count {count}");
    assert!(held >= bytes, "the whole document ({bytes} bytes) was held");
}

/// The answer on one line at the memory of the pretty one: 7,807 regions, run by default. The
/// allowance is 1 MiB: the two fresh processes' peaks differ by up to about 270 KiB from run to
/// run (a fresh-clone CI once saw 11,399,168 against 11,124,736 bytes), while holding the
/// one-line document (7.9 MB here) or a line of it whole would add several MB.
#[test]
fn check_of_a_one_line_answer_at_the_pretty_ones_memory() {
    check_one_line_job(36, 1024 * 1024);
}

/// A network in `inputs` dimensions (at least 20) on the box `[-1, 1]^inputs`: a first layer of
/// `12 inputs` sparse neurons (three nonzero weights each, as a convolution's), six of them
/// crossing the box and the others stable on it, two relu layers of four after it; its `2^6`
/// regions each have a facet on every side of the box, so the answer lists `2 inputs + 6` facet
/// points of `inputs` coordinates a region (as the conv nets' answers do).
pub(crate) fn wide(inputs: usize) -> Network {
    let mut seed: u64 = 7;
    let mut draw = || {
        seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        ((seed >> 33) % 9) as i64 - 4
    };
    let hidden = 12 * inputs;
    let (mut first, mut bias) = (Vec::new(), Vec::new());
    for i in 0..hidden {
        let mut row = vec!["0".to_string(); inputs];
        for j in 0..3 {
            row[(i * 7 + j * 13) % inputs] = match draw() {
                0 => "1".into(),
                w => w.to_string(),
            };
        }
        first.push(format!("[{}]", row.iter().map(|w| format!("\"{w}\"")).collect::<Vec<_>>().join(", ")));
        let b = draw();
        bias.push(if i < 6 {
            b.to_string()
        } else if i % 2 == 1 {
            "40".into()
        } else {
            "-40".into()
        });
    }
    let second: Vec<String> = (0..4)
        .map(|_| format!("[{}]", (0..hidden).map(|_| draw().to_string()).collect::<Vec<_>>().join(", ")))
        .collect();
    Network::from_json(&format!(
        r#"{{"input_dim": {inputs}, "layers": [
            {{"weights": [{}], "bias": [{}], "activation": "relu"}},
            {{"weights": [{}], "activation": "relu"}},
            {{"weights": [["1", "-2", "3", "1"]], "activation": "linear"}}],
            "domain": {{"box": [{}]}}}}"#,
        first.join(", "),
        bias.iter().map(|b| format!("\"{b}\"")).collect::<Vec<_>>().join(", "),
        second.join(", "),
        vec![r#"["-1", "1"]"#; inputs].join(", ")
    ))
    .unwrap()
}

/// `check` of the answer of [`wide`] against `count` with the graph, each in a fresh process:
/// within twice `count`'s peak plus one region of the answer (its bytes over its regions).
fn check_wide_job(inputs: usize) {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let Some((counted, _, count)) = peak_of("count_wide", inputs) else { return };
    let path = scratch(&format!("wide-{inputs}.json"));
    write_answer(&wide(inputs), &path);
    let checked = peak_of_on("check_wide", inputs, Some(&path));
    std::fs::remove_file(&path).unwrap();
    let (regions, bytes, peak) = checked.unwrap();
    let region = bytes / counted;
    eprintln!(
        "{inputs} inputs, {counted} regions: count {count} bytes, check {peak}, an answer of {bytes} bytes"
    );
    assert_eq!(regions, counted, "every region checked");
    assert!(counted >= 32 && region > 100 * inputs, "regions with a facet point on every side");
    assert!(peak <= 2 * count + region, "check held {peak} bytes, count {count}, a region {region}");
}

/// `check` in 120 dimensions with a sparse first layer of 1,440 neurons at the memory of
/// `count`, run by default.
#[test]
fn check_in_high_dimension_at_counting_memory() {
    check_wide_job(120);
}
