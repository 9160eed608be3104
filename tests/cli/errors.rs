//! One test per kind of bad input: a clear error naming where, exit code 2, never a panic.

use crate::cli::fixtures::run_cli;
use relu_regions::network::json::read_network;

fn error_of(text: &str) -> String {
    read_network(text, "bad.json").expect_err("must be rejected").to_string()
}

fn layer(weights: &str) -> String {
    format!(r#"{{"input_dim": 2, "layers": [{{"weights": {weights}, "activation": "relu"}}]}}"#)
}

#[test]
fn invalid_json_syntax_names_line_and_column() {
    let e = error_of("{\"input_dim\": 2,\n \"layers\": [}");
    assert!(e.contains("bad.json") && e.contains("line 2"), "{e}");
}

#[test]
fn bad_numbers_name_layer_row_and_column() {
    for (bad, what) in [
        (r#""abc""#, "not a number"),
        (r#""1/0""#, "zero denominator"),
        (r#""NaN""#, "not a number"),
        (r#""Infinity""#, "not a number"),
        (r#""1e999999""#, "exponent"),
        ("true", "expected a number"),
    ] {
        let e = error_of(&layer(&format!(r#"[[1, 2], [3, {bad}]]"#)));
        assert!(e.contains("layers[0].weights[1][1]") && e.contains(what), "{bad}: {e}");
    }
}

#[test]
fn every_problem_is_listed() {
    let e = error_of(
        r#"{"input_dim": 2, "layers": [{"weights": [[1], [2, "x"]], "bias": [1], "activation": "tanh"}]}"#,
    );
    for needle in ["layers[0].weights[0]", "layers[0].weights[1][1]", "layers[0].activation", "tanh"] {
        assert!(e.contains(needle), "missing {needle} in {e}");
    }
}

#[test]
fn shape_mismatches() {
    let e = error_of(
        r#"{"input_dim": 2, "layers": [{"weights": [[1, 2]], "bias": [1, 2], "activation": "relu"}]}"#,
    );
    assert!(e.contains("layers[0].bias") && e.contains("expected 1"), "{e}");
    let e = error_of(
        r#"{"input_dim": 2, "layers": [{"weights": [[1, 2]], "activation": "relu"}, {"weights": [[1, 2]], "activation": "linear"}]}"#,
    );
    assert!(e.contains("layers[1].weights[0]") && e.contains("expected 1"), "{e}");
}

#[test]
fn empty_network_and_empty_layer() {
    assert!(error_of(r#"{"input_dim": 2, "layers": []}"#).contains("no layers"));
    assert!(error_of(&layer("[]")).contains("no neurons"));
    assert!(error_of(r#"{"input_dim": 0, "layers": []}"#).contains("input_dim"));
    assert!(error_of(r#"{"layers": []}"#).contains("input_dim"));
    assert!(error_of(r#"[1, 2]"#).contains("expected a JSON object"));
}

#[test]
fn bad_domains() {
    let with = |domain: &str| {
        error_of(&format!(
            r#"{{"input_dim": 2, "layers": [{{"weights": [[1, 1]], "activation": "relu"}}], "domain": {domain}}}"#
        ))
    };
    assert!(with(r#"{"box": [["1", "0"], [0, 1]]}"#).contains("domain.box[0]"));
    assert!(with(r#"{"box": [[0, 0], [0, 1]]}"#).contains("lower-dimensional"));
    assert!(with(r#"{"box": [["1", "0"], [0, 1]]}"#).contains("empty"));
    assert!(with(r#"{"box": [[0, 1]]}"#).contains("one per input"));
    // x <= 0 and x >= 1: 1 * row 0 + 1 * row 1 reads 0 . x <= -1 (multipliers in lowest terms)
    let infeasible = with(r#"{"polytope": {"A": [[1, 0], [-1, 0]], "b": [0, -1]}}"#);
    assert!(
        infeasible.contains("is empty (certified: rows 0, 1 times 1, 1 add up to 0 . x <= -1 < 0"),
        "{infeasible}"
    );
    // x <= 0 and x >= 0: the segment x = 0 of the strip
    let flat = with(r#"{"polytope": {"A": [[1, 0], [-1, 0], [0, 1], [0, -1]], "b": [0, 0, 1, 1]}}"#);
    assert!(flat.contains("lower-dimensional") && flat.contains("row(s) 0, 1 hold with equality"), "{flat}");
    assert!(with(r#"{"polytope": {"A": [[1, 0]], "b": [0, 1]}}"#).contains("b has 2"));
    assert!(with(r#"{"sphere": 1}"#).contains("unknown key"));
}

#[test]
fn deeply_nested_json_is_an_error_not_a_crash() {
    let deep = "[".repeat(100_000) + &"]".repeat(100_000);
    assert!(error_of(&deep).contains("invalid JSON"));
}

#[test]
fn cli_bad_input_exits_2_with_location() {
    let dir = std::env::temp_dir().join(format!("rr-bad-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("bad.json");
    std::fs::write(&file, layer(r#"[[1, "1/0"]]"#)).unwrap();
    let out = run_cli(&["count", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("bad.json")
            && err.contains("layers[0].weights[0][1]")
            && err.contains("zero denominator"),
        "{err}"
    );
    let missing = run_cli(&["count", dir.join("nope.json").to_str().unwrap()]);
    assert_eq!(missing.status.code(), Some(2));
    let usage = run_cli(&["count"]);
    assert_eq!(usage.status.code(), Some(2));
    let bad_box =
        run_cli(&["count", crate::support::fixture("seed.json").to_str().unwrap(), "--box", "1:0,0:1"]);
    assert_eq!(bad_box.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad_box.stderr).contains("lo < hi"));
    let _ = std::fs::remove_dir_all(dir);
}
