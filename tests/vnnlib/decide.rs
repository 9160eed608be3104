//! Issue 16 (part): VNN-LIB properties decided exactly, on properties that are sat or unsat by
//! construction (at and just beyond the exact output range), with fixed inputs, disjunctions,
//! strict inequalities, ACAS Xu, and bad input.

use crate::cli::fixtures::run_cli;
use crate::support::*;
use relu_regions::exact::num::{fmt_q, Q};
use relu_regions::network::json::read_network;
use relu_regions::network::vnnlib::read_vnnlib;
use relu_regions::queries::property::{decide, Verdict};
use relu_regions::queries::range::output_ranges;
use relu_regions::Enumerator;

fn header(inputs: &[(String, String)], outputs: usize) -> String {
    let mut s = String::new();
    for i in 0..inputs.len() {
        s += &format!("(declare-const X_{i} Real)\n");
    }
    for j in 0..outputs {
        s += &format!("(declare-const Y_{j} Real)\n");
    }
    for (i, (lo, hi)) in inputs.iter().enumerate() {
        s += &format!("(assert (>= X_{i} {lo}))\n(assert (<= X_{i} {hi}))\n");
    }
    s
}

fn deep2d() -> relu_regions::network::Network {
    let path = fixture("deep2d.json");
    read_network(&std::fs::read_to_string(&path).unwrap(), "deep2d").unwrap()
}

/// deep2d with its regions, its exact output range `(min, max)` and its box as VNN-LIB header.
struct Deep2d {
    net: relu_regions::network::Network,
    regions: usize,
    min: Q,
    max: Q,
    head: String,
}

fn deep2d_range() -> Deep2d {
    let net = deep2d();
    let a = run(&net);
    let ranges = output_ranges(a.regions()).unwrap().unwrap();
    let (min, max) = (ranges[0].min.value().unwrap().clone(), ranges[0].max.value().unwrap().clone());
    let relu_regions::network::Domain::Box(bounds) = net.domain() else { panic!("a box") };
    let inputs: Vec<(String, String)> = bounds.iter().map(|(l, h)| (fmt_q(l), fmt_q(h))).collect();
    Deep2d { regions: a.regions().len(), min, max, head: header(&inputs, 1), net }
}

impl Deep2d {
    /// The property "Y_0 >= t" on deep2d's box.
    fn at_least(&self, t: &Q) -> relu_regions::network::vnnlib::Property {
        read_vnnlib(&format!("{}(assert (>= Y_0 {}))", self.head, fmt_q(t)), "p", 2, 1).unwrap()
    }
}

/// The exact maximum is reached (sat, with an exact counterexample), anything above it is not
/// (unsat), and `>` the maximum is unsat: answers no tolerance-based tool can give.
#[test]
fn the_exact_range_decides_properties_at_its_edges() {
    let Deep2d { net, min, max, head, .. } = deep2d_range();
    let e = Enumerator::builder().threads(2).build();
    let tiny = Q::new(1.into(), num_bigint::BigInt::from(10).pow(30));
    let cases = [
        (format!("(assert (>= Y_0 {}))", fmt_q(&max)), true),
        (format!("(assert (>= Y_0 {}))", fmt_q(&(&max + &tiny))), false),
        (format!("(assert (> Y_0 {}))", fmt_q(&max)), false),
        (format!("(assert (<= Y_0 {}))", fmt_q(&min)), true),
        (
            format!("(assert (or (and (<= Y_0 {})) (and (>= Y_0 {}))))", fmt_q(&(&min - &tiny)), fmt_q(&max)),
            true,
        ),
        (
            format!("(assert (or (<= Y_0 {}) (>= Y_0 {})))", fmt_q(&(&min - &tiny)), fmt_q(&(&max + &tiny))),
            false,
        ),
    ];
    for (assertion, sat) in cases {
        let p = read_vnnlib(&format!("{head}{assertion}"), "p", 2, 1).unwrap();
        let d = decide(&net, &p, &e).unwrap();
        match (&d.verdict, sat) {
            (Verdict::Sat { input, output }, true) => {
                assert!(p.is_violated(input, output) && net.output(input) == *output, "{assertion}");
            }
            (Verdict::Unsat, false) => {}
            (v, _) => panic!("{assertion}: {v:?}"),
        }
    }
}

