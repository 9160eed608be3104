//! Closed-form counts of hyperplane arrangements used as one hidden layer.

use crate::support::*;
use relu_regions::lp::Backend;

#[test]
fn braid_has_n_factorial_regions() {
    for n in 3..=5 {
        let a = run(&braid(n));
        assert_eq!(a.regions.len(), factorial(n), "braid {n}");
        assert_eq!(a.bounded(), 0, "the braid arrangement has a lineality space");
    }
}

#[test]
fn shi_has_n_plus_one_to_n_minus_one_regions() {
    for n in 3..=4 {
        let a = run(&shi(n));
        assert_eq!(a.regions.len(), (n + 1).pow(n as u32 - 1), "shi {n}");
    }
}

#[test]
fn generic_arrangements_follow_zaslavsky() {
    for (k, d) in [(4, 2), (6, 2), (5, 3), (7, 3), (6, 4)] {
        let a = run(&generic(k, d, &default_ts(k)));
        let regions: usize = (0..=d).map(|i| binomial(k, i)).sum();
        assert_eq!(a.regions.len(), regions, "k={k} d={d}");
        assert_eq!(a.bounded(), binomial(k - 1, d), "bounded, k={k} d={d}");
    }
}

#[test]
fn every_backend_gives_the_same_regions() {
    let net = generic(5, 2, &default_ts(5));
    let reference = analyze_with(&net, Backend::ExactOnly);
    for backend in [Backend::FloatSimplex, Backend::GoodLp] {
        let a = analyze_with(&net, backend);
        let patterns: Vec<_> = a.regions.iter().map(|r| r.pattern.clone()).collect();
        let want: Vec<_> = reference.regions.iter().map(|r| r.pattern.clone()).collect();
        assert_eq!(patterns, want, "{backend:?}");
        assert_eq!(a.edges(), reference.edges());
    }
}
