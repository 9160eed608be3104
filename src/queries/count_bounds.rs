//! Theoretical upper bounds on the number of regions: Zaslavsky's for one hidden layer, the
//! Serra-Tjandraatmadja-Ramalingam (ICML 2018) bound for deep networks, and the simpler
//! product of per-layer Zaslavsky bounds (Montufar-style). All exact big integers.

use crate::network::{Activation, Network};
use num_bigint::BigUint;
use num_traits::{One, Zero};
use std::collections::HashMap;

/// `C(n, k)` as a big integer.
///
/// # Examples
/// ```
/// use relu_regions::queries::count_bounds::binomial;
/// assert_eq!(binomial(5, 2), 10u32.into());
/// assert_eq!(binomial(2, 5), 0u32.into());
/// ```
pub fn binomial(n: usize, k: usize) -> BigUint {
    if k > n {
        return BigUint::zero();
    }
    let k = k.min(n - k);
    (0..k).fold(BigUint::one(), |acc, i| acc * BigUint::from(n - i) / BigUint::from(i + 1))
}

/// Zaslavsky's bound for `n` hyperplanes in R^d: `sum_{i <= d} C(n, i)`.
///
/// # Examples
/// ```
/// // 3 lines in general position cut the plane into 1 + 3 + 3 = 7 regions
/// assert_eq!(relu_regions::queries::count_bounds::zaslavsky(3, 2), 7u32.into());
/// ```
pub fn zaslavsky(n: usize, d: usize) -> BigUint {
    // C(n, i + 1) = C(n, i) (n - i) / (i + 1): one step a term
    let mut term = BigUint::one();
    let mut sum = BigUint::one();
    for i in 0..d.min(n) {
        term = term * BigUint::from(n - i) / BigUint::from(i + 1);
        sum += &term;
    }
    sum
}

/// One step of the layer structure: a relu layer's width, or a linear layer capping the rank.
#[derive(Debug, Clone, Copy)]
enum Step {
    Relu(usize),
    Linear(usize),
    /// A max layer: the hyperplanes `c_i = c_j` of its units (`n k (k - 1) / 2`) and its
    /// output width `n`.
    Max {
        planes: usize,
        units: usize,
    },
}

fn steps(net: &Network) -> Vec<Step> {
    let layers = net.layers();
    let last_relu = layers.iter().rposition(|l| l.activation.has_states());
    layers
        .iter()
        .enumerate()
        .filter(|(i, _)| last_relu.is_some_and(|r| *i <= r))
        .map(|(_, l)| match l.activation {
            Activation::Relu => Step::Relu(l.width()),
            Activation::Max(k) => {
                Step::Max { planes: l.width() / k * (k * (k - 1) / 2), units: l.width() / k }
            }
            _ => Step::Linear(l.width()),
        })
        .collect()
}

/// The Serra et al. bound: `sum over (j_1..j_L) of prod_l C(n_l, j_l)` with
/// `0 <= j_l <= min(n_0, n_1 - j_1, ..., n_{l-1} - j_{l-1}, n_l)` (linear layers cap the rank
/// by their width). For one hidden layer it equals Zaslavsky's bound.
///
/// # Examples
/// ```
/// use relu_regions::{queries::count_bounds::serra_bound, network::json::read_network};
/// let net = read_network(r#"{"input_dim": 2, "layers": [{"weights": [[1,0],[0,1],[1,1]], "activation": "relu"}]}"#, "t").unwrap();
/// assert_eq!(serra_bound(&net), 7u32.into());
/// ```
///
/// # Complexity
/// `O(sum_l (min(d, n_l) + 1)^2)` big-integer products (the rest of the sum is memoized by
/// its rank).
pub fn serra_bound(net: &Network) -> BigUint {
    /// The sum over the steps from `steps` on with rank `cap` (memoized by the steps left and
    /// the cap: a wide layer asks the same rest again and again).
    fn rec(steps: &[Step], cap: usize, memo: &mut HashMap<(usize, usize), BigUint>) -> BigUint {
        if let Some(known) = memo.get(&(steps.len(), cap)) {
            return known.clone();
        }
        let value = match steps.split_first() {
            None => BigUint::one(),
            Some((Step::Linear(w), rest)) => rec(rest, cap.min(*w), memo),
            Some((Step::Relu(n), rest)) => {
                let mut choose = BigUint::one(); // C(n, j), one step a term
                let mut total = BigUint::zero();
                for j in 0..=cap.min(*n) {
                    if j > 0 {
                        choose = choose * BigUint::from(n - j + 1) / BigUint::from(j);
                    }
                    total += &choose * rec(rest, cap.min(n - j), memo);
                }
                total
            }
            // each piece of the layers before is cut by the units' hyperplanes at most as an
            // arrangement in general position would be
            Some((Step::Max { planes, units }, rest)) => {
                zaslavsky(*planes, cap) * rec(rest, cap.min(*units), memo)
            }
        };
        memo.insert((steps.len(), cap), value.clone());
        value
    }
    rec(&steps(net), net.input_dim(), &mut HashMap::new())
}

