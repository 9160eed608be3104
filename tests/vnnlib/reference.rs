//! Random VNN-LIB properties with strict and non-strict bounds on inputs and outputs, an `or`
//! over the inputs now and then, decided exactly and compared with brute force:
//! - one input: the network's pieces over the box by the test's own exact arithmetic (each
//!   layer's affine forms split where a neuron changes sign), and on each piece every
//!   conjunction is an interval of inputs with open or closed ends: the exact answer;
//! - two inputs: a rational grid with the box's corners, every point checked exactly: a point
//!   that violates the property forces `sat`.
//!
//! Bounds and thresholds are drawn from the network's breakpoints and its outputs there, so
//! strict sides and strict constraints often decide the answer. Every `sat` counterexample is
//! checked against the test's own property, every `unsat` proof by the checker, and the
//! default run (sampling, pruning) agrees with the exact-only one.

use crate::enumerate::invariants::{random_net, Rng};
use relu_regions::exact::num::{fmt_q, Q};
use relu_regions::network::vnnlib::read_vnnlib;
use relu_regions::network::{Activation, Domain, Network};
use relu_regions::queries::property::{decide, Verdict};
use relu_regions::Backend;
use relu_regions::Enumerator;

/// One side of an interval: its value and whether it is strict (`None`: unbounded).
type Side = Option<(Q, bool)>;

/// `coefficient * Y_0 op threshold`.
#[derive(Debug, Clone)]
struct Atom {
    coefficient: Q,
    op: &'static str,
    threshold: Q,
}

impl Atom {
    fn holds(&self, y: &Q) -> bool {
        let v = &self.coefficient * y;
        match self.op {
            "<=" => v <= self.threshold,
            "<" => v < self.threshold,
            ">=" => v >= self.threshold,
            _ => v > self.threshold,
        }
    }
}

/// A case: per input `(lower, upper)` sides, and conjunctions of atoms.
#[derive(Debug, Clone)]
struct Spec {
    bounds: Vec<((Q, bool), (Q, bool))>,
    unsafe_set: Vec<Vec<Atom>>,
}

impl Spec {
    fn contains(&self, x: &[Q]) -> bool {
        x.iter().zip(&self.bounds).all(|(v, ((lo, sl), (hi, sh)))| {
            (if *sl { lo < v } else { lo <= v }) && (if *sh { v < hi } else { v <= hi })
        })
    }

    fn violated(&self, x: &[Q], y: &[Q]) -> bool {
        self.contains(x) && self.unsafe_set.iter().any(|c| c.iter().all(|a| a.holds(&y[0])))
    }
}

/// The property's text, written in varied but equivalent ways.
fn render(rng: &mut Rng, cases: &[Spec]) -> String {
    let dim = cases[0].bounds.len();
    let mut s: String = (0..dim).map(|i| format!("(declare-const X_{i} Real)\n")).collect();
    s += "(declare-const Y_0 Real)\n";
    let bound = |rng: &mut Rng, i: usize, v: &Q, strict: bool, upper: bool| {
        let op = match (upper, strict) {
            (true, true) => "<",
            (true, false) => "<=",
            (false, true) => ">",
            (false, false) => ">=",
        };
        if rng.next() % 2 == 0 {
            format!("({op} X_{i} {})", fmt_q(v))
        } else {
            let flipped = op.replace('<', "g").replace('>', "<").replace('g', ">");
            format!("({flipped} {} X_{i})", fmt_q(v))
        }
    };
    let atom = |rng: &mut Rng, a: &Atom| {
        let term = match rng.next() % 3 {
            0 => format!("(* {} Y_0)", fmt_q(&a.coefficient)),
            1 => format!("(- (* {} Y_0) 0)", fmt_q(&a.coefficient)),
            _ => format!("(+ (* {} Y_0) 1 -1)", fmt_q(&a.coefficient)),
        };
        format!("({} {term} {})", a.op, fmt_q(&a.threshold))
    };
    let outputs = |rng: &mut Rng, c: &Spec| -> String {
        let conjs: Vec<String> = c
            .unsafe_set
            .iter()
            .map(|conj| format!("(and {})", conj.iter().map(|a| atom(rng, a)).collect::<Vec<_>>().join(" ")))
            .collect();
        format!("(or {})", conjs.join(" "))
    };
    let sides = |rng: &mut Rng, c: &Spec| -> Vec<String> {
        let mut out = Vec::new();
        for (i, ((lo, sl), (hi, sh))) in c.bounds.iter().enumerate() {
            out.push(bound(rng, i, lo, *sl, false));
            out.push(bound(rng, i, hi, *sh, true));
        }
        out
    };
    if let [case] = cases {
        for b in sides(rng, case) {
            s += &format!("(assert {b})\n");
        }
        s += &format!("(assert {})\n", outputs(rng, case));
    } else {
        let disjuncts: Vec<String> =
            cases.iter().map(|c| format!("(and {} {})", sides(rng, c).join(" "), outputs(rng, c))).collect();
        s += &format!("(assert (or {}))\n", disjuncts.join("\n  "));
    }
    s
}

