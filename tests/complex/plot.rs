//! `plot --boundary` with its options: the boundary's colour and width, the decision regions
//! filled by class (`--color class`: the partition refined by the decision boundary first), in
//! 2-D and on a plane slice of a 3-input network; bad options are exit 2. The SVG is parsed.

use std::process::{Command, Output};

fn cli(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_relu-regions")).args(args).output().expect("binary runs")
}

/// `|x| + |y| - 1` (in 2-D) or `|x| + |y| + |z| - 1` (in 3-D).
fn diamond(d: usize) -> String {
    let mut rows = Vec::new();
    for i in 0..d {
        for s in ["1", "-1"] {
            let r: Vec<String> =
                (0..d).map(|j| if i == j { format!("\"{s}\"") } else { "\"0\"".into() }).collect();
            rows.push(format!("[{}]", r.join(", ")));
        }
    }
    let ones: Vec<&str> = (0..2 * d).map(|_| "\"1\"").collect();
    format!(
        r#"{{"input_dim": {d}, "layers": [{{"weights": [{}], "activation": "relu"}},
            {{"weights": [[{}]], "bias": ["-1"], "activation": "linear"}}]}}"#,
        rows.join(", "),
        ones.join(", ")
    )
}

/// Each element `<tag .../>` of the SVG as its attributes.
fn elements(svg: &str, tag: &str) -> Vec<std::collections::HashMap<String, String>> {
    let open = format!("<{tag} ");
    svg.lines()
        .filter_map(|l| l.trim().strip_prefix(open.as_str()))
        .map(|rest| {
            let mut attrs = std::collections::HashMap::new();
            let mut text = rest;
            while let Some(eq) = text.find("=\"") {
                let name = text[..eq].trim().to_string();
                let after = &text[eq + 2..];
                let end = after.find('"').expect("a closing quote");
                attrs.insert(name, after[..end].to_string());
                text = &after[end + 1..];
            }
            attrs
        })
        .collect()
}

fn plot(name: &str, net: &str, args: &[&str]) -> (Output, String) {
    let dir = std::env::temp_dir().join(format!("rr-complex-plot-{name}-{}", std::process::id()));
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

/// The fills of the class colours: inside the diamond class 0, outside class 1.
fn fills(svg: &str) -> std::collections::BTreeMap<String, usize> {
    let mut count = std::collections::BTreeMap::new();
    for p in elements(svg, "polygon")
        .into_iter()
        .filter(|p| p.get("id").is_some_and(|id| id.starts_with("region-")))
    {
        *count.entry(p["fill"].clone()).or_default() += 1;
    }
    count
}

#[test]
fn the_boundary_has_its_colour_and_width() {
    let (out, svg) = plot(
        "stroke",
        &diamond(2),
        &["--boundary", "--boundary-color", "#0000ff", "--boundary-width", "1.5", "--box", "-2:2,-2:2"],
    );
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let lines: Vec<_> = elements(&svg, "line")
        .into_iter()
        .filter(|l| l.get("class").map(String::as_str) == Some("boundary"))
        .collect();
    assert_eq!(lines.len(), 4);
    assert!(lines.iter().all(|l| l["stroke"] == "#0000ff" && l["stroke-width"] == "1.5"));
    // the defaults: red, 3
    let (_, svg) = plot("default", &diamond(2), &["--boundary", "--box", "-2:2,-2:2"]);
    let lines: Vec<_> = elements(&svg, "line")
        .into_iter()
        .filter(|l| l.get("class").map(String::as_str) == Some("boundary"))
        .collect();
    assert!(lines.len() == 4 && lines.iter().all(|l| l["stroke"] == "#d00000" && l["stroke-width"] == "3"));
}

#[test]
fn decision_regions_are_filled_by_class() {
    // the box cut by the axes and the diamond: 4 triangles inside (y < 0), 4 pieces outside
    let (out, svg) = plot("class", &diamond(2), &["--color", "class", "--boundary", "--box", "-2:2,-2:2"]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let want: std::collections::BTreeMap<String, usize> =
        [("#f4a582".to_string(), 4), ("#92c5de".to_string(), 4)].into();
    assert_eq!(fills(&svg), want);
    // the same on the plane z = 0 of the octahedron |x| + |y| + |z| = 1
    let (out, svg) = plot(
        "plane",
        &diamond(3),
        &["--color", "class", "--boundary", "--plane", "0,0,0;1,0,0;0,1,0", "--box", "-2:2,-2:2"],
    );
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(fills(&svg), want);
    assert_eq!(svg.matches("class=\"boundary\"").count(), 4);
    // two outputs: the argmax of (x, y) on the box cuts it along the diagonal
    let two = r#"{"input_dim": 2, "domain": {"box": [["-1", "1"], ["-1", "1"]]}, "layers": [
        {"weights": [["1", "0"], ["0", "1"]], "activation": "linear"}]}"#;
    let (out, svg) = plot("argmax", two, &["--color", "class"]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let got = fills(&svg);
    assert_eq!(got.values().sum::<usize>(), got.len() * got.values().next().copied().unwrap_or(0));
    assert_eq!(got.len(), 2, "{got:?}");
}

#[test]
fn bad_plot_options_are_exit_2() {
    for args in [
        vec!["--boundary", "--boundary-color", "red\" onload=\"x", "--box", "-2:2,-2:2"],
        vec!["--boundary", "--boundary-color", "#12345", "--box", "-2:2,-2:2"],
        vec!["--boundary", "--boundary-width=-1", "--box", "-2:2,-2:2"],
        vec!["--boundary", "--boundary-width", "0", "--box", "-2:2,-2:2"],
        vec!["--boundary", "--boundary-width", "NaN", "--box", "-2:2,-2:2"],
    ] {
        let (out, _) = plot("bad", &diamond(2), &args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(String::from_utf8_lossy(&out.stderr).contains("--boundary-"), "{args:?}");
    }
}
