//! Partition invariants on random networks: interior points have their region's pattern, the
//! maps agree with exact evaluation, and dense exact sampling finds no pattern we missed.

use crate::support::*;
use proptest::prelude::*;
use relu_regions::certify::is_strictly_inside;
use relu_regions::exact::num::{q, Q};
use relu_regions::network::{Activation, Domain, Layer, Network};
use relu_regions::Enumerator;
use std::collections::HashSet;

/// The library's deterministic generator (SplitMix64) with test helpers.
pub(crate) struct Rng {
    inner: relu_regions::exact::rng::SplitMix,
}

impl Rng {
    pub(crate) fn new(seed: u64) -> Rng {
        Rng { inner: relu_regions::exact::rng::SplitMix(seed) }
    }

    pub(crate) fn next(&mut self) -> u64 {
        self.inner.next_u64()
    }
    /// An integer in `-k..=k`.
    pub(crate) fn int(&mut self, k: i64) -> i64 {
        (self.next() % (2 * k as u64 + 1)) as i64 - k
    }
    /// A rational with a random small denominator.
    pub(crate) fn rational(&mut self, k: i64) -> Q {
        Q::new(self.int(k).into(), ((self.next() % 7) as i64 + 1).into())
    }
}

/// A random network with the given hidden widths.
pub(crate) fn random_net(rng: &mut Rng, dim: usize, widths: &[usize], domain: Domain) -> Network {
    let mut layers = Vec::new();
    let mut input = dim;
    for &w in widths {
        let weights = relu_regions::network::Weights::dense(
            (0..w).map(|_| (0..input).map(|_| rng.rational(5)).collect()).collect(),
        )
        .unwrap();
        let bias = (0..w).map(|_| rng.rational(3)).collect();
        layers.push(Layer { weights, bias, activation: Activation::Relu });
        input = w;
    }
    let weights =
        relu_regions::network::Weights::dense(vec![(0..input).map(|_| rng.rational(4)).collect()]).unwrap();
    layers.push(Layer { weights, bias: vec![q(0)], activation: Activation::Linear });
    Network::new(dim, layers, domain).unwrap()
}

fn unit_box(dim: usize, half: i64) -> Domain {
    Domain::Box((0..dim).map(|_| (q(-half), q(half))).collect())
}

fn check_regions(net: &Network) {
    let a = run(net);
    assert!(a.summary().complete());
    check_region_list(net, a.regions());
    // the independent checker proves the whole answer, graph included
    use relu_regions::check::{check_answer, CheckOptions};
    use relu_regions::export::json::{graph_json, regions_document};
    let doc = regions_document(net, &a, None);
    let graph: serde_json::Value =
        serde_json::from_str(&graph_json(a.regions(), a.graph(), true, None)).unwrap();
    let report = check_answer(net, &doc, Some(&graph), CheckOptions { partial: false, threads: 2 });
    assert!(report.failures.is_empty(), "{:?}", &report.failures[..report.failures.len().min(5)]);
    assert_eq!(report.edges, a.edges());
}

fn check_region_list(net: &Network, regions: &[relu_regions::Region]) {
    let mut patterns = HashSet::new();
    for r in regions {
        assert_eq!(r.point().len(), net.input_dim(), "the point has every coordinate");
        assert!(patterns.insert(r.pattern().clone()), "patterns are distinct");
        let (pattern, output) = net.evaluate(r.point());
        assert_eq!(&pattern, r.pattern(), "the interior point has its region's pattern");
        assert_eq!(output, r.map().apply(r.point()), "J x + c equals the network at the point");
        assert!(
            is_strictly_inside(&r.halfspaces(), r.point(), relu_regions::Filter::Off),
            "the point is strictly inside"
        );
        assert!(net.domain_contains(r.point()));
    }
}

#[test]
fn random_deep_networks_keep_their_invariants() {
    let mut rng = Rng::new(7);
    for (dim, widths) in [(1, vec![4, 3]), (2, vec![5, 4]), (2, vec![3, 3, 3]), (3, vec![4, 3])] {
        check_regions(&random_net(&mut rng, dim, &widths, unit_box(dim, 2)));
        check_regions(&random_net(&mut rng, dim, &widths, Domain::Whole));
    }
}

/// Samples exact random points of the box; every pattern seen at a point off all hyperplanes
/// must be an enumerated region.
fn sampled_patterns_are_enumerated(net: &Network, half: i64, samples: usize, rng: &mut Rng) {
    let a = run(net);
    let known: HashSet<_> = a.regions().iter().map(|r| r.pattern().clone()).collect();
    let dim = net.input_dim();
    let mut seen = HashSet::new();
    for _ in 0..samples {
        let x: Vec<Q> = (0..dim)
            .map(|_| Q::new(((rng.next() % 20001) as i64 - 10000).into(), 10000.into()) * q(half))
            .collect();
        if on_some_hyperplane(net, &x) {
            continue;
        }
        let (pattern, _) = net.evaluate(&x);
        assert!(known.contains(&pattern), "sampled pattern {pattern:?} at {x:?} not enumerated");
        seen.insert(pattern);
    }
    assert!(seen.len() <= a.regions().len());
}

