//! Issue 13: max and min units over several values of the data (`MaxPool`, `ReduceMax`,
//! `ReduceMin`, `Max`/`Min` of tensors): a piece per argmax, ties to the lowest index. Closed
//! forms (the max of tangent planes of `|x|^2` is the Voronoi diagram of the touching points),
//! direct evaluation, a brute-force grid of patterns, the float-free backend and the checker.

use crate::onnx::operators::{exact, points, relu, values};
use crate::onnx::writer as onnx;
use crate::support::*;
use relu_regions::check::{check_answer, CheckOptions};
use relu_regions::exact::num::Q;
use relu_regions::network::onnx::read_onnx;
use relu_regions::network::{Domain, Network};
use std::collections::HashSet;

/// The checker accepts the whole answer (regions and graph).
fn assert_checked(net: &Network) -> relu_regions::Analysis {
    let a = run(net);
    let doc = relu_regions::export::json::regions_document(net, &a, None);
    let graph: serde_json::Value =
        serde_json::from_str(&relu_regions::export::json::graph_json(a.regions(), a.graph(), true, None))
            .unwrap();
    let report = check_answer(net, &doc, Some(&graph), CheckOptions { partial: false, threads: 2 });
    assert!(report.failures.is_empty(), "{:?}", report.failures);
    a
}

/// `max_t (2 p_t . x - |p_t|^2)`: its pieces are the Voronoi cells of the points `p_t`.
fn tangent_max(points: &[(i64, i64)]) -> Network {
    let rows: Vec<String> = points.iter().map(|(a, b)| format!("[{}, {}]", 2 * a, 2 * b)).collect();
    let bias: Vec<String> = points.iter().map(|(a, b)| format!("{}", -(a * a + b * b))).collect();
    let ones = vec!["1"; points.len()].join(", ");
    net(&format!(
        r#"{{"input_dim": 2, "layers": [
        {{"weights": [{}], "bias": [{}], "activation": "max", "pieces": {}}},
        {{"weights": [[{ones}]], "activation": "linear"}}]}}"#,
        rows.join(", "),
        bias.join(", "),
        points.len()
    ))
}

#[test]
fn the_max_of_k_affine_functions_in_general_position_has_k_regions() {
    // every tangent plane of |x|^2 is the largest near its own point: k regions, the cells
    // of points inside the hull bounded, the others not
    let cases: [(&[(i64, i64)], usize); 4] = [
        (&[(0, 0), (3, 1)], 0),
        (&[(0, 0), (4, 0), (1, 3)], 0),
        (&[(0, 0), (5, 1), (-2, 4), (1, -6), (2, 1)], 2),
        // a 3 x 3 grid: cocircular points, degenerate Voronoi vertices; the centre is bounded
        (&[(-1, -1), (0, -1), (1, -1), (-1, 0), (0, 0), (1, 0), (-1, 1), (0, 1), (1, 1)], 1),
    ];
    for (points, bounded) in cases {
        let net = tangent_max(points);
        let a = assert_checked(&net);
        assert_eq!(a.regions().len(), points.len(), "{points:?}");
        assert_eq!(a.regions().iter().filter(|r| r.bounded()).count(), bounded, "{points:?}");
        // each region's map is its own tangent plane, and its pattern names it
        for r in a.regions() {
            let t = r.pattern()[0].iter().position(|&b| b).unwrap();
            assert_eq!(
                r.map().jacobian[0],
                [Q::from_integer((2 * points[t].0).into()), Q::from_integer((2 * points[t].1).into())]
            );
            assert_eq!(r.pattern_strings(), [char::from_digit(t as u32, 36).unwrap().to_string()]);
        }
        let exact_backend = analyze_with(&net, relu_regions::Backend::ExactOnly);
        assert_eq!(exact_backend.regions().len(), points.len());
    }
    // a candidate equal to another (a full-dimensional tie) is one piece: the lower index
    let twice = tangent_max(&[(0, 0), (2, 1), (2, 1)]);
    let a = assert_checked(&twice);
    assert_eq!(a.regions().len(), 2);
    assert!(a.regions().iter().all(|r| !r.pattern()[0][2]));
}

