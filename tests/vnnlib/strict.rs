//! VNN-LIB strictness as written, through the CLI: a strict input bound leaves its face out (a
//! property whose only counterexample lies on it is unsat, with a checked proof), contradictory
//! or strictly empty input bounds are unsat with a proof the checker accepts, a property that
//! fixes every input is checked, a conjunction of strict and non-strict output constraints met
//! only on a face is decided exactly, and tampered proofs are refused.

use crate::cli::fixtures::run_cli;
use relu_regions::exact::num::Q;
use std::path::PathBuf;

/// `relu(x) + relu(x - 1/2)`: increasing on [-1, 1], largest (3/2) at x = 1 only.
pub(crate) const RAMP: &str = r#"{"input_dim": 1, "layers": [
    {"weights": [[1], [1]], "bias": [0, "-1/2"], "activation": "relu"},
    {"weights": [[1, 1]], "bias": [0], "activation": "linear"}]}"#;

/// `(relu(x0), relu(x1))`, the identity on [0, 1]^2, with a hidden layer that cuts the square.
pub(crate) const SQUARE: &str = r#"{"input_dim": 2, "layers": [
    {"weights": [[1, 0], [0, 1], [1, -1]], "bias": [0, 0, 0], "activation": "relu"},
    {"weights": [[1, 0, 0], [0, 1, 0]], "bias": [0, 0], "activation": "linear"}]}"#;

/// A scratch directory for one test.
pub(crate) struct Scratch(pub PathBuf);

