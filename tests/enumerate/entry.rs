//! The proofs of a layer's entry region, shared by its subtree in the layer
//! (`enumerate::entry`): a neuron side proved empty where the region entered the layer is read
//! by every descendant there instead of solved again. The regions stay those of the exact
//! simplex (which shares nothing), whatever the thread count.

use crate::enumerate::invariants::{random_net, Rng};
use crate::support::fixture;
use relu_regions::exact::num::{parse_rational, q};
use relu_regions::network::nnet::{read_nnet, Coords};
use relu_regions::network::{Domain, Network};
use relu_regions::{Backend, Enumerator};

/// The sorted (pattern, bounded) list of a run with the backend and thread count.
fn listed(net: &Network, backend: Backend, threads: usize) -> Vec<(String, bool)> {
    let e = Enumerator::builder().backend(backend).threads(threads).build();
    let (regions, summary) = e.collect(net).unwrap();
    assert!(summary.complete());
    let mut out: Vec<(String, bool)> =
        regions.iter().map(|r| (format!("{:?}", r.pattern()), r.bounded())).collect();
    out.sort();
    out
}

/// Wide layers in two and three inputs on boxes (deep subtrees inside each layer, where the
/// shared proofs are read most): the float backend, on one and three threads, lists exactly the
/// regions of the exact simplex.
#[test]
fn entry_proofs_keep_the_regions_of_the_exact_simplex() {
    let mut rng = Rng::new(3504);
    for (dim, widths) in [(2, vec![9, 7]), (2, vec![5, 5, 5]), (3, vec![7, 6])] {
        let domain = Domain::Box((0..dim).map(|_| (q(-2), q(2))).collect());
        let net = random_net(&mut rng, dim, &widths, domain);
        let exact = listed(&net, Backend::ExactOnly, 1);
        assert!(exact.len() > 2 * widths[0], "a partition with subtrees: {}", exact.len());
        for threads in [1, 3] {
            assert_eq!(
                listed(&net, Backend::FloatSimplex, threads),
                exact,
                "{dim} inputs, {widths:?}, {threads} threads"
            );
        }
    }
}

/// ACAS Xu 1_1 on a small box: more decisions are settled by bound proofs than bound LPs are
/// solved (the rest were read from the entry regions), and one and two threads count alike.
#[test]
fn acas_xu_reads_decisions_from_entry_regions() {
    let text = std::fs::read_to_string(fixture("nnet/ACASXU_run2a_1_1_batch_2000.nnet")).unwrap();
    let net = read_nnet(&text, "acas.nnet", Coords::Normalized).unwrap();
    let centre = ["0", "0.1", "-0.1", "0.2", "-0.2"];
    let half = parse_rational("0.01").unwrap();
    let bounds =
        centre.iter().map(|c| parse_rational(c).unwrap()).map(|c| (&c - &half, &c + &half)).collect();
    let net = net.with_domain(Domain::Box(bounds)).unwrap();
    let run = |threads| {
        let mut sink = relu_regions::enumerate::CountingSink::default();
        let summary = Enumerator::builder().threads(threads).build().enumerate(&net, &mut sink).unwrap();
        assert!(summary.complete());
        (sink.regions, *summary.stats())
    };
    let (one, stats) = run(1);
    let (two, _) = run(2);
    assert_eq!(one, two);
    assert!(one > 100, "{one}");
    assert!(stats.by_bound_lp + stats.by_bound_vertex > stats.bound_lps, "{stats:?}");
}
