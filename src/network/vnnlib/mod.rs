//! VNN-LIB properties (the VNN-COMP format, an SMT-LIB subset), read exactly.
//!
//! A property declares inputs `X_i` and outputs `Y_j` and asserts formulas; it is *violated*
//! (`sat`) when some input satisfies every assertion. Accepted: comparisons `<=`, `<`, `>=`,
//! `>` of linear terms (`+`, `-`, `*` and `/` by constants, numbers as exact decimals or
//! fractions: `0.1` is 1/10) combined by `and` and `or` to any depth, and `true`/`false`. A
//! comparison over inputs must bound one input; over outputs it may be any linear
//! constraint; one mixing both is refused. Strict comparisons stay strict, on inputs too.
//!
//! The formula is multiplied out into disjunctive normal form, counted before it is formed
//! and refused beyond [`MAX_CONJUNCTIONS`] / [`MAX_CONSTRAINTS`] (module `dnf`); its
//! conjunctions are grouped by their input bounds into [`Case`]s: a box (some sides strict,
//! possibly empty) and the unsafe outputs there as a disjunction of conjunctions. The file is
//! read without recursion (modules `sexp`, `formula`), so no nesting depth overflows a stack.

mod dnf;
mod formula;
mod sexp;

use crate::error::NetworkError;
use crate::exact::num::Q;
use crate::network::weights::SparseRow;
use crate::network::{Domain, Network};
use num_traits::{One, Zero};
use std::sync::Arc;

/// The most conjunctions the property may multiply out to (its disjunctive normal form).
pub const MAX_CONJUNCTIONS: usize = 100_000;

/// The most constraints (input bounds and output constraints) those conjunctions may hold in all.
pub const MAX_CONSTRAINTS: usize = 1_000_000;

/// The most coefficients the distinct output constraints may hold in all (constraints times
/// outputs).
pub const MAX_OUTPUT_COEFFICIENTS: usize = 10_000_000;

/// The most input bounds the cases may hold in all (cases times inputs).
pub const MAX_BOX_VALUES: usize = 10_000_000;

/// The most bits (numerator and denominator) a coefficient of a term may grow to.
pub const MAX_COEFFICIENT_BITS: u64 = 400_000;

/// A parse error with its position (line and column).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{source_name}:{line}:{column}: {message}")]
pub struct VnnlibError {
    /// The file.
    pub source_name: String,
    /// 1-based line.
    pub line: usize,
    /// 1-based column (in bytes).
    pub column: usize,
    /// What is wrong there.
    pub message: String,
}

/// One output constraint `coefficients . Y <= rhs` (or `<` when `strict`).
#[derive(Debug, Clone, PartialEq)]
pub struct OutputConstraint {
    /// One coefficient per output.
    pub coefficients: Vec<Q>,
    /// The right-hand side.
    pub rhs: Q,
    /// Strict inequality.
    pub strict: bool,
}

impl OutputConstraint {
    /// Whether the outputs `y` satisfy it (exactly).
    ///
    /// # Examples
    /// ```
    /// use relu_regions::{exact::num::q, network::vnnlib::OutputConstraint};
    /// // Y_0 - Y_1 < 0
    /// let c = OutputConstraint { coefficients: vec![q(1), q(-1)], rhs: q(0), strict: true };
    /// assert!(c.holds(&[q(1), q(2)]) && !c.holds(&[q(2), q(2)]));
    /// ```
    pub fn holds(&self, y: &[Q]) -> bool {
        let value: Q = self.coefficients.iter().zip(y).map(|(c, v)| c * v).sum();
        if self.strict {
            value < self.rhs
        } else {
            value <= self.rhs
        }
    }
}

/// A conjunction of output constraints (shared among the conjunctions that hold them).
pub type Conjunction = Vec<Arc<OutputConstraint>>;

/// One case of a property: a box of inputs (each side possibly strict) and the unsafe outputs
/// for inputs in it.
#[derive(Debug, Clone, PartialEq)]
pub struct Case {
    /// `[lo, hi]` for every input (`lo = hi` fixes an input; see [`Case::is_empty`]).
    pub input_box: Vec<(Q, Q)>,
    /// For every input, whether its sides are strict: `(lo < x, x < hi)`.
    pub strict: Vec<(bool, bool)>,
    /// The unsafe outputs: some conjunction with all its constraints satisfied.
    pub unsafe_set: Vec<Conjunction>,
}

