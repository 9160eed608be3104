//! VNN-LIB properties (the VNN-COMP format, an SMT-LIB subset), read exactly.
//!
//! A property declares inputs `X_i` and outputs `Y_j` and asserts constraints; it is *violated*
//! (`sat`) when some input satisfies every assertion. Supported: bounds on the inputs as a
//! top-level conjunction (`(assert (<= X_0 0.5))`, `(assert (>= X_0 -0.5))`, in either order of
//! operands), and constraints on the outputs that are linear (`+`, `-`, `*` by a constant,
//! numbers as exact decimals) and combined with `and` and `or` (brought into disjunctive normal
//! form). Numbers are read exactly (`0.1` is 1/10).

use crate::num::{parse_rational, Q};
use num_traits::{One, Zero};

/// A parse error with its position (line and column).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{source_name}:{line}:{column}: {message}")]
pub struct VnnlibError {
    /// The file.
    pub source_name: String,
    /// 1-based line.
    pub line: usize,
    /// 1-based column.
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
    /// use relu_regions::{num::q, vnnlib::OutputConstraint};
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

/// A property: the input box and the unsafe set of outputs as a disjunction of conjunctions.
#[derive(Debug, Clone, PartialEq)]
pub struct Property {
    /// `[lo, hi]` for every input (`lo = hi` fixes an input).
    pub input_box: Vec<(Q, Q)>,
    /// The unsafe outputs: some disjunct with all its constraints satisfied.
    pub unsafe_set: Vec<Vec<OutputConstraint>>,
}

impl Property {
    /// Whether the outputs `y` are unsafe (exactly).
    ///
    /// # Examples
    /// ```
    /// use relu_regions::{num::q, vnnlib::{OutputConstraint, Property}};
    /// // unsafe: Y_0 >= 1 (as -Y_0 <= -1)
    /// let property = Property { input_box: vec![(q(0), q(1))],
    ///     unsafe_set: vec![vec![OutputConstraint { coefficients: vec![q(-1)], rhs: q(-1), strict: false }]] };
    /// assert!(property.is_unsafe(&[q(2)]) && !property.is_unsafe(&[q(0)]));
    /// ```
    pub fn is_unsafe(&self, y: &[Q]) -> bool {
        self.unsafe_set.iter().any(|conj| conj.iter().all(|c| c.holds(y)))
    }
}

#[derive(Debug, Clone)]
enum Sexp {
    Atom(String, usize),
    List(Vec<Sexp>, usize),
}

impl Sexp {
    fn offset(&self) -> usize {
        match self {
            Sexp::Atom(_, at) | Sexp::List(_, at) => *at,
        }
    }
}

struct Parser<'a> {
    text: &'a str,
    name: &'a str,
}

impl Parser<'_> {
    fn error(&self, offset: usize, message: impl Into<String>) -> VnnlibError {
        let before = &self.text[..offset.min(self.text.len())];
        let line = before.matches('\n').count() + 1;
        let column = before.len() - before.rfind('\n').map_or(0, |i| i + 1) + 1;
        VnnlibError { source_name: self.name.into(), line, column, message: message.into() }
    }

    /// Every top-level s-expression.
    fn parse_all(&self) -> Result<Vec<Sexp>, VnnlibError> {
        let bytes = self.text.as_bytes();
        let mut stack: Vec<(Vec<Sexp>, usize)> = Vec::new();
        let mut top = Vec::new();
        let mut i = 0;
        while i < bytes.len() {
            let c = bytes[i];
            match c {
                b';' => {
                    while i < bytes.len() && bytes[i] != b'\n' {
                        i += 1;
                    }
                    continue;
                }
                b'(' => stack.push((Vec::new(), i)),
                b')' => {
                    let (items, at) = stack.pop().ok_or_else(|| self.error(i, "unbalanced `)`"))?;
                    let list = Sexp::List(items, at);
                    match stack.last_mut() {
                        Some((parent, _)) => parent.push(list),
                        None => top.push(list),
                    }
                }
                c if c.is_ascii_whitespace() => {}
                _ => {
                    let start = i;
                    while i < bytes.len() && !bytes[i].is_ascii_whitespace() && !b"();".contains(&bytes[i]) {
                        i += 1;
                    }
                    let atom = Sexp::Atom(self.text[start..i].to_string(), start);
                    match stack.last_mut() {
                        Some((parent, _)) => parent.push(atom),
                        None => return Err(self.error(start, "a token outside any `( ... )`")),
                    }
                    continue;
                }
            }
            i += 1;
        }
        if let Some((_, at)) = stack.last() {
            return Err(self.error(*at, "this `(` is never closed (the file is truncated?)"));
        }
        Ok(top)
    }
}

/// A linear term: coefficients on the inputs and outputs and a constant.
#[derive(Debug, Clone, Default)]
struct Linear {
    x: Vec<Q>,
    y: Vec<Q>,
    constant: Q,
}

