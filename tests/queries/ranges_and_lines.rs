//! Issue 16 (part): exact output ranges, Lipschitz constants and line slices against
//! independent computations (every vertex of every region in 2-D, closed forms, dense sampling).

use crate::cli::fixtures::run_cli;
use crate::enumerate::invariants::{random_net, Rng};
use crate::support::*;
use relu_regions::exact::num::{q, Q};
use relu_regions::network::json::read_network;
use relu_regions::network::Domain;
use relu_regions::queries::line::{restrict, slice, Segment};
use relu_regions::queries::plane::polygon;
use relu_regions::queries::range::{lipschitz, output_ranges, Extreme};

/// The minimum of a linear function over a polytope is attained at a vertex: over every vertex
/// of every region (exact, in 2-D) the network's extremes are the exact range.
#[test]
fn ranges_equal_the_extremes_over_every_vertex() {
    let mut rng = Rng::new(16);
    for widths in [vec![4, 3], vec![6], vec![3, 3, 2]] {
        let domain = Domain::Box(vec![(q(-2), q(3)), (q(-1), q(2))]);
        let net = random_net(&mut rng, 2, &widths, domain);
        let a = run(&net);
        let ranges = output_ranges(a.regions()).unwrap().unwrap();
        let vertices: Vec<[Q; 2]> =
            a.regions().iter().zip(a.facets()).flat_map(|(r, f)| polygon(r, f)).collect();
        for (k, range) in ranges.iter().enumerate() {
            let values: Vec<Q> =
                vertices.iter().map(|v| net.output(&[v[0].clone(), v[1].clone()])[k].clone()).collect();
            let (lo, hi) = (values.iter().min().unwrap(), values.iter().max().unwrap());
            assert_eq!(range.min.value(), Some(lo));
            assert_eq!(range.max.value(), Some(hi));
            for e in [&range.min, &range.max] {
                let Extreme::Attained { value, point, .. } = e else { panic!("a box is bounded") };
                assert!(net.domain_contains(point));
                assert_eq!(&net.output(point)[k], value, "the extreme is attained at its point");
            }
        }
    }
}

/// `|x0| + 2 |x1| - x0`: on all of R^2 unbounded above, minimum 0 at the origin; its
/// Jacobians are `[s - 1, 2 t]` with s, t = +-1, so the l-infinity constant is 4 and the l1
/// constant (one output: the largest entry) 2.
#[test]
fn closed_forms_of_range_and_lipschitz() {
    let net = read_network(
        r#"{"input_dim": 2, "layers": [
        {"weights": [[1, 0], [-1, 0], [0, 1], [0, -1]], "activation": "relu"},
        {"weights": [[1, 1, 2, 2]], "activation": "linear"},
        {"weights": [[1]], "activation": "linear"}]}"#,
        "abs",
    )
    .unwrap();
    let mut layers = net.layers().to_vec();
    // subtract x0 by hand: y = |x0| + 2|x1| - x0 = 2 relu(-x0) + 2|x1|
    layers[1].weights = relu_regions::network::Weights::dense(vec![vec![q(0), q(2), q(2), q(2)]]).unwrap();
    let net = relu_regions::network::Network::new(2, layers, Domain::Whole).unwrap();
    let a = run(&net);
    let r = &output_ranges(a.regions()).unwrap().unwrap()[0];
    assert_eq!(r.min.value(), Some(&q(0)));
    assert!(matches!(r.max, Extreme::Unbounded { .. }));
    let l = lipschitz(a.regions()).unwrap();
    assert_eq!(l.linf.value, q(4));
    assert_eq!(l.l1.value, q(2));
}

