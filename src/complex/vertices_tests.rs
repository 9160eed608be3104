//! The vertex path against the LP walk: on random and degenerate networks on boxes, both give
//! the same faces (dimension, sign vector, facets), and every point the vertex path gives has
//! its face's sign vector exactly.

use super::faces::complex_walk;
use super::sign::Signer;
use crate::enumerate::Enumerator;
use crate::exact::rng::SplitMix;
use crate::network::Network;

/// A network `d -> widths... -> 1` on `[-1, 1]^d` with small integer weights (so that
/// hyperplanes often meet degenerately) or weights with many values.
fn network(rng: &mut SplitMix, d: usize, widths: &[usize], spread: u64) -> Network {
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
    let text = serde_json::json!({"input_dim": d, "domain": {"box": bounds}, "layers": layers}).to_string();
    Network::from_json(&text).expect("a valid network")
}

fn below(rng: &mut SplitMix, n: u64) -> u64 {
    rng.next_u64() % n
}

#[test]
fn the_vertex_path_gives_the_lp_walks_faces() {
    let mut rng = SplitMix(34);
    let (mut fast_total, mut handed_back) = (0, 0);
    for case in 0..24 {
        let d = 2 + case % 3;
        let widths: Vec<usize> = if case % 2 == 0 { vec![3 + case % 4] } else { vec![3, 2 + case % 3] };
        let spread = if case % 3 == 0 { 1 } else { 7 };
        let net = network(&mut rng, d, &widths, spread);
        let en = Enumerator::builder().build();
        let (slow, none) = complex_walk(&net, &en, false).expect("the LP walk");
        let (fast, used) = complex_walk(&net, &en, true).expect("the vertex path");
        assert_eq!(none, 0);
        let regions = fast.f_vector()[d];
        fast_total += used;
        handed_back += regions - used;
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
            assert_eq!(signer.key(&f.point), f.sign, "case {case}: face {}", f.id);
        }
    }
    // both paths ran: most regions by their vertices, degenerate ones by the LP walk
    assert!(fast_total > 100, "{fast_total} regions went by their vertices");
    assert!(handed_back > 0, "no region was handed back to the LP walk");
}
