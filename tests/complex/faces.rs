//! Issue 34: the whole complex and the topology of level sets, against closed forms (generic
//! arrangements, the braid arrangement, polygons, parallel lines, an octahedron, a level that
//! holds on a whole region), the Euler identities on random networks, a brute force over pairs
//! of bent hyperplanes for the vertices in 2-D, and degenerate networks.

use crate::support::*;
use proptest::prelude::*;
use relu_regions::complex::{boundary, complex, Complex, LevelSpec};
use relu_regions::exact::num::{q, Q};
use relu_regions::network::{Activation, Domain, Layer, Network, Weights};
use relu_regions::Enumerator;

fn faces_of(net: &Network) -> Complex {
    complex(net, &Enumerator::builder().threads(1).build()).expect("the complex")
}

fn level(net: &Network, c: i64) -> relu_regions::complex::Boundary {
    boundary(net, &LevelSpec::Level { output: 0, level: q(c) }, &Enumerator::builder().threads(1).build())
        .expect("the boundary")
}

fn unit_box(d: usize, r: i64) -> Domain {
    Domain::Box(vec![(q(-r), q(r)); d])
}

/// `f_k = C(n, d-k) * sum_{i<=k} C(n-d+k, i)`: each k-face lies on the k-flat of d-k of the
/// hyperplanes, cut into that many cells by the n-d+k others in general position.
#[test]
fn generic_arrangements_match_the_closed_form() {
    for (n, d) in [(3, 2), (4, 2), (5, 2), (4, 3), (5, 3), (3, 1), (5, 4)] {
        let c = faces_of(&generic(n, d, &default_ts(n)));
        let expected: Vec<usize> = (0..=d)
            .map(|k| binomial(n, d - k) * (0..=k).map(|i| binomial(n - d + k, i)).sum::<usize>())
            .collect();
        assert_eq!(c.f_vector(), expected, "n = {n}, d = {d}");
        // the bounded faces: those of the arrangement's bounded complex, f_0 all bounded
        assert_eq!(c.f_vector_bounded()[0], expected[0]);
        assert_eq!(c.f_vector_bounded()[d], binomial(n - 1, d), "bounded regions, n = {n}, d = {d}");
    }
}

/// The braid arrangement in R^n: a k-face is an ordered partition of the coordinates into k
/// blocks (the line x_1 = ... = x_n is the smallest face): `f_k = k! S(n, k)`.
#[test]
fn braid_faces_are_ordered_set_partitions() {
    fn stirling(n: usize, k: usize) -> usize {
        match (n, k) {
            (0, 0) => 1,
            (0, _) | (_, 0) => 0,
            _ => k * stirling(n - 1, k) + stirling(n - 1, k - 1),
        }
    }
    for n in 2..=4 {
        let c = faces_of(&braid(n));
        let expected: Vec<usize> = (0..=n).map(|k| factorial(k) * stirling(n, k)).collect();
        assert_eq!(c.f_vector(), expected, "n = {n}");
        assert!(c.faces.iter().all(|f| !f.bounded));
    }
}

/// `|x| + |y| - 1` (one layer): its zero set is a diamond, b_0 = b_1 = 1 under every convention
/// (bounded), with four vertices and four edges; the inside is a disc.
fn diamond(d: usize, domain: Domain) -> Network {
    let mut rows = Vec::new();
    for i in 0..d {
        for s in [1, -1] {
            let mut r = vec![q(0); d];
            r[i] = q(s);
            rows.push(r);
        }
    }
    let hidden = Layer {
        weights: Weights::dense(rows).unwrap(),
        bias: vec![q(0); 2 * d],
        activation: Activation::Relu,
    };
    let out = Layer {
        weights: Weights::dense(vec![vec![q(1); 2 * d]]).unwrap(),
        bias: vec![q(-1)],
        activation: Activation::Linear,
    };
    Network::new(d, vec![hidden, out], domain).unwrap()
}

