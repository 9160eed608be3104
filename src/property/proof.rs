//! The certificate of an `unsat` answer: the leaves of the depth-first tree, each a cell of
//! the box shown unable to reach the unsafe set. A leaf is either a region (every neuron's
//! state fixed: the network is affine there and an exact LP refutes each disjunct) or a pruned
//! partial region (a prefix of the states fixed; refuted by symbolic bounds over a box proved
//! to contain it). [`crate::check::proof`] re-verifies one: that the leaves cover the box
//! (every neuron whose state is fixed without a split is shown constant on its cell) and every
//! leaf's refutation, in exact arithmetic.

use crate::num::{fmt_q, from_f64_exact};
use crate::region::pattern_strings;
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
    /// use relu_regions::property::proof::ProofLeaf;
    /// let leaf = ProofLeaf { states: vec![vec![true, false], vec![true]], pruned: true, within: None };
    /// assert_eq!(leaf.flat(), [true, false, true]);
    /// ```
    pub fn flat(&self) -> Vec<bool> {
        self.states.iter().flatten().copied().collect()
    }
}

/// The leaves of an `unsat` answer.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct UnsatProof {
    /// Every leaf, in the order of their flattened states.
    pub leaves: Vec<ProofLeaf>,
}

impl UnsatProof {
    /// The leaves sorted by their flattened states (the order the threads met them in does not
    /// matter).
    ///
    /// # Examples
    /// ```
    /// use relu_regions::property::proof::{ProofLeaf, UnsatProof};
    /// let leaf = |states: Vec<bool>| ProofLeaf { states: vec![states], pruned: false, within: None };
    /// let proof = UnsatProof::new(vec![leaf(vec![true]), leaf(vec![false])]);
    /// assert_eq!(proof.leaves[0].flat(), [false]); // sorted by their states
    /// ```
    pub fn new(mut leaves: Vec<ProofLeaf>) -> UnsatProof {
        leaves.sort_by_key(ProofLeaf::flat);
        UnsatProof { leaves }
    }

    /// The JSON document (`relu-regions vnnlib --proof`); floats are written as the exact
    /// rationals they are.
    ///
    /// # Examples
    /// ```
    /// use relu_regions::property::{ProofLeaf, UnsatProof};
    /// let leaf = |s: &[bool], pruned| ProofLeaf { states: vec![s.to_vec()], pruned, within: None };
    /// let proof = UnsatProof::new(vec![leaf(&[true], false), leaf(&[false], true)]);
    /// let doc = proof.to_json();
    /// assert_eq!(doc["leaves"][0]["states"][0], "0"); // sorted by states
    /// assert_eq!(doc["leaves"][1]["pruned"], false);
    /// ```
    pub fn to_json(&self) -> Value {
        let exact = |v: &f64| from_f64_exact(*v).map_or_else(|| "nan".to_string(), |q| fmt_q(&q));
        let leaves: Vec<Value> = self
            .leaves
            .iter()
            .map(|leaf| {
                let mut v = json!({"states": pattern_strings(&leaf.states), "pruned": leaf.pruned});
                if let Some((lo, hi)) = &leaf.within {
                    v["box"] = lo.iter().zip(hi).map(|(l, h)| json!([exact(l), exact(h)])).collect();
                }
                v
            })
            .collect();
        json!({"relu_regions_proof": 1, "leaves": leaves})
    }
}
