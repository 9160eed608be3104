//! The adjacency graph and linear pieces.

use crate::cli::fixtures::run_cli;
use crate::support::*;
use petgraph::algo::connected_components;
use relu_regions::analysis::graph::RegionGraph;
use relu_regions::enumerate::NeuronId;
use relu_regions::exact::num::q;
use relu_regions::network::Domain;

fn degrees(g: &RegionGraph) -> Vec<usize> {
    g.graph().node_indices().map(|n| g.graph().neighbors(n).count()).collect()
}

#[test]
fn braid_graph_is_the_permutohedron() {
    for n in 3..=5 {
        let a = run(&braid(n));
        assert_eq!(a.edges(), factorial(n) * (n - 1) / 2, "braid {n}");
        assert!(degrees(a.graph()).iter().all(|&d| d == n - 1), "every region has degree n-1");
        for e in a.graph().graph().edge_weights() {
            assert_eq!(e.neurons.len(), 1, "adjacent permutations differ by one transposition");
        }
    }
}

#[test]
fn generic_arrangement_edge_count() {
    for (k, d) in [(4, 2), (6, 2), (5, 3), (6, 4)] {
        let a = run(&generic(k, d, &default_ts(k)));
        let want = k * (0..d).map(|i| binomial(k - 1, i)).sum::<usize>();
        assert_eq!(a.edges(), want, "k={k} d={d}");
    }
}

#[test]
fn graph_of_a_convex_domain_is_connected() {
    let mut rng = crate::enumerate::invariants::Rng::new(3);
    for dim in 1..=3 {
        let boxed = Domain::Box((0..dim).map(|_| (q(-2), q(2))).collect());
        let net = crate::enumerate::invariants::random_net(&mut rng, dim, &[4, 3], boxed);
        let a = run(&net);
        assert_eq!(connected_components(a.graph().graph()), 1, "dim {dim}");
        assert_eq!(a.graph().dangling(), 0);
    }
}

#[test]
fn cancelling_duplicates_give_fewer_pieces_than_regions() {
    // y = 2 relu(x + y) - 2 relu(x + y) + relu(x - y) = relu(x - y)
    let text4 = r#"{"input_dim": 2, "layers": [
        {"weights": [[1, 1], [1, 1], [1, -1]], "activation": "relu"},
        {"weights": [[2, -2, 1]], "activation": "linear"}]}"#;
    let b = run(&net(text4));
    assert_eq!(b.regions().len(), 4);
    assert_eq!(b.graph().pieces(), 2, "across x+y=0 the map does not change");
    assert_eq!(b.graph().distinct_maps(), 2);
}

#[test]
fn maps_agree_across_every_edge() {
    let mut rng = crate::enumerate::invariants::Rng::new(5);
    for (dim, widths) in [(2, vec![5, 4]), (2, vec![3, 3, 3]), (3, vec![4, 4])] {
        let net = crate::enumerate::invariants::random_net(&mut rng, dim, &widths, Domain::Whole);
        let a = run(&net);
        for e in a.graph().graph().edge_indices() {
            let (s, t) = a.graph().graph().edge_endpoints(e).unwrap();
            let point = &a.graph().graph()[e].point;
            let (ms, mt) = (&a.regions()[s.index()].map(), &a.regions()[t.index()].map());
            assert_eq!(ms.apply(point), mt.apply(point), "continuity across {s:?}-{t:?}");
            assert_eq!(ms.apply(point), net.output(point));
        }
        let facet_sides: usize = a.facets().iter().flatten().filter(|f| !f.on_boundary).count();
        assert_eq!(facet_sides, 2 * a.edges(), "every edge is one facet seen from both sides");
    }
}

#[test]
fn one_facet_can_flip_several_neurons() {
    let text = r#"{"input_dim": 1, "layers": [
        {"weights": [[1]], "activation": "relu"},
        {"weights": [[1], [2], [-1]], "bias": [0, 0, 1], "activation": "relu"},
        {"weights": [[1, 1, 1]], "activation": "linear"}]}"#;
    let a = run(&net(text));
    let edges: Vec<_> = a.graph().graph().edge_weights().collect();
    let flips_at_zero = edges.iter().find(|e| e.point == vec![q(0)]).expect("edge at x = 0");
    assert_eq!(
        flips_at_zero.neurons,
        vec![
            NeuronId { layer: 0, index: 0 },
            NeuronId { layer: 1, index: 0 },
            NeuronId { layer: 1, index: 1 }
        ]
    );
    assert_eq!(a.regions().len(), 3, "x < 0, 0 < x < 1, x > 1");
}

#[test]
fn golden_dot_and_json_for_the_seed() {
    let seed = fixture("seed.json");
    for (format, golden) in [("dot", "seed.expected.dot"), ("json", "seed.expected.graph.json")] {
        let out = run_cli(&["graph", seed.to_str().unwrap(), "--format", format]);
        assert!(out.status.success());
        let want = std::fs::read_to_string(fixture(golden)).unwrap();
        assert_eq!(String::from_utf8(out.stdout).unwrap(), want, "golden {golden}");
    }
}

#[test]
fn dot_renders_with_graphviz() {
    let have_dot = std::process::Command::new("dot").arg("-V").output().is_ok();
    if !have_dot {
        assert!(std::env::var_os("CI").is_none(), "CI must install graphviz (see .ci/run)");
        eprintln!("graphviz not installed: skipping the render check");
        return;
    }
    let dot = std::fs::read(fixture("seed.expected.dot")).unwrap();
    let mut child = std::process::Command::new("dot")
        .arg("-Tsvg")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child.stdin.take().unwrap().write_all(&dot).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let svg = String::from_utf8(out.stdout).unwrap();
    assert!(svg.contains("<svg") && svg.contains("L0.1"));
}