impl Linear {
    fn scaled(mut self, c: &Q) -> Linear {
        self.x.iter_mut().chain(self.y.iter_mut()).for_each(|v| *v *= c);
        self.constant *= c;
        self
    }
    fn plus(mut self, o: &Linear) -> Linear {
        for (a, b) in self.x.iter_mut().zip(&o.x) {
            *a += b;
        }
        for (a, b) in self.y.iter_mut().zip(&o.y) {
            *a += b;
        }
        self.constant += &o.constant;
        self
    }
}

/// A formula in disjunctive normal form: conjunctions of atoms `lhs <= 0` (`< 0` when strict),
/// each with its position in the file.
type Dnf = Vec<Vec<(Linear, bool, usize)>>;

struct Context<'a> {
    parser: Parser<'a>,
    inputs: usize,
    outputs: usize,
}

impl Context<'_> {
    fn zero(&self) -> Linear {
        Linear { x: vec![Q::zero(); self.inputs], y: vec![Q::zero(); self.outputs], constant: Q::zero() }
    }

    fn term(&self, s: &Sexp) -> Result<Linear, VnnlibError> {
        match s {
            Sexp::Atom(a, at) => {
                let mut t = self.zero();
                if let Some((kind, index)) = variable(a) {
                    let (vec, n) =
                        if kind == 'X' { (&mut t.x, self.inputs) } else { (&mut t.y, self.outputs) };
                    if index >= n {
                        return Err(self.parser.error(*at, format!("`{a}` is not declared")));
                    }
                    vec[index] = Q::one();
                } else {
                    t.constant = parse_rational(a).map_err(|e| self.parser.error(*at, e.to_string()))?;
                }
                Ok(t)
            }
            Sexp::List(items, at) => {
                let Some(Sexp::Atom(op, _)) = items.first() else {
                    return Err(self.parser.error(*at, "expected an operator"));
                };
                let args: Vec<Linear> = items[1..].iter().map(|a| self.term(a)).collect::<Result<_, _>>()?;
                match (op.as_str(), args.len()) {
                    ("+", _) => Ok(args.iter().fold(self.zero(), |acc, a| acc.plus(a))),
                    ("-", 1) => Ok(args[0].clone().scaled(&-Q::one())),
                    ("-", _) => Ok(args[1..]
                        .iter()
                        .fold(args[0].clone(), |acc, a| acc.plus(&a.clone().scaled(&-Q::one())))),
                    ("*", 2) => {
                        let constant = |l: &Linear| l.x.iter().chain(&l.y).all(Zero::is_zero);
                        match (constant(&args[0]), constant(&args[1])) {
                            (true, _) => Ok(args[1].clone().scaled(&args[0].constant)),
                            (_, true) => Ok(args[0].clone().scaled(&args[1].constant)),
                            _ => Err(self.parser.error(*at, "a product of two variables is not linear")),
                        }
                    }
                    _ => Err(self.parser.error(*at, format!("unsupported term operator `{op}`"))),
                }
            }
        }
    }

    /// A formula in disjunctive normal form: a list of conjunctions of `lhs <= 0` / `< 0`.
    fn formula(&self, s: &Sexp) -> Result<Dnf, VnnlibError> {
        let Sexp::List(items, at) = s else {
            return Err(self.parser.error(s.offset(), "expected a formula `( ... )`"));
        };
        let Some(Sexp::Atom(op, _)) = items.first() else {
            return Err(self.parser.error(*at, "expected an operator"));
        };
        let args = &items[1..];
        match op.as_str() {
            "and" => {
                let mut acc: Dnf = vec![Vec::new()];
                for a in args {
                    let f = self.formula(a)?;
                    acc = acc
                        .iter()
                        .flat_map(|c| f.iter().map(move |d| c.iter().chain(d).cloned().collect()))
                        .collect();
                }
                Ok(acc)
            }
            "or" => Ok(args.iter().map(|a| self.formula(a)).collect::<Result<Vec<_>, _>>()?.concat()),
            "<=" | "<" | ">=" | ">" if args.len() == 2 => {
                let (l, r) = (self.term(&args[0])?, self.term(&args[1])?);
                let strict = op.len() == 1;
                let lhs = if op.starts_with('<') {
                    l.plus(&r.scaled(&-Q::one()))
                } else {
                    r.plus(&l.scaled(&-Q::one()))
                };
                Ok(vec![vec![(lhs, strict, *at)]])
            }
            _ => Err(self
                .parser
                .error(*at, format!("unsupported formula `{op}` (expected and, or, <=, >=, <, >)"))),
        }
    }
}

/// `X_3` -> ('X', 3).
fn variable(name: &str) -> Option<(char, usize)> {
    let (kind, rest) = name.split_once('_')?;
    let kind = match kind {
        "X" => 'X',
        "Y" => 'Y',
        _ => return None,
    };
    Some((kind, rest.parse().ok()?))
}