/// The pieces of a one-input network over `[lo, hi]`: `(a, b, slope, offset)` with the
/// outputs `slope x + offset` on `[a, b]`, by the test's own exact arithmetic.
fn pieces(net: &Network, lo: &Q, hi: &Q) -> Vec<(Q, Q, Vec<Q>, Vec<Q>)> {
    let (one, zero) = (Q::from_integer(1.into()), Q::from_integer(0.into()));
    let mut pieces = vec![(lo.clone(), hi.clone(), vec![one], vec![zero.clone()])];
    for layer in net.layers() {
        let mut next = Vec::new();
        for (a, b, s, t) in pieces {
            let (zs, zt): (Vec<Q>, Vec<Q>) = layer
                .weights
                .rows()
                .zip(&layer.bias)
                .map(|(row, bias)| {
                    let slope: Q = row.iter().map(|(j, w)| w * &s[*j]).sum();
                    let offset: Q = row.iter().map(|(j, w)| w * &t[*j]).sum::<Q>() + bias;
                    (slope, offset)
                })
                .unzip();
            if layer.activation == Activation::Linear {
                next.push((a, b, zs, zt));
                continue;
            }
            let mut cuts: Vec<Q> = zs
                .iter()
                .zip(&zt)
                .filter(|(s, _)| **s != zero)
                .map(|(s, t)| -t / s)
                .filter(|r| &a < r && r < &b)
                .collect();
            cuts.sort();
            cuts.dedup();
            let ends: Vec<Q> = std::iter::once(a).chain(cuts).chain(std::iter::once(b)).collect();
            for w in ends.windows(2) {
                let mid = (&w[0] + &w[1]) / Q::from_integer(2.into());
                let on: Vec<bool> = zs.iter().zip(&zt).map(|(s, t)| s * &mid + t > zero).collect();
                let keep = |v: &[Q]| {
                    v.iter().zip(&on).map(|(v, on)| if *on { v.clone() } else { zero.clone() }).collect()
                };
                next.push((w[0].clone(), w[1].clone(), keep(&zs), keep(&zt)));
            }
        }
        pieces = next;
    }
    pieces
}

/// The exact answer for one input: some case, piece and conjunction whose interval of inputs
/// (ends open or closed) is not empty.
fn reference_1d(net: &Network, cases: &[Spec]) -> bool {
    let tighten = |side: &mut Side, v: Q, strict: bool, upper: bool| {
        let tighter = match side {
            None => true,
            Some((w, s)) => (if upper { v < *w } else { v > *w }) || (v == *w && strict && !*s),
        };
        if tighter {
            *side = Some((v, strict));
        }
    };
    cases.iter().any(|case| {
        let ((lo, sl), (hi, sh)) = &case.bounds[0];
        pieces(net, lo, hi).iter().any(|(a, b, slope, offset)| {
            case.unsafe_set.iter().any(|conj| {
                let (mut low, mut high): (Side, Side) = (Some((a.clone(), false)), Some((b.clone(), false)));
                tighten(&mut low, lo.clone(), *sl, false);
                tighten(&mut high, hi.clone(), *sh, true);
                for atom in conj {
                    // c (s x + t) op th  as  g x <= h (or <), g x >= h (or >)
                    let (g, h) =
                        (&atom.coefficient * &slope[0], &atom.threshold - &atom.coefficient * &offset[0]);
                    let upper_op = atom.op.starts_with('<');
                    let strict = atom.op.len() == 1;
                    if g == Q::from_integer(0.into()) {
                        let zero = Q::from_integer(0.into());
                        let holds = match (upper_op, strict) {
                            (true, true) => zero < h,
                            (true, false) => zero <= h,
                            (false, true) => zero > h,
                            (false, false) => zero >= h,
                        };
                        if !holds {
                            return false;
                        }
                        continue;
                    }
                    let v = &h / &g;
                    // dividing by a negative g turns the inequality around
                    let upper = upper_op == (g > Q::from_integer(0.into()));
                    if upper {
                        tighten(&mut high, v, strict, true);
                    } else {
                        tighten(&mut low, v, strict, false);
                    }
                }
                let ((l, ls), (h, hs)) = (low.unwrap(), high.unwrap());
                l < h || (l == h && !ls && !hs)
            })
        })
    })
}