/// The product bound `prod_l sum_{j <= d_l} C(n_l, j)` with `d_l` the smallest width before
/// layer `l` (input included).
///
/// # Examples
/// ```
/// use relu_regions::queries::count_bounds::{one_hidden_layer, product_bound};
/// use relu_regions::Network;
/// // 2 inputs, 3 then 4 ReLUs: (1 + 3 + 3) (1 + 4 + 6) = 77
/// let net = Network::from_json(r#"{"input_dim": 2, "layers": [
///     {"weights": [[1, 0], [0, 1], [1, 1]], "activation": "relu"},
///     {"weights": [[1, 0, 0], [0, 1, 0], [0, 0, 1], [1, 1, 1]], "activation": "relu"}]}"#).unwrap();
/// assert_eq!(product_bound(&net), 77u32.into());
/// assert_eq!(one_hidden_layer(&net), None);
/// ```
pub fn product_bound(net: &Network) -> BigUint {
    let mut cap = net.input_dim();
    let mut total = BigUint::one();
    for step in steps(net) {
        match step {
            Step::Relu(n) => {
                total *= zaslavsky(n, cap);
                cap = cap.min(n);
            }
            Step::Linear(w) => cap = cap.min(w),
            Step::Max { planes, units } => {
                total *= zaslavsky(planes, cap);
                cap = cap.min(units);
            }
        }
    }
    total
}

/// Whether the network has exactly one relu layer (then Zaslavsky's bound applies directly).
///
/// # Examples
/// ```
/// let net = relu_regions::Network::from_json(r#"{"input_dim": 2, "layers": [
///     {"weights": [[1, 0], [0, 1], [1, 1]], "activation": "relu"},
///     {"weights": [[1, 1, 1]], "activation": "linear"}]}"#).unwrap();
/// assert_eq!(relu_regions::queries::count_bounds::one_hidden_layer(&net), Some(3));
/// ```
pub fn one_hidden_layer(net: &Network) -> Option<usize> {
    let relu: Vec<usize> = net.relu_layers().collect();
    let layer = &net.layers()[*relu.first()?];
    (relu.len() == 1 && layer.activation == Activation::Relu).then(|| layer.width())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn binomials_and_zaslavsky() {
        assert_eq!(binomial(5, 2), 10u32.into());
        assert_eq!(binomial(3, 5), 0u32.into());
        assert_eq!(zaslavsky(4, 2), 11u32.into());
        assert_eq!(zaslavsky(2, 5), 4u32.into());
        for n in 0..12 {
            for d in 0..14 {
                let direct: BigUint = (0..=d.min(n)).map(|i| binomial(n, i)).sum();
                assert_eq!(zaslavsky(n, d), direct, "n = {n}, d = {d}");
            }
        }
    }

    /// The memoized bound is the sum of its definition, term by term, on small layer shapes.
    #[test]
    fn serra_bound_is_its_definition() {
        // sum over j_1 <= min(d, n_1), j_2 <= min(d, n_1 - j_1, n_2) of C(n_1, j_1) C(n_2, j_2)
        for (d, n1, n2) in [(2, 3, 4), (3, 2, 5), (1, 4, 4), (4, 6, 3), (5, 3, 3)] {
            let row = |n: usize| format!("[{}]", vec!["1"; n].join(", "));
            let layer = |n: usize, inputs: usize| {
                format!(r#"{{"weights": [{}], "activation": "relu"}}"#, vec![row(inputs); n].join(", "))
            };
            let text = format!(r#"{{"input_dim": {d}, "layers": [{}, {}]}}"#, layer(n1, d), layer(n2, n1));
            let net = crate::network::json::read_network(&text, "t").unwrap();
            let mut want = BigUint::zero();
            for j1 in 0..=d.min(n1) {
                for j2 in 0..=d.min(n1 - j1).min(n2) {
                    want += binomial(n1, j1) * binomial(n2, j2);
                }
            }
            assert_eq!(serra_bound(&net), want, "d = {d}, widths {n1}, {n2}");
        }
    }
}
