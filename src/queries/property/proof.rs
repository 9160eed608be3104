//! The certificate of an `unsat` answer: for each case of the property, the leaves of its
//! depth-first tree, each a cell of the case's closed box shown unable to reach the unsafe set
//! (a strict side of the box only shrinks the set; where it matters, the region's refutation
//! takes it as a strict row). A leaf is either a region (every neuron's
//! state fixed: the network is affine there and an exact LP refutes each disjunct) or a pruned
//! partial region (a prefix of the states fixed; refuted by symbolic bounds over a box proved
//! to contain it). [`crate::check::proof`] re-verifies one: that the leaves cover the box
//! (every neuron whose state is fixed without a split is shown constant on its cell) and every
//! leaf's refutation, in exact arithmetic. The proof names the exact network it was made for
//! by its fingerprint ([`crate::Network::fingerprint`]), which the checker compares first.

use crate::enumerate::region::pattern_strings;
use crate::exact::num::{fmt_q, from_f64_exact};
use serde_json::{json, Value};

/// One leaf of the tree.
#[derive(Debug, Clone, PartialEq)]
pub struct ProofLeaf {
    /// The fixed states, per layer with states in order (a bit per ReLU neuron; a bit per
    /// candidate of a max unit, the winner's set), the last possibly a prefix of its neurons
    /// or units.
    pub states: Vec<Vec<bool>>,
    /// A pruned partial region (else a region, all states fixed).
    pub pruned: bool,
    /// For a pruned leaf, the box `(lo, hi)` around it that its bounds were taken over (`None`:
    /// the property's box).
    pub within: Option<(Vec<f64>, Vec<f64>)>,
}

impl ProofLeaf {
    /// The states as one sequence in neuron order.
    ///
    /// # Examples
    /// ```
    /// use relu_regions::queries::property::proof::ProofLeaf;
    /// let leaf = ProofLeaf { states: vec![vec![true, false], vec![true]], pruned: true, within: None };
    /// assert_eq!(leaf.flat(), [true, false, true]);
    /// ```
    pub fn flat(&self) -> Vec<bool> {
        self.states.iter().flatten().copied().collect()
    }
}

/// The leaves of an `unsat` answer, per case of the property (none for a case whose box is
/// empty or fixes every input: the checker decides those itself).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct UnsatProof {
    /// Every case's leaves, each sorted by their flattened states.
    pub cases: Vec<Vec<ProofLeaf>>,
    /// The fingerprint of the network the proof was made for ([`crate::Network::fingerprint`];
    /// `None`: not recorded, as in proofs written before it was).
    pub network: Option<String>,
}

impl UnsatProof {
    /// The leaves of each case sorted by their flattened states (the order the threads met
    /// them in does not matter).
    ///
    /// # Examples
    /// ```
    /// use relu_regions::queries::property::proof::{ProofLeaf, UnsatProof};
    /// let leaf = |states: Vec<bool>| ProofLeaf { states: vec![states], pruned: false, within: None };
    /// let proof = UnsatProof::new(vec![vec![leaf(vec![true]), leaf(vec![false])]]);
    /// assert_eq!(proof.cases[0][0].flat(), [false]); // sorted by their states
    /// ```
    pub fn new(mut cases: Vec<Vec<ProofLeaf>>) -> UnsatProof {
        for leaves in &mut cases {
            leaves.sort_by_cached_key(ProofLeaf::flat); // each key formed once
        }
        UnsatProof { cases, network: None }
    }

    /// The same proof naming the network it was made for (by its fingerprint).
    ///
    /// # Examples
    /// ```
    /// use relu_regions::{network::json::read_network, queries::property::UnsatProof};
    /// let net = read_network(r#"{"input_dim": 1, "layers": [{"weights": [[1]], "activation": "linear"}]}"#, "t").unwrap();
    /// let doc = UnsatProof::new(vec![vec![]]).for_network(&net).to_json();
    /// assert_eq!(doc["network"], net.fingerprint());
    /// ```
    pub fn for_network(mut self, net: &crate::Network) -> UnsatProof {
        self.network = Some(net.fingerprint());
        self
    }

    /// The JSON document (`relu-regions vnnlib --proof`): `{"relu_regions_proof": 1, "network":
    /// FINGERPRINT, "leaves": [...]}` for a property of one case, else `"cases": [{"leaves":
    /// [...]}, ...]` in the property's order of cases (`network` only when recorded); floats are
    /// written as the exact rationals they are.
    ///
    /// # Examples
    /// ```
    /// use relu_regions::queries::property::{ProofLeaf, UnsatProof};
    /// let leaf = |s: &[bool], pruned| ProofLeaf { states: vec![s.to_vec()], pruned, within: None };
    /// let proof = UnsatProof::new(vec![vec![leaf(&[true], false), leaf(&[false], true)]]);
    /// let doc = proof.to_json();
    /// assert_eq!(doc["leaves"][0]["states"][0], "0"); // sorted by states
    /// assert_eq!(doc["leaves"][1]["pruned"], false);
    /// let two = UnsatProof::new(vec![vec![], vec![leaf(&[true], false)]]).to_json();
    /// assert_eq!(two["cases"][1]["leaves"][0]["states"][0], "1");
    /// ```
    pub fn to_json(&self) -> Value {
        let exact = |v: &f64| from_f64_exact(*v).map_or_else(|| "nan".to_string(), |q| fmt_q(&q));
        let leaves = |leaves: &[ProofLeaf]| -> Vec<Value> {
            leaves
                .iter()
                .map(|leaf| {
                    let mut v = json!({"states": pattern_strings(&leaf.states), "pruned": leaf.pruned});
                    if let Some((lo, hi)) = &leaf.within {
                        v["box"] = lo.iter().zip(hi).map(|(l, h)| json!([exact(l), exact(h)])).collect();
                    }
                    v
                })
                .collect()
        };
        let mut doc = match self.cases.as_slice() {
            [one] => json!({"relu_regions_proof": 1, "leaves": leaves(one)}),
            cases => {
                let cases: Vec<Value> = cases.iter().map(|c| json!({"leaves": leaves(c)})).collect();
                json!({"relu_regions_proof": 1, "cases": cases})
            }
        };
        if let Some(fp) = &self.network {
            doc["network"] = json!(fp);
        }
        doc
    }
}