impl Case {
    /// Whether no input lies in the box: some `lo > hi`, or `lo = hi` with a strict side.
    ///
    /// # Examples
    /// ```
    /// use relu_regions::{exact::num::q, network::vnnlib::Case};
    /// let case = |lo, hi, strict| Case { input_box: vec![(q(lo), q(hi))], strict: vec![strict], unsafe_set: vec![] };
    /// assert!(case(1, 0, (false, false)).is_empty() && case(1, 1, (true, false)).is_empty());
    /// assert!(!case(1, 1, (false, false)).is_empty() && !case(0, 1, (true, true)).is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.input_box
            .iter()
            .zip(&self.strict)
            .any(|((lo, hi), (sl, sh))| lo > hi || (lo == hi && (*sl || *sh)))
    }

    /// Whether the input `x` lies in the box, strict sides strictly (exactly).
    ///
    /// # Examples
    /// ```
    /// use relu_regions::{exact::num::q, network::vnnlib::Case};
    /// // 0 <= x < 1
    /// let case = Case { input_box: vec![(q(0), q(1))], strict: vec![(false, true)], unsafe_set: vec![] };
    /// assert!(case.contains(&[q(0)]) && !case.contains(&[q(1)]));
    /// ```
    pub fn contains(&self, x: &[Q]) -> bool {
        x.len() == self.input_box.len()
            && x.iter().zip(self.input_box.iter().zip(&self.strict)).all(|(v, ((lo, hi), (sl, sh)))| {
                (if *sl { lo < v } else { lo <= v }) && (if *sh { v < hi } else { v <= hi })
            })
    }

    /// Whether the outputs `y` are unsafe (exactly).
    ///
    /// # Examples
    /// ```
    /// use relu_regions::{exact::num::q, network::vnnlib::{Case, OutputConstraint}};
    /// use std::sync::Arc;
    /// // unsafe: Y_0 >= 1 (as -Y_0 <= -1)
    /// let at_least_one = OutputConstraint { coefficients: vec![q(-1)], rhs: q(-1), strict: false };
    /// let case = Case { input_box: vec![(q(0), q(1))], strict: vec![(false, false)],
    ///     unsafe_set: vec![vec![Arc::new(at_least_one)]] };
    /// assert!(case.is_unsafe(&[q(2)]) && !case.is_unsafe(&[q(0)]));
    /// ```
    pub fn is_unsafe(&self, y: &[Q]) -> bool {
        self.unsafe_set.iter().any(|conj| conj.iter().all(|c| c.holds(y)))
    }

    /// The inputs the box leaves free (`lo < hi`); the others are fixed at `lo`.
    ///
    /// # Examples
    /// ```
    /// use relu_regions::{exact::num::q, network::vnnlib::Case};
    /// let case = Case { input_box: vec![(q(0), q(1)), (q(2), q(2))], strict: vec![(false, false); 2], unsafe_set: vec![] };
    /// assert_eq!(case.free_inputs(), vec![0]);
    /// ```
    pub fn free_inputs(&self) -> Vec<usize> {
        (0..self.input_box.len()).filter(|&i| self.input_box[i].0 < self.input_box[i].1).collect()
    }
}

/// A property: violated when some case is (some input of its box has unsafe outputs).
#[derive(Debug, Clone, PartialEq)]
pub struct Property {
    /// The cases, in the order the file first writes their input bounds.
    pub cases: Vec<Case>,
}

impl Property {
    /// Whether the input `x` with outputs `y` violates the property: some case contains `x`
    /// and finds `y` unsafe (exactly).
    ///
    /// # Examples
    /// ```
    /// use relu_regions::{exact::num::q, network::vnnlib::read_vnnlib};
    /// let p = read_vnnlib("(declare-const X_0 Real)(declare-const Y_0 Real)
    ///     (assert (< X_0 1)) (assert (>= X_0 -1)) (assert (>= Y_0 0.5))", "p", 1, 1).unwrap();
    /// assert!(p.is_violated(&[q(0)], &[q(1)]));
    /// assert!(!p.is_violated(&[q(1)], &[q(1)])); // X_0 < 1 is strict
    /// ```
    pub fn is_violated(&self, x: &[Q], y: &[Q]) -> bool {
        self.cases.iter().any(|c| c.contains(x) && c.is_unsafe(y))
    }
}