/// Max pooling after a ReLU layer, 2-D windows: `x -> relu(W0 x) as [2, 2, 2] -> MaxPool 2x2
/// -> G`; and a 1-D max pool with stride and padding straight on an affine map.
pub(crate) fn pool_models() -> (Vec<u8>, Vec<u8>) {
    let two_d = onnx::model(
        &[
            onnx::node("MatMul", &["x", "W0"], &["a"]),
            onnx::node("Relu", &["a"], &["h"]),
            onnx::node("Reshape", &["h", "S"], &["img"]),
            onnx::node_with("MaxPool", &["img"], &["p"], &[onnx::attr_ints("kernel_shape", &[2, 2])]),
            onnx::node("Flatten", &["p"], &["f"]),
            onnx::node("MatMul", &["f", "G"], &["y"]),
        ],
        &[
            onnx::floats("W0", &[2, 8], &values(16, 41)),
            onnx::int64s("S", &[4], &[1, 2, 2, 2]),
            onnx::floats("G", &[2, 1], &[1.0, -0.5]),
        ],
        onnx::input("x", &[1, 2]),
    );
    let one_d = onnx::model(
        &[
            onnx::node("MatMul", &["x", "W0"], &["a"]),
            onnx::node("Reshape", &["a", "S"], &["seq"]),
            onnx::node_with(
                "MaxPool",
                &["seq"],
                &["p"],
                &[
                    onnx::attr_ints("kernel_shape", &[3]),
                    onnx::attr_ints("strides", &[2]),
                    onnx::attr_ints("pads", &[1, 1]),
                ],
            ),
            onnx::node("Flatten", &["p"], &["f"]),
            onnx::node("MatMul", &["f", "G"], &["y"]),
        ],
        &[
            onnx::floats("W0", &[2, 6], &values(12, 42)),
            onnx::int64s("S", &[3], &[1, 1, 6]),
            onnx::floats("G", &[3, 1], &[1.0, 0.5, -1.0]),
        ],
        onnx::input("x", &[1, 2]),
    );
    (two_d, one_d)
}

/// `MatMul` of `x` (1 x n) by `m` (n x outs), exactly.
fn matmul(m: &[f32], x: &[Q], outs: usize) -> Vec<Q> {
    (0..outs).map(|j| x.iter().enumerate().map(|(i, v)| exact(m[i * outs + j]) * v).sum()).collect()
}

/// The first largest value's index and the value.
fn argmax(c: &[Q]) -> (usize, Q) {
    let mut best = 0;
    for t in 1..c.len() {
        if c[t] > c[best] {
            best = t;
        }
    }
    (best, c[best].clone())
}

#[test]
fn max_pooling_regions_match_a_brute_force_grid_of_patterns() {
    let (two_d, _) = pool_models();
    let net = read_onnx(&two_d, "pool.onnx").unwrap();
    let w0 = values(16, 41);
    // the reference: relu states, then per pooled unit (channel c: values 4c..4c+4) the argmax
    let reference = |x: &[Q]| -> (Vec<bool>, Vec<usize>, Q) {
        let a = matmul(&w0, x, 8);
        let h: Vec<Q> = a.iter().cloned().map(relu).collect();
        let pooled: Vec<(usize, Q)> = (0..2).map(|c| argmax(&h[4 * c..4 * c + 4])).collect();
        let y = &pooled[0].1 - &pooled[1].1 / Q::from_integer(2.into());
        (a.iter().map(|v| *v > Q::default()).collect(), pooled.iter().map(|p| p.0).collect(), y)
    };
    for x in points(2, 20) {
        assert_eq!(net.output(&x), vec![reference(&x).2]);
    }
    let boxed = net.with_domain(Domain::Box(vec![(r("-4"), r("4")); 2])).unwrap();
    let a = assert_checked(&boxed);
    let listed: HashSet<(Vec<bool>, Vec<usize>)> = a
        .regions()
        .iter()
        .map(|r| {
            (
                r.pattern()[0].clone(),
                r.pattern()[1].chunks(4).map(|u| u.iter().position(|&b| b).unwrap()).collect(),
            )
        })
        .collect();
    assert_eq!(listed.len(), a.regions().len());
    let mut seen = HashSet::new();
    for i in 0..=120 {
        for j in 0..=120 {
            let x = [
                Q::new((i - 60).into(), 15.into()) + r("1/997"),
                Q::new((j - 60).into(), 15.into()) + r("1/991"),
            ];
            let (states, pieces, _) = reference(&x);
            assert!(
                listed.contains(&(states.clone(), pieces.clone())),
                "a sampled pattern is missing at {x:?}"
            );
            seen.insert((states, pieces));
        }
    }
    assert!(
        seen.len() * 10 >= a.regions().len() * 9,
        "the grid sees {} of {} regions",
        seen.len(),
        a.regions().len()
    );
    let exact_backend = analyze_with(&boxed, relu_regions::Backend::ExactOnly);
    assert_eq!(exact_backend.regions().len(), a.regions().len());
}