impl Scratch {
    pub(crate) fn new(tag: &str) -> Scratch {
        let dir = std::env::temp_dir().join(format!("rr-vnnlib-{tag}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        Scratch(dir)
    }

    /// Writes a file and returns its path as a string.
    pub(crate) fn write(&self, name: &str, text: &str) -> String {
        let path = self.0.join(name);
        std::fs::write(&path, text).unwrap();
        path.to_str().unwrap().to_string()
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// What `vnnlib NET PROP --json --proof FILE` answered.
pub(crate) struct Answer {
    pub code: Option<i32>,
    pub json: serde_json::Value,
    pub stderr: String,
    pub proof: String,
}

impl Answer {
    pub(crate) fn result(&self) -> &str {
        self.json["result"].as_str().unwrap_or("")
    }

    /// The counterexample's input and output, exactly.
    pub(crate) fn counterexample(&self) -> (Vec<Q>, Vec<Q>) {
        let read = |key: &str| -> Vec<Q> {
            self.json["counterexample"][key]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| relu_regions::exact::num::parse_rational(v.as_str().unwrap()).unwrap())
                .collect()
        };
        (read("input"), read("output"))
    }
}

/// Runs `vnnlib` on a network file and a property text (written to `name`).
pub(crate) fn decide_cli(dir: &Scratch, net: &str, name: &str, property: &str) -> Answer {
    let prop = dir.write(name, property);
    let proof = dir.0.join(format!("{name}.proof.json")).to_str().unwrap().to_string();
    let _ = std::fs::remove_file(&proof);
    let out = run_cli(&["vnnlib", net, &prop, "--json", "--proof", &proof]);
    let json = serde_json::from_slice(&out.stdout).unwrap_or(serde_json::Value::Null);
    Answer { code: out.status.code(), json, stderr: String::from_utf8_lossy(&out.stderr).into(), proof }
}

/// `check NET PROOF --property PROP`: its exit code and stdout.
pub(crate) fn check_cli(net: &str, proof: &str, property: &str) -> (Option<i32>, String) {
    let out = run_cli(&["check", net, proof, "--property", property]);
    (out.status.code(), String::from_utf8_lossy(&out.stdout).into())
}

/// Asserts an unsat answer whose proof the checker accepts; returns the proof document.
pub(crate) fn assert_unsat_checked(
    dir: &Scratch,
    net: &str,
    name: &str,
    answer: &Answer,
) -> serde_json::Value {
    assert_eq!(
        (answer.code, answer.result()),
        (Some(0), "unsat"),
        "{name}: {} {}",
        answer.json,
        answer.stderr
    );
    let (code, out) = check_cli(net, &answer.proof, dir.0.join(name).to_str().unwrap());
    assert_eq!(code, Some(0), "{name}: the checker refused the tool's proof: {out}");
    serde_json::from_str(&std::fs::read_to_string(&answer.proof).unwrap()).unwrap()
}

fn q(s: &str) -> Q {
    relu_regions::exact::num::parse_rational(s).unwrap()
}

const ONE_IN: &str = "(declare-const X_0 Real)\n(declare-const Y_0 Real)\n";
const TWO_IN: &str = "(declare-const X_0 Real)\n(declare-const X_1 Real)\n(declare-const Y_0 Real)\n(declare-const Y_1 Real)\n";

/// The adversarial user's first example: `(< X_0 1)` was read as `<=`, so a property whose
/// only counterexample is `x = 1` answered `sat` with `x = 1`.
#[test]
fn a_strict_input_bound_leaves_out_its_face() {
    let dir = Scratch::new("strict-face");
    let net = dir.write("ramp.json", RAMP);
    for (bound, sat) in
        [("(< X_0 1)", false), ("(> 1 X_0)", false), ("(<= X_0 1)", true), ("(>= 1 X_0)", true)]
    {
        let p = format!("{ONE_IN}(assert (>= X_0 -1))\n(assert {bound})\n(assert (>= Y_0 3/2))\n");
        let a = decide_cli(&dir, &net, "p.vnnlib", &p);
        if sat {
            assert_eq!((a.code, a.result()), (Some(0), "sat"), "{bound}: {}", a.json);
            assert_eq!(a.counterexample(), (vec![q("1")], vec![q("3/2")]), "{bound}: the one counterexample");
        } else {
            assert_unsat_checked(&dir, &net, "p.vnnlib", &a);
        }
    }
    // the lower side: relu ramps are 0 on [-1, 0], so Y_0 <= 0 strictly above -1 still holds at 0
    let p = format!("{ONE_IN}(assert (> X_0 -1))\n(assert (<= X_0 1))\n(assert (<= Y_0 0))\n");
    let a = decide_cli(&dir, &net, "p.vnnlib", &p);
    assert_eq!(a.result(), "sat");
    let (x, y) = a.counterexample();
    assert!(x[0] > q("-1") && x[0] <= q("0") && y[0] == q("0"), "{x:?} {y:?}");
    // only the strict corner (1, 1) of the square reaches Y_0 + Y_1 >= 2
    let net2 = dir.write("square.json", SQUARE);
    let head = format!("{TWO_IN}(assert (>= X_0 0))\n(assert (>= X_1 0))\n(assert (<= X_1 1))\n");
    for (bound, sat) in [("(< X_0 1)", false), ("(<= X_0 1)", true)] {
        let p = format!("{head}(assert {bound})\n(assert (>= (+ Y_0 Y_1) 2))\n");
        let a = decide_cli(&dir, &net2, "c.vnnlib", &p);
        if sat {
            assert_eq!(a.counterexample().0, vec![q("1"), q("1")]);
        } else {
            assert_unsat_checked(&dir, &net2, "c.vnnlib", &a);
        }
    }
}

/// The second example: `(> X_0 1) (<= X_0 1)` leaves no input at all and answered `sat`; so do
/// `lo > hi` and `lo < x < lo`. Each is unsat, with a proof the checker accepts.
#[test]
fn empty_input_sets_are_unsat_with_checked_proofs() {
    let dir = Scratch::new("empty");
    let net = dir.write("ramp.json", RAMP);
    for bounds in [
        "(assert (> X_0 1))\n(assert (<= X_0 1))",
        "(assert (>= X_0 1))\n(assert (< X_0 1))",
        "(assert (> X_0 0))\n(assert (< X_0 0))",
        "(assert (>= X_0 1))\n(assert (<= X_0 0))",
        // an empty box needs no other bound
        "(assert (>= X_0 2))\n(assert (<= X_0 1/2))\n(assert (<= X_0 100))",
    ] {
        // Y_0 >= -100 holds everywhere: any input would be a counterexample
        let p = format!("{ONE_IN}{bounds}\n(assert (>= Y_0 -100))\n");
        let a = decide_cli(&dir, &net, "e.vnnlib", &p);
        let doc = assert_unsat_checked(&dir, &net, "e.vnnlib", &a);
        assert_eq!(doc["leaves"], serde_json::json!([]), "{bounds}");
        assert_eq!(a.json["regions_visited"], 0);
        // a leaf smuggled into the empty case is refused
        let mut forged = doc.clone();
        forged["leaves"] = serde_json::json!([{"states": ["11"], "pruned": false}]);
        let path = dir.write("forged.json", &forged.to_string());
        assert_eq!(check_cli(&net, &path, dir.0.join("e.vnnlib").to_str().unwrap()).0, Some(1));
    }
    // the same bounds one input wider are not empty: x = 1 answers sat
    let p = format!("{ONE_IN}(assert (>= X_0 1))\n(assert (<= X_0 1))\n(assert (>= Y_0 -100))\n");
    assert_eq!(decide_cli(&dir, &net, "e.vnnlib", &p).counterexample().0, vec![q("1")]);
}

/// The third example: a property that fixes every input (lo = hi for every X_i): `check
/// --property` refused the tool's own unsat proof ("input_dim must be at least 1").
#[test]
fn a_property_fixing_every_input_is_proved_and_checked() {
    let dir = Scratch::new("fixed");
    let net = dir.write("square.json", SQUARE);
    let head = format!("{TWO_IN}(assert (>= X_0 1/3))\n(assert (<= X_0 1/3))\n(assert (<= X_1 2/3))\n(assert (>= X_1 2/3))\n");
    // the outputs are exactly (1/3, 2/3): Y_0 >= Y_1 fails there, Y_0 < Y_1 holds
    let unsat = format!("{head}(assert (>= Y_0 Y_1))\n");
    let a = decide_cli(&dir, &net, "u.vnnlib", &unsat);
    let doc = assert_unsat_checked(&dir, &net, "u.vnnlib", &a);
    assert_eq!(doc["leaves"], serde_json::json!([]));
    let sat = format!("{head}(assert (< Y_0 Y_1))\n");
    let b = decide_cli(&dir, &net, "s.vnnlib", &sat);
    assert_eq!(b.counterexample(), (vec![q("1/3"), q("2/3")], vec![q("1/3"), q("2/3")]));
    // the unsat proof does not prove the violated property
    let (code, out) = check_cli(&net, &a.proof, dir.0.join("s.vnnlib").to_str().unwrap());
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains("unsafe"), "{out}");
    // one input fixed, the other free: Y_0 = 1/3 everywhere, Y_1 ranges over [0, 1)
    let half = format!(
        "{TWO_IN}(assert (>= X_0 1/3))\n(assert (<= X_0 1/3))\n(assert (>= X_1 0))\n(assert (< X_1 1))\n"
    );
    let c = decide_cli(&dir, &net, "h.vnnlib", &format!("{half}(assert (>= Y_1 1))\n"));
    assert_unsat_checked(&dir, &net, "h.vnnlib", &c);
}

/// Found on the way: a conjunction of non-strict constraints that meet only on a line and a
/// strict one (Y_0 = 1/2, Y_1 < 1/2) has no interior point, and was answered unsat although
/// (1/2, 0) violates it. The exact LP with a strictness variable finds such points, and
/// refutes the conjunction when the strict row fails on the whole line.
#[test]
fn strict_and_non_strict_output_constraints_meeting_on_a_face() {
    let dir = Scratch::new("face");
    let net = dir.write("square.json", SQUARE);
    let head = format!(
        "{TWO_IN}(assert (>= X_0 0))\n(assert (<= X_0 1))\n(assert (>= X_1 0))\n(assert (<= X_1 1))\n"
    );
    let on_line = "(assert (>= Y_0 1/2))\n(assert (<= Y_0 1/2))\n";
    let a = decide_cli(&dir, &net, "f.vnnlib", &format!("{head}{on_line}(assert (< Y_1 1/2))\n"));
    assert_eq!(a.result(), "sat", "{}", a.json);
    let (x, y) = a.counterexample();
    assert!(x[0] == q("1/2") && x[1] < q("1/2") && y == x, "{x:?}");
    // the line x0 = 1/2 meets x1 < 0 nowhere in the square; nor x1 > 1 strictly
    for strict in ["(< Y_1 0)", "(> Y_1 1)"] {
        let b = decide_cli(&dir, &net, "g.vnnlib", &format!("{head}{on_line}(assert {strict})\n"));
        assert_unsat_checked(&dir, &net, "g.vnnlib", &b);
    }
    // the corner (1/2, 1) of the line is a strict side of the box: out; the closed side: in
    let open = format!(
        "{TWO_IN}(assert (>= X_0 0))\n(assert (<= X_0 1))\n(assert (>= X_1 0))\n(assert (< X_1 1))\n"
    );
    let c = decide_cli(&dir, &net, "h.vnnlib", &format!("{open}{on_line}(assert (>= Y_1 1))\n"));
    assert_unsat_checked(&dir, &net, "h.vnnlib", &c);
    let d = decide_cli(&dir, &net, "k.vnnlib", &format!("{head}{on_line}(assert (>= Y_1 1))\n"));
    assert_eq!(d.counterexample().0, vec![q("1/2"), q("1")]);
}

/// Proofs about strict properties are refused when tampered with: a leaf removed, a case's
/// leaves dropped or moved, the proof of the strict property shown for the closed one.
#[test]
fn tampered_proofs_of_strict_properties_are_refused() {
    let dir = Scratch::new("tamper");
    let net = dir.write("ramp.json", RAMP);
    let strict = format!("{ONE_IN}(assert (>= X_0 -1))\n(assert (< X_0 1))\n(assert (>= Y_0 3/2))\n");
    let a = decide_cli(&dir, &net, "s.vnnlib", &strict);
    let doc = assert_unsat_checked(&dir, &net, "s.vnnlib", &a);
    let closed = dir.write("c.vnnlib", &strict.replace("(< X_0 1)", "(<= X_0 1)"));
    // the same leaves do not prove the closed property (x = 1 violates it)
    let (code, out) = check_cli(&net, &a.proof, &closed);
    assert_eq!(code, Some(1), "{out}");
    let leaves = doc["leaves"].as_array().unwrap().len();
    assert!(leaves >= 1);
    for k in 0..leaves {
        let mut forged = doc.clone();
        forged["leaves"].as_array_mut().unwrap().remove(k);
        let path = dir.write("forged.json", &forged.to_string());
        assert_eq!(check_cli(&net, &path, dir.0.join("s.vnnlib").to_str().unwrap()).0, Some(1), "leaf {k}");
    }
    // two cases (an `or` over the inputs): each needs its own leaves
    let two = format!(
        "{ONE_IN}(assert (or (and (>= X_0 -1) (< X_0 1)) (and (> X_0 -1) (<= X_0 0))))\n(assert (>= Y_0 3/2))\n"
    );
    let b = decide_cli(&dir, &net, "t.vnnlib", &two);
    let doc = assert_unsat_checked(&dir, &net, "t.vnnlib", &b);
    let cases = doc["cases"].as_array().unwrap();
    assert_eq!(cases.len(), 2);
    let prop = dir.0.join("t.vnnlib").to_str().unwrap().to_string();
    for forged in [
        serde_json::json!({"relu_regions_proof": 1, "cases": [cases[0].clone()]}),
        serde_json::json!({"relu_regions_proof": 1, "cases": [cases[0].clone(), {"leaves": []}]}),
        serde_json::json!({"relu_regions_proof": 1, "leaves": cases[0]["leaves"].clone()}),
        serde_json::json!({"relu_regions_proof": 1, "cases": [cases[1].clone(), cases[0].clone()]}),
    ] {
        if forged["cases"].as_array().is_some_and(|c| c.len() == 2 && c[0] == c[1]) {
            continue; // the two cases' trees may coincide; swapping them proves nothing new
        }
        let path = dir.write("forged.json", &forged.to_string());
        let (code, out) = check_cli(&net, &path, &prop);
        assert_eq!(code, Some(1), "{forged}: {out}");
    }
}
