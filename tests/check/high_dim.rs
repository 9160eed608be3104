//! `check` in 72 dimensions on a box, where a region's listed rows are almost all box faces and
//! an unlisted box face is implied by a neuron row with a multiplier that is no float (`1/3`,
//! through a vertex of the box): the prover's answer passes, and each damage fails that an
//! exact evaluation says is wrong (a box face dropped or listed twice, a facet point moved off
//! its facet or across a row), while a neuron facet's point moved along a coordinate its row
//! does not read, still inside the facet, passes.

use crate::check::answers::{check, scratch};
use crate::cli::fixtures::run_cli;
use relu_regions::exact::num::{parse_rational, Q};
use serde_json::{json, Value};

const D: usize = 72;

/// `relu(3 x0 + x1 - 3)`, `relu(5 x2 - 2 x3 + 7 x4 - 4)` on `[0, 1]^72`, summed.
fn network(dir: &std::path::Path) -> std::path::PathBuf {
    let mut w0 = vec!["0".to_string(); D];
    w0[0] = "3".into();
    w0[1] = "1".into();
    let mut w1 = vec!["0".to_string(); D];
    w1[2] = "5".into();
    w1[3] = "-2".into();
    w1[4] = "7".into();
    let net = json!({
        "input_dim": D,
        "layers": [
            {"weights": [w0, w1], "bias": ["-3", "-4"], "activation": "relu"},
            {"weights": [["1", "1"]], "bias": ["0"], "activation": "linear"}
        ]
    });
    let path = dir.join("net.json");
    std::fs::write(&path, serde_json::to_vec(&net).unwrap()).unwrap();
    path
}

fn shift(v: &Value, by: &str) -> Value {
    let x = parse_rational(v.as_str().unwrap()).unwrap() + parse_rational(by).unwrap();
    Value::String(format!("{x}"))
}

fn is_face(i: &Value) -> bool {
    i.get("domain_rows").is_some()
}

/// The coordinates a listed row reads.
fn support(i: &Value) -> Vec<usize> {
    let a = i["a"].as_array().unwrap();
    (0..a.len())
        .filter(|&j| parse_rational(a[j].as_str().unwrap()).unwrap() != Q::from_integer(0.into()))
        .collect()
}

#[test]
fn high_dimensional_box_answers_and_their_damage() {
    let dir = scratch("high-dim");
    let net = network(&dir);
    let bx = vec!["0:1"; D].join(",");
    let args = ["--box", bx.as_str()];
    let out = run_cli(&[&["regions", net.to_str().unwrap(), "--json"], &args[..]].concat());
    assert!(out.status.success());
    let regions: Value = serde_json::from_slice(&out.stdout).unwrap();
    let n = regions["regions"].as_array().unwrap().len();
    assert_eq!(n, 4, "two hyperplanes that cross inside the box");
    let (code, text) = check(&dir, &net, &regions, None, &args);
    assert_eq!(code, 0, "{text}");
    // each region: the box faces that are facets, and some that are not (cut off by a neuron)
    for r in regions["regions"].as_array().unwrap() {
        let faces = r["inequalities"].as_array().unwrap().iter().filter(|i| is_face(i)).count();
        assert!(faces < 2 * D, "some box face is cut off");
    }
    for i in 0..n {
        let list = regions["regions"][i]["inequalities"].as_array().unwrap().clone();
        let faces: Vec<usize> = (0..list.len()).filter(|&k| is_face(&list[k])).collect();
        let neurons: Vec<usize> = (0..list.len()).filter(|&k| !is_face(&list[k])).collect();
        // a box face dropped (the first, one in the middle, the last), or listed twice
        for &k in [faces[0], faces[faces.len() / 2], faces[faces.len() - 1]].iter() {
            let mut dropped = regions.clone();
            dropped["regions"][i]["inequalities"].as_array_mut().unwrap().remove(k);
            let (code, text) = check(&dir, &net, &dropped, None, &args);
            assert_eq!(code, 1, "region {i}, face {k} dropped: {text}");
            let mut twice = regions.clone();
            twice["regions"][i]["inequalities"].as_array_mut().unwrap().push(list[k].clone());
            assert_eq!(check(&dir, &net, &twice, None, &args).0, 1, "region {i}, face {k} twice");
            // the face's point moved off its face (along the face's own coordinate)
            let j = support(&list[k])[0];
            let mut off = regions.clone();
            let p = &mut off["regions"][i]["inequalities"][k]["facet_point"][j];
            *p = shift(p, "-1/1000000000000");
            assert_eq!(check(&dir, &net, &off, None, &args).0, 1, "region {i}, face {k} point off");
        }
        for &k in &neurons {
            let read = support(&list[k]);
            // along a coordinate the row does not read (and no box face is tight there): the
            // point stays in the facet's relative interior
            let point = list[k]["facet_point"].as_array().unwrap();
            let j = (0..D)
                .find(|j| {
                    let x = parse_rational(point[*j].as_str().unwrap()).unwrap();
                    !read.contains(j)
                        && x > parse_rational("1/1000").unwrap()
                        && x < parse_rational("999/1000").unwrap()
                })
                .unwrap();
            let mut along = regions.clone();
            let p = &mut along["regions"][i]["inequalities"][k]["facet_point"][j];
            *p = shift(p, "1/1000000000000");
            let (code, text) = check(&dir, &net, &along, None, &args);
            assert_eq!(code, 0, "region {i}, neuron facet {k} moved along x{j}: {text}");
            // along a coordinate it reads: off its hyperplane
            let mut across = regions.clone();
            let p = &mut across["regions"][i]["inequalities"][k]["facet_point"][read[0]];
            *p = shift(p, "1/1000000000000");
            assert_eq!(check(&dir, &net, &across, None, &args).0, 1, "region {i}, neuron facet {k} across");
        }
    }
    let _ = std::fs::remove_dir_all(dir);
}