#[test]
fn a_polygon_has_one_component_and_one_loop() {
    for domain in [Domain::Whole, unit_box(2, 3)] {
        let b = level(&diamond(2, domain), 0);
        assert_eq!(b.f_vector, [4, 4, 0]);
        assert_eq!(b.betti.set, [1, 1]);
        assert_eq!(b.betti.borel_moore, [1, 1]);
        assert_eq!(b.betti.one_point, [1, 1]);
        assert_eq!(b.euler_characteristic, 0);
        assert!(b.full_dimensional.is_empty());
        // inside: a disc; outside: an annulus (on R^2 unbounded: BM of a closed disc's complement)
        let below = &b.decision[1];
        assert_eq!(below.betti.set, [1, 0, 0]);
        assert_eq!(below.components.len(), 1);
        let p = &below.components[0].point;
        assert!(p.iter().map(|v| if *v < q(0) { -v.clone() } else { v.clone() }).sum::<Q>() <= q(1));
        let above = &b.decision[0];
        assert_eq!(above.betti.set, [1, 1, 0]);
    }
}

/// `|x| = 1` in R^2: two parallel lines. b_0 = 2; Borel-Moore (0, 2); compactified, two
/// circles through the one point at infinity: (1, 2).
#[test]
fn two_parallel_lines() {
    let net = net(r#"{"input_dim": 2, "layers": [
        {"weights": [["1", "0"], ["-1", "0"]], "activation": "relu"},
        {"weights": [["1", "1"]], "bias": ["-1"], "activation": "linear"}]}"#);
    let b = level(&net, 0);
    assert_eq!(b.betti.set, [2, 0]);
    assert_eq!(b.betti.borel_moore, [0, 2]);
    assert_eq!(b.betti.one_point, [1, 2]);
    // over Q the same (two lines, a wedge of two circles at infinity: no torsion)
    let q =
        |r: &Option<relu_regions::complex::rational::Rational>| r.clone().map(|r| (r.betti, r.two_torsion));
    assert_eq!(q(&b.betti.rational[0]), Some((vec![2, 0], vec![0, 0])));
    assert_eq!(q(&b.betti.rational[1]), Some((vec![0, 2], vec![0, 0])));
    assert_eq!(q(&b.betti.rational[2]), Some((vec![1, 2], vec![0, 0])));
    assert_eq!(b.f_vector, [0, 2, 0]);
    assert!(b.truncation.is_some());
    // the strip between them is connected, the outside has two components
    assert_eq!(b.decision[1].components.len(), 1);
    assert_eq!(b.decision[0].components.len(), 2);
    // on a box: two segments
    let boxed = level(&net.with_domain(unit_box(2, 2)).unwrap(), 0);
    assert_eq!((boxed.betti.set.clone(), boxed.f_vector.clone()), (vec![2, 0], vec![4, 2, 0]));
}

/// `|x| + |y| + |z| = 1`: the octahedron's surface, b = (1, 0, 1); 6 vertices, 12 edges, 8
/// triangles.
#[test]
fn an_octahedron_surface_is_a_sphere() {
    let b = level(&diamond(3, Domain::Whole), 0);
    assert_eq!(b.f_vector, [6, 12, 8, 0]);
    assert_eq!(b.betti.set, [1, 0, 1]);
    assert_eq!(b.betti.one_point, [1, 0, 1]);
    // the inside is a ball, the outside in R^3 has the sphere's homology
    assert_eq!(b.decision[1].betti.set, [1, 0, 0, 0]);
    assert_eq!(b.decision[0].betti.set, [1, 0, 1, 0]);
    // in R^3 the ranks over Q equal those over GF(2) and there is no torsion
    let r = b.betti.rational[0].clone().expect("the set's chains are oriented by their poset");
    assert_eq!((r.betti, r.two_torsion), (vec![1, 0, 1], vec![0, 0, 0]));
    let outside = b.decision[0].betti.rational[0].clone().expect("oriented");
    assert_eq!(outside.betti, [1, 0, 1, 0]);
}

