//! The forgeries of a report on `check`, each refused (exit 1): a complete answer of
//! uncertified regions, deleted box faces, any node or edge field of the graph, any label of an
//! inequality, an unknown field; a document that cannot be read is refused with exit 2, a
//! `regions --jsonl` stream is checked like its document, and `--sizes` are proved.

use crate::check::answers::{check, outputs, scratch};
use crate::cli::fixtures::run_cli;
use crate::support::fixture;
use serde_json::Value;

/// The forged answer of the report: one region of the seed's four, in a document that says it
/// is complete, every region flagged `facets_uncertified` (so no facet of it is listed, and none
/// leads to a missing neighbour), with a one-node graph. Uncertified facets belong to partial
/// answers only.
#[test]
fn a_complete_answer_with_uncertified_facets_fails() {
    let dir = scratch("uncertified");
    let net = fixture("seed.json");
    let (regions, graph) = outputs(&net, &[]);
    assert_eq!(regions["regions"].as_array().unwrap().len(), 4);
    let mut forged = regions.clone();
    forged["regions"].as_array_mut().unwrap().truncate(1);
    forged["regions"][0]["facets_uncertified"] = Value::Bool(true);
    forged["regions"][0]["inequalities"] = serde_json::json!([]);
    let mut one_node = graph.clone();
    one_node["nodes"].as_array_mut().unwrap().truncate(1);
    one_node["edges"] = serde_json::json!([]);
    one_node["pieces"] = 1.into();
    let (code, text) = check(&dir, &net, &forged, Some(&one_node), &[]);
    assert_eq!(code, 1, "{text}");
    assert!(text.contains("uncertified"), "{text}");
    assert_eq!(check(&dir, &net, &forged, None, &[]).0, 1);
    // nor with --partial while the document still says it is complete
    assert_eq!(check(&dir, &net, &forged, None, &["--partial"]).0, 1);
    // as a partial answer, the flag is allowed (its regions are all that is checked) ...
    forged["complete"] = Value::Bool(false);
    let (code, text) = check(&dir, &net, &forged, None, &["--partial"]);
    assert_eq!(code, 0, "{text}");
    // ... but not with inequalities listed (they would go unchecked), nor other than `true`
    let mut listed = forged.clone();
    listed["regions"][0]["inequalities"] = regions["regions"][0]["inequalities"].clone();
    assert_eq!(check(&dir, &net, &listed, None, &["--partial"]).0, 1);
    let mut odd = forged.clone();
    odd["regions"][0]["facets_uncertified"] = "yes".into();
    assert_eq!(check(&dir, &net, &odd, None, &["--partial"]).0, 1);
    // a graph is no part of a partial check: refused before any work
    let (code, text) = check(&dir, &net, &forged, Some(&one_node), &["--partial"]);
    assert_eq!(code, 2, "{text}");
    let _ = std::fs::remove_dir_all(dir);
}

/// On a box, the regions' box faces are facets too: deleting them (all of them, or one) fails,
/// although every neuron's constraint is still implied by the listed rows and the box.
#[test]
fn deleted_box_faces_fail() {
    let dir = scratch("box-faces");
    let net = fixture("seed.json");
    let args = ["--box", "-1:2,-3:1/3"];
    let (regions, _) = outputs(&net, &args);
    let is_face = |i: &Value| i.get("domain_rows").is_some();
    let mut none = regions.clone();
    for r in none["regions"].as_array_mut().unwrap() {
        r["inequalities"].as_array_mut().unwrap().retain(|i| !is_face(i));
    }
    let (code, text) = check(&dir, &net, &none, None, &args);
    assert_eq!(code, 1, "{text}");
    assert!(text.contains("domain row"), "{text}");
    let n = regions["regions"].as_array().unwrap().len();
    for i in 0..n {
        let faces =
            regions["regions"][i]["inequalities"].as_array().unwrap().iter().filter(|q| is_face(q)).count();
        for k in 0..faces {
            let mut one = regions.clone();
            let list = one["regions"][i]["inequalities"].as_array_mut().unwrap();
            let at = list.iter().enumerate().filter(|(_, q)| is_face(q)).nth(k).unwrap().0;
            list.remove(at);
            assert_eq!(check(&dir, &net, &one, None, &args).0, 1, "region {i}, face {k}");
        }
    }
    let _ = std::fs::remove_dir_all(dir);
}