/// Random cases whose values come from `xs` (inputs) and `ys` (outputs).
fn random_cases(rng: &mut Rng, dim: usize, xs: &[Q], ys: &[Q]) -> Vec<Spec> {
    let pick = |rng: &mut Rng, v: &[Q]| v[(rng.next() % v.len() as u64) as usize].clone();
    let count = if rng.next() % 4 == 0 { 2 } else { 1 };
    (0..count)
        .map(|_| {
            let bounds = (0..dim)
                .map(|_| {
                    let (mut lo, mut hi) = (pick(rng, xs), pick(rng, xs));
                    // mostly lo <= hi; now and then an empty or a fixed input
                    if lo > hi && rng.next() % 5 != 0 {
                        std::mem::swap(&mut lo, &mut hi);
                    }
                    if rng.next() % 8 == 0 {
                        hi = lo.clone();
                    }
                    ((lo, rng.next() % 2 == 0), (hi, rng.next() % 2 == 0))
                })
                .collect();
            let unsafe_set = (0..1 + rng.next() % 2)
                .map(|_| {
                    (0..1 + rng.next() % 2)
                        .map(|_| {
                            let coefficient = Q::from_integer([1, -1, 2][(rng.next() % 3) as usize].into());
                            let op = ["<=", "<", ">=", ">"][(rng.next() % 4) as usize];
                            let threshold = &coefficient * pick(rng, ys);
                            Atom { coefficient, op, threshold }
                        })
                        .collect()
                })
                .collect();
            Spec { bounds, unsafe_set }
        })
        .collect()
}

/// Decides with a backend; a `sat` counterexample is checked against the test's property, an
/// `unsat` proof by the checker. Returns whether it answered `sat`.
fn decided(net: &Network, text: &str, cases: &[Spec], backend: Backend) -> bool {
    let dim = cases[0].bounds.len();
    let p = read_vnnlib(text, "p.vnnlib", dim, 1).unwrap_or_else(|e| panic!("{e}\n{text}"));
    let e = Enumerator::builder().backend(backend).threads(2).build();
    let d = decide(net, &p, &e).unwrap_or_else(|e| panic!("{e}\n{text}"));
    match d.verdict {
        Verdict::Sat { input, output } => {
            assert_eq!(net.output(&input), output);
            assert!(
                cases.iter().any(|c| c.violated(&input, &output)),
                "not a counterexample: {input:?}\n{text}"
            );
            true
        }
        Verdict::Unsat => {
            let proof = d.proof.expect("an unsat answer has a proof").to_json();
            let report = relu_regions::check::proof::check_proof(net, &p, &proof);
            assert!(report.failures.is_empty(), "{:?}\n{text}", report.failures);
            false
        }
        Verdict::Unknown => panic!("no limit was set\n{text}"),
    }
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig { cases: 64, ..proptest::prelude::ProptestConfig::default() })]

    /// One input: the answer is the exact one, with and without sampling and pruning.
    #[test]
    fn one_input_properties_match_the_exact_intervals(seed in 0u64..1_000_000) {
        let mut rng = Rng::new(seed);
        let net = random_net(&mut rng, 1, &[3, 3], Domain::Whole);
        let (lo, hi) = (Q::from_integer((-2).into()), Q::from_integer(2.into()));
        let mut xs: Vec<Q> = pieces(&net, &lo, &hi).iter().flat_map(|p| [p.0.clone(), p.1.clone()]).collect();
        xs.extend((0..3).map(|_| rng.rational(4)));
        let ys: Vec<Q> = xs.iter().map(|x| net.output(std::slice::from_ref(x))[0].clone()).collect();
        let cases = random_cases(&mut rng, 1, &xs, &ys);
        let text = render(&mut rng, &cases);
        let want = reference_1d(&net, &cases);
        proptest::prop_assert_eq!(decided(&net, &text, &cases, Backend::FloatSimplex), want, "{}", text);
        proptest::prop_assert_eq!(decided(&net, &text, &cases, Backend::ExactOnly), want, "{}", text);
    }
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig { cases: 32, ..proptest::prelude::ProptestConfig::default() })]

    /// Two inputs: a grid point (corners included) that violates the property forces `sat`;
    /// both runs agree, each answer checked.
    #[test]
    fn two_input_properties_agree_with_a_grid(seed in 0u64..1_000_000) {
        let mut rng = Rng::new(seed);
        let net = random_net(&mut rng, 2, &[4, 3], Domain::Whole);
        let xs: Vec<Q> = (-2..=2).map(|k| Q::new(k.into(), 2.into())).collect();
        let grid = |lo: &Q, hi: &Q| -> Vec<Q> {
            (0..=8).map(|k| lo + (hi - lo) * Q::new(k.into(), 8.into())).collect()
        };
        let corners: Vec<Q> = xs.iter().flat_map(|a| xs.iter().map(|b| net.output(&[a.clone(), b.clone()])[0].clone())).collect();
        let cases = random_cases(&mut rng, 2, &xs, &corners);
        let text = render(&mut rng, &cases);
        let grid_sat = cases.iter().any(|c| {
            let ((l0, _), (h0, _)) = &c.bounds[0];
            let ((l1, _), (h1, _)) = &c.bounds[1];
            grid(l0, h0).iter().any(|a| grid(l1, h1).iter().any(|b| {
                let x = [a.clone(), b.clone()];
                c.violated(&x, &net.output(&x))
            }))
        });
        let sat = decided(&net, &text, &cases, Backend::FloatSimplex);
        proptest::prop_assert!(sat || !grid_sat, "a grid point violates it, yet unsat\n{}", text);
        proptest::prop_assert_eq!(decided(&net, &text, &cases, Backend::ExactOnly), sat, "{}", text);
    }
}
