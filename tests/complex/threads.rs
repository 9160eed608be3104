//! The parallel face walk: the complex (every face, its sign vector, its exact point, its
//! incidences) and the level set's topology are the same for 1, 2 and 3 threads, on networks
//! with several batches of regions (128 each), on boxes and all of R^d, generic and degenerate (many lines
//! through one point, parallel and repeated lines: regions the LP walk takes).

use crate::support::*;
use relu_regions::complex::{boundary, complex, Complex, LevelSpec};
use relu_regions::exact::num::q;
use relu_regions::network::{Domain, Network};
use relu_regions::Enumerator;

fn faces_on(net: &Network, threads: usize) -> Complex {
    complex(net, &Enumerator::builder().threads(threads).build()).expect("the complex")
}

/// Lines `a x + b y <= c` with small integer coefficients (seeded): many meet in one point, some
/// are parallel or repeated.
pub(super) fn small_lines(k: usize, seed: u64, domain: Domain) -> Network {
    let mut s = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
    let mut next = |m: i64| {
        s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        ((s >> 33) % (2 * m as u64 + 1)) as i64 - m
    };
    let planes = (0..k)
        .map(|_| loop {
            let (a, b) = (next(3), next(3));
            if a != 0 || b != 0 {
                return (vec![q(a), q(b)], q(next(2)));
            }
        })
        .collect();
    arrangement(2, planes, domain)
}

fn box_of(d: usize, r: i64) -> Domain {
    Domain::Box((0..d).map(|_| (q(-r), q(r))).collect())
}

#[test]
fn the_complex_is_the_same_for_every_thread_count() {
    let nets = [
        small_lines(40, 1, Domain::Whole),
        small_lines(40, 2, box_of(2, 3)),
        generic(24, 2, &default_ts(24)),
        braid(5),
        arrangement(
            3,
            (0..12i64).map(|i| (vec![q(1), q(i % 4), q(i / 4)], q(i % 3))).collect(),
            box_of(3, 2),
        ),
    ];
    for (n, net) in nets.iter().enumerate() {
        let one = faces_on(net, 1);
        // the plane arrangements have several batches of regions, so that the merge is exercised
        if n < 3 {
            assert!(one.f_vector()[one.input_dim] > 150, "network {n}: {:?}", one.f_vector());
        }
        for threads in [2, 3] {
            let many = faces_on(net, threads);
            assert_eq!(one.faces, many.faces, "network {n}, {threads} threads");
        }
    }
}

#[test]
fn the_level_set_is_the_same_for_every_thread_count() {
    let net = net(r#"{"input_dim": 2, "layers": [
        {"weights": [["1", "0"], ["0", "1"], ["1", "1"], ["1", "-1"], ["2", "1"], ["1", "2"], ["3", "-1"], ["-1", "3"],
                     ["1", "0"], ["0", "1"], ["1", "1"], ["1", "-1"]],
         "bias": ["0", "0", "-1", "1", "-2", "2", "0", "1", "-1", "1", "1", "-1"], "activation": "relu"},
        {"weights": [["1", "-1", "1", "-1", "1", "-1", "1", "-1", "1", "1", "-1", "1"]], "bias": ["-1"], "activation": "linear"}]}"#);
    let spec = LevelSpec::Level { output: 0, level: q(0) };
    let one = boundary(&net, &spec, &Enumerator::builder().threads(1).build()).expect("the level set");
    for threads in [2, 3] {
        let many =
            boundary(&net, &spec, &Enumerator::builder().threads(threads).build()).expect("the level set");
        assert_eq!(one.complex.faces, many.complex.faces, "{threads} threads");
        assert_eq!(one.betti, many.betti, "{threads} threads");
        assert_eq!(one.f_vector, many.f_vector, "{threads} threads");
    }
}