/// Reads a VNN-LIB property for a network with `inputs` inputs and `outputs` outputs.
///
/// # Examples
/// ```
/// use relu_regions::{num::q, vnnlib::read_vnnlib};
/// let p = read_vnnlib("(declare-const X_0 Real)(declare-const Y_0 Real)
///     (assert (<= X_0 1)) (assert (>= X_0 -1)) (assert (>= Y_0 0.5))", "p", 1, 1).unwrap();
/// assert_eq!(p.input_box, vec![(q(-1), q(1))]);
/// assert!(p.is_unsafe(&[q(1)]) && !p.is_unsafe(&[q(0)]));
/// ```
pub fn read_vnnlib(text: &str, name: &str, inputs: usize, outputs: usize) -> Result<Property, VnnlibError> {
    let parser = Parser { text, name };
    let items = parser.parse_all()?;
    let (mut declared_x, mut declared_y) = (0usize, 0usize);
    let mut asserts = Vec::new();
    for item in &items {
        let Sexp::List(list, at) = item else { continue };
        match list.first() {
            Some(Sexp::Atom(op, _)) if op == "declare-const" => match list.get(1) {
                Some(Sexp::Atom(v, vat)) => match variable(v) {
                    Some(('X', i)) => declared_x = declared_x.max(i + 1),
                    Some((_, i)) => declared_y = declared_y.max(i + 1),
                    None => return Err(parser.error(*vat, format!("`{v}` is neither X_i nor Y_j"))),
                },
                _ => return Err(parser.error(*at, "declare-const needs a name")),
            },
            Some(Sexp::Atom(op, _)) if op == "assert" => match list.get(1) {
                Some(f) => asserts.push(f.clone()),
                None => return Err(parser.error(*at, "assert needs a formula")),
            },
            _ => return Err(parser.error(*at, "expected declare-const or assert")),
        }
    }
    if declared_x != inputs || declared_y != outputs {
        return Err(parser.error(
            0,
            format!("the property declares {declared_x} inputs and {declared_y} outputs; the network has {inputs} and {outputs}"),
        ));
    }
    let ctx = Context { parser, inputs, outputs };
    let (mut lo, mut hi): (Vec<Option<Q>>, Vec<Option<Q>>) = (vec![None; inputs], vec![None; inputs]);
    let mut unsafe_set: Vec<Vec<OutputConstraint>> = vec![Vec::new()];
    for a in &asserts {
        let dnf = ctx.formula(a)?;
        let on_inputs = dnf.iter().flatten().any(|(l, _, _)| l.x.iter().any(|v| !v.is_zero()));
        if on_inputs {
            let [conj] = dnf.as_slice() else {
                return Err(ctx
                    .parser
                    .error(a.offset(), "input constraints must be bounds in a conjunction (no `or`)"));
            };
            for (l, _, at) in conj {
                bound(&ctx, l, *at, &mut lo, &mut hi)?;
            }
        } else {
            let constraints: Vec<Vec<OutputConstraint>> = dnf
                .into_iter()
                .map(|conj| {
                    conj.into_iter()
                        .map(|(l, strict, _)| OutputConstraint {
                            coefficients: l.y,
                            rhs: -l.constant,
                            strict,
                        })
                        .collect()
                })
                .collect();
            unsafe_set = unsafe_set
                .iter()
                .flat_map(|c| constraints.iter().map(move |d| c.iter().chain(d).cloned().collect()))
                .collect();
        }
    }
    let mut input_box = Vec::with_capacity(inputs);
    for (i, (l, h)) in lo.into_iter().zip(hi).enumerate() {
        match (l, h) {
            (Some(l), Some(h)) if l <= h => input_box.push((l, h)),
            (Some(_), Some(_)) => {
                return Err(ctx.parser.error(0, format!("X_{i}: its bounds are empty (lo > hi)")))
            }
            _ => return Err(ctx.parser.error(0, format!("X_{i} needs a lower and an upper bound"))),
        }
    }
    Ok(Property { input_box, unsafe_set })
}

/// Records `l <= 0` as a bound on one input.
fn bound(
    ctx: &Context<'_>,
    l: &Linear,
    at: usize,
    lo: &mut [Option<Q>],
    hi: &mut [Option<Q>],
) -> Result<(), VnnlibError> {
    let nonzero: Vec<usize> = (0..l.x.len()).filter(|&i| !l.x[i].is_zero()).collect();
    let [i] = nonzero.as_slice() else {
        return Err(ctx.parser.error(at, "an input constraint must bound one input"));
    };
    if l.y.iter().any(|v| !v.is_zero()) {
        return Err(ctx.parser.error(at, "a constraint mixing inputs and outputs is not supported"));
    }
    // c x_i + k <= 0
    let value = -&l.constant / &l.x[*i];
    if l.x[*i] > Q::zero() {
        hi[*i] = Some(hi[*i].take().map_or(value.clone(), |h| h.min(value)));
    } else {
        lo[*i] = Some(lo[*i].take().map_or(value.clone(), |v| v.max(value)));
    }
    Ok(())
}