/// A run stopped while certifying facets keeps every region; those after the certified prefix
/// have no facets, so the edges to them are seen from one side only: accepted in a partial
/// graph, an internal error in a complete one.
#[test]
fn edges_to_regions_without_certified_facets() {
    use relu_regions::analysis::graph::build;
    use relu_regions::enumerate::Prepared;
    use relu_regions::Backend;
    let path = fixture("deep2d.json");
    let net = relu_regions::network::json::read_network(&std::fs::read_to_string(&path).unwrap(), "deep2d")
        .unwrap();
    let a = run(&net);
    let mut facets = a.facets().to_vec();
    let half = facets.len() / 2;
    for f in &mut facets[half..] {
        f.clear();
    }
    let prepared = Prepared::new(&net, Backend::FloatSimplex);
    let partial = build(&prepared, a.regions(), &facets, false, 2).unwrap();
    assert!(partial.graph().edge_count() < a.edges() && partial.graph().edge_count() > 0);
    assert!(build(&prepared, a.regions(), &facets, true, 1).is_err());
}

mod streamed_counts {
    //! `count` with the graph keeps compact records instead of the regions
    //! (`graph_counts::count_graph`): its figures must equal the full analysis's.
    use crate::enumerate::invariants::{random_net, Rng};
    use crate::support::*;
    use proptest::prelude::*;
    use relu_regions::analysis::graph_counts::{count_graph, GraphCounts};
    use relu_regions::exact::num::q;
    use relu_regions::network::Domain;
    use relu_regions::{Analysis, Backend, Enumerator, Network};

    fn figures(c: &GraphCounts) -> [usize; 6] {
        [c.regions, c.bounded, c.edges, c.pieces, c.distinct_maps, c.dangling]
    }

    fn analysed(a: &Analysis) -> [usize; 6] {
        [a.regions().len(), a.bounded(), a.edges(), a.graph().pieces(), a.graph().distinct_maps(), 0]
    }

    fn streamed(net: &Network, threads: usize, backend: Backend) -> GraphCounts {
        count_graph(net, &Enumerator::builder().threads(threads).backend(backend).build()).unwrap()
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(24))]
        /// Degenerate networks (weights and biases in {-1, 0, 1}: shared hyperplanes, neurons
        /// identically zero on one side of another) check that a region takes the shortcut
        /// across its facets (flip the facet's neurons only) just when it may.
        #[test]
        fn equal_the_analysis_on_random_networks(seed in 0u64..10_000, dim in 1usize..4, depth in 1usize..4,
                                                 whole in any::<bool>(), threads in 1usize..3, degenerate in any::<bool>()) {
            let mut rng = Rng::new(seed);
            let widths: Vec<usize> = (0..depth).map(|_| 1 + (rng.next() % 4) as usize).collect();
            let domain = if whole { Domain::Whole } else { Domain::Box((0..dim).map(|_| (q(-2), q(2))).collect()) };
            let mut net = random_net(&mut rng, dim, &widths, domain.clone());
            if degenerate {
                let unit = |v: &relu_regions::exact::num::Q| relu_regions::exact::num::Q::from_integer(v.round().to_integer() % 2);
                let layers: Vec<relu_regions::network::Layer> = net.layers().iter().map(|l| relu_regions::network::Layer {
                    weights: relu_regions::network::Weights::dense(l.weights.to_dense().iter().map(|r| r.iter().map(unit).collect()).collect()).unwrap(),
                    bias: l.bias.iter().map(unit).collect(),
                    activation: l.activation,
                }).collect();
                net = Network::new(dim, layers, domain).unwrap();
            }
            let c = streamed(&net, threads, Backend::FloatSimplex);
            prop_assert!(c.summary.complete());
            prop_assert_eq!(figures(&c), analysed(&run(&net)));
        }
    }

    /// Maps that repeat: neurons the output never reads (pieces and distinct maps below the
    /// region count), on every backend and thread count, float-free included.
    #[test]
    fn repeated_maps_are_compared_exactly() {
        let net = net(r#"{"input_dim": 2, "layers": [
            {"weights": [["1", "0"], ["0", "1"], ["1", "1"], ["1", "-1"]], "bias": ["0", "0", "-1", "1"], "activation": "relu"},
            {"weights": [["1", "-1", "0", "0"]], "activation": "linear"}]}"#);
        let want = analysed(&run(&net));
        assert!(want[3] < want[0] && want[4] < want[0], "{want:?}");
        for backend in [Backend::FloatSimplex, Backend::ExactOnly] {
            for threads in [1, 2] {
                assert_eq!(
                    figures(&streamed(&net, threads, backend)),
                    want,
                    "{backend:?}, {threads} threads"
                );
            }
        }
    }

    /// A run stopped early counts what it found: facets towards regions not reached are
    /// dangling, not errors; the CLI says the result is incomplete (exit 3).
    #[test]
    fn a_partial_run_counts_what_it_found() {
        let deep = crate::support::fixture("deep2d.json");
        let net = relu_regions::Network::load(&deep, None).unwrap();
        let c = count_graph(&net, &Enumerator::builder().max_regions(Some(5)).build()).unwrap();
        assert!(!c.summary.complete());
        assert_eq!(c.regions, 5);
        assert!(c.dangling > 0 && c.edges > 0);
        let out =
            crate::cli::fixtures::run_cli(&["count", deep.to_str().unwrap(), "--max-regions", "5", "--json"]);
        assert_eq!(out.status.code(), Some(3));
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!((v["regions"].as_u64(), v["edges"].as_u64()), (Some(5), Some(c.edges as u64)));
    }
}