#[test]
fn one_dimensional_max_pooling_with_stride_and_padding() {
    let (_, one_d) = pool_models();
    let net = read_onnx(&one_d, "pool1d.onnx").unwrap();
    let w0 = values(12, 42);
    let g = [1.0f32, 0.5, -1.0];
    for x in points(2, 20) {
        let a = matmul(&w0, &x, 6);
        // windows of 3 at -1, 1, 3 (padding left out): {0,1}, {1,2,3}, {3,4,5}
        let windows: [&[usize]; 3] = [&[0, 1], &[1, 2, 3], &[3, 4, 5]];
        let y: Q = windows
            .iter()
            .zip(g)
            .map(|(w, gi)| argmax(&w.iter().map(|&i| a[i].clone()).collect::<Vec<_>>()).1 * exact(gi))
            .sum();
        assert_eq!(net.output(&x), vec![y]);
    }
    let a = assert_checked(&net);
    assert!(a.regions().len() >= 3);
}

#[test]
fn max_and_min_of_tensors_and_reductions() {
    let (wa, wb, g) = (values(6, 51), values(6, 52), values(3, 53));
    let model = |op: &str, reduce: Option<&str>| {
        let mut nodes = vec![
            onnx::node("MatMul", &["x", "A"], &["a"]),
            onnx::node("MatMul", &["x", "B"], &["b"]),
            onnx::node(op, &["a", "b"], &["m"]),
        ];
        match reduce {
            Some(r) => {
                nodes.push(onnx::node_with(
                    r,
                    &["m"],
                    &["n"],
                    &[onnx::attr_ints("axes", &[1]), onnx::attr_int("keepdims", 0)],
                ));
                nodes.push(onnx::node("MatMul", &["n", "H"], &["y"]));
            }
            None => nodes.push(onnx::node("MatMul", &["m", "G"], &["y"])),
        }
        onnx::model(
            &nodes,
            &[
                onnx::floats("A", &[2, 3], &wa),
                onnx::floats("B", &[2, 3], &wb),
                onnx::floats("G", &[3, 1], &g),
                onnx::floats("H", &[1, 1], &[2.0]),
            ],
            onnx::input("x", &[1, 2]),
        )
    };
    for (op, reduce) in [("Max", None), ("Min", None), ("Max", Some("ReduceMin")), ("Min", Some("ReduceMax"))]
    {
        let net = read_onnx(&model(op, reduce), "maxmin.onnx").unwrap();
        for x in points(2, 12) {
            let (a, b) = (matmul(&wa, &x, 3), matmul(&wb, &x, 3));
            let m: Vec<Q> =
                a.into_iter().zip(b).map(|(p, q)| if (op == "Max") == (q > p) { q } else { p }).collect();
            let y = match reduce {
                None => m.iter().zip(&g).map(|(v, gi)| v * exact(*gi)).sum(),
                Some(r) => {
                    let pick =
                        m.iter().cloned().reduce(|p, q| if (r == "ReduceMax") == (q > p) { q } else { p });
                    pick.unwrap() * Q::from_integer(2.into())
                }
            };
            assert_eq!(net.output(&x), vec![y], "{op} {reduce:?}");
        }
        let boxed = net.with_domain(Domain::Box(vec![(r("-3"), r("3")); 2])).unwrap();
        let a = assert_checked(&boxed);
        assert!(a.regions().len() >= 2, "{op} {reduce:?}");
    }
}

