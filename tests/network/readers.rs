//! Readers for the networks people have: `.nnet` and ONNX, read exactly.

use crate::cli::fixtures::run_cli;
use crate::support::fixture;
use num_traits::Signed;
use relu_regions::exact::num::{from_f64_exact, parse_rational, to_f64, Q};
use relu_regions::network::nnet::{read_nnet, Coords};
use relu_regions::network::onnx::read_onnx;
use relu_regions::network::{load, Domain, InputFormat, Network};
use relu_regions::Enumerator;

const ACAS: &str = "nnet/ACASXU_run2a_1_1_batch_2000.nnet";
const ACAS_ONNX: &str = "onnx/ACASXU_run2a_1_1_batch_2000.onnx";

fn acas(coords: Coords) -> Network {
    load(&fixture(ACAS), None, coords).unwrap()
}

/// Whether the float32 value `v` is a nearest float32 to the rational `x` (exact check).
fn is_nearest_f32(v: &Q, x: &Q) -> bool {
    let f = to_f64(v) as f32;
    let up = from_f64_exact(f64::from(f32::from_bits(f.to_bits() + 1))).unwrap();
    let half_ulp = (&up - v).abs() / Q::from_integer(2.into());
    (v - x).abs() <= half_ulp * Q::from_integer(2.into())
}

#[test]
fn onnx_and_normalized_nnet_are_the_same_network() {
    let onnx = load(&fixture(ACAS_ONNX), None, Coords::Raw).unwrap();
    let nnet = acas(Coords::Normalized);
    assert_eq!(onnx.layers().len(), nnet.layers().len());
    for (lo, ln) in onnx.layers().iter().zip(nnet.layers()) {
        assert_eq!(lo.activation, ln.activation);
        let (wo, wn) = (lo.weights.to_dense(), ln.weights.to_dense());
        for (ro, rn) in wo.iter().zip(&wn).chain([(&lo.bias, &ln.bias)]) {
            assert_eq!(ro.len(), rn.len());
            for (vo, vn) in ro.iter().zip(rn) {
                assert!(is_nearest_f32(vo, vn), "{vo} is not the float32 of {vn}");
            }
        }
    }
}

/// An independent float64 forward pass straight from the .nnet text.
fn float_forward(text: &str, x_raw: &[f64]) -> Vec<f64> {
    let lines: Vec<Vec<f64>> = text
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with("//"))
        .map(|l| l.split(',').filter(|t| !t.trim().is_empty()).map(|t| t.trim().parse().unwrap()).collect())
        .collect();
    let sizes: Vec<usize> = lines[1].iter().map(|&v| v as usize).collect();
    let (means, ranges) = (&lines[5], &lines[6]);
    let d = sizes[0];
    let mut h: Vec<f64> = (0..d).map(|j| (x_raw[j] - means[j]) / ranges[j]).collect();
    let mut row = 7;
    for k in 0..sizes.len() - 1 {
        let w = &lines[row..row + sizes[k + 1]];
        let b = &lines[row + sizes[k + 1]..row + 2 * sizes[k + 1]];
        row += 2 * sizes[k + 1];
        let z: Vec<f64> = w
            .iter()
            .zip(b)
            .map(|(wr, bi)| wr.iter().zip(&h).map(|(a, x)| a * x).sum::<f64>() + bi[0])
            .collect();
        h = if k + 2 < sizes.len() { z.into_iter().map(|v| v.max(0.0)).collect() } else { z };
    }
    h.into_iter().map(|v| v * ranges[d] + means[d]).collect()
}

#[test]
fn exact_network_matches_a_float_forward_pass() {
    let text = std::fs::read_to_string(fixture(ACAS)).unwrap();
    let net = acas(Coords::Raw);
    let points = [
        [1000.0, 0.1, -0.2, 300.0, 400.0],
        [40000.0, -2.5, 1.5, 1100.0, 50.0],
        [20000.0, 0.0, 0.0, 650.0, 600.0],
    ];
    for p in points {
        let exact: Vec<f64> = net.output(&p.map(|v| from_f64_exact(v).unwrap())).iter().map(to_f64).collect();
        let float = float_forward(&text, &p);
        for (e, f) in exact.iter().zip(&float) {
            assert!((e - f).abs() <= 1e-9 * (1.0 + f.abs()), "exact {e} vs float {f}");
        }
    }
}

#[test]
fn raw_and_normalized_coordinates_give_the_same_partition() {
    let tiny = load(&fixture("nnet/fc_2-2-3.nnet"), None, Coords::Raw).unwrap();
    let (regions, summary) = Enumerator::builder().build().collect(&tiny).unwrap();
    assert!(summary.complete());
    assert_eq!(regions.len(), 2);
    // ACAS Xu: the same small box in both coordinate systems has the same regions
    let half = parse_rational("0.005").unwrap();
    let centre = ["0", "0.1", "-0.1", "0.2", "-0.2"].map(|c| parse_rational(c).unwrap());
    let norm_box: Vec<(Q, Q)> = centre.iter().map(|c| (c - &half, c + &half)).collect();
    let means = ["19791.091", "0", "0", "650", "600"].map(|v| parse_rational(v).unwrap());
    let ranges =
        ["60261", "6.28318530718", "6.28318530718", "1100", "1200"].map(|v| parse_rational(v).unwrap());
    let raw_box: Vec<(Q, Q)> = norm_box
        .iter()
        .enumerate()
        .map(|(j, (lo, hi))| (lo * &ranges[j] + &means[j], hi * &ranges[j] + &means[j]))
        .collect();
    let normalized = acas(Coords::Normalized).with_domain(Domain::Box(norm_box)).unwrap();
    let raw = acas(Coords::Raw).with_domain(Domain::Box(raw_box)).unwrap();
    let e = Enumerator::builder().build();
    let (a, b) = (e.collect(&normalized).unwrap().0, e.collect(&raw).unwrap().0);
    assert_eq!(a.len(), b.len());
    let pa: Vec<_> = a.iter().map(|r| r.pattern().clone()).collect();
    let pb: Vec<_> = b.iter().map(|r| r.pattern().clone()).collect();
    assert_eq!(pa, pb);
}

