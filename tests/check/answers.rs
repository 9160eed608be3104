//! Issue 11: `check` proves the whole answer. It passes on every correct output, and fails on
//! each kind of damage: a deleted or duplicated region, a flipped `bounded`, a point forged onto
//! a boundary, a forged or missing facet, an edge added or removed, a partial file; and it
//! refuses (exit 2, one line, before any work) an output of another network, domain or coords.
//! The forgeries of a later report are in `checker_forgeries`, the generic test of every field
//! in `checker_fields`.

use crate::cli::fixtures::run_cli;
use crate::support::fixture;
use serde_json::Value;
use std::path::{Path, PathBuf};

/// A scratch folder for one test.
pub(crate) fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("rr-checker-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// `regions --json` and `graph --format json` of a network (with extra arguments).
pub(crate) fn outputs(net: &Path, args: &[&str]) -> (Value, Value) {
    let net = net.to_str().unwrap();
    let regions = run_cli(&[&["regions", net, "--json"], args].concat());
    let graph = run_cli(&[&["graph", net, "--format", "json"], args].concat());
    assert!(regions.status.success() && graph.status.success());
    (serde_json::from_slice(&regions.stdout).unwrap(), serde_json::from_slice(&graph.stdout).unwrap())
}

/// Runs `check` on the two documents; returns the exit code and stdout.
pub(crate) fn check(
    dir: &Path,
    net: &Path,
    regions: &Value,
    graph: Option<&Value>,
    args: &[&str],
) -> (i32, String) {
    let r = dir.join("regions.json");
    std::fs::write(&r, serde_json::to_vec(regions).unwrap()).unwrap();
    let mut cmd = vec!["check", net.to_str().unwrap(), r.to_str().unwrap()];
    let g = dir.join("graph.json");
    if let Some(graph) = graph {
        std::fs::write(&g, serde_json::to_vec(graph).unwrap()).unwrap();
        cmd.extend(["--graph", g.to_str().unwrap()]);
    }
    cmd.extend(args);
    let out = run_cli(&cmd);
    (
        out.status.code().unwrap(),
        format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr)),
    )
}

#[test]
fn every_correct_output_passes_with_its_graph() {
    let dir = scratch("pass");
    // (network, options of the run, whether they are domain options that `check` needs too)
    let cases: Vec<(&str, Vec<&str>, bool)> = vec![
        ("seed.json", vec![], false),
        ("seed.json", vec!["--box", "-1:2,-3:1/3"], true),
        ("deep2d.json", vec![], false),
        ("nnet/fc_2-2-3.nnet", vec![], false),
        ("issue-11/underflowing-box.json", vec![], false),
        ("issue-11/subnormal-neighbour.json", vec![], false),
        ("issue-11/subnormal-polytope.json", vec![], false),
        ("issue-11/underflowing-box.json", vec!["--lp", "exact"], false),
    ];
    for (name, args, domain) in cases {
        let net = fixture(name);
        let (regions, graph) = outputs(&net, &args);
        let check_args: &[&str] = if domain { &args } else { &[] };
        let (code, text) = check(&dir, &net, &regions, Some(&graph), check_args);
        assert_eq!(code, 0, "{name} {args:?}: {text}");
        assert!(text.contains("every check holds on the whole answer"), "{text}");
    }
    let _ = std::fs::remove_dir_all(dir);
}

/// Damages the seed's answer one way at a time; each must fail with exit 1.
#[test]
fn every_kind_of_damage_fails() {
    let dir = scratch("damage");
    let net = fixture("deep2d.json");
    let (regions, graph) = outputs(&net, &[]);
    let n = regions["regions"].as_array().unwrap().len();
    assert!(n > 10);
    type Damage = Box<dyn Fn(&mut Value, &mut Value)>;
    let damages: Vec<(&str, Damage)> = vec![
        (
            "deleted region",
            Box::new(|r, _| {
                r["regions"].as_array_mut().unwrap().remove(5);
            }),
        ),
        (
            "deleted last region",
            Box::new(|r, _| {
                r["regions"].as_array_mut().unwrap().pop();
            }),
        ),
        (
            "duplicated region",
            Box::new(|r, _| {
                let copy = r["regions"][3].clone();
                r["regions"].as_array_mut().unwrap().insert(4, copy);
            }),
        ),
        (
            "flipped bounded",
            Box::new(|r, _| {
                let b = r["regions"][0]["bounded"].as_bool().unwrap();
                r["regions"][0]["bounded"] = Value::Bool(!b);
            }),
        ),
        (
            "point on a boundary",
            Box::new(|r, _| {
                let q = r["regions"][2]["inequalities"][0]["facet_point"].clone();
                r["regions"][2]["point"] = q;
            }),
        ),
        (
            "forged facet point",
            Box::new(|r, _| {
                let p = r["regions"][1]["point"].clone();
                r["regions"][1]["inequalities"][0]["facet_point"] = p;
            }),
        ),
        (
            "missing facet",
            Box::new(|r, _| {
                r["regions"][4]["inequalities"].as_array_mut().unwrap().remove(0);
            }),
        ),
        (
            "edge removed",
            Box::new(|_, g| {
                g["edges"].as_array_mut().unwrap().remove(0);
            }),
        ),
        (
            "edge added",
            Box::new(|_, g| {
                let n = g["nodes"].as_array().unwrap().len() as u64;
                let mut far = g["edges"][0].clone();
                far["source"] = 0.into();
                far["target"] = (n - 1).into();
                g["edges"].as_array_mut().unwrap().push(far);
            }),
        ),
        (
            "pieces count",
            Box::new(|_, g| {
                let p = g["pieces"].as_u64().unwrap();
                g["pieces"] = (p + 1).into();
            }),
        ),
        ("partial file", Box::new(|r, _| r["complete"] = Value::Bool(false))),
    ];
    for (what, damage) in damages {
        let (mut r, mut g) = (regions.clone(), graph.clone());
        damage(&mut r, &mut g);
        let (code, text) = check(&dir, &net, &r, Some(&g), &[]);
        assert_eq!(code, 1, "{what} was not caught: {text}");
        assert!(text.contains("CHECK FAILED"), "{what}: {text}");
    }
    // a partial answer is accepted with --partial (its regions are still checked)
    let mut partial = regions.clone();
    partial["complete"] = Value::Bool(false);
    partial["regions"].as_array_mut().unwrap().truncate(3);
    assert_eq!(check(&dir, &net, &partial, None, &["--partial"]).0, 0);
    partial["regions"][0]["bounded"] = Value::Bool(!partial["regions"][0]["bounded"].as_bool().unwrap());
    assert_eq!(check(&dir, &net, &partial, None, &["--partial"]).0, 1);
    let _ = std::fs::remove_dir_all(dir);
}