/// Each field of a node and of an edge, damaged alone, fails; so does `pieces`, `complete`,
/// and an edge list out of order.
#[test]
fn every_graph_field_is_checked() {
    let dir = scratch("graph-fields");
    let net = fixture("deep2d.json");
    let (regions, graph) = outputs(&net, &[]);
    type Damage = Box<dyn Fn(&mut Value)>;
    let shift = |v: &mut Value| *v = format!("{}1", v.as_str().unwrap().trim_end_matches('0')).into();
    let damages: Vec<(&str, Damage)> = vec![
        ("node id", Box::new(|g| g["nodes"][2]["id"] = 3.into())),
        ("node pattern", Box::new(|g| g["nodes"][2]["pattern"] = g["nodes"][3]["pattern"].clone())),
        ("node piece", Box::new(|g| g["nodes"][2]["piece"] = 40.into())),
        (
            "node bounded",
            Box::new(|g| g["nodes"][2]["bounded"] = (!g["nodes"][2]["bounded"].as_bool().unwrap()).into()),
        ),
        ("node jacobian", Box::new(move |g| shift(&mut g["nodes"][2]["jacobian"][0][1]))),
        ("node offset", Box::new(move |g| shift(&mut g["nodes"][2]["offset"][0]))),
        ("node point", Box::new(move |g| shift(&mut g["nodes"][2]["point"][0]))),
        ("node point_f64", Box::new(|g| g["nodes"][2]["point_f64"][0] = 12.5.into())),
        ("node jacobian_f64", Box::new(|g| g["nodes"][2]["jacobian_f64"][0][0] = 12.5.into())),
        ("node offset_f64", Box::new(|g| g["nodes"][2]["offset_f64"][0] = 12.5.into())),
        ("node extra field", Box::new(|g| g["nodes"][2]["colour"] = "red".into())),
        ("edge neurons", Box::new(|g| g["edges"][1]["neurons"][0]["index"] = 7.into())),
        (
            "edge neuron added",
            Box::new(|g| {
                let more = serde_json::json!({"layer": 2, "index": 0});
                g["edges"][1]["neurons"].as_array_mut().unwrap().push(more);
            }),
        ),
        (
            "edge same_map",
            Box::new(|g| g["edges"][1]["same_map"] = (!g["edges"][1]["same_map"].as_bool().unwrap()).into()),
        ),
        (
            "edge point",
            Box::new(|g| {
                g["edges"][1]["point"] =
                    g["nodes"][g["edges"][1]["source"].as_u64().unwrap() as usize]["point"].clone()
            }),
        ),
        (
            "edge reversed",
            Box::new(|g| {
                let (s, t) = (g["edges"][1]["source"].clone(), g["edges"][1]["target"].clone());
                g["edges"][1]["source"] = t;
                g["edges"][1]["target"] = s;
            }),
        ),
        ("edges out of order", Box::new(|g| g["edges"].as_array_mut().unwrap().swap(0, 1))),
        ("pieces", Box::new(|g| g["pieces"] = (g["pieces"].as_u64().unwrap() + 1).into())),
        ("complete", Box::new(|g| g["complete"] = false.into())),
    ];
    assert_eq!(check(&dir, &net, &regions, Some(&graph), &[]).0, 0);
    for (what, damage) in damages {
        let mut g = graph.clone();
        damage(&mut g);
        assert_ne!(g, graph, "{what} changed nothing");
        let (code, text) = check(&dir, &net, &regions, Some(&g), &[]);
        assert_eq!(code, 1, "{what} was not caught: {text}");
    }
    let _ = std::fs::remove_dir_all(dir);
}

