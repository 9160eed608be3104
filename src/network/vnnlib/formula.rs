//! The meaning of a VNN-LIB file's assertions: linear terms (sparse and exact), comparisons
//! classified as input bounds or output constraints, and the `and`/`or` formula over them as
//! one hash-consed arena whose children precede their parents. Every pass is a loop over the
//! s-expression arena in order (see [`super::sexp`]), so no nesting depth can overflow a stack.

use super::sexp::Sexps;
use super::{OutputConstraint, VnnlibError, MAX_COEFFICIENT_BITS, MAX_OUTPUT_COEFFICIENTS};
use crate::exact::num::{parse_rational, Q};
use num_traits::{One, Signed, Zero};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

/// A bound on one input: `x_input <= value` (`upper`) or `>=`, `<` / `>` when `strict`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(super) struct Bound {
    pub input: usize,
    pub value: Q,
    pub upper: bool,
    pub strict: bool,
}

/// A node of the formula.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(super) enum Node {
    True,
    False,
    /// [`Formula::bounds`]`[k]`.
    Bound(usize),
    /// [`Formula::outputs`]`[k]`.
    Output(usize),
    And(Vec<usize>),
    Or(Vec<usize>),
}

/// The formula arena: node 0 is `true`, node 1 is `false`; equal nodes are one node.
pub(super) struct Formula {
    pub nodes: Vec<Node>,
    /// Where each node is first written in the file.
    pub offsets: Vec<usize>,
    ids: HashMap<Node, usize>,
    pub bounds: Vec<Bound>,
    /// Where each bound is first written.
    pub bound_offsets: Vec<usize>,
    bound_ids: HashMap<Bound, usize>,
    pub outputs: Vec<Arc<OutputConstraint>>,
    output_ids: HashMap<OutputKey, usize>,
}

/// An output constraint by its nonzero coefficients, right-hand side and strictness.
type OutputKey = (Vec<(usize, Q)>, Q, bool);

pub(super) const TRUE: usize = 0;
pub(super) const FALSE: usize = 1;

impl Formula {
    fn new() -> Formula {
        let mut f = Formula {
            nodes: Vec::new(),
            offsets: Vec::new(),
            ids: HashMap::new(),
            bounds: Vec::new(),
            bound_offsets: Vec::new(),
            bound_ids: HashMap::new(),
            outputs: Vec::new(),
            output_ids: HashMap::new(),
        };
        f.intern(Node::True, 0);
        f.intern(Node::False, 0);
        f
    }

    fn intern(&mut self, node: Node, offset: usize) -> usize {
        if let Some(&id) = self.ids.get(&node) {
            return id;
        }
        self.nodes.push(node.clone());
        self.offsets.push(offset);
        self.ids.insert(node, self.nodes.len() - 1);
        self.nodes.len() - 1
    }

    /// The conjunction (`true` dropped, `false` absorbing, repeats dropped).
    fn and(&mut self, children: &[usize], offset: usize) -> usize {
        self.combine(children, TRUE, FALSE).map_or(FALSE, |kids| match kids.as_slice() {
            [] => TRUE,
            [one] => *one,
            _ => self.intern(Node::And(kids), offset),
        })
    }

    /// The disjunction (`false` dropped, `true` absorbing, repeats dropped).
    fn or(&mut self, children: &[usize], offset: usize) -> usize {
        self.combine(children, FALSE, TRUE).map_or(TRUE, |kids| match kids.as_slice() {
            [] => FALSE,
            [one] => *one,
            _ => self.intern(Node::Or(kids), offset),
        })
    }

    /// The children without `unit` and repeats; `None` when one is `absorbing`.
    fn combine(&self, children: &[usize], unit: usize, absorbing: usize) -> Option<Vec<usize>> {
        let mut seen = HashSet::new();
        let mut kids = Vec::new();
        for &c in children {
            if c == absorbing {
                return None;
            }
            if c != unit && seen.insert(c) {
                kids.push(c);
            }
        }
        Some(kids)
    }
}

/// A linear term: coefficients by variable (`X_i` is `i`, `Y_j` is `inputs + j`) and a constant.
#[derive(Debug, Clone, Default)]
struct Linear {
    vars: BTreeMap<usize, Q>,
    constant: Q,
}

impl Linear {
    fn is_constant(&self) -> bool {
        self.vars.is_empty()
    }
}

/// What an s-expression means, kept until its list consumes it.
enum Value {
    Term(Linear),
    Formula(usize),
}

/// Reads the assertions of a parsed file.
pub(super) struct Reader<'s, 'a> {
    s: &'s Sexps<'a>,
    inputs: usize,
    outputs: usize,
    values: HashMap<usize, Value>,
    pub formula: Formula,
}

impl<'s, 'a> Reader<'s, 'a> {
    pub(super) fn new(s: &'s Sexps<'a>, inputs: usize, outputs: usize) -> Reader<'s, 'a> {
        Reader { s, inputs, outputs, values: HashMap::new(), formula: Formula::new() }
    }

