//! `verify` and `check` on the command line.

use crate::cli::fixtures::run_cli;
use crate::support::fixture;

#[test]
fn verify_exit_codes_and_json() {
    let seed = fixture("seed.json");
    let seed = seed.to_str().unwrap();
    assert_eq!(
        run_cli(&["verify", seed, "--expect", "regions=4,pieces=4,edges=4,bounded=0"]).status.code(),
        Some(0)
    );
    let out = run_cli(&["verify", seed, "--expect", "regions=5", "--json"]);
    assert_eq!(out.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["ok"], false);
    assert!(v["checks"]
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c["ok"] == false && c["name"] == "expected regions"));
    assert_eq!(run_cli(&["verify", seed, "--expect", "regions=x"]).status.code(), Some(2));
    let tiny = fixture("nnet/fc_2-2-3.nnet");
    let out = run_cli(&["verify", tiny.to_str().unwrap(), "--samples", "500"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stdout).contains("sampling lower bound"));
}

#[test]
fn check_accepts_our_output_and_rejects_tampering() {
    let seed = fixture("seed.json");
    let out = run_cli(&["regions", seed.to_str().unwrap(), "--json"]);
    let dir = std::env::temp_dir().join(format!("rr-check-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let good = dir.join("good.json");
    std::fs::write(&good, &out.stdout).unwrap();
    let ok = run_cli(&["check", seed.to_str().unwrap(), good.to_str().unwrap()]);
    assert_eq!(ok.status.code(), Some(0), "{}", String::from_utf8_lossy(&ok.stdout));
    let mut doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    type Tamper = Box<dyn Fn(&mut serde_json::Value)>;
    let tampers: Vec<Tamper> = vec![
        Box::new(|d| d["regions"][1]["jacobian"][0][0] = "7".into()),
        Box::new(|d| {
            d["regions"][2]["inequalities"].as_array_mut().unwrap().pop();
        }),
        Box::new(|d| d["regions"][3]["point"] = serde_json::json!(["-1", "0"])),
        Box::new(|d| d["regions"][0]["inequalities"][0]["b"] = "1".into()),
        Box::new(|d| d["regions"][0]["pattern"] = serde_json::json!(["11"])),
        Box::new(|d| d["regions"][0]["inequalities"][0]["facet_point"] = serde_json::json!(["5", "5"])),
    ];
    for (k, tamper) in tampers.iter().enumerate() {
        let mut bad = doc.clone();
        tamper(&mut bad);
        let path = dir.join(format!("bad{k}.json"));
        std::fs::write(&path, serde_json::to_vec(&bad).unwrap()).unwrap();
        let out = run_cli(&["check", seed.to_str().unwrap(), path.to_str().unwrap()]);
        assert_eq!(
            out.status.code(),
            Some(1),
            "tamper {k} not caught: {}",
            String::from_utf8_lossy(&out.stdout)
        );
    }
    doc["regions"] = serde_json::json!("nope");
    let path = dir.join("malformed.json");
    std::fs::write(&path, serde_json::to_vec(&doc).unwrap()).unwrap();
    assert_eq!(run_cli(&["check", seed.to_str().unwrap(), path.to_str().unwrap()]).status.code(), Some(1));
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn check_accepts_deep_and_boxed_networks() {
    let tiny = fixture("nnet/fc_2-2-3.nnet");
    let out = run_cli(&["regions", tiny.to_str().unwrap(), "--json"]);
    let dir = std::env::temp_dir().join(format!("rr-check2-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("tiny.json");
    std::fs::write(&file, &out.stdout).unwrap();
    assert_eq!(run_cli(&["check", tiny.to_str().unwrap(), file.to_str().unwrap()]).status.code(), Some(0));
    let acas = fixture("nnet/ACASXU_run2a_1_1_batch_2000.nnet");
    let boxarg = "-0.0005:0.0005,0.0995:0.1005,-0.1005:-0.0995,0.1995:0.2005,-0.2005:-0.1995";
    let out =
        run_cli(&["regions", acas.to_str().unwrap(), "--coords", "normalized", "--box", boxarg, "--json"]);
    assert!(out.status.success());
    let file = dir.join("acas.json");
    std::fs::write(&file, &out.stdout).unwrap();
    let checked = run_cli(&[
        "check",
        acas.to_str().unwrap(),
        "--coords",
        "normalized",
        "--box",
        boxarg,
        file.to_str().unwrap(),
    ]);
    assert_eq!(checked.status.code(), Some(0), "{}", String::from_utf8_lossy(&checked.stdout));
    let _ = std::fs::remove_dir_all(dir);
}
