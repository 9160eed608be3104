//! `plot --boundary --output K --level C` and `--classes`: the SVG's boundary lines carry their
//! exact endpoints (`data-exact`), which are checked exactly against the network (each endpoint
//! on `{y_K = C}`, or where the argmax ties), against closed forms, and in number against the
//! `boundary --json` document of the same set; on plane slices; a level no region reaches
//! draws nothing; bad flags are exit 2 naming the flag.

use relu_regions::exact::num::{parse_rational, Q};
use relu_regions::Network;
use std::process::{Command, Output};

fn cli(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_relu-regions")).args(args).output().expect("binary runs")
}

/// Two inputs, two outputs: `y_0 = |x| + |y| - 1` and `y_1 = relu(x) - relu(y) + relu(x + y - 1)`.
const TWO: &str = r#"{"input_dim": 2, "layers": [
    {"weights": [["1", "0"], ["-1", "0"], ["0", "1"], ["0", "-1"], ["1", "1"]], "bias": ["0", "0", "0", "0", "-1"], "activation": "relu"},
    {"weights": [["1", "1", "1", "1", "0"], ["1", "0", "-1", "0", "1"]], "bias": ["-1", "0"], "activation": "linear"}]}"#;

/// Three outputs of two inputs: `x`, `y` and `relu(-x - y) + 1/2`: their argmax ties on
/// bent lines.
const THREE: &str = r#"{"input_dim": 2, "layers": [
    {"weights": [["1", "0"], ["-1", "0"], ["0", "1"], ["0", "-1"], ["-1", "-1"]], "activation": "relu"},
    {"weights": [["1", "-1", "0", "0", "0"], ["0", "0", "1", "-1", "0"], ["0", "0", "0", "0", "1"]], "bias": ["0", "0", "1/2"], "activation": "linear"}]}"#;

/// `|x| + |y| + |z| - 1`.
const OCTAHEDRON: &str = r#"{"input_dim": 3, "layers": [
    {"weights": [["1", "0", "0"], ["-1", "0", "0"], ["0", "1", "0"], ["0", "-1", "0"], ["0", "0", "1"], ["0", "0", "-1"]], "activation": "relu"},
    {"weights": [["1", "1", "1", "1", "1", "1"]], "bias": ["-1"], "activation": "linear"}]}"#;