#[test]
fn max_layers_round_trip_through_both_json_forms_and_properties_are_decided() {
    let net = tangent_max(&[(0, 0), (5, 1), (-2, 4), (1, -6), (2, 1)]);
    let text = relu_regions::network::json::write_network(&net);
    assert!(text.contains("\"pieces\": 5") || text.contains("\"pieces\":5"), "{text}");
    assert_eq!(relu_regions::network::json::read_network(&text, "again").unwrap(), net);
    let graph =
        relu_regions::network::graph_form(std::path::Path::new("max.json"), None, text.as_bytes(), &net)
            .unwrap();
    let back = relu_regions::network::json::read_network(&graph, "graph.json").unwrap();
    assert_eq!(back.layers(), net.layers());
    // a max layer must be read by a layer whose columns agree within each unit
    let bad = r#"{"input_dim": 1, "layers": [{"weights": [[1], [-1]], "activation": "max", "pieces": 2},
        {"weights": [[1, 2]], "activation": "linear"}]}"#;
    let err = relu_regions::network::json::read_network(bad, "bad.json").unwrap_err().to_string();
    assert!(err.contains("layers[1].weights[0]") && err.contains("max unit 0"), "{err}");
    // verification: the max of the tangent planes is convex, so its largest value on the box
    // [-1, 1]^2 is at a corner; just above it is unsat, just below sat (with and without floats)
    let corners = [[-1, -1], [-1, 1], [1, -1], [1, 1]].map(|c| c.map(|v| Q::from_integer(v.into())).to_vec());
    let top = corners.iter().map(|x| net.output(x)[0].clone()).max().unwrap();
    let head = "(declare-const X_0 Real)(declare-const X_1 Real)(declare-const Y_0 Real)(assert (<= X_0 1))(assert (>= X_0 -1))(assert (<= X_1 1))(assert (>= X_1 -1))";
    for backend in [relu_regions::Backend::FloatSimplex, relu_regions::Backend::ExactOnly] {
        let e = relu_regions::Enumerator::builder().backend(backend).build();
        for (delta, sat) in [("1/100", false), ("-1/100", true)] {
            let bound = &top + r(delta);
            let text = format!("{head}(assert (>= Y_0 {}))", relu_regions::exact::num::fmt_q(&bound));
            let property = relu_regions::network::vnnlib::read_vnnlib(&text, "p", 2, 1).unwrap();
            let decision = relu_regions::queries::property::decide(&net, &property, &e).unwrap();
            match decision.verdict {
                relu_regions::queries::property::Verdict::Sat { output, .. } => {
                    assert!(sat && output[0] >= bound, "{delta} {backend:?}")
                }
                relu_regions::queries::property::Verdict::Unsat => {
                    assert!(!sat, "{delta} {backend:?}");
                    let proof = decision.proof.expect("an unsat answer carries its proof").to_json();
                    let report = relu_regions::check::proof::check_proof(&net, &property, &proof);
                    assert!(report.failures.is_empty(), "{delta} {backend:?}: {:?}", report.failures);
                }
                other => panic!("{other:?}"),
            }
        }
    }
}

