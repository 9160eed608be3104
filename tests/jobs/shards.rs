//! Sharded runs: the merge of the parts prints what one machine prints, byte for byte, for every
//! shard count and thread count; bad parts are refused by name.

use crate::cli::fixtures::run_cli;
use crate::enumerate::invariants::{random_net, Rng};
use crate::support::fixture;
use proptest::prelude::*;
use relu_regions::analysis::analyze;
use relu_regions::exact::num::q;
use relu_regions::export::json::{graph_json, regions_document};
use relu_regions::export::provenance::Provenance;
use relu_regions::jobs::shard::{merge, plan_hash, run_shard, Merged, Plan, ShardError};
use relu_regions::network::nnet::Coords;
use relu_regions::network::{Domain, InputFormat, Network};
use relu_regions::Enumerator;
use std::path::{Path, PathBuf};
use std::process::Output;

fn ok(out: Output, what: &str) -> Vec<u8> {
    assert!(out.status.success(), "{what}: {}", String::from_utf8_lossy(&out.stderr));
    out.stdout
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// Plans `shards` shards of `net` (with `extra` domain options), runs each with `threads`,
/// and returns the plan and the parts.
fn sharded(dir: &Path, net: &str, extra: &[&str], shards: usize, threads: &str) -> (PathBuf, Vec<PathBuf>) {
    let plan = dir.join("plan.json");
    let k = shards.to_string();
    let mut args = vec!["shard", "plan", net, "--shards", &k, "-o", s(&plan)];
    args.extend_from_slice(extra);
    ok(run_cli(&args), "plan");
    let parts: Vec<PathBuf> = (0..shards)
        .map(|i| {
            let part = dir.join(format!("part-{i}.jsonl"));
            let index = i.to_string();
            ok(
                run_cli(&["shard", "run", s(&plan), "--index", &index, "-o", s(&part), "--threads", threads]),
                "run",
            );
            part
        })
        .collect();
    (plan, parts)
}

fn merged(plan: &Path, parts: &[PathBuf], output: &[&str]) -> Output {
    let mut args = vec!["merge", s(plan)];
    args.extend(parts.iter().map(|p| s(p)));
    args.extend_from_slice(output);
    run_cli(&args)
}

fn assert_same_as_one_machine(name: &str, extra: &[&str], shards: usize, threads: &str) {
    let dir = tempdir(&format!("{}-{shards}-{threads}", name.replace('/', "-")));
    let net = fixture(name);
    let (plan, parts) = sharded(&dir, s(&net), extra, shards, threads);
    for (merge_args, single) in [
        (vec!["--output", "count"], vec!["count", "--json"]),
        (vec!["--output", "regions"], vec!["regions", "--json"]),
        (vec!["--output", "graph"], vec!["graph", "--format", "json"]),
        (vec!["--output", "graph", "--format", "dot"], vec!["graph", "--format", "dot"]),
    ] {
        let mut args = vec![single[0], s(&net)];
        args.extend_from_slice(&single[1..]);
        args.extend_from_slice(extra);
        let one = ok(run_cli(&args), "single");
        let many = ok(merged(&plan, &parts, &merge_args), "merge");
        assert!(one == many, "{name} {extra:?}, {shards} shards, {merge_args:?}: the merge differs");
    }
}

fn tempdir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("relu-regions-shards-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn merges_print_what_one_machine_prints() {
    assert_same_as_one_machine("bench/net-2-16-16.json", &[], 4, "1");
    assert_same_as_one_machine("deep2d.json", &[], 3, "2");
    assert_same_as_one_machine("bench/torch32-2-16-16.json", &[], 5, "1"); // all of R^2
    assert_same_as_one_machine("bench/generic-12-4.json", &["--box", "-1:1,-1:1,-1:1,-1:1"], 7, "2");
    assert_same_as_one_machine("seed.json", &["--box", "-1:1,-1:1"], 16, "1"); // shards left empty
}

#[test]
fn a_shard_run_twice_or_on_more_threads_gives_the_same_bytes() {
    let dir = tempdir("rerun");
    let net = fixture("bench/net-2-16-16.json");
    let (plan, parts) = sharded(&dir, s(&net), &[], 3, "1");
    let again = dir.join("again.jsonl");
    for threads in ["1", "2", "3"] {
        ok(
            run_cli(&["shard", "run", s(&plan), "--index", "1", "-o", s(&again), "--threads", threads]),
            "rerun",
        );
        assert_eq!(std::fs::read(&again).unwrap(), std::fs::read(&parts[1]).unwrap(), "threads {threads}");
    }
    // the index from a scheduler's environment, and {index} in the output name
    for var in ["SLURM_ARRAY_TASK_ID", "JOB_COMPLETION_INDEX"] {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_relu-regions"))
            .args(["shard", "run", s(&plan), "-o", s(&dir.join("env-{index}.jsonl"))])
            .env(var, "2")
            .output()
            .unwrap();
        ok(out, var);
        assert_eq!(std::fs::read(dir.join("env-2.jsonl")).unwrap(), std::fs::read(&parts[2]).unwrap());
    }
    // no temporary file is left behind
    let leftovers = std::fs::read_dir(&dir)
        .unwrap()
        .filter(|e| e.as_ref().unwrap().file_name().to_string_lossy().contains(".tmp."))
        .count();
    assert_eq!(leftovers, 0);
}

#[test]
fn bad_parts_are_refused_by_name() {
    let dir = tempdir("bad");
    let net = fixture("bench/net-2-16-16.json");
    let (plan, parts) = sharded(&dir, s(&net), &[], 3, "1");
    let refused = |parts: &[PathBuf], needle: &str| {
        let out = merged(&plan, parts, &[]);
        assert_eq!(out.status.code(), Some(2), "{needle}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(needle), "wanted {needle:?} in {err}");
    };
    refused(&parts[..2], "missing part(s) for shard(s) 2");
    refused(
        &[parts[0].clone(), parts[1].clone(), parts[2].clone(), parts[1].clone()],
        "shard 1 is given twice",
    );
    // a part of another plan (the seed's)
    let other_dir = tempdir("bad-other");
    let (_, other_parts) = sharded(&other_dir, s(&fixture("seed.json")), &[], 3, "1");
    refused(&[parts[0].clone(), other_parts[1].clone(), parts[2].clone()], "belongs to another plan");
    // a part cut short (a crashed writer that bypassed the atomic rename)
    let text = std::fs::read_to_string(&parts[2]).unwrap();
    let cut = dir.join("cut.jsonl");
    std::fs::write(&cut, &text[..text.len() / 2]).unwrap();
    refused(&[parts[0].clone(), parts[1].clone(), cut.clone()], "cut.jsonl");
    // a shard stopped by its time limit: written, marked partial, exit 3, refused by the merge
    let partial = dir.join("partial.jsonl");
    let out = run_cli(&["shard", "run", s(&plan), "--index", "2", "-o", s(&partial), "--time-limit", "0"]);
    assert_eq!(out.status.code(), Some(3));
    refused(&[parts[0].clone(), parts[1].clone(), partial], "shard 2 is partial");
    // counts-only parts merge to `count --no-graph` and cannot give regions
    let counts: Vec<PathBuf> = (0..3)
        .map(|i| {
            let p = dir.join(format!("counts-{i}.jsonl"));
            let index = i.to_string();
            ok(
                run_cli(&["shard", "run", s(&plan), "--index", &index, "-o", s(&p), "--counts-only"]),
                "counts",
            );
            p
        })
        .collect();
    let single = ok(run_cli(&["count", s(&net), "--json", "--no-graph"]), "single");
    assert!(ok(merged(&plan, &counts, &[]), "merge counts") == single);
    let out = merged(&plan, &counts, &["--output", "regions"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("holds counts only"));
    // a plan index out of range, and no index at all
    let out = run_cli(&["shard", "run", s(&plan), "--index", "3", "-o", s(&dir.join("x"))]);
    assert_eq!(out.status.code(), Some(2));
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_relu-regions"))
        .args(["shard", "run", s(&plan), "-o", s(&dir.join("x"))])
        .env_remove("SLURM_ARRAY_TASK_ID")
        .env_remove("JOB_COMPLETION_INDEX")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

/// The library path on random networks: plan, shards in memory, merge, against one machine.
fn library_roundtrip(net: &Network, shards: usize) -> Result<(), TestCaseError> {
    let one = analyze(net, &Enumerator::builder().build()).unwrap();
    let provenance = Provenance::new(b"random", InputFormat::Json, Coords::Raw, net.domain());
    let plan =
        Plan::new(net, &Enumerator::builder().threads(2).build(), provenance.clone(), shards, 4, 2).unwrap();
    // the shards cut the frontier into contiguous ranges, none empty while items last
    prop_assert_eq!(plan.shards.first().unwrap().items[0], 0);
    prop_assert_eq!(plan.shards.last().unwrap().items[1], plan.items);
    for pair in plan.shards.windows(2) {
        prop_assert_eq!(pair[0].items[1], pair[1].items[0]);
    }
    if plan.items >= shards {
        prop_assert!(
            plan.shards.iter().all(|s| s.items[1] > s.items[0]),
            "an empty shard: {:?}",
            plan.shards
        );
    }
    let text = serde_json::to_string(&plan).unwrap();
    let sha = plan_hash(text.as_bytes());
    let mut parts: Vec<(String, Box<dyn std::io::BufRead>)> = Vec::new();
    // the parts in reverse order: the merge orders them by the plan
    for i in (0..shards).rev() {
        let mut bytes = Vec::new();
        run_shard(&plan, &sha, i, Enumerator::builder().build(), false, &mut bytes).unwrap();
        parts.push((format!("part {i}"), Box::new(std::io::Cursor::new(bytes))));
    }
    let Merged::Analysis(a) = merge(&plan, &sha, parts, true, 2).unwrap() else {
        panic!("regions were written")
    };
    prop_assert_eq!(
        graph_json(a.regions(), a.graph(), true, Some(&provenance)),
        graph_json(one.regions(), one.graph(), true, Some(&provenance))
    );
    prop_assert_eq!(regions_document(net, &a, None), regions_document(net, &one, None));
    prop_assert_eq!(a.summary().stats().lps, one.summary().stats().lps);
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(12))]
    #[test]
    fn random_networks_merge_to_the_single_answer(seed in 0u64..10_000, dim in 1usize..4, shards in 1usize..6, whole in any::<bool>()) {
        let mut rng = Rng::new(seed);
        let domain = if whole { Domain::Whole } else { Domain::Box((0..dim).map(|_| (q(-2), q(2))).collect()) };
        let net = random_net(&mut rng, dim, &[4, 3], domain);
        library_roundtrip(&net, shards)?;
    }
}

#[test]
fn a_foreign_plan_hash_is_refused_in_the_library() {
    let net = crate::support::net(
        r#"{"input_dim": 2, "layers": [{"weights": [["1", "-1"], ["1", "1"]], "activation": "relu"},
        {"weights": [["1", "2"]], "activation": "linear"}]}"#,
    );
    let provenance = Provenance::new(b"seed", InputFormat::Json, Coords::Raw, net.domain());
    let plan = Plan::new(&net, &Enumerator::builder().build(), provenance, 2, 2, 1).unwrap();
    let mut bytes = Vec::new();
    run_shard(&plan, "aaaa", 0, Enumerator::builder().build(), false, &mut bytes).unwrap();
    let parts: Vec<(String, Box<dyn std::io::BufRead>)> =
        vec![("p0".into(), Box::new(std::io::Cursor::new(bytes)))];
    assert!(matches!(merge(&plan, "bbbb", parts, true, 1), Err(ShardError::Foreign { .. })));
}

#[test]
fn the_slurm_array_script_runs_a_shard() {
    let dir = tempdir("slurm");
    let net = fixture("deep2d.json");
    let (plan, parts) = sharded(&dir, s(&net), &[], 3, "1");
    let bin_dir = Path::new(env!("CARGO_BIN_EXE_relu-regions")).parent().unwrap().to_path_buf();
    let path = format!("{}:{}", bin_dir.display(), std::env::var("PATH").unwrap_or_default());
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("deploy/slurm-array.sh");
    let out_dir = dir.join("slurm-parts");
    let out = std::process::Command::new("bash")
        .arg(&script)
        .args([s(&plan), s(&out_dir)])
        .env("PATH", path)
        .env("SLURM_ARRAY_TASK_ID", "1")
        .env("SLURM_CPUS_PER_TASK", "2")
        .output()
        .unwrap();
    ok(out, "slurm-array.sh");
    assert_eq!(std::fs::read(out_dir.join("part-1.jsonl")).unwrap(), std::fs::read(&parts[1]).unwrap());
}