/// Along a segment, the network equals the piecewise-linear function of the slice at every
/// sampled `t` (exactly), the pieces tile `[0, 1]`, and the slope changes at every breakpoint.
#[test]
fn line_slices_match_evaluation() {
    let mut rng = Rng::new(7);
    for (dim, widths) in [(2, vec![5, 4]), (3, vec![4, 4, 3])] {
        let net = random_net(&mut rng, dim, &widths, Domain::Whole);
        let a: Vec<Q> = (0..dim).map(|_| rng.rational(3)).collect();
        let b: Vec<Q> = (0..dim).map(|_| rng.rational(3)).collect();
        let text = |v: &[Q]| v.iter().map(relu_regions::exact::num::fmt_q).collect::<Vec<_>>().join(",");
        let segment = Segment::parse(&format!("{};{}", text(&a), text(&b)), dim).unwrap();
        let s = slice(&segment, &run(&restrict(&net, &segment).unwrap()));
        assert_eq!(s.pieces.first().unwrap().t.0, q(0));
        assert_eq!(s.pieces.last().unwrap().t.1, q(1));
        for w in s.pieces.windows(2) {
            assert_eq!(w[0].t.1, w[1].t.0, "the intervals tile the segment");
        }
        for piece in &s.pieces {
            for step in 0..=8 {
                let t = &piece.t.0 + (&piece.t.1 - &piece.t.0) * Q::new(step.into(), 8.into());
                let y = net.output(&segment.point(&t));
                for ((yk, start), slope) in y.iter().zip(&piece.start).zip(&piece.slope) {
                    assert_eq!(*yk, start + slope * (&t - &piece.t.0));
                }
            }
        }
        for t in &s.breakpoints {
            let i = s.pieces.iter().position(|p| &p.t.0 == t).unwrap();
            assert_ne!(s.pieces[i - 1].slope, s.pieces[i].slope);
        }
    }
}