#[test]
fn malformed_nnet_files_are_clear_errors() {
    let text = std::fs::read_to_string(fixture("nnet/fc_2-2-3.nnet")).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let truncated = lines[..lines.len() - 3].join("\n");
    let e = read_nnet(&truncated, "t.nnet", Coords::Raw).unwrap_err().to_string();
    assert!(e.contains("t.nnet") && e.contains("ends early"), "{e}");
    let wrong_count = text.replacen("1.0,1.0,\n-1.0,-1.0,", "1.0,1.0,7,\n-1.0,-1.0,", 1);
    let e = read_nnet(&wrong_count, "w.nnet", Coords::Raw).unwrap_err().to_string();
    assert!(
        e.contains("line 9")
            && e.contains("layer 0 weight row 0")
            && e.contains("expected 2 values, found 3"),
        "{e}"
    );
    let not_number = text.replacen("2.0,-1.0,", "2.0,abc,", 1);
    let e = read_nnet(&not_number, "n.nnet", Coords::Raw).unwrap_err().to_string();
    assert!(e.contains("value 2") && e.contains("abc"), "{e}");
    let e = read_nnet("", "empty.nnet", Coords::Raw).unwrap_err().to_string();
    assert!(e.contains("ends early"), "{e}");
    let zero_range = text.replacen("1.0,1.0,1.0,", "1.0,0,1.0,", 1);
    assert!(read_nnet(&zero_range, "z.nnet", Coords::Raw)
        .unwrap_err()
        .to_string()
        .contains("range 2 is zero"));
}

#[test]
fn malformed_onnx_files_are_clear_errors() {
    let bytes = std::fs::read(fixture(ACAS_ONNX)).unwrap();
    let e = read_onnx(&bytes[..bytes.len() / 2], "cut.onnx").unwrap_err().to_string();
    assert!(e.contains("cut.onnx") && e.contains("truncated"), "{e}");
    let mut tanh = bytes.clone();
    let pos = tanh.windows(4).position(|w| w == b"Relu").unwrap();
    tanh[pos..pos + 4].copy_from_slice(b"Tanh");
    let e = read_onnx(&tanh, "tanh.onnx").unwrap_err().to_string();
    // a smooth activation between layers is not piecewise linear (a trailing one would be left out)
    assert!(e.contains("Tanh") && e.contains("in the middle"), "{e}");
    assert!(read_onnx(b"not an onnx file at all", "junk.onnx").is_err());
    assert!(read_onnx(&[], "empty.onnx").unwrap_err().to_string().contains("no graph"));
}

#[test]
fn cli_reads_every_format_and_converts_exactly() {
    let out = run_cli(&["convert", fixture("nnet/fc_2-2-3.nnet").to_str().unwrap(), "--to", "json"]);
    assert!(out.status.success());
    let dir = std::env::temp_dir().join(format!("rr-conv-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let json = dir.join("tiny.json");
    std::fs::write(&json, &out.stdout).unwrap();
    let a = load(&json, Some(InputFormat::Json), Coords::Raw).unwrap();
    let b = load(&fixture("nnet/fc_2-2-3.nnet"), None, Coords::Raw).unwrap();
    assert_eq!(a, b, "JSON is the exact interchange format");
    // --input-format overrides the extension
    let renamed = dir.join("tiny.txt");
    std::fs::copy(fixture("nnet/fc_2-2-3.nnet"), &renamed).unwrap();
    let out = run_cli(&["count", renamed.to_str().unwrap(), "--input-format", "nnet", "--json"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let out = run_cli(&["count", renamed.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    // a --domain file overrides the file's box
    let domain = dir.join("domain.json");
    std::fs::write(&domain, r#"{"box": [["1", "2"], ["1", "2"]]}"#).unwrap();
    let out = run_cli(&[
        "count",
        fixture("nnet/fc_2-2-3.nnet").to_str().unwrap(),
        "--domain",
        domain.to_str().unwrap(),
        "--json",
    ]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["regions"], 1, "the box lies on one side of x1 + x2 = 0");
    // ONNX with a box
    let out = run_cli(&[
        "count",
        fixture(ACAS_ONNX).to_str().unwrap(),
        "--box",
        "-0.001:0.001,0.099:0.101,-0.101:-0.099,0.199:0.201,-0.201:-0.199",
        "--no-graph",
        "--json",
    ]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let _ = std::fs::remove_dir_all(dir);
}

/// A reading on a thread whose stop token has fired gives up between nodes with an error that
/// says so (Python raises the token's flag on Ctrl-C, so an abandoned reading ends at once);
/// without a token, or with one that has not fired, the same file reads.
#[test]
fn an_onnx_reading_stops_when_its_thread_is_stopped() {
    use relu_regions::jobs::StopToken;
    use std::sync::atomic::AtomicBool;
    use std::sync::Arc;
    let path = fixture("onnx/ACASXU_run2a_1_1_batch_2000.onnx");
    let read = |flag: bool| {
        let _stop = StopToken::new(None, Some(Arc::new(AtomicBool::new(flag)))).install();
        load(&path, None, Coords::Raw)
    };
    let stopped = read(true).expect_err("a stopped reading gives no network");
    assert!(stopped.to_string().contains("stopped"), "{stopped}");
    assert_eq!(read(false).unwrap().input_dim(), 5);
}
