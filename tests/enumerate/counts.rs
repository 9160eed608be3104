//! Closed-form counts of hyperplane arrangements used as one hidden layer.

use crate::support::*;
use relu_regions::Backend;

#[test]
fn braid_has_n_factorial_regions() {
    for n in 3..=5 {
        let a = run(&braid(n));
        assert_eq!(a.regions().len(), factorial(n), "braid {n}");
        assert_eq!(a.bounded(), 0, "the braid arrangement has a lineality space");
    }
}

/// On all of R^d a bounded region proves a box that holds it and decides the rest of its
/// neurons with bound LPs over that box: generic arrangements still follow Zaslavsky with bound
/// LPs asked, and the float-free backend (which never proves boxes) finds the same regions.
#[test]
fn bounded_regions_of_the_whole_space_decide_over_certified_boxes() {
    for (k, d) in [(6, 2), (7, 3)] {
        let net = generic(k, d, &default_ts(k));
        let a = run(&net);
        assert_eq!(a.bounded(), binomial(k - 1, d), "bounded, k={k} d={d}");
        assert!(a.summary().stats().bound_lps > 0, "no bound LP on R^{d}: {:?}", a.summary().stats());
        let exact = analyze_with(&net, Backend::ExactOnly);
        assert_eq!(exact.summary().stats().bound_lps, 0);
        let patterns = |a: &relu_regions::Analysis| {
            a.regions().iter().map(|r| (r.pattern().clone(), r.bounded())).collect::<Vec<_>>()
        };
        assert_eq!(patterns(&a), patterns(&exact));
        assert_eq!(a.edges(), exact.edges());
    }
}

#[test]
fn shi_has_n_plus_one_to_n_minus_one_regions() {
    for n in 3..=4 {
        let a = run(&shi(n));
        assert_eq!(a.regions().len(), (n + 1).pow(n as u32 - 1), "shi {n}");
    }
}

#[test]
fn generic_arrangements_follow_zaslavsky() {
    for (k, d) in [(4, 2), (6, 2), (5, 3), (7, 3), (6, 4)] {
        let a = run(&generic(k, d, &default_ts(k)));
        let regions: usize = (0..=d).map(|i| binomial(k, i)).sum();
        assert_eq!(a.regions().len(), regions, "k={k} d={d}");
        assert_eq!(a.bounded(), binomial(k - 1, d), "bounded, k={k} d={d}");
    }
}

#[test]
fn every_backend_gives_the_same_regions() {
    let net = generic(5, 2, &default_ts(5));
    let reference = analyze_with(&net, Backend::ExactOnly);
    for backend in [Backend::FloatSimplex, Backend::GoodLp] {
        let a = analyze_with(&net, backend);
        let patterns: Vec<_> = a.regions().iter().map(|r| r.pattern().clone()).collect();
        let want: Vec<_> = reference.regions().iter().map(|r| r.pattern().clone()).collect();
        assert_eq!(patterns, want, "{backend:?}");
        assert_eq!(a.edges(), reference.edges());
    }
}

/// A counting sink gets the same counts (bounded included) from 1, 2 and 3 threads, also when
/// `max_regions` cuts the run (the first regions in the deterministic order are kept).
#[test]
fn counting_is_identical_whatever_the_thread_count() {
    use crate::enumerate::invariants::{random_net, Rng};
    use relu_regions::enumerate::CountingSink;
    use relu_regions::network::Domain;
    use relu_regions::Enumerator;
    let net = random_net(&mut Rng::new(7), 2, &[6, 5], Domain::Whole);
    let count = |threads: usize, max: Option<usize>| {
        let mut sink = CountingSink::default();
        let e = Enumerator::builder().threads(threads).max_regions(max).build();
        let summary = e.enumerate(&net, &mut sink).unwrap();
        (sink.regions, sink.bounded, summary.regions(), summary.complete())
    };
    let full = count(1, None);
    assert!(full.0 > 20 && full.1 > 0 && full.1 < full.0, "a mix of bounded and unbounded regions: {full:?}");
    for max in [None, Some(full.0 / 2)] {
        let one = count(1, max);
        assert_eq!(one.3, max.is_none());
        for threads in [2, 3] {
            assert_eq!(count(threads, max), one, "{threads} threads, max {max:?}");
        }
    }
}