#[test]
fn range_and_slice_on_the_command_line() {
    let deep = fixture("deep2d.json");
    let out = run_cli(&["range", deep.to_str().unwrap(), "--json", "--lipschitz"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(v["outputs"][0]["min"]["value"].is_string() && v["outputs"][0]["max"]["point"].is_array());
    assert!(v["lipschitz"]["linf"]["value"].is_string() && v["provenance"].is_object());
    let seed = fixture("seed.json");
    let out = run_cli(&["range", seed.to_str().unwrap(), "--json"]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["outputs"][0]["max"]["value"], "+inf");
    let dir = std::env::temp_dir().join(format!("rr-slice-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let svg = dir.join("slice.svg");
    let out = run_cli(&[
        "slice",
        seed.to_str().unwrap(),
        "--line",
        "-1,1/2;1,1/2",
        "--json",
        "--svg",
        svg.to_str().unwrap(),
    ]);
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["breakpoints"], serde_json::json!(["1/4", "3/4"]));
    assert_eq!(std::fs::read_to_string(&svg).unwrap().matches("class=\"breakpoint\"").count(), 2);
    let bad = run_cli(&["slice", seed.to_str().unwrap(), "--line", "1,1;1,1"]);
    assert_eq!(bad.status.code(), Some(2));
    let _ = std::fs::remove_dir_all(dir);
}

/// `locate` against the full enumeration: an interior point gets its own region; a vertex of
/// the partition, or a facet point, gets exactly the regions whose closures contain it.
#[test]
fn locate_finds_exactly_the_regions_at_a_point() {
    use relu_regions::queries::locate::locate;
    use relu_regions::Enumerator;
    use std::collections::BTreeSet;
    let mut rng = Rng::new(33);
    let net = random_net(&mut rng, 2, &[4, 3], Domain::Box(vec![(q(-2), q(2)), (q(-2), q(2))]));
    let a = run(&net);
    let e = Enumerator::builder().build();
    let containing = |x: &[Q]| -> BTreeSet<Vec<Vec<bool>>> {
        a.regions()
            .iter()
            .filter(|r| r.halfspaces().iter().all(|h| h.slack(x) >= Q::from_integer(0.into())))
            .map(|r| r.pattern().clone())
            .collect()
    };
    for r in a.regions().iter().take(6) {
        let location = locate(&net, r.point(), &e).unwrap();
        let found = &location.regions;
        assert!(!location.on_boundary);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].pattern(), r.pattern());
        assert_eq!(found[0].map(), r.map());
    }
    let mut checked = 0;
    for (r, f) in a.regions().iter().zip(a.facets()).take(6) {
        let mut points: Vec<Vec<Q>> = polygon(r, f).into_iter().map(|v| v.to_vec()).collect();
        points.extend(f.iter().map(|f| f.point.clone()));
        for x in points {
            let found = locate(&net, &x, &e).unwrap().regions;
            let got: BTreeSet<Vec<Vec<bool>>> = found.iter().map(|g| g.pattern().clone()).collect();
            assert_eq!(got, containing(&x), "at {x:?}");
            checked += 1;
        }
    }
    assert!(checked > 10);
    let out =
        run_cli(&["locate", fixture("seed.json").to_str().unwrap(), "--point", "0,0", "--json", "--ids"]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["on_boundary"], true);
    let ids: BTreeSet<u64> =
        v["regions"].as_array().unwrap().iter().map(|r| r["id"].as_u64().unwrap()).collect();
    assert_eq!(ids, (0..4).collect());
    let outside = run_cli(&["locate", fixture("deep2d.json").to_str().unwrap(), "--point", "9,9"]);
    assert_eq!(outside.status.code(), Some(2));
}

/// Exact areas (2-D) and volumes (3-D) of the regions of a box add up to the box exactly; every
/// inscribed ball is inside its region (checked here without square roots: `b - a.c >= 0` and
/// `(b - a.c)^2 >= r^2 |a|^2`); sampled volume intervals mostly hold the exact volume.
#[test]
fn region_sizes_add_up_and_balls_fit() {
    use relu_regions::queries::sizes::region_sizes;
    let mut rng = Rng::new(5);
    for (dim, widths) in [(2, vec![5, 3]), (3, vec![4, 3]), (3, vec![6])] {
        let bounds: Vec<(Q, Q)> = (0..dim).map(|j| (q(-1 - j as i64), q(2))).collect();
        let total: Q = bounds.iter().map(|(lo, hi)| hi - lo).product();
        let net = random_net(&mut rng, dim, &widths, Domain::Box(bounds));
        let a = run(&net);
        let sizes = region_sizes(&net, a.regions(), a.facets(), 4000, 3);
        let sum: Q = sizes.iter().map(|s| s.measure.clone().expect("bounded")).sum();
        assert_eq!(sum, total, "{dim}-D: the measures tile the box");
        let mut held = 0;
        for (r, s) in a.regions().iter().zip(&sizes) {
            let ball = s.ball.as_ref().expect("a ball fits in every region of a box");
            assert!(ball.radius > Q::from_integer(0.into()));
            for h in r.halfspaces() {
                let room = &h.b - relu_regions::exact::num::dot(&h.a, &ball.center);
                let norm2: Q = h.a.iter().map(|v| v * v).sum();
                assert!(
                    room >= Q::from_integer(0.into()) && &room * &room >= &ball.radius * &ball.radius * norm2
                );
            }
            let (_, low, high) = s.sampled.unwrap();
            let exact = relu_regions::exact::num::to_f64(s.measure.as_ref().unwrap());
            held += usize::from(low <= exact && exact <= high);
        }
        assert!(held * 10 >= a.regions().len() * 8, "{held} of {} intervals hold", a.regions().len());
    }
    let out = run_cli(&["verify", fixture("deep2d.json").to_str().unwrap()]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("smallest region: region"));
    let out = run_cli(&["regions", fixture("deep2d.json").to_str().unwrap(), "--json", "--sizes"]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(v["regions"][0]["size"]["area"].is_string() && v["regions"][0]["size"]["inradius"].is_string());
}