/// `relu(x)` at level 0 in R^2: the level set is the closed half-plane x <= 0, a whole region.
#[test]
fn a_level_that_holds_on_a_region_is_reported() {
    let net = net(r#"{"input_dim": 2, "layers": [
        {"weights": [["1", "0"]], "activation": "relu"},
        {"weights": [["1"]], "activation": "linear"}]}"#);
    let b = level(&net, 0);
    assert_eq!(b.full_dimensional.len(), 1);
    assert_eq!(b.f_vector, [0, 1, 1]);
    assert_eq!(b.betti.set, [1, 0, 0]);
    // Borel-Moore of a closed half-plane is zero; compactified, a disc
    assert_eq!(b.betti.borel_moore, [0, 0, 0]);
    assert_eq!(b.betti.one_point, [1, 0, 0]);
    let cell = &b.complex.faces[b.full_dimensional[0]];
    assert!(cell.point.coordinate(0) < q(0));
}

/// Two classes, `y = (x, -x)` plus a third constant: the ties of the argmax.
#[test]
fn argmax_ties_of_three_classes() {
    // y_0 = x, y_1 = -x, y_2 = 1 on [-3, 3]: argmax 1 on [-3, -1], 2 on [-1, 1], 0 on [1, 3];
    // ties at x = -1 and x = 1
    let net = net(r#"{"input_dim": 1, "domain": {"box": [["-3", "3"]]}, "layers": [
        {"weights": [["1"], ["-1"]], "activation": "relu"},
        {"weights": [["1", "-1"], ["-1", "1"], ["0", "0"]], "bias": ["0", "0", "1"], "activation": "linear"}]}"#);
    let b = boundary(&net, &LevelSpec::Classes, &Enumerator::builder().build()).unwrap();
    assert_eq!(b.f_vector, [2, 0]);
    assert_eq!(b.betti.set, [2]);
    let points: Vec<Q> = b.top_cells.iter().map(|&i| b.complex.faces[i].point.coordinate(0)).collect();
    assert_eq!(points, [q(-1), q(1)]);
    assert!(b.decision.iter().all(|r| r.components.len() == 1));
}

/// A few hidden-style degenerate networks: duplicated neurons (the same sign cells), many lines
/// through one point, a dead neuron, a neuron identically zero on a region.
#[test]
fn degenerate_networks() {
    // n lines through the origin: 1 vertex, 2n rays, 2n sectors
    for n in 2..6 {
        let planes = (0..n).map(|i| (vec![q(1), q(i as i64) / q(2)], q(0))).collect();
        let c = faces_of(&arrangement(2, planes, Domain::Whole));
        assert_eq!(c.f_vector(), [1, 2 * n, 2 * n]);
    }
    // a neuron duplicated, one scaled by 3, one zero row: the faces of the two lines alone
    let planes = vec![
        (vec![q(1), q(1)], q(0)),
        (vec![q(1), q(1)], q(0)),
        (vec![q(3), q(3)], q(0)),
        (vec![q(0), q(0)], q(1)),
        (vec![q(1), q(-1)], q(1)),
    ];
    let c = faces_of(&arrangement(2, planes, unit_box(2, 2)));
    let plain =
        faces_of(&arrangement(2, vec![(vec![q(1), q(1)], q(0)), (vec![q(1), q(-1)], q(1))], unit_box(2, 2)));
    assert_eq!(c.f_vector(), plain.f_vector());
    // relu(relu(x) - relu(y)): dead on the quadrant x, y < 0, bent elsewhere
    let n = net(r#"{"input_dim": 2, "layers": [
        {"weights": [["1", "0"], ["0", "1"]], "activation": "relu"},
        {"weights": [["1", "-1"]], "activation": "relu"},
        {"weights": [["1"]], "activation": "linear"}]}"#);
    let c = faces_of(&n);
    // cells: the origin; rays x = 0 (y < 0, y > 0), y = 0 (x < 0, x > 0), y = x (x > 0);
    // regions: (-,-), (-,+), (+,-), and (+,+) cut by y = x
    assert_eq!(c.f_vector(), [1, 5, 5]);
}

