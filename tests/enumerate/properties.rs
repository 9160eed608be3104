//! Property tests (proptest) over random small networks: exact areas, one region per point,
//! invariance under permutation and positive rescaling of neurons, bounds.

use crate::enumerate::invariants::{random_net, Rng};
use crate::support::*;
use num_bigint::BigUint;
use num_traits::{Signed, Zero};
use proptest::prelude::*;
use relu_regions::exact::num::{q, Q};
use relu_regions::network::{Domain, Layer, Network};
use relu_regions::queries::count_bounds::{product_bound, serra_bound};
use relu_regions::queries::plane::{area, polygon};
use relu_regions::queries::verify::on_a_hyperplane;

fn boxed(dim: usize, half: i64) -> Domain {
    Domain::Box((0..dim).map(|_| (q(-half), q(half))).collect())
}

/// The box `[-half, half]^d` (0), all of R^d (1), or the simplex `x_j >= -half`,
/// `sum x_j <= half` (2).
fn domain(kind: usize, dim: usize, half: i64) -> Domain {
    match kind {
        0 => boxed(dim, half),
        1 => Domain::Whole,
        _ => {
            let mut a: Vec<Vec<Q>> =
                (0..dim).map(|i| (0..dim).map(|j| q(-i64::from(i == j))).collect()).collect();
            a.push(vec![q(1); dim]);
            let mut b = vec![q(half); dim];
            b.push(q(half));
            Domain::Polytope { a, b }
        }
    }
}

/// Permutes the neurons of hidden layer `l` (and the columns of layer `l + 1`).
fn permuted(net: &Network, l: usize, perm: &[usize]) -> Network {
    let mut layers: Vec<Layer> = net.layers().to_vec();
    let old = layers[l].clone();
    layers[l].weights =
        relu_regions::network::Weights::dense(perm.iter().map(|&i| old.weights.dense_row(i)).collect())
            .unwrap();
    layers[l].bias = perm.iter().map(|&i| old.bias[i].clone()).collect();
    let next = layers[l + 1].weights.to_dense();
    layers[l + 1].weights = relu_regions::network::Weights::dense(
        next.iter().map(|row| perm.iter().map(|&i| row[i].clone()).collect()).collect(),
    )
    .unwrap();
    Network::new(net.input_dim(), layers, net.domain().clone()).unwrap()
}