    /// The formula of `(assert F)`, the top-level list `id` whose own s-expressions are the
    /// indices `first..id`.
    pub(super) fn assertion(&mut self, first: usize, id: usize) -> Result<usize, VnnlibError> {
        let s = self.s;
        for k in first..id {
            if s.list(k).is_some() {
                let value = self.list(k)?;
                self.values.insert(k, value);
            }
        }
        let items = s.list(id).unwrap_or(&[]);
        let formula = match items {
            [_, f] => self.formula_of(*f),
            _ => Err(s.error(s.nodes[id].offset, "assert needs exactly one formula")),
        };
        self.values.clear();
        formula
    }

    fn list(&mut self, id: usize) -> Result<Value, VnnlibError> {
        let s = self.s;
        let at = s.nodes[id].offset;
        let items = s.list(id).unwrap_or(&[]);
        let Some(op) = s.head(id) else {
            return Err(s.error(at, "expected an operator"));
        };
        let args = &items[1..];
        match op {
            "and" | "or" => {
                let children = args.iter().map(|&a| self.formula_of(a)).collect::<Result<Vec<_>, _>>()?;
                Ok(Value::Formula(if op == "and" {
                    self.formula.and(&children, at)
                } else {
                    self.formula.or(&children, at)
                }))
            }
            "<=" | "<" | ">=" | ">" => {
                let [l, r] = args else {
                    return Err(s.error(at, format!("`{op}` needs two operands, not {}", args.len())));
                };
                let (l, r) = (self.term_of(*l)?, self.term_of(*r)?);
                // l <= r is l - r <= 0; l >= r is r - l <= 0
                let lhs = if op.starts_with('<') {
                    self.sum(l, r, -Q::one(), at)?
                } else {
                    self.sum(r, l, -Q::one(), at)?
                };
                Ok(Value::Formula(self.atom(lhs, op.len() == 1, at)?))
            }
            "+" | "-" | "*" | "/" => {
                let terms = args.iter().map(|&a| self.term_of(a)).collect::<Result<Vec<_>, _>>()?;
                Ok(Value::Term(self.arithmetic(op, terms, at)?))
            }
            "assert" | "declare-const" => {
                Err(s.error(at, format!("`{op}` is only allowed at the top level")))
            }
            _ => Err(s.error(
                at,
                format!("unsupported operator `{op}` (expected and, or, <=, >=, <, >, +, -, *, /)"),
            )),
        }
    }

    fn formula_of(&mut self, id: usize) -> Result<usize, VnnlibError> {
        let s = self.s;
        match s.token(id) {
            Some("true") => return Ok(TRUE),
            Some("false") => return Ok(FALSE),
            Some(t) => return Err(s.error(s.nodes[id].offset, format!("expected a formula, found `{t}`"))),
            None => {}
        }
        match self.values.remove(&id) {
            Some(Value::Formula(f)) => Ok(f),
            _ => {
                Err(s.error(s.nodes[id].offset, "expected a formula (and, or or a comparison), found a term"))
            }
        }
    }

    fn term_of(&mut self, id: usize) -> Result<Linear, VnnlibError> {
        let s = self.s;
        let at = s.nodes[id].offset;
        let Some(token) = s.token(id) else {
            return match self.values.remove(&id) {
                Some(Value::Term(t)) => Ok(t),
                _ => Err(s.error(at, "expected a term (a number, a variable, +, -, *, /), found a formula")),
            };
        };
        let mut t = Linear::default();
        if let Some((kind, index)) = variable(token) {
            let (n, base) = if kind == 'X' { (self.inputs, 0) } else { (self.outputs, self.inputs) };
            if index >= n {
                return Err(s.error(at, format!("`{token}` is not declared")));
            }
            t.vars.insert(base + index, Q::one());
        } else {
            t.constant = parse_rational(token)
                .map_err(|e| s.error(at, format!("{e} (expected a number or a declared variable)")))?;
        }
        Ok(t)
    }

    /// `a + factor b`.
    fn sum(&self, mut a: Linear, b: Linear, factor: Q, at: usize) -> Result<Linear, VnnlibError> {
        for (v, c) in b.vars {
            let entry = a.vars.entry(v).or_insert_with(Q::zero);
            *entry += c * &factor;
            self.fits(entry, at)?;
            if entry.is_zero() {
                a.vars.remove(&v);
            }
        }
        a.constant += b.constant * &factor;
        self.fits(&a.constant, at)?;
        Ok(a)
    }

    fn scaled(&self, mut a: Linear, factor: &Q, at: usize) -> Result<Linear, VnnlibError> {
        if factor.is_zero() {
            return Ok(Linear::default());
        }
        for c in a.vars.values_mut().chain([&mut a.constant]) {
            self.fits_product(c, factor, at)?;
            *c *= factor;
        }
        Ok(a)
    }