/// The vertices of a 2-D network's complex against a brute force: every pair of lines carrying
/// a constraint of some region or a domain row, intersected; a point is a vertex when the
/// zero-sign neurons' affine functions there (under its own signs) and its tight domain rows
/// have rank 2.
#[test]
fn vertices_in_2d_match_a_brute_force_over_pairs() {
    let nets = [
        net(r#"{"input_dim": 2, "domain": {"box": [["-2", "2"], ["-2", "2"]]}, "layers": [
            {"weights": [["1", "1"], ["1", "-1"], ["2", "1"]], "bias": ["0", "1/2", "-1"], "activation": "relu"},
            {"weights": [["1", "-1", "1"], ["-1", "2", "1"]], "bias": ["-1/2", "0"], "activation": "relu"},
            {"weights": [["1", "1"]], "activation": "linear"}]}"#),
        net(r#"{"input_dim": 2, "layers": [
            {"weights": [["1", "0"], ["0", "1"], ["1", "1"]], "bias": ["0", "0", "-1"], "activation": "relu"},
            {"weights": [["1", "1", "-1"]], "bias": ["-1/3"], "activation": "relu"},
            {"weights": [["1"]], "activation": "linear"}]}"#),
    ];
    for net in &nets {
        let c = faces_of(net);
        let mut found: Vec<Vec<Q>> =
            c.faces.iter().filter(|f| f.dim == 0).map(|f| f.point.to_vec()).collect();
        found.sort();
        assert!(found.len() >= 4, "{found:?}");
        assert_eq!(found, brute_force_vertices(net));
    }
}

/// Preactivation of every neuron under the signs `s` as affine maps `(a, b)`: `a . x + b`.
fn affine_under(net: &Network, s: &[i8]) -> Vec<(Vec<Q>, Q)> {
    let d = net.input_dim();
    let mut h: Vec<(Vec<Q>, Q)> = (0..d)
        .map(|i| {
            let mut a = vec![q(0); d];
            a[i] = q(1);
            (a, q(0))
        })
        .collect();
    let mut out = Vec::new();
    let mut at = 0;
    for layer in net.layers() {
        let z: Vec<(Vec<Q>, Q)> = (0..layer.width())
            .map(|i| {
                let row = layer.weights.dense_row(i);
                let mut a = vec![q(0); d];
                let mut b = layer.bias[i].clone();
                for (w, (ha, hb)) in row.iter().zip(&h) {
                    for (av, hv) in a.iter_mut().zip(ha) {
                        *av += w * hv;
                    }
                    b += w * hb;
                }
                (a, b)
            })
            .collect();
        if layer.activation == Activation::Relu {
            h = z
                .iter()
                .enumerate()
                .map(|(i, v)| if s[at + i] > 0 { v.clone() } else { (vec![q(0); d], q(0)) })
                .collect();
            at += z.len();
            out.extend(z);
        } else {
            h = z;
        }
    }
    out
}

fn signs_at(net: &Network, x: &[Q]) -> Vec<i8> {
    let mut h = x.to_vec();
    let mut s = Vec::new();
    for layer in net.layers() {
        let z = layer.preactivation(&h);
        if layer.activation == Activation::Relu {
            s.extend(z.iter().map(|v| {
                if *v > q(0) {
                    1
                } else if *v == q(0) {
                    0
                } else {
                    -1
                }
            }));
            h = z.into_iter().map(|v| if v > q(0) { v } else { q(0) }).collect();
        } else {
            h = z;
        }
    }
    s
}