/// Reads a VNN-LIB property for a network with `inputs` inputs and `outputs` outputs.
///
/// # Examples
/// ```
/// use relu_regions::{exact::num::q, network::vnnlib::read_vnnlib};
/// let p = read_vnnlib("(declare-const X_0 Real)(declare-const Y_0 Real)
///     (assert (<= X_0 1)) (assert (>= X_0 -1)) (assert (>= Y_0 0.5))", "p", 1, 1).unwrap();
/// assert_eq!(p.cases.len(), 1);
/// assert_eq!(p.cases[0].input_box, vec![(q(-1), q(1))]);
/// assert!(p.cases[0].is_unsafe(&[q(1)]) && !p.cases[0].is_unsafe(&[q(0)]));
/// // an `or` over the inputs: two boxes
/// let two = read_vnnlib("(declare-const X_0 Real)(declare-const Y_0 Real)
///     (assert (or (and (>= X_0 0) (<= X_0 1)) (and (>= X_0 2) (<= X_0 3)))) (assert (>= Y_0 0.5))", "p", 1, 1).unwrap();
/// assert_eq!(two.cases.len(), 2);
/// ```
///
/// # Errors
/// A syntax error, an unsupported construct, a declaration that does not fit the network, an
/// input without both bounds in a nonempty case, or a formula beyond the budgets; each with
/// its line and column.
pub fn read_vnnlib(text: &str, name: &str, inputs: usize, outputs: usize) -> Result<Property, VnnlibError> {
    let s = sexp::Sexps::parse(text, name)?;
    let (mut declared_x, mut declared_y) = (0usize, 0usize);
    let mut asserts = Vec::new();
    let mut first = 0;
    for &id in &s.top {
        let at = s.nodes[id].offset;
        let items = s.list(id).unwrap_or(&[]);
        match s.head(id) {
            Some("declare-const") => match items.get(1).and_then(|&v| s.token(v).map(|t| (v, t))) {
                Some((v, token)) => match formula::variable(token) {
                    Some(('X', i)) => declared_x = declared_x.max(i + 1),
                    Some((_, i)) => declared_y = declared_y.max(i + 1),
                    None => {
                        return Err(s.error(s.nodes[v].offset, format!("`{token}` is neither X_i nor Y_j")))
                    }
                },
                None => return Err(s.error(at, "declare-const needs a name")),
            },
            Some("assert") => asserts.push((first, id)),
            _ => return Err(s.error(at, "expected declare-const or assert")),
        }
        first = id + 1;
    }
    if declared_x != inputs || declared_y != outputs {
        return Err(s.error(
            0,
            format!("the property declares {declared_x} inputs and {declared_y} outputs; the network has {inputs} and {outputs}"),
        ));
    }
    let mut reader = formula::Reader::new(&s, inputs, outputs);
    let mut formulas = Vec::with_capacity(asserts.len());
    for (first, id) in asserts {
        formulas.push(reader.assertion(first, id)?);
    }
    let root = reader.conjunction(&formulas);
    let cases = dnf::cases(&s, &reader.formula, root, inputs)?;
    Ok(Property { cases })
}

/// The network on a case's free inputs only, the fixed ones folded into the first layer's
/// bias, on the closed box of the free inputs (what `decide` enumerates, and what its proofs
/// are about). An error when the case fixes every input or its box is empty.
///
/// # Examples
/// ```
/// use relu_regions::{network::json::read_network, network::vnnlib::{read_vnnlib, reduced_network}};
/// let net = read_network(r#"{"input_dim": 2, "layers": [
///     {"weights": [[1, 2]], "bias": [1], "activation": "relu"}]}"#, "t").unwrap();
/// // X_1 = 3 is fixed: relu(x0 + 2 * 3 + 1) on the box of x0
/// let text = "(declare-const X_0 Real)(declare-const X_1 Real)(declare-const Y_0 Real)
///     (assert (>= X_0 -1))(assert (<= X_0 1))(assert (>= X_1 3))(assert (<= X_1 3))(assert (<= Y_0 0))";
/// let property = read_vnnlib(text, "p", 2, 1).unwrap();
/// let reduced = reduced_network(&net, &property.cases[0]).unwrap();
/// assert_eq!(reduced.input_dim(), 1);
/// assert_eq!(reduced.layers()[0].bias[0], relu_regions::exact::num::q(7));
/// ```
///
/// # Errors
/// The reduced network is invalid (no free input, an empty box).
pub fn reduced_network(net: &Network, case: &Case) -> Result<Network, NetworkError> {
    let free = case.free_inputs();
    // the fixed inputs' values as the origin, a unit direction per free input
    let origin: Vec<Q> =
        case.input_box.iter().map(|(lo, hi)| if lo == hi { lo.clone() } else { Q::zero() }).collect();
    let directions: Vec<SparseRow> = free.iter().map(|&i| vec![(i, Q::one())]).collect();
    let layers = net.compose_input(&origin, &directions);
    let bounds = free.iter().map(|&i| case.input_box[i].clone()).collect();
    Network::new(free.len(), layers, Domain::Box(bounds))
}