/// An output made with another domain, coords or network is refused in one line, exit 2.
#[test]
fn foreign_outputs_are_refused_before_any_work() {
    let dir = scratch("foreign");
    let seed = fixture("seed.json");
    let (regions, _) = outputs(&seed, &[]);
    let (code, text) = check(&dir, &seed, &regions, None, &["--box", "-1:1,-1:1"]);
    assert_eq!(code, 2, "{text}");
    assert_eq!(text.lines().count(), 1, "{text}");
    assert!(text.contains("domain"), "{text}");
    let (code, text) = check(&dir, &fixture("deep2d.json"), &regions, None, &[]);
    assert_eq!(code, 2, "{text}");
    assert!(text.contains("another network"), "{text}");
    let tiny = fixture("nnet/fc_2-2-3.nnet");
    let (tiny_regions, _) = outputs(&tiny, &[]);
    let (code, text) = check(&dir, &tiny, &tiny_regions, None, &["--coords", "normalized"]);
    assert_eq!(code, 2, "{text}");
    assert!(text.contains("--coords"), "{text}");
    let _ = std::fs::remove_dir_all(dir);
}

/// `|x|` as a neuron of the second layer, `relu(relu(x) + relu(-x))`: its constraint is tight on
/// the facets on `x = 0` (it vanishes there) but it keeps its state across them. Every
/// inequality names it with the two neurons that do change state (the labels are every
/// constraint tight on the facet), and a sharded run, whose merge reads those labels back,
/// still finds every neighbour and prints what one machine prints.
#[test]
fn a_neuron_tight_on_a_facet_without_changing_state_is_labelled_and_merges_still_work() {
    let dir = scratch("v-neuron");
    let net = dir.join("v.json");
    std::fs::write(
        &net,
        r#"{"input_dim": 2, "layers": [
          {"weights": [[1, 0], [-1, 0], [0, 1]], "bias": [0, 0, "-1/2"], "activation": "relu"},
          {"weights": [[1, 1, 0], [1, -1, 1]], "bias": [0, "-1/3"], "activation": "relu"},
          {"weights": [[1, 2]], "activation": "linear"}],
         "domain": {"box": [["-1", "1"], ["-1", "1"]]}}"#,
    )
    .unwrap();
    let (regions, graph) = outputs(&net, &[]);
    let on_x_zero: Vec<&Value> = regions["regions"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|r| r["inequalities"].as_array().unwrap())
        .filter(|i| i["a"][1] == "0" && i["b"] == "0")
        .collect();
    assert_eq!(on_x_zero.len(), 6, "six regions touch x = 0");
    for i in on_x_zero {
        let names: Vec<(u64, u64)> = i["neurons"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| (n["layer"].as_u64().unwrap(), n["index"].as_u64().unwrap()))
            .collect();
        assert_eq!(names, [(0, 0), (0, 1), (1, 0)], "{i}");
    }
    // the edges across x = 0 name the neurons whose state changes: not the |x| neuron
    let neurons = |e: &Value| -> Vec<(u64, u64)> {
        e["neurons"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| (n["layer"].as_u64().unwrap(), n["index"].as_u64().unwrap()))
            .collect()
    };
    let across: Vec<&Value> =
        graph["edges"].as_array().unwrap().iter().filter(|e| neurons(e).contains(&(0, 0))).collect();
    assert_eq!(across.len(), 3);
    assert!(across.iter().all(|e| neurons(e) == [(0, 0), (0, 1)]), "{across:?}");
    let (code, text) = check(&dir, &net, &regions, Some(&graph), &[]);
    assert_eq!(code, 0, "{text}");
    // three shards, merged: the same graph as one machine's
    let s = |p: &Path| p.to_str().unwrap().to_string();
    let plan = dir.join("plan.json");
    assert!(run_cli(&["shard", "plan", &s(&net), "--shards", "3", "-o", &s(&plan)]).status.success());
    let mut merge = vec!["merge".to_string(), s(&plan)];
    for i in 0..3 {
        let part = dir.join(format!("part-{i}.jsonl"));
        let index = i.to_string();
        assert!(run_cli(&["shard", "run", &s(&plan), "--index", &index, "-o", &s(&part)]).status.success());
        merge.push(s(&part));
    }
    merge.extend(["--output".into(), "graph".into()]);
    let args: Vec<&str> = merge.iter().map(String::as_str).collect();
    let merged = run_cli(&args);
    assert!(merged.status.success(), "{}", String::from_utf8_lossy(&merged.stderr));
    assert_eq!(serde_json::from_slice::<Value>(&merged.stdout).unwrap(), graph);
    let _ = std::fs::remove_dir_all(dir);
}