fn brute_force_vertices(net: &Network) -> Vec<Vec<Q>> {
    let a = run(net);
    let mut lines: Vec<(Vec<Q>, Q)> = net.domain().halfspaces(2).into_iter().map(|h| (h.a, h.b)).collect();
    for r in a.regions() {
        for c in r.constraints() {
            lines.push((c.halfspace.a.clone(), c.halfspace.b.clone()));
        }
    }
    let domain = net.domain().halfspaces(2);
    let mut out: Vec<Vec<Q>> = Vec::new();
    for i in 0..lines.len() {
        for j in i + 1..lines.len() {
            let ((a1, b1), (a2, b2)) = (&lines[i], &lines[j]);
            let det = &a1[0] * &a2[1] - &a1[1] * &a2[0];
            if det == q(0) {
                continue;
            }
            let x = vec![(b1 * &a2[1] - &a1[1] * b2) / &det, (&a1[0] * b2 - b1 * &a2[0]) / &det];
            if domain.iter().any(|h| h.slack(&x) < q(0)) || out.contains(&x) {
                continue;
            }
            let s = signs_at(net, &x);
            let mut rows: Vec<Vec<Q>> = affine_under(net, &s)
                .into_iter()
                .zip(&s)
                .filter(|(_, &v)| v == 0)
                .map(|((a, _), _)| a)
                .collect();
            rows.extend(domain.iter().filter(|h| h.slack(&x) == q(0)).map(|h| h.a.clone()));
            let independent = rows
                .iter()
                .enumerate()
                .any(|(k, u)| rows[k + 1..].iter().any(|v| &u[0] * &v[1] - &u[1] * &v[0] != q(0)));
            if independent {
                out.push(x);
            }
        }
    }
    out.sort();
    out
}

/// A random network with small integer weights (two hidden layers).
fn random_net(d: usize, widths: &[usize], seed: u64, domain: Domain) -> Network {
    let mut s = seed.wrapping_mul(2654435761).wrapping_add(7);
    let mut next = move || {
        s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        q(((s >> 33) % 7) as i64 - 3)
    };
    let mut layers = Vec::new();
    let mut inputs = d;
    for &w in widths {
        let rows = (0..w).map(|_| (0..inputs).map(|_| next()).collect()).collect();
        let bias = (0..w).map(|_| next() / q(2)).collect();
        layers.push(Layer { weights: Weights::dense(rows).unwrap(), bias, activation: Activation::Relu });
        inputs = w;
    }
    let out = (0..inputs).map(|_| next()).collect();
    layers.push(Layer {
        weights: Weights::dense(vec![out]).unwrap(),
        bias: vec![q(1)],
        activation: Activation::Linear,
    });
    Network::new(d, layers, domain).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, ..ProptestConfig::default() })]

    /// On boxes and on R^d, 1 to 5 inputs: the complex's own checks pass (the Euler relation,
    /// the diamond property), the d-faces are the regions, and the level set's Euler
    /// characteristic from its cells equals the one from its Borel-Moore Betti numbers.
    #[test]
    fn euler_identities_on_random_networks(d in 1usize..=5, seed in 0u64..10_000, boxed in any::<bool>()) {
        let widths: &[usize] = match d { 1 | 2 => &[3, 2], 3 => &[3, 1], _ => &[2, 1] };
        let domain = if boxed { unit_box(d, 2) } else { Domain::Whole };
        let net = random_net(d, widths, seed, domain);
        let c = faces_of(&net);
        let expected = if boxed || d % 2 == 0 { 1 } else { -1 };
        prop_assert_eq!(c.euler_characteristic(), expected);
        prop_assert_eq!(c.f_vector()[d], run(&net).regions().len());
        if d <= 3 {
            let b = level(&net, 0);
            let from_betti: i64 = b.betti.borel_moore.iter().enumerate()
                .map(|(k, &v)| if k % 2 == 0 { v as i64 } else { -(v as i64) }).sum();
            prop_assert_eq!(b.euler_characteristic, from_betti);
        }
    }
}
