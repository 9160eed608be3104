//! The vertex path against the LP walk: on random and degenerate networks on boxes and on all
//! of R^d, both give the same faces (dimension, sign vector, facets), and every point the vertex
//! path gives has its face's sign vector exactly; and the `set` Betti numbers of unbounded sets
//! from their bounded faces against those of the truncated complex.

use super::faces::complex_walk;
use super::sign::Signer;
use crate::enumerate::Enumerator;
use crate::exact::rng::SplitMix;
use crate::network::Network;

/// A network `d -> widths... -> 1` on `[-1, 1]^d` (or all of R^d, `whole`) with small integer
/// weights (so that hyperplanes often meet degenerately) or weights with many values.
fn network(rng: &mut SplitMix, d: usize, widths: &[usize], spread: u64, whole: bool) -> Network {
    let mut layers = Vec::new();
    let mut inputs = d;
    for (i, &w) in widths.iter().chain([&1]).enumerate() {
        let weights: Vec<Vec<String>> = (0..w)
            .map(|_| {
                (0..inputs).map(|_| (below(rng, 2 * spread + 1) as i64 - spread as i64).to_string()).collect()
            })
            .collect();
        let bias: Vec<String> = (0..w)
            .map(|_| format!("{}/{}", below(rng, 2 * spread + 1) as i64 - spread as i64, 1 + below(rng, 3)))
            .collect();
        let act = if i < widths.len() { "relu" } else { "linear" };
        layers.push(serde_json::json!({"weights": weights, "bias": bias, "activation": act}));
        inputs = w;
    }
    let bounds: Vec<[&str; 2]> = (0..d).map(|_| ["-1", "1"]).collect();
    let text = if whole {
        serde_json::json!({"input_dim": d, "layers": layers}).to_string()
    } else {
        serde_json::json!({"input_dim": d, "domain": {"box": bounds}, "layers": layers}).to_string()
    };
    Network::from_json(&text).expect("a valid network")
}

fn below(rng: &mut SplitMix, n: u64) -> u64 {
    rng.next_u64() % n
}

#[test]
fn the_vertex_path_gives_the_lp_walks_faces() {
    let mut rng = SplitMix(34);
    let (mut fast_total, mut handed_back, mut fast_unbounded) = (0, 0, 0);
    for case in 0..40 {
        let whole = case >= 24;
        let d = 2 + case % 3;
        let widths: Vec<usize> = if case % 2 == 0 { vec![3 + case % 4] } else { vec![3, 2 + case % 3] };
        let spread = if case % 3 == 0 { 1 } else { 7 };
        let net = network(&mut rng, d, &widths, spread, whole);
        let en = Enumerator::builder().build();
        let (slow, none) = complex_walk(&net, &en, false).expect("the LP walk");
        let (fast, used) = complex_walk(&net, &en, true).expect("the vertex path");
        assert_eq!(none, 0);
        let regions = fast.f_vector()[d];
        fast_total += used;
        handed_back += regions - used;
        if whole {
            fast_unbounded += used;
        }
        let shape = |c: &super::Complex| -> Vec<(usize, Vec<i8>, Vec<Vec<i8>>)> {
            c.faces
                .iter()
                .map(|f| {
                    (f.dim, f.sign.clone(), f.boundary.iter().map(|&b| c.faces[b].sign.clone()).collect())
                })
                .collect()
        };
        assert_eq!(shape(&fast), shape(&slow), "case {case}");
        let signer = Signer::new(&net);
        for f in &fast.faces {
            assert_eq!(signer.key(&f.point.to_vec()), f.sign, "case {case}: face {}", f.id);
        }
    }
    // both paths ran: most regions by their vertices, degenerate ones by the LP walk
    assert!(fast_total > 100, "{fast_total} regions went by their vertices");
    assert!(handed_back > 0, "no region was handed back to the LP walk");
    // on R^d, unbounded regions went by their vertices and rays too
    assert!(fast_unbounded > 100, "{fast_unbounded} regions on R^d went by their vertices and rays");
}

/// On R^d, the `set` Betti numbers of the level set and of the decision regions from the
/// bounded faces (every face pointed) equal those of the complex truncated by a box beyond the
/// vertices of the sup-norm refinement, over GF(2) and over Q.
#[test]
fn the_bounded_faces_give_the_truncations_betti_numbers() {
    use super::level::{boundary_with, LevelSpec};
    let mut rng = SplitMix(3434);
    let mut by_bounded = 0;
    for case in 0..10 {
        let d = 2 + case % 2;
        let widths = [d + 1 + case % 3];
        let net = network(&mut rng, d, &widths, if case % 4 == 0 { 1 } else { 5 }, true);
        let en = Enumerator::builder().build();
        let spec = LevelSpec::Level { output: 0, level: crate::exact::num::q((case % 3) as i64 - 1) };
        let fast = boundary_with(&net, &spec, &en, true).expect("by the bounded faces");
        let slow = boundary_with(&net, &spec, &en, false).expect("by the truncated complex");
        let all = |b: &super::Boundary| {
            let mut v = vec![(b.betti.set.clone(), b.betti.rational[0].clone().map(|r| r.betti))];
            v.extend(
                b.decision
                    .iter()
                    .map(|r| (r.betti.set.clone(), r.betti.rational[0].clone().map(|r| r.betti))),
            );
            v
        };
        assert_eq!(all(&fast), all(&slow), "case {case}");
        assert_eq!(fast.f_vector, slow.f_vector, "case {case}");
        if fast.complex.faces.iter().all(|f| f.dim == 0 || !f.boundary.is_empty()) {
            by_bounded += 1;
        }
    }
    // most complexes are pointed (the bounded faces were used), a few not (the box both times)
    assert!(by_bounded > 5, "{by_bounded} cases went by the bounded faces");
}