/// The command line on a network with max units: patterns with piece digits, the checker, the
/// plot (one polygon a region), the graph at any thread count, `verify` with the bounds, and `vnnlib --proof` whose proof
/// `check --property` accepts.
#[test]
fn the_command_line_on_max_units() {
    let dir = std::env::temp_dir().join(format!("relu-regions-max-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("max.json");
    let text =
        relu_regions::network::json::write_network(&tangent_max(&[(0, 0), (5, 1), (-2, 4), (1, -6), (2, 1)]));
    std::fs::write(&file, text).unwrap();
    let f = file.to_str().unwrap();
    let regions = dir.join("regions.json");
    let out = crate::cli::fixtures::run_cli(&["regions", f, "--json", "--box=-8:8,-8:8"]);
    assert!(out.status.success());
    std::fs::write(&regions, &out.stdout).unwrap();
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let patterns: HashSet<&str> =
        doc["regions"].as_array().unwrap().iter().map(|r| r["pattern"][0].as_str().unwrap()).collect();
    assert_eq!(patterns, HashSet::from(["0", "1", "2", "3", "4"]));
    let check = crate::cli::fixtures::run_cli(&["check", f, regions.to_str().unwrap(), "--box=-8:8,-8:8"]);
    assert!(check.status.success(), "{}", String::from_utf8_lossy(&check.stdout));
    let one = crate::cli::fixtures::run_cli(&["graph", f, "--format", "json", "--threads", "1"]);
    let two = crate::cli::fixtures::run_cli(&["graph", f, "--format", "json", "--threads", "2"]);
    assert!(one.status.success() && one.stdout == two.stdout);
    let svg = dir.join("max.svg");
    let plot = crate::cli::fixtures::run_cli(&["plot", f, "--box=-8:8,-8:8", "--svg", svg.to_str().unwrap()]);
    assert!(plot.status.success() && String::from_utf8_lossy(&plot.stderr).contains("5 regions"));
    assert_eq!(std::fs::read_to_string(&svg).unwrap().matches("<polygon").count(), 5);
    let verify =
        crate::cli::fixtures::run_cli(&["verify", f, "--box=-8:8,-8:8", "--expect", "regions=5,bounded=5"]);
    assert!(verify.status.success(), "{}", String::from_utf8_lossy(&verify.stdout));
    let property = dir.join("p.vnnlib");
    std::fs::write(&property, "(declare-const X_0 Real)(declare-const X_1 Real)(declare-const Y_0 Real)(assert (<= X_0 1))(assert (>= X_0 -1))(assert (<= X_1 1))(assert (>= X_1 -1))(assert (>= Y_0 1000))").unwrap();
    let proof = dir.join("proof.json");
    let v = crate::cli::fixtures::run_cli(&[
        "vnnlib",
        f,
        property.to_str().unwrap(),
        "--proof",
        proof.to_str().unwrap(),
    ]);
    assert!(String::from_utf8_lossy(&v.stdout).contains("unsat"), "{}", String::from_utf8_lossy(&v.stdout));
    let p = property.to_str().unwrap();
    let check = crate::cli::fixtures::run_cli(&["check", f, proof.to_str().unwrap(), "--property", p]);
    assert!(check.status.success(), "{}", String::from_utf8_lossy(&check.stdout));
    std::fs::remove_dir_all(&dir).unwrap();
}

/// `vnnlib` on networks with max pooling after a ReLU layer (random small weights): the float
/// backend, which prunes subtrees by the max units' symbolic bounds, gives the verdicts of the
/// float-free `--lp exact` (which prunes nothing), every counterexample meets the property,
/// every `unsat` carries a proof that the checker accepts and that fails with any one leaf
/// left out, and some subtrees are pruned.
#[test]
fn pruned_max_networks_decide_as_the_exact_reference() {
    let mut state = 17u64;
    let mut next = |k: i64| {
        state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        ((state >> 33) % (2 * k as u64 + 1)) as i64 - k
    };
    let head = "(declare-const X_0 Real)(declare-const X_1 Real)(declare-const Y_0 Real)(assert (<= X_0 1))(assert (>= X_0 -1))(assert (<= X_1 1))(assert (>= X_1 -1))";
    let (mut pruned, mut decided, mut proofs, mut forgeries) = (0, 0, 0, 0);
    for _ in 0..6 {
        let row = |next: &mut dyn FnMut(i64) -> i64| format!("[{}, {}]", next(3), next(3));
        let hidden: Vec<String> = (0..4).map(|_| row(&mut next)).collect();
        let bias: Vec<String> = (0..4).map(|_| next(2).to_string()).collect();
        let pool: Vec<String> =
            (0..4).map(|_| format!("[{}, {}, {}, {}]", next(2), next(2), next(2), next(2))).collect();
        let (a, b) = (next(3), next(3));
        let text = format!(
            r#"{{"input_dim": 2, "layers": [
                {{"weights": [{}], "bias": [{}], "activation": "relu"}},
                {{"weights": [{}], "activation": "max", "pieces": 2}},
                {{"weights": [[{a}, {a}, {b}, {b}]], "activation": "linear"}}]}}"#,
            hidden.join(", "),
            bias.join(", "),
            pool.join(", ")
        );
        let net = relu_regions::network::json::read_network(&text, "pool.json").unwrap();
        for t in -12..=12 {
            let property = format!("{head}(assert (>= Y_0 {t}))");
            let property = relu_regions::network::vnnlib::read_vnnlib(&property, "p", 2, 1).unwrap();
            let verdicts: Vec<_> = [relu_regions::Backend::FloatSimplex, relu_regions::Backend::ExactOnly]
                .into_iter()
                .map(|backend| {
                    let e = relu_regions::Enumerator::builder().backend(backend).build();
                    let decision = relu_regions::queries::property::decide(&net, &property, &e).unwrap();
                    pruned += decision.subtrees_pruned;
                    match decision.verdict {
                        relu_regions::queries::property::Verdict::Sat { output, .. } => {
                            assert!(output[0] >= Q::from_integer(t.into()), "{text} Y_0 >= {t}");
                            true
                        }
                        relu_regions::queries::property::Verdict::Unsat => {
                            let proof = decision.proof.expect("unsat carries a proof").to_json();
                            let check = |p: &serde_json::Value| {
                                relu_regions::check::proof::check_proof(&net, &property, p).failures
                            };
                            assert_eq!(check(&proof), [], "{text} Y_0 >= {t} {backend:?}");
                            let leaves = proof["leaves"].as_array().unwrap().len();
                            proofs += 1;
                            // every leaf is needed (one dropped in turn, for a few proofs)
                            for k in (0..leaves).filter(|_| proofs % 7 == 0) {
                                let mut forged = proof.clone();
                                forged["leaves"].as_array_mut().unwrap().remove(k);
                                assert!(!check(&forged).is_empty(), "{text} Y_0 >= {t}: leaf {k}");
                                forgeries += 1;
                            }
                            false
                        }
                        other => panic!("{other:?}"),
                    }
                })
                .collect();
            assert_eq!(verdicts[0], verdicts[1], "{text}: Y_0 >= {t}");
            decided += 1;
        }
    }
    assert!(decided > 100 && pruned > 0, "{decided} properties, {pruned} subtrees pruned");
    assert!(proofs > 20 && forgeries > 20, "{proofs} proofs, {forgeries} forgeries");
}