/// Scales neuron `i` of layer `l` by `c > 0` and its outgoing weights by `1 / c`.
fn rescaled(net: &Network, l: usize, i: usize, c: &Q) -> Network {
    let mut layers: Vec<Layer> = net.layers().to_vec();
    let mut own = layers[l].weights.to_dense();
    own[i].iter_mut().for_each(|w| *w *= c);
    layers[l].weights = relu_regions::network::Weights::dense(own).unwrap();
    layers[l].bias[i] *= c;
    let mut next = layers[l + 1].weights.to_dense();
    for row in next.iter_mut() {
        row[i] /= c;
    }
    layers[l + 1].weights = relu_regions::network::Weights::dense(next).unwrap();
    Network::new(net.input_dim(), layers, net.domain().clone()).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 32, ..ProptestConfig::default() })]

    /// The fast paths (interval bounds, bound LPs with safe dual bounds over the box or over a
    /// bounded region's certified box, float hints) find the same regions, boundedness flags and
    /// edges as the exact rational simplex alone, on generic and on degenerate networks (small
    /// integer weights: many neurons share hyperplanes or meet the box corners), in a box, on
    /// all of R^d and in a simplex.
    #[test]
    fn fast_paths_agree_with_the_exact_simplex(seed in 0u64..100_000, dim in 1usize..4, degenerate in any::<bool>(), kind in 0usize..3) {
        let mut rng = Rng::new(seed);
        let mut net = random_net(&mut rng, dim, &[4, 3], domain(kind, dim, 2));
        if degenerate {
            let layers: Vec<Layer> = net.layers().iter().map(|l| Layer {
                weights: relu_regions::network::Weights::dense(l.weights.to_dense().iter().map(|r| r.iter().map(|w| Q::from_integer(w.round().to_integer() % 2)).collect()).collect()).unwrap(),
                bias: l.bias.iter().map(|b| Q::from_integer(b.round().to_integer() % 2)).collect(),
                activation: l.activation,
            }).collect();
            net = Network::new(dim, layers, domain(kind, dim, 1)).unwrap();
        }
        let figures = |backend| {
            let a = analyze_with(&net, backend);
            let regions: Vec<_> = a.regions().iter().map(|r| (r.pattern().clone(), r.bounded())).collect();
            (regions, a.edges())
        };
        prop_assert_eq!(figures(relu_regions::Backend::FloatSimplex), figures(relu_regions::Backend::ExactOnly));
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 20, ..ProptestConfig::default() })]


    #[test]
    fn areas_and_lengths_sum_exactly_to_the_domain(seed in 0u64..100_000, dim in 1usize..3, depth in 1usize..4) {
        let mut rng = Rng::new(seed);
        let widths: Vec<usize> = (0..depth).map(|_| 1 + (rng.next() % 4) as usize).collect();
        let net = random_net(&mut rng, dim, &widths, boxed(dim, 2));
        let a = run(&net);
        let total: Q = if dim == 1 {
            a.regions().iter().zip(a.facets()).map(|(_, f)| {
                let ends: Vec<Q> = f.iter().map(|f| f.point[0].clone()).collect();
                prop_assert_eq!(ends.len(), 2);
                Ok((&ends[0] - &ends[1]).abs())
            }).collect::<Result<Vec<Q>, _>>()?.into_iter().sum()
        } else {
            a.regions().iter().zip(a.facets()).map(|(r, f)| area(&polygon(r, f))).sum()
        };
        prop_assert_eq!(total, q(4).pow(dim as i32));
    }

    #[test]
    fn every_point_lies_in_exactly_one_region_or_on_a_boundary(seed in 0u64..100_000, dim in 1usize..4) {
        let mut rng = Rng::new(seed);
        let net = random_net(&mut rng, dim, &[3, 3], boxed(dim, 2));
        let a = run(&net);
        for _ in 0..40 {
            // strictly inside the box (-2, 2)^d: the box's own boundary is not a neuron's hyperplane
            let x: Vec<Q> = (0..dim).map(|_| Q::new(((rng.next() % 3999) as i64 - 1999).into(), 1000.into())).collect();
            let strictly: usize = a.regions().iter().filter(|r| r.halfspaces().iter().all(|h| h.slack(&x) > Q::zero())).count();
            let closed: usize = a.regions().iter().filter(|r| r.halfspaces().iter().all(|h| h.slack(&x) >= Q::zero())).count();
            // in at most one interior, in at least one closure; off every hyperplane, in exactly one
            // interior (a point on a neuron's zero set may still be interior to a region where
            // that neuron is identically zero)
            prop_assert!(strictly <= 1 && closed >= 1);
            if !on_a_hyperplane(&net, &x) {
                prop_assert_eq!(strictly, 1);
            }
        }
    }

    #[test]
    fn invariant_under_permutation_and_positive_rescaling(seed in 0u64..100_000, dim in 1usize..4) {
        let mut rng = Rng::new(seed);
        let net = random_net(&mut rng, dim, &[4, 3], if seed % 2 == 0 { boxed(dim, 2) } else { Domain::Whole });
        let a = run(&net);
        let p = permuted(&net, 0, &[2, 0, 3, 1]);
        let c = Q::new(((rng.next() % 9) as i64 + 1).into(), ((rng.next() % 5) as i64 + 1).into());
        let s = rescaled(&net, 1, (rng.next() % 3) as usize, &c);
        for other in [p, s] {
            let b = run(&other);
            prop_assert_eq!(a.regions().len(), b.regions().len());
            prop_assert_eq!(a.edges(), b.edges());
            prop_assert_eq!(a.graph().pieces(), b.graph().pieces());
            prop_assert_eq!(a.bounded(), b.bounded());
            let mut maps_a: Vec<String> = a.regions().iter().map(|r| format!("{:?}", r.map())).collect();
            let mut maps_b: Vec<String> = b.regions().iter().map(|r| format!("{:?}", r.map())).collect();
            maps_a.sort();
            maps_b.sort();
            prop_assert_eq!(maps_a, maps_b);
        }
    }

    #[test]
    fn counts_respect_the_theoretical_bounds(seed in 0u64..100_000, dim in 1usize..4, depth in 1usize..4) {
        let mut rng = Rng::new(seed);
        let widths: Vec<usize> = (0..depth).map(|_| 1 + (rng.next() % 4) as usize).collect();
        let net = random_net(&mut rng, dim, &widths, Domain::Whole);
        let a = run(&net);
        let regions = BigUint::from(a.regions().len());
        prop_assert!(regions <= serra_bound(&net));
        prop_assert!(serra_bound(&net) <= product_bound(&net));
        // adjacency is symmetric (undirected, each edge from both sides) and maps are continuous
        for e in a.graph().graph().edge_indices() {
            let (s, t) = a.graph().graph().edge_endpoints(e).unwrap();
            let point = &a.graph().graph()[e].point;
            prop_assert_eq!(a.regions()[s.index()].map().apply(point), a.regions()[t.index()].map().apply(point));
        }
    }
}

#[test]
fn one_hidden_layer_bound_is_tight_for_generic_layers() {
    let net = generic(6, 2, &default_ts(6));
    assert_eq!(serra_bound(&net), BigUint::from(run(&net).regions().len()));
}
