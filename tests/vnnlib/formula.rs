//! VNN-LIB formulas of any depth and size, through the CLI: deep nesting (20,000 and 1,000,000
//! levels of `and`, `or`, `+` and bare parentheses) is decided or refused with exit 2, never a
//! crash; `and`s of `or`s beyond the budget of conjunctions are refused naming it, repeats are
//! one; an `or` over the inputs is one case per box, each decided and proved.

use crate::vnnlib::strict::{assert_unsat_checked, check_cli, decide_cli, Scratch, RAMP};
use relu_regions::exact::num::{parse_rational, Q};
use relu_regions::network::vnnlib::{read_vnnlib, MAX_CONJUNCTIONS};

const HEAD: &str =
    "(declare-const X_0 Real)\n(declare-const Y_0 Real)\n(assert (>= X_0 -1))\n(assert (<= X_0 1))\n";

fn q(s: &str) -> Q {
    parse_rational(s).unwrap()
}

/// The ramp reaches [0, 3/2] on [-1, 1]: `Y_0 >= 1` is sat, `Y_0 >= 2` unsat.
#[test]
fn deep_nesting_is_decided_or_refused_never_a_crash() {
    let dir = Scratch::new("deep");
    let net = dir.write("ramp.json", RAMP);
    for depth in [20_000, 1_000_000] {
        for (t, sat) in [("1", true), ("2", false)] {
            let atom = format!("(>= Y_0 {t})");
            let nested = |open: &str| format!("{}{atom}{}", open.repeat(depth), ")".repeat(depth));
            for (what, formula) in [
                ("and", nested("(and ")),
                ("or", nested("(or ")),
                ("mixed", format!("{}{atom}{}", "(and (or ".repeat(depth / 2), "))".repeat(depth / 2))),
                // Y_0 + 0 + 0 + ... nested as a term
                ("plus", format!("(>= {}Y_0{} {t})", "(+ 0 ".repeat(depth), ")".repeat(depth))),
                ("minus", format!("(>= {}Y_0{} {t})", "(- (- ".repeat(depth / 2), "))".repeat(depth / 2))),
            ] {
                let a = decide_cli(&dir, &net, "d.vnnlib", &format!("{HEAD}(assert {formula})\n"));
                if sat {
                    assert_eq!((a.code, a.result()), (Some(0), "sat"), "{what} {depth}: {}", a.stderr);
                    let (x, y) = a.counterexample();
                    assert!(y[0] >= q(t) && x[0] >= q("-1") && x[0] <= q("1"));
                } else {
                    assert_unsat_checked(&dir, &net, "d.vnnlib", &a);
                }
            }
        }
        // parentheses without an operator: exit 2, at the innermost list
        let bare = format!("{HEAD}(assert {}(>= Y_0 1){})\n", "(".repeat(depth), ")".repeat(depth));
        let a = decide_cli(&dir, &net, "b.vnnlib", &bare);
        assert_eq!(a.code, Some(2), "{}", a.stderr);
        assert!(
            a.stderr.contains(&format!("b.vnnlib:5:{}: expected an operator", 8 + depth)),
            "{}",
            a.stderr
        );
        // never closed: exit 2 naming the innermost `(`
        let open = format!("{HEAD}(assert {}", "(and ".repeat(depth));
        let a = decide_cli(&dir, &net, "o.vnnlib", &open);
        assert_eq!(a.code, Some(2));
        assert!(a.stderr.contains("never closed"), "{}", a.stderr);
    }
}

/// The adversarial user's fourth example: 40 asserted two-way `or`s (2 KB) were multiplied out
/// into 2^40 conjunctions and exhausted memory. Now counted first and refused (exit 2) naming
/// the budget and the assertion that crosses it; 40 copies of one `or` are one.
#[test]
fn ands_of_ors_beyond_the_budget_are_refused_naming_it() {
    let dir = Scratch::new("budget");
    let net = dir.write("ramp.json", RAMP);
    let ors: String = (0..40).map(|i| format!("(assert (or (<= Y_0 -{i}) (>= Y_0 {})))\n", i + 10)).collect();
    assert!(ors.len() < 2100);
    let a = decide_cli(&dir, &net, "ors.vnnlib", &format!("{HEAD}{ors}"));
    assert_eq!(a.code, Some(2), "{}", a.stderr);
    // after the two bounds and k `or`s: 2^k conjunctions with (k + 2) 2^k constraints, beyond
    // 1,000,000 at k = 16: the 16th `or`, on line 4 + 16
    for part in ["ors.vnnlib:20:9:", "1099511627776 conjunctions", "budget", &MAX_CONJUNCTIONS.to_string()] {
        assert!(a.stderr.contains(part), "{part}: {}", a.stderr);
    }
    // forty copies of one `or` are one `or`: Y_0 <= 0 holds on [-1, 0]
    let same: String = (0..40).map(|_| "(assert (or (<= Y_0 0) (>= Y_0 10)))\n").collect();
    let b = decide_cli(&dir, &net, "same.vnnlib", &format!("{HEAD}{same}"));
    assert_eq!(b.result(), "sat");
    assert!(b.counterexample().1[0] <= q("0"));
    // within the budget (2^8 conjunctions): decided; every `or` has Y_0 <= -1 or Y_0 >= 2
    let few: String =
        (0..8).map(|i| format!("(assert (or (<= Y_0 -{}) (>= Y_0 {})))\n", i + 1, i + 2)).collect();
    let c = decide_cli(&dir, &net, "few.vnnlib", &format!("{HEAD}{few}"));
    assert_unsat_checked(&dir, &net, "few.vnnlib", &c);
    // the budget is about conjunctions, not text: an `or` of 1,000 atoms is 1,000 of them
    let wide: String = (0..1000).map(|i| format!("(>= Y_0 {})", i + 2)).collect();
    let d = decide_cli(&dir, &net, "wide.vnnlib", &format!("{HEAD}(assert (or {wide} (<= Y_0 -1/2)))\n"));
    assert_unsat_checked(&dir, &net, "wide.vnnlib", &d);
}