/// The proof of a max network where a candidate wins only on a point: `|x| = max(x, -x, 0)`
/// below 3/2 on [-1, 1], decided by the exact backend (no pruning, so the proof's leaves are
/// regions). The checker accepts the two leaves (the `0` candidate wins at `x = 0` only: no
/// interior) and rejects a proof whose leaves name the wrong winners.
#[test]
fn a_candidate_that_wins_on_no_interior_needs_no_leaf() {
    let net = relu_regions::network::json::read_network(
        r#"{"input_dim": 1, "layers": [{"weights": [[1], [-1], [0]], "activation": "max", "pieces": 3},
            {"weights": [[1, 1, 1]], "activation": "linear"}]}"#,
        "abs.json",
    )
    .unwrap();
    let text = "(declare-const X_0 Real)(declare-const Y_0 Real)(assert (<= X_0 1))(assert (>= X_0 -1))(assert (>= Y_0 3/2))";
    let property = relu_regions::network::vnnlib::read_vnnlib(text, "p", 1, 1).unwrap();
    let e = relu_regions::Enumerator::builder().backend(relu_regions::Backend::ExactOnly).build();
    let decision = relu_regions::queries::property::decide(&net, &property, &e).unwrap();
    assert_eq!(decision.verdict, relu_regions::queries::property::Verdict::Unsat);
    let proof = decision.proof.unwrap().to_json();
    let states: HashSet<&str> =
        proof["leaves"].as_array().unwrap().iter().map(|l| l["states"][0].as_str().unwrap()).collect();
    assert_eq!(states, HashSet::from(["100", "010"]));
    let check = |p: &serde_json::Value| relu_regions::check::proof::check_proof(&net, &property, p).failures;
    assert_eq!(check(&proof), []);
    // `x` and `0` only: `-x` wins on [-1, 0), which no leaf covers
    let mut forged = proof.clone();
    for leaf in forged["leaves"].as_array_mut().unwrap() {
        if leaf["states"][0] == "010" {
            leaf["states"][0] = "001".into();
        }
    }
    let failures = check(&forged);
    assert!(failures.iter().any(|f| f.message.contains("candidate 1 of max unit 0")), "{failures:?}");
    // two winners at once is not a state of a max unit
    let mut forged = proof.clone();
    forged["leaves"][0]["states"][0] = "110".into();
    assert!(!check(&forged).is_empty());
}