    fn arithmetic(&self, op: &str, terms: Vec<Linear>, at: usize) -> Result<Linear, VnnlibError> {
        let s = self.s;
        let mut terms = terms.into_iter();
        let Some(first) = terms.next() else {
            return match op {
                "+" => Ok(Linear::default()),
                _ => Err(s.error(at, format!("`{op}` needs an operand"))),
            };
        };
        let mut acc = match (op, terms.len()) {
            ("-", 0) => return self.scaled(first, &-Q::one(), at),
            _ => first,
        };
        for t in terms {
            acc = match op {
                "+" => self.sum(acc, t, Q::one(), at)?,
                "-" => self.sum(acc, t, -Q::one(), at)?,
                "*" if t.is_constant() => self.scaled(acc, &t.constant, at)?,
                "*" if acc.is_constant() => self.scaled(t, &acc.constant, at)?,
                "*" => return Err(s.error(at, "a product of two variables is not linear")),
                _ if !t.is_constant() => return Err(s.error(at, "a division by a variable is not linear")),
                _ if t.constant.is_zero() => return Err(s.error(at, "a division by zero")),
                _ => self.scaled(acc, &t.constant.recip(), at)?,
            };
        }
        Ok(acc)
    }

    fn fits(&self, q: &Q, at: usize) -> Result<(), VnnlibError> {
        if q.numer().bits() + q.denom().bits() > MAX_COEFFICIENT_BITS {
            return Err(self.s.error(at, format!("a coefficient grows beyond {MAX_COEFFICIENT_BITS} bits")));
        }
        Ok(())
    }

    /// Checks the size of `a b` before forming it.
    fn fits_product(&self, a: &Q, b: &Q, at: usize) -> Result<(), VnnlibError> {
        let bits = |q: &Q| q.numer().bits() + q.denom().bits();
        if bits(a) + bits(b) > MAX_COEFFICIENT_BITS + 2 {
            return Err(self.s.error(at, format!("a coefficient grows beyond {MAX_COEFFICIENT_BITS} bits")));
        }
        Ok(())
    }

    /// The comparison `l <= 0` (`< 0` when strict) as a node: a constant, an input bound or an
    /// output constraint.
    fn atom(&mut self, l: Linear, strict: bool, at: usize) -> Result<usize, VnnlibError> {
        let s = self.s;
        let inputs = self.inputs;
        let on_inputs = l.vars.keys().filter(|&&v| v < inputs).count();
        let on_outputs = l.vars.len() - on_inputs;
        match (on_inputs, on_outputs) {
            (0, 0) => {
                let holds = if strict { l.constant.is_negative() } else { !l.constant.is_positive() };
                Ok(if holds { TRUE } else { FALSE })
            }
            (1, 0) => {
                // c x_i + k <= 0
                let (&input, c) = l.vars.iter().next().expect("one variable");
                self.fits_product(&l.constant, c, at)?;
                let value = -&l.constant / c;
                let bound = Bound { input, value, upper: c.is_positive(), strict };
                let k = match self.formula.bound_ids.get(&bound) {
                    Some(&k) => k,
                    None => {
                        self.formula.bounds.push(bound.clone());
                        self.formula.bound_offsets.push(at);
                        self.formula.bound_ids.insert(bound, self.formula.bounds.len() - 1);
                        self.formula.bounds.len() - 1
                    }
                };
                Ok(self.formula.intern(Node::Bound(k), at))
            }
            (_, 0) => Err(s.error(at, "an input constraint must bound one input (no sums of inputs)")),
            (0, _) => {
                let sparse: Vec<(usize, Q)> = l.vars.into_iter().map(|(v, c)| (v - inputs, c)).collect();
                let key = (sparse, -l.constant, strict);
                if let Some(&k) = self.formula.output_ids.get(&key) {
                    return Ok(self.formula.intern(Node::Output(k), at));
                }
                if (self.formula.outputs.len() + 1).saturating_mul(self.outputs) > MAX_OUTPUT_COEFFICIENTS {
                    return Err(s.error(at, format!(
                        "more than {MAX_OUTPUT_COEFFICIENTS} output coefficients in all ({} outputs per constraint): the budget",
                        self.outputs
                    )));
                }
                let mut coefficients = vec![Q::zero(); self.outputs];
                for (j, c) in &key.0 {
                    coefficients[*j] = c.clone();
                }
                self.formula.outputs.push(Arc::new(OutputConstraint {
                    coefficients,
                    rhs: key.1.clone(),
                    strict,
                }));
                let k = self.formula.outputs.len() - 1;
                self.formula.output_ids.insert(key, k);
                Ok(self.formula.intern(Node::Output(k), at))
            }
            _ => Err(s.error(at, "a constraint mixing inputs and outputs is not supported")),
        }
    }

    /// The conjunction of the assertions.
    pub(super) fn conjunction(&mut self, assertions: &[usize]) -> usize {
        self.formula.and(assertions, 0)
    }
}

/// `X_3` -> ('X', 3).
pub(super) fn variable(name: &str) -> Option<(char, usize)> {
    let (kind, rest) = name.split_once('_')?;
    let kind = match kind {
        "X" => 'X',
        "Y" => 'Y',
        _ => return None,
    };
    if rest.is_empty() || !rest.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some((kind, rest.parse().ok()?))
}
