//! Domains: a polytope's zero rows that hold everywhere are accepted and change nothing; every
//! refusal (exit 2) says why, and the certificate it states is checked here from its text.

use crate::cli::fixtures::run_cli;
use crate::support::{fixture, r};
use proptest::prelude::*;
use relu_regions::certify::{polytope_defect, PolytopeDefect};
use relu_regions::exact::num::{dot, parse_rational, q, Q};
use std::path::{Path, PathBuf};

fn dir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("relu-regions-domains-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A `--domain` file holding `A x <= b`.
fn polytope(name: &str, rows: &[(&[&str], &str)]) -> PathBuf {
    let a: Vec<Vec<&str>> = rows.iter().map(|(a, _)| a.to_vec()).collect();
    let b: Vec<&str> = rows.iter().map(|(_, b)| *b).collect();
    let path = dir().join(name);
    let text = serde_json::json!({"domain": {"polytope": {"A": a, "b": b}}}).to_string();
    std::fs::write(&path, text).unwrap();
    path
}

/// Rows `a . x <= b` as text.
type Rows<'a> = &'a [(&'a [&'a str], &'a str)];

const SQUARE: [(&[&str], &str); 4] =
    [(&["1", "0"], "1"), (&["-1", "0"], "1"), (&["0", "1"], "1"), (&["0", "-1"], "1")];

fn with_square(
    extra: &[(&'static [&'static str], &'static str)],
) -> Vec<(&'static [&'static str], &'static str)> {
    SQUARE.iter().copied().chain(extra.iter().copied()).collect()
}

/// `count --json` of the seed network on a domain file: its regions, bounded, edges, pieces.
fn counts(domain: &Path) -> [u64; 4] {
    let seed = fixture("seed.json");
    let out = run_cli(&["count", seed.to_str().unwrap(), "--json", "--domain", domain.to_str().unwrap()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    ["regions", "bounded", "edges", "pieces"].map(|k| v[k].as_u64().unwrap())
}

/// The refusal of a domain file: exit 2 and the message.
fn refusal(domain: &Path) -> String {
    let seed = fixture("seed.json");
    let out = run_cli(&["count", seed.to_str().unwrap(), "--domain", domain.to_str().unwrap()]);
    let err = String::from_utf8_lossy(&out.stderr).to_string();
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains(domain.file_name().unwrap().to_str().unwrap()) && !err.contains("panicked"),
        "{err}"
    );
    err
}

/// The certificate a refusal states, `rows i, j times y_i, y_j add up to 0 . x <= c`, read
/// back from its text and checked against the rows: `sum y_i A_i = 0`, and `c` is `sum y_i b_i`.
fn stated_certificate(message: &str, rows: &[(&[&str], &str)]) -> Q {
    let times = message.find(" times ").expect("states multipliers");
    let tail = &message[message[..times].rfind("row").expect("names rows")..];
    let (rows_part, rest) = tail.split_once(" times ").unwrap();
    let (times_part, rest) = rest.split_once(" add up to 0 . x <= ").unwrap();
    let indices: Vec<usize> = rows_part
        .trim_start_matches("rows ")
        .trim_start_matches("row ")
        .split(", ")
        .map(|i| i.parse().unwrap())
        .collect();
    let multipliers: Vec<Q> = times_part.split(", ").map(|y| parse_rational(y).unwrap()).collect();
    let c = parse_rational(rest.split([' ', ',']).next().unwrap()).unwrap();
    assert_eq!(indices.len(), multipliers.len());
    assert!(multipliers.iter().all(|y| *y > q(0)), "{message}");
    for j in 0..2 {
        let sum: Q = indices.iter().zip(&multipliers).map(|(&i, y)| r(rows[i].0[j]) * y).sum();
        assert_eq!(sum, q(0), "column {j} of {message}");
    }
    let rhs: Q = indices.iter().zip(&multipliers).map(|(&i, y)| r(rows[i].1) * y).sum();
    assert_eq!(rhs, c, "{message}");
    c
}

/// The point a lower-dimensional refusal says the domain contains, checked against the rows.
fn stated_point(message: &str, rows: &[(&[&str], &str)]) -> Vec<Q> {
    let inner = message.split("contains (").nth(1).unwrap().split(')').next().unwrap();
    let x: Vec<Q> = inner.split(", ").map(|v| parse_rational(v).unwrap()).collect();
    for (a, b) in rows {
        let a: Vec<Q> = a.iter().map(|v| r(v)).collect();
        assert!(dot(&a, &x) <= r(b), "{message}");
    }
    x
}

#[test]
fn zero_rows_that_hold_everywhere_change_nothing() {
    let plain = counts(&polytope("square.json", &SQUARE));
    assert_eq!(plain, [4, 4, 4, 4]);
    let cases: [Rows; 5] = [
        &[(&["0", "0"], "0")],
        &[(&["0", "0"], "5"), (&["0", "0"], "1e-300")],
        // a duplicated row, a positive multiple of one, a huge and a tiny multiple
        &[(&["1", "0"], "1"), (&["3", "0"], "3"), (&["1e300", "0"], "1e300"), (&["0", "-1e-300"], "1e-300")],
        &[(&["0", "0"], "0"), (&["1", "1"], "7")],
        &[(&["0", "0"], "0"), (&["0", "0"], "0")],
    ];
    for (k, extra) in cases.iter().enumerate() {
        let rows = with_square(extra);
        let file = polytope(&format!("extra-{k}.json"), &rows);
        assert_eq!(counts(&file), plain, "{extra:?}");
        // the regions of such a domain pass the independent checker
        let seed = fixture("seed.json");
        let out = run_cli(&["regions", seed.to_str().unwrap(), "--json", "--domain", file.to_str().unwrap()]);
        assert!(out.status.success());
        let answer = dir().join(format!("extra-{k}.regions.json"));
        std::fs::write(&answer, &out.stdout).unwrap();
        let check = run_cli(&[
            "check",
            seed.to_str().unwrap(),
            answer.to_str().unwrap(),
            "--domain",
            file.to_str().unwrap(),
        ]);
        assert_eq!(check.status.code(), Some(0), "{}", String::from_utf8_lossy(&check.stdout));
    }
    // zero rows only: all of R^2, as with no domain at all
    let everywhere = counts(&polytope("zero-only.json", &[(&["0", "0"], "0")]));
    let seed = fixture("seed.json");
    let out = run_cli(&["count", seed.to_str().unwrap(), "--json"]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(everywhere, ["regions", "bounded", "edges", "pieces"].map(|k| v[k].as_u64().unwrap()));
}

#[test]
fn a_zero_row_below_zero_empties_the_domain() {
    for (name, b) in [("zero-minus-one.json", "-1"), ("zero-minus-tiny.json", "-1e-300")] {
        let rows = with_square(&[(&["0", "0"], "0"), (&["0", "0"], b)]);
        let err = refusal(&polytope(name, &rows));
        assert!(
            err.contains("domain.polytope.A[5]") && err.contains("empty") && err.contains("< 0"),
            "{err}"
        );
        assert!(!err.contains("A[4]"), "the row 0 . x <= 0 holds everywhere: {err}");
    }
}

#[test]
fn implicit_equalities_are_lower_dimensional_with_a_point_and_multipliers() {
    let cases: [(&str, Rows); 3] = [
        // x + y <= 1 and x + y >= 1
        ("diagonal.json", &[(&["1", "1"], "1"), (&["-1", "-1"], "-1")]),
        // x <= 0 and x >= 0, one of them scaled by 1e-300, the other by 1e300
        ("tiny-huge.json", &[(&["1e-300", "0"], "0"), (&["-1e300", "0"], "0")]),
        // y <= 1/3 twice and y >= 1/3 through a multiple
        ("third.json", &[(&["0", "1"], "1/3"), (&["0", "1"], "1/3"), (&["0", "-3"], "-1")]),
    ];
    for (name, extra) in cases {
        let rows = with_square(extra);
        let err = refusal(&polytope(name, &rows));
        assert!(err.contains("is lower-dimensional"), "{err}");
        assert_eq!(stated_certificate(&err, &rows), q(0));
        let x = stated_point(&err, &rows);
        // the rows of the certificate are tight at the point, as they are everywhere on the domain
        for (a, b) in extra {
            let a: Vec<Q> = a.iter().map(|v| r(v)).collect();
            assert_eq!(dot(&a, &x), r(b), "{err}");
        }
    }
}

#[test]
fn empty_polytopes_are_refused_with_farkas_multipliers() {
    let cases: [(&str, Rows); 3] = [
        ("apart.json", &[(&["1", "0"], "-1e-300"), (&["-1", "0"], "-1e-300")]),
        ("outside.json", &[(&["1", "1"], "-3")]),
        // an implicit equality y = 0 beside the contradiction x <= -2
        ("both.json", &[(&["0", "1"], "0"), (&["0", "-1"], "0"), (&["1", "0"], "-2")]),
    ];
    for (name, extra) in cases {
        let rows = with_square(extra);
        let err = refusal(&polytope(name, &rows));
        assert!(err.contains("is empty"), "{err}");
        assert!(stated_certificate(&err, &rows) < q(0), "{err}");
    }
}

#[test]
fn a_flat_or_empty_box_is_refused() {
    let seed = fixture("seed.json");
    for (bx, what) in
        [("0:0,-1:1", "lower-dimensional"), ("-1:1,1/3:1/3", "lower-dimensional"), ("1:0,-1:1", "empty")]
    {
        let out = run_cli(&["count", seed.to_str().unwrap(), "--box", bx]);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{bx}: {err}");
        assert!(err.contains("--box") && err.contains(what), "{bx}: {err}");
    }
}

/// The polytope's answer by brute force: its vertices (pairs of rows, solved exactly) inside
/// every row; empty without one (the box rows bound it), full-dimensional when their centroid
/// is strictly inside every nontrivial row.
fn brute_force(rows: &[(Vec<Q>, Q)]) -> Option<bool> {
    let real: Vec<&(Vec<Q>, Q)> = rows.iter().filter(|(a, _)| a.iter().any(|v| *v != q(0))).collect();
    let mut vertices = Vec::new();
    for (i, (a, b)) in real.iter().enumerate() {
        for (c, d) in &real[i + 1..] {
            let det = &a[0] * &c[1] - &a[1] * &c[0];
            if det == q(0) {
                continue;
            }
            let x = vec![(b * &c[1] - &a[1] * d) / &det, (&a[0] * d - b * &c[0]) / &det];
            if rows.iter().all(|(a, b)| dot(a, &x) <= *b) {
                vertices.push(x);
            }
        }
    }
    if vertices.is_empty() {
        return None;
    }
    let n = Q::from_integer((vertices.len() as i64).into());
    let centroid: Vec<Q> = (0..2).map(|j| vertices.iter().map(|v| v[j].clone()).sum::<Q>() / &n).collect();
    Some(real.iter().all(|(a, b)| dot(a, &centroid) < *b))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]
    /// Random polygons inside the box [-3, 3]^2 (small integer rows, zero rows, duplicates and
    /// reversed rows among them): the check agrees with brute force, and each certificate holds.
    #[test]
    fn random_polygons_agree_with_brute_force(
        extra in prop::collection::vec(((-2i64..=2, -2i64..=2), -3i64..=3, 0usize..4), 1..6)
    ) {
        let mut rows: Vec<(Vec<Q>, Q)> = [(1, 0), (-1, 0), (0, 1), (0, -1)].iter().map(|&(x, y)| (vec![q(x), q(y)], q(3))).collect();
        for ((x, y), b, kind) in extra {
            let row = (vec![q(x), q(y)], q(b));
            match kind {
                0 => rows.push(row),
                1 => { rows.push(row.clone()); rows.push(row) }
                2 => { rows.push((row.0.iter().map(|v| -v).collect(), -&row.1)); rows.push(row) }
                _ => rows.push((row.0.iter().map(|v| v * q(7)).collect(), row.1 * q(7))),
            }
        }
        let (a, b): (Vec<Vec<Q>>, Vec<Q>) = rows.iter().cloned().unzip();
        let defect = polytope_defect(&a, &b).unwrap();
        let contradiction = rows.iter().position(|(a, b)| a.iter().all(|v| *v == q(0)) && *b < q(0));
        let combined = |m: &[(usize, Q)]| -> (Vec<Q>, Q) {
            ((0..2).map(|j| m.iter().map(|(i, y)| &a[*i][j] * y).sum()).collect(), m.iter().map(|(i, y)| &b[*i] * y).sum())
        };
        match (&defect, contradiction, brute_force(&rows)) {
            (Some(PolytopeDefect::ContradictoryRow { row }), Some(first), _) => prop_assert_eq!(*row, first),
            (None, None, Some(true)) => {}
            (Some(PolytopeDefect::Empty { multipliers }), None, None) => {
                let (lhs, rhs) = combined(multipliers);
                prop_assert!(multipliers.iter().all(|(_, y)| *y > q(0)));
                prop_assert!(lhs.iter().all(|v| *v == q(0)) && rhs < q(0));
            }
            (Some(PolytopeDefect::LowerDimensional { multipliers, point }), None, Some(false)) => {
                let (lhs, rhs) = combined(multipliers);
                prop_assert!(!multipliers.is_empty() && multipliers.iter().all(|(_, y)| *y > q(0)));
                prop_assert!(lhs.iter().all(|v| *v == q(0)) && rhs == q(0));
                prop_assert!(rows.iter().all(|(a, b)| dot(a, point) <= *b));
            }
            (got, c, brute) => prop_assert!(false, "{:?} with contradiction {:?}, brute force {:?}", got, c, brute),
        }
    }
}