/// An inequality's labels name exactly the neurons and domain rows tight on its facet: one
/// changed, left out or added fails, in either list; their order is free.
#[test]
fn every_label_is_checked() {
    let dir = scratch("labels");
    let net = fixture("seed.json");
    let args = ["--box", "-1:1,-1:1"];
    let (regions, _) = outputs(&net, &args);
    // region 0's inequalities: a box face (domain row 0), then the two neurons' hyperplanes
    let face = |r: &Value| r["regions"][0]["inequalities"][0].clone();
    assert_eq!(face(&regions)["domain_rows"], serde_json::json!([0]));
    let neuron = |r: &Value| r["regions"][0]["inequalities"][1].clone();
    assert_eq!(neuron(&regions)["neurons"], serde_json::json!([{"layer": 0, "index": 0}]));
    type Damage = Box<dyn Fn(&mut Value)>;
    let damages: Vec<(&str, Damage)> = vec![
        ("neuron changed", Box::new(|i| i["neurons"][0]["index"] = 1.into())),
        ("neuron of another layer", Box::new(|i| i["neurons"][0]["layer"] = 1.into())),
        (
            "neurons left out",
            Box::new(|i| {
                i.as_object_mut().unwrap().remove("neurons");
            }),
        ),
        (
            "neuron added",
            Box::new(|i| {
                i["neurons"].as_array_mut().unwrap().push(serde_json::json!({"layer": 0, "index": 1}))
            }),
        ),
        (
            "neuron twice",
            Box::new(|i| {
                let first = i["neurons"][0].clone();
                i["neurons"].as_array_mut().unwrap().push(first);
            }),
        ),
        ("domain row added", Box::new(|i| i["domain_rows"] = serde_json::json!([2]))),
        ("label with another field", Box::new(|i| i["neurons"][0]["weight"] = 1.into())),
    ];
    for (what, damage) in damages {
        let mut r = regions.clone();
        damage(&mut r["regions"][0]["inequalities"][1]);
        let (code, text) = check(&dir, &net, &r, None, &args);
        assert_eq!(code, 1, "{what} was not caught: {text}");
    }
    let face_damages: Vec<(&str, Damage)> = vec![
        ("domain row changed", Box::new(|i| i["domain_rows"] = serde_json::json!([1]))),
        (
            "domain rows left out",
            Box::new(|i| {
                i.as_object_mut().unwrap().remove("domain_rows");
            }),
        ),
        ("domain row twice", Box::new(|i| i["domain_rows"] = serde_json::json!([0, 0]))),
        (
            "neuron added to a face",
            Box::new(|i| i["neurons"] = serde_json::json!([{"layer": 0, "index": 0}])),
        ),
    ];
    for (what, damage) in face_damages {
        let mut r = regions.clone();
        damage(&mut r["regions"][0]["inequalities"][0]);
        let (code, text) = check(&dir, &net, &r, None, &args);
        assert_eq!(code, 1, "{what} was not caught: {text}");
    }
    // the order of the labels and of the inequalities is not meaningful
    let mut permuted = regions.clone();
    permuted["regions"][0]["inequalities"].as_array_mut().unwrap().reverse();
    assert_eq!(check(&dir, &net, &permuted, None, &args).0, 0);
    let _ = std::fs::remove_dir_all(dir);
}

