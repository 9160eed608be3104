//! SVG plots of 2-D partitions and planar slices.

use crate::cli::fixtures::run_cli;
use crate::support::*;
use relu_regions::exact::num::{parse_rational, q, Q};
use relu_regions::network::nnet::Coords;
use relu_regions::network::{load, Domain};
use relu_regions::queries::plane::{area, polygon};
use relu_regions::queries::slice::{restrict, Plane};

fn tmp(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("rr-plot-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

fn total_area(net: &relu_regions::network::Network) -> Q {
    let a = run(net);
    a.regions().iter().zip(a.facets()).map(|(r, f)| area(&polygon(r, f))).sum()
}

#[test]
fn polygon_areas_sum_to_the_domain() {
    let deep = load(&fixture("deep2d.json"), None, Coords::Raw).unwrap();
    assert_eq!(total_area(&deep), q(16), "the box [-2, 2]^2");
    let triangle = Domain::Polytope {
        a: vec![vec![q(-1), q(0)], vec![q(0), q(-1)], vec![q(1), q(1)]],
        b: vec![q(0), q(0), q(1)],
    };
    let net = deep.with_domain(triangle).unwrap();
    assert_eq!(total_area(&net), Q::new(1.into(), 2.into()));
}

#[test]
fn slice_of_acas_xu_is_an_exact_2d_partition() {
    let acas = load(&fixture("nnet/ACASXU_run2a_1_1_batch_2000.nnet"), None, Coords::Normalized).unwrap();
    let plane =
        Plane::parse_through("0,0.1,-0.1,0.2,-0.2;0.01,0.1,-0.1,0.2,-0.2;0,0.11,-0.1,0.2,-0.2", 5).unwrap();
    let sliced = restrict(&acas, &plane, None).unwrap();
    assert_eq!(sliced.input_dim(), 2);
    assert_eq!(total_area(&sliced), q(1), "s, t in [0, 1], inside the domain");
    // the slice network agrees with the original at every (s, t)
    for (s, t) in [("1/3", "2/7"), ("0.9", "0.05")] {
        let (s, t) = (parse_rational(s).unwrap(), parse_rational(t).unwrap());
        assert_eq!(sliced.output(&[s.clone(), t.clone()]), acas.output(&plane.point(&s, &t)));
    }
    assert!(Plane::parse_plane("0,0,0,0,0;1,0,0,0,0;2,0,0,0,0", 5).is_err(), "parallel directions");
    assert!(Plane::parse_through("0,0;1,1", 2).is_err());
}

#[test]
fn plot_writes_deterministic_svg_that_renders() {
    let seed = fixture("seed.json");
    let (a, b) = (tmp("a.svg"), tmp("b.svg"));
    for out in [&a, &b] {
        let r = run_cli(&["plot", seed.to_str().unwrap(), "--svg", out.to_str().unwrap(), "--ids"]);
        assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
    }
    let svg = std::fs::read_to_string(&a).unwrap();
    assert_eq!(svg, std::fs::read_to_string(&b).unwrap(), "byte-identical");
    assert_eq!(svg.matches("<polygon").count(), 4);
    let deep = tmp("deep.svg");
    let r = run_cli(&[
        "plot",
        fixture("deep2d.json").to_str().unwrap(),
        "--svg",
        deep.to_str().unwrap(),
        "--color",
        "output",
    ]);
    assert!(r.status.success());
    let acas = tmp("acas.svg");
    let r = run_cli(&[
        "plot",
        fixture("nnet/ACASXU_run2a_1_1_batch_2000.nnet").to_str().unwrap(),
        "--coords",
        "normalized",
        "--through",
        "0,0.1,-0.1,0.2,-0.2;0.01,0.1,-0.1,0.2,-0.2;0,0.11,-0.1,0.2,-0.2",
        "--svg",
        acas.to_str().unwrap(),
    ]);
    assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
    let three_d = run_cli(&[
        "plot",
        fixture("nnet/ACASXU_run2a_1_1_batch_2000.nnet").to_str().unwrap(),
        "--svg",
        acas.to_str().unwrap(),
    ]);
    assert_eq!(three_d.status.code(), Some(2), "a 5-input network needs a plane");
    let have_rsvg = std::process::Command::new("rsvg-convert").arg("--version").output().is_ok();
    if !have_rsvg {
        assert!(std::env::var_os("CI").is_none(), "CI must install librsvg2-bin (see .ci/run)");
        eprintln!("rsvg-convert not installed: skipping the render check");
        return;
    }
    for svg in [&a, &deep, &acas] {
        let png = svg.with_extension("png");
        let out = std::process::Command::new("rsvg-convert").arg(svg).arg("-o").arg(&png).output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        assert!(std::fs::metadata(&png).unwrap().len() > 1000);
    }
}