/// Whether some neuron's preactivation is exactly zero at `x` (a boundary point).
fn on_some_hyperplane(net: &Network, x: &[Q]) -> bool {
    let mut h = x.to_vec();
    for layer in net.layers() {
        let z = layer.preactivation(&h);
        if layer.activation == Activation::Relu && z.iter().any(|v| *v == q(0)) {
            return true;
        }
        h = match layer.activation {
            Activation::Relu => z.into_iter().map(|v| if v > q(0) { v } else { q(0) }).collect(),
            _ => z,
        };
    }
    false
}

#[test]
fn dense_exact_sampling_finds_no_missing_region() {
    let mut rng = Rng::new(11);
    for (dim, widths) in [(2, vec![6, 5]), (2, vec![4, 4, 4]), (3, vec![5, 4])] {
        let net = random_net(&mut rng, dim, &widths, unit_box(dim, 3));
        sampled_patterns_are_enumerated(&net, 3, 3000, &mut rng);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn generic_layers_match_zaslavsky(k in 1usize..7, d in 1usize..4, seed in 0u64..1000) {
        let mut rng = Rng::new(seed);
        let mut ts: Vec<Q> = Vec::new();
        while ts.len() < k {
            let t = rng.rational(9);
            if !ts.contains(&t) {
                ts.push(t);
            }
        }
        let a = run(&generic(k, d, &ts));
        let regions: usize = (0..=d).map(|i| binomial(k, i)).sum();
        prop_assert_eq!(a.regions().len(), regions);
        prop_assert_eq!(a.bounded(), binomial(k - 1, d));
    }

    #[test]
    fn random_networks_partition_the_box(seed in 0u64..10_000, dim in 1usize..4, depth in 1usize..4) {
        let mut rng = Rng::new(seed);
        let widths: Vec<usize> = (0..depth).map(|_| 1 + (rng.next() % 4) as usize).collect();
        let net = random_net(&mut rng, dim, &widths, unit_box(dim, 2));
        check_regions(&net);
        sampled_patterns_are_enumerated(&net, 2, 200, &mut rng);
    }
}

/// A real network in a box: `box` is `lo:hi` for every coordinate, or one pair per coordinate.
fn real_net(file: &str, coords: relu_regions::network::nnet::Coords, bounds: &[(f64, f64)]) -> Network {
    let net = relu_regions::network::load(&fixture(file), None, coords).unwrap();
    let text: Vec<String> = bounds.iter().map(|(lo, hi)| format!("{lo}:{hi}")).collect();
    let domain = relu_regions::network::json::parse_box(&text.join(","), net.input_dim()).unwrap();
    net.with_domain(domain).unwrap()
}

fn acas_box(width: f64) -> Vec<(f64, f64)> {
    [0.0, 0.1, -0.1, 0.2, -0.2].iter().map(|c| (c - width / 2.0, c + width / 2.0)).collect()
}

/// ACAS Xu (5 inputs, 300 neurons) and MNIST 10x10 (784 inputs, 100 neurons) in small boxes:
/// every region's point has its pattern, is strictly inside, and its map is the network there;
/// two threads give the same regions. (Regions only: facets in 784 dimensions are slow.)
#[test]
fn real_networks_keep_their_invariants() {
    use relu_regions::network::nnet::Coords;
    let acas = real_net("nnet/ACASXU_run2a_1_1_batch_2000.nnet", Coords::Normalized, &acas_box(0.01));
    let mnist = real_net("nnet/mnist10x10.nnet", Coords::Raw, &[(0.495, 0.505); 784]);
    for net in [&acas, &mnist] {
        let (one, summary) = Enumerator::builder().build().collect(net).unwrap();
        assert!(summary.complete());
        check_region_list(net, &one);
        let two = Enumerator::builder().threads(2).build().collect(net).unwrap().0;
        let patterns = |a: &[relu_regions::Region]| a.iter().map(|r| r.pattern().clone()).collect::<Vec<_>>();
        assert_eq!(patterns(&one), patterns(&two));
        assert!(one.len() > 10, "{} regions", one.len());
    }
    check_regions(&acas);
}

/// Slow (the exact simplex alone on 200-bit coefficients): the fast paths and `--lp exact`
/// find the same ACAS Xu regions. Run with `cargo test --release -- --ignored`.
#[test]
#[ignore]
fn acas_fast_paths_agree_with_the_exact_simplex() {
    use relu_regions::network::nnet::Coords;
    use relu_regions::Backend;
    let acas = real_net("nnet/ACASXU_run2a_1_1_batch_2000.nnet", Coords::Normalized, &acas_box(0.01));
    let patterns = |backend| -> Vec<_> {
        Enumerator::builder()
            .backend(backend)
            .build()
            .collect(&acas)
            .unwrap()
            .0
            .into_iter()
            .map(|r| r.pattern().clone())
            .collect()
    };
    assert_eq!(patterns(Backend::FloatSimplex), patterns(Backend::ExactOnly));
}