/// Runs `plot` on `net` with `args`; the exit, stderr and the SVG's text.
fn plot(name: &str, net: &str, args: &[&str]) -> (Output, String) {
    let dir = std::env::temp_dir().join(format!("rr-complex-plot-level-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("net.json");
    std::fs::write(&path, net).unwrap();
    let svg = dir.join("out.svg");
    let mut all = vec!["plot", path.to_str().unwrap(), "--svg", svg.to_str().unwrap()];
    all.extend(args);
    let out = cli(&all);
    let text = std::fs::read_to_string(&svg).unwrap_or_default();
    let _ = std::fs::remove_dir_all(&dir);
    (out, text)
}

/// `boundary --json` of `net` with `args`.
fn boundary_doc(name: &str, net: &str, args: &[&str]) -> serde_json::Value {
    let dir = std::env::temp_dir().join(format!("rr-complex-plot-level-doc-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("net.json");
    std::fs::write(&path, net).unwrap();
    let mut all = vec!["boundary", path.to_str().unwrap(), "--json"];
    all.extend(args);
    let out = cli(&all);
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).expect("JSON")
}

/// The exact endpoints of the SVG's boundary lines.
fn segments(svg: &str) -> Vec<[[Q; 2]; 2]> {
    svg.lines()
        .filter(|l| l.contains("class=\"boundary\""))
        .map(|l| {
            let start = l.find("data-exact=\"").expect("exact endpoints") + "data-exact=\"".len();
            let text = &l[start..start + l[start..].find('"').unwrap()];
            let v: Vec<Q> = text.split(' ').map(|s| parse_rational(s).expect("a rational")).collect();
            assert_eq!(v.len(), 4, "{l}");
            [[v[0].clone(), v[1].clone()], [v[2].clone(), v[3].clone()]]
        })
        .collect()
}

fn r(s: &str) -> Q {
    parse_rational(s).unwrap()
}

fn midpoint(s: &[[Q; 2]; 2]) -> [Q; 2] {
    let two = r("2");
    [(&s[0][0] + &s[1][0]) / &two, (&s[0][1] + &s[1][1]) / &two]
}

#[test]
fn drawn_segments_lie_exactly_on_the_level() {
    let net = Network::from_json(TWO).unwrap();
    for (k, c) in [("0", "1/2"), ("1", "1/4"), ("1", "-1/3"), ("0", "0")] {
        let (out, svg) = plot(
            &format!("level{k}"),
            TWO,
            &["--boundary", "--output", k, "--level", c, "--box", "-2:2,-2:2"],
        );
        assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
        let segs = segments(&svg);
        assert!(!segs.is_empty(), "y_{k} = {c}");
        let (k_idx, level) = (k.parse::<usize>().unwrap(), r(c));
        for s in &segs {
            assert_ne!(s[0], s[1], "a segment of positive length");
            for p in [&s[0], &s[1]] {
                assert_eq!(net.output(p)[k_idx], level, "endpoint {p:?} of y_{k} = {c}");
            }
            // a segment lies in one cell of the refined complex, where y_k is affine: its
            // midpoint is on the level too
            assert_eq!(net.output(&midpoint(s))[k_idx], level);
        }
        // as many segments as the level set has edges (every face is bounded in the box)
        let doc =
            boundary_doc(&format!("level{k}"), TWO, &["--output", k, "--level", c, "--box", "-2:2,-2:2"]);
        assert_eq!(Some(segs.len() as u64), doc["f_vector"][1].as_u64(), "y_{k} = {c}");
    }
    // the closed form: |x| + |y| = 3/2 is the square with vertices (+-3/2, 0), (0, +-3/2),
    // its edges in x > 0 > y and x < 0 < y cut by the bent line x + y = 1 at (5/4, -1/4) and
    // (-1/4, 5/4): six segments, each endpoint in two of them
    let (_, svg) = plot("closed", TWO, &["--boundary", "--level", "1/2", "--box", "-2:2,-2:2"]);
    let mut ends: Vec<[Q; 2]> = segments(&svg).into_iter().flatten().collect();
    ends.sort();
    let (h, z) = (r("3/2"), r("0"));
    let mut want = vec![
        [h.clone(), z.clone()],
        [-h.clone(), z.clone()],
        [z.clone(), h.clone()],
        [z.clone(), -h.clone()],
        [r("5/4"), r("-1/4")],
        [r("-1/4"), r("5/4")],
    ];
    want.extend(want.clone());
    want.sort();
    assert_eq!(ends, want);
}

#[test]
fn the_classes_boundary_is_where_the_argmax_ties() {
    let net = Network::from_json(THREE).unwrap();
    let ties = |p: &[Q; 2]| {
        let y = net.output(p);
        let max = y.iter().max().unwrap().clone();
        y.iter().filter(|v| **v == max).count() >= 2
    };
    for color in ["piece", "class"] {
        let (out, svg) =
            plot("classes", THREE, &["--boundary", "--classes", "--color", color, "--box", "-2:2,-2:2"]);
        assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
        let segs = segments(&svg);
        for s in &segs {
            assert!(ties(&s[0]) && ties(&s[1]) && ties(&midpoint(s)), "{s:?}");
        }
        let doc = boundary_doc("classes", THREE, &["--classes", "--box", "-2:2,-2:2"]);
        assert_eq!(Some(segs.len() as u64), doc["f_vector"][1].as_u64());
        // the three decision regions meet: x = y >= 1/2 among the ties, drawn
        assert!(segs.iter().any(|s| s[0][0] == s[0][1] && s[1][0] == s[1][1]), "{color}");
    }
}

#[test]
fn a_level_on_a_plane_slice() {
    let net = Network::from_json(OCTAHEDRON).unwrap();
    // the plane z = 1/4 (x = (s, t, 1/4)) cuts |x| + |y| + |z| = 1 + c in |s| + |t| = 3/4 + c
    for (how, text) in [("--plane", "0,0,1/4;1,0,0;0,1,0"), ("--through", "0,0,1/4;1,0,1/4;0,1,1/4")] {
        let (out, svg) =
            plot("plane", OCTAHEDRON, &["--boundary", "--level", "1/4", how, text, "--box", "-2:2,-2:2"]);
        assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
        let segs = segments(&svg);
        assert_eq!(segs.len(), 4, "{how}");
        for p in segs.iter().flatten() {
            let x = [p[0].clone(), p[1].clone(), r("1/4")];
            assert_eq!(net.output(&x)[0], r("1/4"), "{how} at {p:?}");
            assert_eq!(num_traits::Signed::abs(&p[0]) + num_traits::Signed::abs(&p[1]), r("1"));
        }
    }
}

#[test]
fn a_level_no_region_reaches_draws_nothing() {
    // y_0 = |x| + |y| - 1 >= -1 everywhere
    let (out, svg) = plot("unreached", TWO, &["--boundary", "--level", "-2", "--box", "-2:2,-2:2"]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(svg.contains("<polygon"), "the partition is drawn");
    assert_eq!(svg.matches("class=\"boundary\"").count(), 0);
    // above the box: y_0 <= 3 on [-2, 2]^2
    let (out, svg) = plot("above", TWO, &["--boundary", "--level", "7/2", "--box", "-2:2,-2:2"]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(svg.matches("class=\"boundary\"").count(), 0);
}

#[test]
fn bad_level_flags_are_exit_2_naming_the_flag() {
    for (net, args, flag) in [
        (OCTAHEDRON, vec!["--boundary", "--output", "1", "--plane", "0,0,0;1,0,0;0,1,0"], "--output"),
        (TWO, vec!["--boundary", "--output", "2"], "--output"),
        (TWO, vec!["--boundary", "--level", "x/0"], "--level"),
        (TWO, vec!["--boundary", "--level", "1/0"], "--level"),
        (OCTAHEDRON, vec!["--boundary", "--classes", "--through", "0,0,0;1,0,0;0,1,0"], "--classes"),
        // the flags need --boundary, and --classes is not a level
        (TWO, vec!["--output", "1"], "--boundary"),
        (TWO, vec!["--level", "1"], "--boundary"),
        (TWO, vec!["--boundary", "--classes", "--level", "1"], "--classes"),
    ] {
        let mut all = args.clone();
        all.extend(["--box", "-2:2,-2:2"]);
        let (out, svg) = plot("bad", net, &all);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains(flag), "{args:?}: {err}");
        assert!(svg.is_empty(), "{args:?}: no SVG written");
    }
}

/// On a polytope domain the drawn level set stays inside the polytope: `|x| + |y| = 1` on the
/// triangle `x >= -2, y >= -2, x + y <= 1/2` is three segments (the closed form), not the whole
/// square that the drawn regions' bounding box holds.
#[test]
fn a_level_on_a_polytope_stays_inside_it() {
    let net: serde_json::Value = serde_json::from_str(TWO).unwrap();
    let mut net = net.as_object().unwrap().clone();
    net.insert(
        "domain".into(),
        serde_json::json!({"polytope": {"A": [["-1", "0"], ["0", "-1"], ["1", "1"]], "b": ["2", "2", "1/2"]}}),
    );
    let text = serde_json::Value::Object(net).to_string();
    let (out, svg) = plot("polytope", &text, &["--boundary", "--level", "0"]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let segs = segments(&svg);
    let mut ends: Vec<[Q; 2]> = segs.iter().flatten().cloned().collect();
    for p in &ends {
        assert!(&p[0] + &p[1] <= r("1/2"), "endpoint {p:?} outside the polytope");
    }
    ends.sort();
    let mut want = vec![
        [r("-1/4"), r("3/4")],
        [r("-1"), r("0")],
        [r("3/4"), r("-1/4")],
        [r("0"), r("-1")],
        [r("0"), r("-1")],
        [r("-1"), r("0")],
    ];
    want.sort();
    assert_eq!(ends, want);
    let doc = boundary_doc("polytope", &text, &["--level", "0"]);
    assert_eq!(Some(segs.len() as u64), doc["f_vector"][1].as_u64());
}