/// A fixed input (lo = hi) is folded in; the counterexample keeps its value.
#[test]
fn fixed_inputs_are_folded() {
    let net = deep2d();
    let head = header(&[("1/3".into(), "1/3".into()), ("-1".into(), "1".into())], 1);
    let p = read_vnnlib(&format!("{head}(assert (>= Y_0 -100))"), "p", 2, 1).unwrap();
    match decide(&net, &p, &Enumerator::builder().build()).unwrap().verdict {
        Verdict::Sat { input, .. } => {
            assert_eq!(input[0], relu_regions::exact::num::parse_rational("1/3").unwrap())
        }
        v => panic!("{v:?}"),
    }
}

/// ACAS Xu 1_1 on a small box: whichever advisory is the argmin at the centre, "that output is
/// minimal" is sat there, and every answer is a checked counterexample or unsat.
#[test]
fn acas_xu_small_box() {
    let acas = fixture("nnet/ACASXU_run2a_1_1_batch_2000.nnet");
    let centre = ["-0.3", "0.0", "0.49", "0.4", "0.4"];
    let bounds: Vec<(String, String)> = centre
        .iter()
        .map(|c| {
            let v = relu_regions::exact::num::parse_rational(c).unwrap();
            let h = Q::new(1.into(), 2000.into());
            (fmt_q(&(&v - &h)), fmt_q(&(&v + &h)))
        })
        .collect();
    let head = header(&bounds, 5);
    let dir = std::env::temp_dir().join(format!("rr-vnnlib-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut sat = 0;
    for k in 0..5 {
        let minimal: String =
            (0..5).filter(|&j| j != k).map(|j| format!("(assert (<= Y_{k} Y_{j}))\n")).collect();
        let path = dir.join(format!("min{k}.vnnlib"));
        std::fs::write(&path, format!("{head}{minimal}")).unwrap();
        let proof = dir.join(format!("proof{k}.json"));
        let out = run_cli(&[
            "vnnlib",
            acas.to_str().unwrap(),
            path.to_str().unwrap(),
            "--coords",
            "normalized",
            "--json",
            "--proof",
            proof.to_str().unwrap(),
        ]);
        assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(v["complete"], true);
        if v["result"] == "sat" {
            sat += 1;
            assert_eq!(v["counterexample"]["input"].as_array().unwrap().len(), 5);
        } else {
            assert_eq!(v["result"], "unsat");
            // the certificate passes the independent checker
            let args =
                [acas.to_str().unwrap(), proof.to_str().unwrap(), "--property", path.to_str().unwrap()];
            let check = run_cli(&["check", args[0], args[1], args[2], args[3], "--coords", "normalized"]);
            assert_eq!(check.status.code(), Some(0), "{}", String::from_utf8_lossy(&check.stdout));
        }
    }
    assert!(sat >= 1, "some output is minimal somewhere");
    // a limit: unknown, exit 3
    let path = dir.join("min0.vnnlib");
    let out = run_cli(&[
        "vnnlib",
        acas.to_str().unwrap(),
        path.to_str().unwrap(),
        "--coords",
        "normalized",
        "--json",
        "--max-regions",
        "0",
    ]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    if v["result"] == "unknown" {
        assert_eq!(out.status.code(), Some(3));
    }
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn bad_properties_name_line_and_column() {
    let dir = std::env::temp_dir().join(format!("rr-vnnlib-bad-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let seed = fixture("seed.json");
    for (text, what) in [
        ("(declare-const X_0 Real)\n(declare-const X_1 Real)\n(declare-const Y_0 Real)\n(assert (<= X_0 1)", "never closed"),
        ("(declare-const X_0 Real)\n(declare-const X_1 Real)\n(declare-const Y_0 Real)\n(assert (<= Y_3 1))", "not declared"),
        ("(declare-const X_0 Real)\n(declare-const Y_0 Real)", "declares 1 inputs"),
        ("(declare-const X_0 Real)\n(declare-const X_1 Real)\n(declare-const Y_0 Real)\n(assert (or (<= X_0 1) (<= X_1 1)))", "needs a lower and an upper bound"),
    ] {
        let path = dir.join("bad.vnnlib");
        std::fs::write(&path, text).unwrap();
        let out = run_cli(&["vnnlib", seed.to_str().unwrap(), path.to_str().unwrap()]);
        assert_eq!(out.status.code(), Some(2), "{text}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(what) && err.contains("bad.vnnlib:"), "{err}");
    }
    let _ = std::fs::remove_dir_all(dir);
}

/// Mutated properties (bytes flipped, cut, duplicated) are errors or properties, never a panic.
#[test]
fn fuzzed_properties_never_panic() {
    let mut rng = crate::enumerate::invariants::Rng::new(1616);
    let seed = "(declare-const X_0 Real)\n(declare-const X_1 Real)\n(declare-const Y_0 Real)\n\
        (assert (<= X_0 0.5))\n(assert (>= X_0 -0.5))\n(assert (<= X_1 1/2))\n(assert (>= X_1 -1e-3))\n\
        (assert (or (and (<= Y_0 (+ 1 (* 2 Y_0)))) (and (>= (- Y_0) 3) (< Y_0 -2.5E1))))\n";
    let net = read_network(&std::fs::read_to_string(fixture("seed.json")).unwrap(), "seed").unwrap();
    let e = Enumerator::builder().build();
    let mut parsed = 0;
    for _ in 0..3000 {
        let text = crate::network::hostile::mutate(&mut rng, seed.as_bytes());
        if let Ok(p) = read_vnnlib(&String::from_utf8_lossy(&text), "fuzz.vnnlib", 2, 1) {
            parsed += 1;
            // and whatever parses is decided (or refused) without a panic
            if parsed <= 200 {
                if let Ok(d) = decide(&net, &p, &e) {
                    if let Verdict::Sat { input, output } = d.verdict {
                        assert!(p.is_violated(&input, &output) && net.output(&input) == output);
                    }
                }
            }
        }
    }
    assert!(read_vnnlib(seed, "seed", 2, 1).is_ok());
    assert!(parsed > 0);
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig { cases: 24, ..proptest::prelude::ProptestConfig::default() })]

    /// Pruning partial regions (symbolic bounds, safe dual bounds) and sampling for
    /// counterexamples never change an answer: the default run agrees with the exact reference
    /// (`--lp exact`: no floats, nothing pruned, every region examined) on random networks and
    /// properties at, just inside and just beyond the exact output range, with disjunctions.
    #[test]
    fn pruning_and_sampling_never_change_an_answer(seed in 0u64..100_000, dim in 1usize..4, case in 0usize..6) {
        use relu_regions::Backend;
        let mut rng = crate::enumerate::invariants::Rng::new(seed);
        let bx = relu_regions::network::Domain::Box((0..dim).map(|_| (r("-3/2"), r("2"))).collect());
        let net = crate::enumerate::invariants::random_net(&mut rng, dim, &[5, 4], bx.clone());
        let a = run(&net);
        let ranges = output_ranges(a.regions()).unwrap().unwrap();
        let (min, max) = (ranges[0].min.value().unwrap().clone(), ranges[0].max.value().unwrap().clone());
        let tiny = r("1/1000000");
        let middle = (&min + &max) / Q::from_integer(2.into());
        let assertion = match case {
            0 => format!("(assert (>= Y_0 {}))", fmt_q(&max)),
            1 => format!("(assert (>= Y_0 {}))", fmt_q(&(&max + &tiny))),
            2 => format!("(assert (<= Y_0 {}))", fmt_q(&(&min - &tiny))),
            3 => format!("(assert (or (<= Y_0 {}) (>= Y_0 {})))", fmt_q(&(&min - &tiny)), fmt_q(&(&max - &tiny))),
            4 => format!("(assert (and (>= Y_0 {}) (<= Y_0 {})))", fmt_q(&middle), fmt_q(&middle)),
            _ => format!("(assert (< Y_0 {}))", fmt_q(&min)),
        };
        let relu_regions::network::Domain::Box(bounds) = bx else { unreachable!() };
        let inputs: Vec<(String, String)> = bounds.iter().map(|(l, h)| (fmt_q(l), fmt_q(h))).collect();
        let p = read_vnnlib(&format!("{}{assertion}", header(&inputs, 1)), "p", dim, 1).unwrap();
        let answer = |backend| {
            let e = Enumerator::builder().backend(backend).threads(2).build();
            match decide(&net, &p, &e).unwrap().verdict {
                Verdict::Sat { input, output } => {
                    assert!(p.is_violated(&input, &output) && net.output(&input) == output);
                    "sat"
                }
                Verdict::Unsat => "unsat",
                Verdict::Unknown => "unknown",
            }
        };
        let proved = decide(&net, &p, &Enumerator::builder().threads(2).build()).unwrap();
        if let Some(proof) = proved.proof {
            let report = relu_regions::check::proof::check_proof(&net, &p, &proof.to_json());
            proptest::prop_assert!(report.failures.is_empty(), "{:?}", report.failures);
        }
        proptest::prop_assert_eq!(answer(Backend::FloatSimplex), answer(Backend::ExactOnly), "{}", assertion);
    }
}

/// Far from the output range, whole subtrees are discarded before their regions are formed:
/// fewer regions are examined than the box has, and the answer is the same.
#[test]
fn partial_regions_out_of_reach_are_pruned() {
    let deep = deep2d_range();
    let (net, max, width) = (&deep.net, &deep.max, &deep.max - &deep.min);
    let e = Enumerator::builder().threads(1).build();
    let near_top = max - &width / Q::from_integer(20.into());
    // regions reaching the top 5% of the range: sat (found by sampling or enumeration)
    assert!(matches!(decide(net, &deep.at_least(&near_top), &e).unwrap().verdict, Verdict::Sat { .. }));
    // beyond the range: unsat, most of the tree pruned
    let above = deep.at_least(&(max + &width));
    let d = decide(net, &above, &e).unwrap();
    assert_eq!(d.verdict, Verdict::Unsat);
    assert!(d.subtrees_pruned > 0 && d.regions_visited < deep.regions, "{d:?} of {} regions", deep.regions);
}

/// An `unsat` answer carries a proof that the independent checker accepts; the checker refuses
/// it when a leaf is missing, when a pruned leaf's box is shrunk, and for a property that is
/// violated.
#[test]
fn unsat_proofs_are_checked_and_forgeries_refused() {
    use relu_regions::check::proof::check_proof;
    let deep = deep2d_range();
    let (net, max, width) = (&deep.net, &deep.max, &deep.max - &deep.min);
    let e = Enumerator::builder().threads(2).build();
    let at = |t: &Q| deep.at_least(t);
    for t in [max + &width / Q::from_integer(10.into()), max + r("1/1000000")] {
        let p = at(&t);
        let d = decide(net, &p, &e).unwrap();
        assert_eq!(d.verdict, Verdict::Unsat);
        let doc = d.proof.expect("an unsat answer has a proof").to_json();
        let report = check_proof(net, &p, &doc);
        assert!(report.failures.is_empty(), "{:?}", report.failures);
        // a missing leaf leaves part of the box uncovered
        let leaves = doc["leaves"].as_array().unwrap();
        if leaves.len() > 1 {
            for k in [0, leaves.len() / 2, leaves.len() - 1] {
                let mut forged = doc.clone();
                forged["leaves"].as_array_mut().unwrap().remove(k);
                assert!(!check_proof(net, &p, &forged).failures.is_empty(), "leaf {k} removed");
            }
        }
        // a pruned leaf's box shrunk to a point no longer contains its cell
        if let Some(k) = leaves.iter().position(|l| l.get("box").is_some()) {
            let mut forged = doc.clone();
            let side = forged["leaves"][k]["box"][0][0].clone();
            forged["leaves"][k]["box"][0][1] = side;
            assert!(!check_proof(net, &p, &forged).failures.is_empty(), "box shrunk");
        }
        // the same leaves do not prove a property that the network violates
        let violated = at(&(max - &width / Q::from_integer(10.into())));
        assert!(!check_proof(net, &violated, &doc).failures.is_empty());
    }
}