/// Documents that cannot be read (not JSON) are refused with exit 2, a field the format does
/// not have fails with exit 1.
#[test]
fn unreadable_documents_and_unknown_fields() {
    let dir = scratch("unreadable");
    let net = fixture("seed.json");
    let (regions, _) = outputs(&net, &[]);
    let path = dir.join("cut.json");
    let text = serde_json::to_string(&regions).unwrap();
    std::fs::write(&path, &text[..text.len() / 2]).unwrap();
    let out = run_cli(&["check", net.to_str().unwrap(), path.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let mut extra = regions.clone();
    extra["regions"][1]["note"] = "an unchecked claim".into();
    assert_eq!(check(&dir, &net, &extra, None, &[]).0, 1);
    let mut extra = regions.clone();
    extra["regions_total"] = 17.into();
    assert_eq!(check(&dir, &net, &extra, None, &[]).0, 1);
    let mut dim = regions.clone();
    dim["input_dim"] = 3.into();
    assert_eq!(check(&dir, &net, &dim, None, &[]).0, 1);
    // the provenance: the tool's name is informational, every other field is compared, and
    // none may be unknown (refused before any work)
    let mut tool = regions.clone();
    tool["provenance"]["tool"] = "another tool 9".into();
    assert_eq!(check(&dir, &net, &tool, None, &[]).0, 0);
    let mut notes = regions.clone();
    notes["provenance"]["notes"] = serde_json::json!(["an approximation that was not made"]);
    assert_eq!(check(&dir, &net, &notes, None, &[]).0, 2);
    let mut unknown = regions.clone();
    unknown["provenance"]["verified_by"] = "someone".into();
    assert_eq!(check(&dir, &net, &unknown, None, &[]).0, 2);
    let _ = std::fs::remove_dir_all(dir);
}

/// A `regions --jsonl` stream is checked as the document it stands for: it passes with its
/// graph, a damaged line fails, and a stream cut short or whose summary miscounts is refused.
#[test]
fn a_jsonl_stream_is_checked_like_its_document() {
    let dir = scratch("jsonl");
    let net = fixture("deep2d.json");
    let (_, graph) = outputs(&net, &[]);
    let out = run_cli(&["regions", net.to_str().unwrap(), "--jsonl"]);
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let run = |body: &str, graph: Option<&Value>| {
        let path = dir.join("regions.jsonl");
        std::fs::write(&path, body).unwrap();
        let mut args = vec!["check", net.to_str().unwrap(), path.to_str().unwrap()];
        let g = dir.join("graph.json");
        if let Some(graph) = graph {
            std::fs::write(&g, serde_json::to_vec(graph).unwrap()).unwrap();
            args.extend(["--graph", g.to_str().unwrap()]);
        }
        run_cli(&args).status.code().unwrap()
    };
    assert_eq!(run(&text, Some(&graph)), 0);
    let mut damaged: Vec<Value> = lines.iter().map(|l| serde_json::from_str(l).unwrap()).collect();
    damaged[3]["bounded"] = Value::Bool(!damaged[3]["bounded"].as_bool().unwrap());
    let body: String = damaged.iter().map(|v| format!("{v}\n")).collect();
    assert_eq!(run(&body, None), 1);
    assert_eq!(run(&lines[..5].join("\n"), None), 2, "cut short");
    let mut short = lines.clone();
    short.remove(2);
    assert_eq!(run(&short.join("\n"), None), 2, "the summary counts one more");
    let _ = std::fs::remove_dir_all(dir);
}

/// `regions --json --sizes` is proved: the exact areas (2-D) and volumes (3-D) are the
/// checker's own, the balls lie inside, the floats are the nearest; the sampled estimate is a
/// statistic (informational) and may say anything of the right shape.
#[test]
fn sizes_are_proved() {
    let dir = scratch("sizes");
    // a small 3-D network: three planes and a bent one
    let three = dir.join("three.json");
    std::fs::write(
        &three,
        r#"{"input_dim": 3, "layers": [
          {"weights": [[1, 0, 0], [0, 1, 1], [1, -1, 2]], "bias": [0, "-1/2", "1/3"], "activation": "relu"},
          {"weights": [[1, -1, 1]], "bias": ["-1/4"], "activation": "relu"},
          {"weights": [[1]], "activation": "linear"}]}"#,
    )
    .unwrap();
    for (net, args, key) in [
        (fixture("seed.json"), vec!["--box", "-1:2,-3:1/3"], "area"),
        (three, vec!["--box", "-1:1,-1:1,-1:1"], "volume"),
    ] {
        let name = net.file_name().unwrap().to_string_lossy().to_string();
        let mut cmd = vec!["regions", net.to_str().unwrap(), "--json", "--sizes", "--samples", "200"];
        cmd.extend(&args);
        let out = run_cli(&cmd);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let regions: Value = serde_json::from_slice(&out.stdout).unwrap();
        let (code, text) = check(&dir, &net, &regions, None, &args);
        assert_eq!(code, 0, "{name}: {text}");
        let first = &regions["regions"][0]["size"];
        assert!(first.get(key).is_some() && first.get("inradius").is_some(), "{first}");
        type Damage = Box<dyn Fn(&mut Value)>;
        let damages: Vec<(&str, Damage, i32)> = vec![
            ("measure", Box::new(move |s| s[key] = format!("{}/7", s[key].as_str().unwrap()).into()), 1),
            ("measure float", Box::new(move |s| s[format!("{key}_f64")] = 1234.5.into()), 1),
            ("radius", Box::new(|s| s["inradius"] = "1000".into()), 1),
            ("ball centre", Box::new(|s| s["ball_center"][0] = "1000".into()), 1),
            ("radius float", Box::new(|s| s["inradius_f64"] = 1234.5.into()), 1),
            (
                "ball half given",
                Box::new(|s| {
                    s.as_object_mut().unwrap().remove("ball_center");
                }),
                1,
            ),
            ("extra field", Box::new(|s| s["perimeter"] = "4".into()), 1),
            ("estimate", Box::new(|s| s["volume_estimate"]["value"] = 99.0.into()), 0),
            ("estimate shape", Box::new(|s| s["volume_estimate"]["value"] = "much".into()), 1),
            ("no size at all", Box::new(|s| *s = serde_json::json!({})), 1),
        ];
        for (what, damage, want) in damages {
            let mut r = regions.clone();
            damage(&mut r["regions"][0]["size"]);
            let (code, text) = check(&dir, &net, &r, None, &args);
            assert_eq!(code, want, "{name}, {what}: {text}");
        }
        // leaving `size` out claims less: still a correct answer
        let mut less = regions.clone();
        less["regions"][0].as_object_mut().unwrap().remove("size");
        assert_eq!(check(&dir, &net, &less, None, &args).0, 0);
    }
    let _ = std::fs::remove_dir_all(dir);
}

