//! Builders for test networks: hyperplane arrangements as one hidden layer, and small helpers.

#![allow(dead_code)]

use relu_regions::analysis::{analyze, Analysis};
use relu_regions::exact::num::{parse_rational, q, Q};
use relu_regions::network::{Activation, Domain, Layer, Network};
use relu_regions::Backend;
use relu_regions::Enumerator;

/// Parses a rational literal.
pub(crate) fn r(s: &str) -> Q {
    parse_rational(s).unwrap()
}

/// A one-hidden-layer network whose hyperplanes are `a . x + b = 0` (neuron `relu(a . x + b)`),
/// followed by a linear output with weights `out` (or 1, 2, 3, ... when `None`).
pub(crate) fn arrangement(dim: usize, planes: Vec<(Vec<Q>, Q)>, domain: Domain) -> Network {
    let n = planes.len();
    let (weights, bias): (Vec<_>, Vec<_>) = planes.into_iter().unzip();
    let hidden = Layer {
        weights: relu_regions::network::Weights::dense(weights).unwrap(),
        bias,
        activation: Activation::Relu,
    };
    let out = Layer {
        weights: relu_regions::network::Weights::dense(vec![(1..=n as i64).map(q).collect()]).unwrap(),
        bias: vec![q(0)],
        activation: Activation::Linear,
    };
    Network::new(dim, vec![hidden, out], domain).unwrap()
}

/// The braid arrangement `x_i = x_j` in R^n.
pub(crate) fn braid(n: usize) -> Network {
    let mut planes = Vec::new();
    for i in 0..n {
        for j in i + 1..n {
            let mut a = vec![q(0); n];
            a[i] = q(1);
            a[j] = q(-1);
            planes.push((a, q(0)));
        }
    }
    arrangement(n, planes, Domain::Whole)
}

/// The Shi arrangement `x_i - x_j in {0, 1}` in R^n.
pub(crate) fn shi(n: usize) -> Network {
    let mut planes = Vec::new();
    for i in 0..n {
        for j in i + 1..n {
            for offset in [0, -1] {
                let mut a = vec![q(0); n];
                a[i] = q(1);
                a[j] = q(-1);
                planes.push((a, q(offset)));
            }
        }
    }
    arrangement(n, planes, Domain::Whole)
}

/// `k` hyperplanes in general position in R^d: tangent hyperplanes of the moment curve,
/// `sum_j t^j x_j = t^d` for distinct `t` (any `d` normals are independent, no `d + 1` planes meet).
pub(crate) fn generic(k: usize, d: usize, ts: &[Q]) -> Network {
    assert_eq!(ts.len(), k);
    let planes = ts
        .iter()
        .map(|t| {
            let a: Vec<Q> = (0..d).map(|j| num_traits::pow(t.clone(), j)).collect();
            (a, -num_traits::pow(t.clone(), d))
        })
        .collect();
    arrangement(d, planes, Domain::Whole)
}

/// Distinct small rationals for [`generic`].
pub(crate) fn default_ts(k: usize) -> Vec<Q> {
    (0..k).map(|i| Q::new((2 * i as i64 - k as i64).into(), 3.into())).collect()
}

/// Binomial coefficient.
pub(crate) fn binomial(n: usize, k: usize) -> usize {
    if k > n {
        return 0;
    }
    (0..k).fold(1, |acc, i| acc * (n - i) / (i + 1))
}

/// Runs the whole analysis with a backend.
pub(crate) fn analyze_with(net: &Network, backend: Backend) -> Analysis {
    analyze(net, &Enumerator::builder().backend(backend).build()).expect("no internal error")
}

/// Runs the whole analysis with the default backend.
pub(crate) fn run(net: &Network) -> Analysis {
    analyze_with(net, Backend::default())
}

/// Reads a JSON network from text.
pub(crate) fn net(text: &str) -> Network {
    relu_regions::network::json::read_network(text, "test").unwrap()
}

/// The factorial.
pub(crate) fn factorial(n: usize) -> usize {
    (1..=n).product()
}

/// A bundled fixture's path.
pub(crate) fn fixture(name: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures").join(name)
}

/// Every `.rs` file under `dir`, recursively (the architecture tests read the sources).
pub(crate) fn rust_files(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// A writer whose every write fails, as on a full disk.
pub(crate) struct FullDisk;

impl std::io::Write for FullDisk {
    fn write(&mut self, _: &[u8]) -> std::io::Result<usize> {
        Err(std::io::Error::other("disk full"))
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}