/// VNN-COMP's form `(or (and X-box Y-constraints) ...)`: one case per box, decided in turn; a
/// counterexample lies in the box of its case; an unsat proof has one tree per case.
#[test]
fn an_or_over_the_inputs_is_one_case_per_box() {
    let dir = Scratch::new("cases");
    let net = dir.write("ramp.json", RAMP);
    let decl = "(declare-const X_0 Real)\n(declare-const Y_0 Real)\n";
    // Y_0 >= 1 needs x >= 3/4: only the second box reaches it
    let boxes = "(and (>= X_0 -1) (<= X_0 1/2) (>= Y_0 1)) (and (>= X_0 1/2) (<= X_0 1) (>= Y_0 1))";
    let a = decide_cli(&dir, &net, "a.vnnlib", &format!("{decl}(assert (or {boxes}))\n"));
    let (x, y) = a.counterexample();
    assert!(x[0] >= q("3/4") && x[0] <= q("1") && y[0] >= q("1"), "{x:?}");
    // every box misses Y_0 >= 2: a proof with one tree per box (the third box is empty)
    let three = "(and (>= X_0 -1) (<= X_0 0)) (and (> X_0 0) (<= X_0 1)) (and (>= X_0 1) (< X_0 1))";
    let b =
        decide_cli(&dir, &net, "b.vnnlib", &format!("{decl}(assert (or {three}))\n(assert (>= Y_0 2))\n"));
    let doc = assert_unsat_checked(&dir, &net, "b.vnnlib", &b);
    assert_eq!(doc["cases"].as_array().map(Vec::len), Some(3));
    assert_eq!(doc["cases"][2]["leaves"], serde_json::json!([]));
    // a box missing a bound is refused, naming the input and the case
    let c = decide_cli(
        &dir,
        &net,
        "c.vnnlib",
        &format!("{decl}(assert (or (<= X_0 1) (and (>= X_0 0) (<= X_0 1))))\n(assert (>= Y_0 2))\n"),
    );
    assert_eq!(c.code, Some(2));
    assert!(
        c.stderr.contains("X_0 needs a lower and an upper bound") && c.stderr.contains("input case 1 of 2"),
        "{}",
        c.stderr
    );
    // the proof of the two-box property does not check against one of its boxes alone
    let one = dir
        .write("one.vnnlib", &format!("{decl}(assert (and (>= X_0 -1) (<= X_0 0)))\n(assert (>= Y_0 2))\n"));
    assert_eq!(check_cli(&net, &b.proof, &one).0, Some(1));
}

/// What the reader makes of constants, `true`/`false`, `/`, repeats and what it refuses.
#[test]
fn the_reader_folds_constants_and_refuses_what_it_cannot_read() {
    let read = |body: &str| read_vnnlib(&format!("{HEAD}{body}"), "r.vnnlib", 1, 1);
    // a constant comparison is true or false; `(assert false)` leaves no case at all
    assert_eq!(read("(assert (<= 1 2))(assert (>= Y_0 1))").unwrap().cases.len(), 1);
    assert!(read("(assert (< 2 2))(assert (>= Y_0 1))").unwrap().cases.is_empty());
    assert!(read("(assert false)").unwrap().cases.is_empty());
    assert_eq!(read("(assert (or false (>= Y_0 1)))").unwrap().cases[0].unsafe_set.len(), 1);
    assert_eq!(read("(assert (or true (>= Y_0 1)))").unwrap().cases[0].unsafe_set, vec![vec![]]);
    // (/ Y_0 2) >= 1/4 is Y_0 >= 1/2
    let p = read("(assert (>= (/ Y_0 2) 1/4))").unwrap();
    assert!(p.cases[0].is_unsafe(&[q("1/2")]) && !p.cases[0].is_unsafe(&[q("1/3")]));
    // repeated disjuncts are one; bounds written twice are one
    let p = read("(assert (<= X_0 1))(assert (or (>= Y_0 1) (>= Y_0 1) (>= Y_0 1.0)))").unwrap();
    assert_eq!(p.cases[0].unsafe_set.len(), 1);
    for (body, what) in [
        ("(assert (>= (* Y_0 Y_0) 1))", "not linear"),
        ("(assert (>= (/ Y_0 0) 1))", "division by zero"),
        ("(assert (>= (+ X_0 Y_0) 1))", "mixing inputs and outputs"),
        ("(assert (not (>= Y_0 1)))", "unsupported operator `not`"),
        ("(assert (>= Y_0))", "needs two operands"),
        ("(assert (and (+ Y_0 1)))", "expected a formula"),
        ("(assert (>= (and (>= Y_0 1)) 1))", "expected a term"),
        ("(assert (>= Y_0 1) (>= Y_0 2))", "exactly one formula"),
        ("(assert (>= (* 1e100000 1e100000 1e100000 1e100000 1e100000 Y_0) 1))", "bits"),
        ("(assert (and (assert (>= Y_0 1))))", "only allowed at the top level"),
    ] {
        let e = read(body).unwrap_err();
        assert!(e.message.contains(what) && e.line == 5, "{body}: {e}");
    }
}