/// Every field that `regions --json` (with sizes and estimates), `regions --jsonl` and `graph
/// --format json` emit is in docs/format.md's table of what `check` proves.
#[test]
fn every_emitted_field_is_in_the_format_table() {
    let format = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/format.md")).unwrap();
    let start = format.find("## What `check` proves, field by field").expect("the section");
    let end = start + format[start..].find("\n## ").unwrap();
    let table = &format[start..end];
    fn keys(v: &Value, out: &mut std::collections::BTreeSet<String>) {
        match v {
            Value::Object(map) => {
                for (k, c) in map {
                    out.insert(k.clone());
                    keys(c, out);
                }
            }
            Value::Array(items) => items.iter().for_each(|c| keys(c, out)),
            _ => {}
        }
    }
    let mut found = std::collections::BTreeSet::new();
    let net = fixture("seed.json");
    let net = net.to_str().unwrap();
    for args in [
        vec!["regions", net, "--json", "--sizes", "--samples", "50", "--box", "-1:1,-1:1"],
        vec!["graph", net, "--format", "json", "--box", "-1:1,-1:1"],
        vec!["regions", net, "--json", "--max-regions", "2"],
    ] {
        let out = run_cli(&args);
        keys(&serde_json::from_slice(&out.stdout).unwrap(), &mut found);
    }
    let out = run_cli(&["regions", net, "--jsonl"]);
    for line in String::from_utf8(out.stdout).unwrap().lines() {
        keys(&serde_json::from_str(line).unwrap(), &mut found);
    }
    assert!(found.len() > 40, "{found:?}");
    let missing: Vec<&String> = found
        .iter()
        .filter(|k| !table.contains(&format!("`{k}`")) && !table.contains(&format!("\"{k}\"")))
        .collect();
    assert!(missing.is_empty(), "fields not in the table: {missing:?}");
}
