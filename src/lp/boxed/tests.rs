//! Tests of the box LP: the two methods against each other and against its multipliers.

use super::*;
use crate::exact::num::q;

/// Floats uniform in `[-1, 1)` from a seeded linear congruential stream.
fn uniform(seed: u64) -> impl FnMut() -> f64 {
    let mut state = seed;
    move || {
        state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        ((state >> 11) as f64 / (1u64 << 53) as f64) * 2.0 - 1.0
    }
}

/// `m` rows `a . x <= b` in `d` dimensions from `next`: each entry of `a` a draw, then
/// `b = base + spread |draw|` (so the origin is inside), all exact dyadics.
fn random_rows(
    next: &mut impl FnMut() -> f64,
    d: usize,
    m: usize,
    (base, spread): (f64, f64),
) -> Vec<Halfspace> {
    let exact = |v: f64| crate::exact::num::from_f64_exact(v).unwrap();
    (0..m)
        .map(|_| {
            let a = (0..d).map(|_| exact(next())).collect();
            Halfspace::new(a, exact(base + spread * next().abs()))
        })
        .collect()
}

#[test]
fn minimizes_over_rows_and_box() {
    let bx = FloatBox::of_box(&[(q(-1), q(1)), (q(-1), q(1))]);
    // x + y >= 1/2 (as -x - y <= -1/2), y <= x
    let r1 = Halfspace::new(vec![q(-1), q(-1)], crate::exact::num::parse_rational("-1/2").unwrap());
    let r2 = Halfspace::new(vec![q(-1), q(1)], q(0));
    let lp = BoxLp::new(&[&r1, &r2], &bx).unwrap();
    // min x over the region: at x = y = 1/4
    let opt = lp.minimize(&[1.0, 0.0]).unwrap();
    assert!((opt.value - 0.25).abs() < 1e-12, "{opt:?}");
    // multipliers reproduce g: g + sum y_i a_i = 0 off the box
    assert!((opt.y[0] - 0.5).abs() < 1e-12 && (opt.y[1] - 0.5).abs() < 1e-12, "{opt:?}");
    // min -x: at the box corner x = 1
    let opt = lp.minimize(&[-1.0, 0.0]).unwrap();
    assert!((opt.value + 1.0).abs() < 1e-12);
    // min y: y = max(1/2 - x, ...) on the region -> at x = 1, y = -1/2
    let opt = lp.minimize(&[0.0, 1.0]).unwrap();
    assert!((opt.value + 0.5).abs() < 1e-12, "{opt:?}");
    for g in [[1.0, 0.0], [-1.0, 0.0], [0.0, 1.0], [0.3, -0.7], [-2.0, -1.0]] {
        let (a, b) = (lp.minimize_vertex(&g).unwrap(), lp.minimize_bounded(&g).unwrap());
        assert!((a.value - b.value).abs() < 1e-12, "{g:?}: {a:?} {b:?}");
        assert!(a.y.iter().zip(&b.y).all(|(u, v)| (u - v).abs() < 1e-12), "{g:?}: {a:?} {b:?}");
    }
}

/// Both methods find the same optimum on random regions around a known interior point, in
/// low and high dimensions, and their multipliers certify it: `g + A^T y` is the reduced
/// cost, whose box minimum plus `-y . b` gives back the optimum.
#[test]
fn both_methods_agree_on_random_regions() {
    let mut next = uniform(12345);
    for (d, m) in [(2, 6), (5, 20), (12, 4), (40, 8)] {
        for _ in 0..20 {
            let lo = vec![q(-1); d];
            let bx = FloatBox::of_box(&lo.iter().map(|l| (l.clone(), q(1))).collect::<Vec<_>>());
            let rows = random_rows(&mut next, d, m, (0.2, 0.5));
            let refs: Vec<&Halfspace> = rows.iter().collect();
            let lp = BoxLp::new(&refs, &bx).unwrap();
            let g: Vec<f64> = (0..d).map(|_| next()).collect();
            let (v, bnd) = (lp.minimize_vertex(&g).unwrap(), lp.minimize_bounded(&g).unwrap());
            assert!((v.value - bnd.value).abs() < 1e-9, "d={d} m={m}: {} vs {}", v.value, bnd.value);
            for opt in [&v, &bnd] {
                let mut dual = -opt.y.iter().zip(&rows).map(|(y, r)| y * r.float_b()).sum::<f64>();
                for (j, gj) in g.iter().enumerate() {
                    let rj = gj + opt.y.iter().zip(&rows).map(|(y, r)| y * r.float_a()[j]).sum::<f64>();
                    dual += rj.min(-rj);
                }
                assert!((dual - opt.value).abs() < 1e-9, "d={d} m={m}: dual {dual} vs {}", opt.value);
            }
        }
    }
}

/// Leaving a row out of the LP of all rows gives the optimum of the LP built without it, with
/// multiplier 0 on it, on random regions in few dimensions (the vertex method).
#[test]
fn skipping_a_row_equals_leaving_it_out() {
    let mut next = uniform(777);
    let (d, m) = (4, 16);
    let bx = FloatBox::of_box(&vec![(q(-1), q(1)); d]);
    for _ in 0..30 {
        let rows = random_rows(&mut next, d, m, (0.1, 0.5));
        let refs: Vec<&Halfspace> = rows.iter().collect();
        let all = BoxLp::new(&refs, &bx).unwrap();
        let g: Vec<f64> = (0..d).map(|_| next()).collect();
        for skip in 0..m {
            let others: Vec<&Halfspace> =
                refs.iter().enumerate().filter(|&(k, _)| k != skip).map(|(_, r)| *r).collect();
            let alone = BoxLp::new(&others, &bx).unwrap().minimize(&g).unwrap();
            let skipped = all.minimize_skipping(&g, skip).unwrap();
            assert!((alone.value - skipped.value).abs() < 1e-9, "{} vs {}", alone.value, skipped.value);
            assert_eq!(skipped.y[skip], 0.0);
        }
    }
}

/// [`BoxLp::minimize_or_prove`] with the safe dual bound as its proof, on random regions in five
/// dimensions (the vertex method, which may prove before the optimum): a threshold below the
/// minimum is proved (also one just 1e-9 below), one at the float minimum or above it never
/// is, and a proof that accepts nothing gives back `minimize`'s optimum. Thresholds halfway
/// between the box corner and the minimum need the rows, and some are proved by a basis
/// before the optimal one (other multipliers than the optimum's).
#[test]
fn proofs_before_the_optimum_are_sound_and_complete() {
    use crate::kernel::float_box::{proves_empty_floats, proves_empty_sparse};
    let mut next = uniform(4242);
    let (d, m) = (5, 24);
    let bx = FloatBox::of_box(&vec![(q(-1), q(1)); d]);
    let mut before_the_optimum = 0;
    for _ in 0..60 {
        // the origin inside: every row a . x <= b with b > 0
        let rows = random_rows(&mut next, d, m, (0.05, 0.3));
        let refs: Vec<&Halfspace> = rows.iter().collect();
        let lp = BoxLp::new(&refs, &bx).unwrap();
        let g: Vec<f64> = (0..d).map(|_| next()).collect();
        let opt = lp.minimize(&g).unwrap();
        assert_eq!(lp.minimize_or_prove(&g, opt.value - 1.0, &mut |_| false), Err(Some(opt.clone())));
        let corner: f64 = -g.iter().map(|v| v.abs()).sum::<f64>();
        let halfway = 0.5 * (corner + opt.value);
        for (above, provable) in [
            (halfway, true),
            (opt.value - 1e-9, true),
            (opt.value, false),
            (opt.value + 1e-12, false),
            (opt.value + 0.5, false),
        ] {
            let mut accepted = None;
            let answer = lp.minimize_or_prove(&g, above, &mut |y| {
                let proved = proves_empty_sparse(&refs, &g, above, y, &bx);
                // the sparse bound is the dense one with the other multipliers 0
                let mut dense = vec![0.0; m];
                y.iter().for_each(|&(i, v)| dense[i] = v);
                assert_eq!(proved, proves_empty_floats(&refs, &g, above, Some(&dense), &bx));
                if proved {
                    accepted = Some(y.to_vec());
                }
                proved
            });
            assert_eq!(answer.is_ok(), provable, "min {} above {above}", opt.value);
            if above == halfway
                && opt.value > corner + 1e-6
                && accepted.as_ref() != Some(&super::sparse(&opt.y))
            {
                before_the_optimum += 1;
            }
        }
    }
    assert!(before_the_optimum > 0, "no proof came before the optimum");
}

/// The vertex method tries the optimum's proof once, itself: a threshold just below the
/// minimum is proved at the optimum (or before), a proof that accepts nothing is asked at most
/// once per basis visited past the threshold and gives back `minimize`'s optimum, and the list
/// handed to `prove` at the optimum is the optimum's positive multipliers by row number.
#[test]
fn the_optimum_is_proved_once_from_its_sparse_multipliers() {
    let mut next = uniform(777);
    let (d, m) = (5, 24);
    let bx = FloatBox::of_box(&vec![(q(-1), q(1)); d]);
    for _ in 0..40 {
        let rows = random_rows(&mut next, d, m, (0.05, 0.3));
        let refs: Vec<&Halfspace> = rows.iter().collect();
        let lp = BoxLp::new(&refs, &bx).unwrap();
        let g: Vec<f64> = (0..d).map(|_| next()).collect();
        let opt = lp.minimize(&g).unwrap();
        // a threshold no basis passes but the optimum: its proof is asked once, with the
        // optimum's multipliers
        let above = opt.value - 1e-300_f64.max(opt.value.abs() * 1e-15);
        let mut asked = Vec::new();
        let answer = lp.minimize_or_prove(&g, above, &mut |y| {
            asked.push(y.to_vec());
            false
        });
        assert_eq!(answer, Err(Some(opt.clone())));
        assert_eq!(asked.last(), Some(&super::sparse(&opt.y)), "the optimum's proof is asked");
        let distinct: std::collections::BTreeSet<String> = asked.iter().map(|y| format!("{y:?}")).collect();
        assert_eq!(distinct.len(), asked.len(), "a basis is asked twice: {asked:?}");
        // accepting the optimum's multipliers proves it
        let target = super::sparse(&opt.y);
        assert_eq!(lp.minimize_or_prove(&g, above, &mut |y| y == target.as_slice()), Ok(()));
    }
}

/// The vertex method with the dimension known at compile time is the run-time one, bit for
/// bit: the same optimum (value, multipliers, vertex), the same skipped row honoured, and the
/// same bases handed to an early proof, in every dimension up to [`SMALL`], on random regions
/// (degenerate ones too: rows repeated, a row through the origin) and random costs.
#[test]
fn the_fixed_dimension_solve_is_the_run_time_one_bit_for_bit() {
    fn solve(lp: &BoxLp, g: &[f64], skip: Option<usize>, fixed: bool, above: f64) -> String {
        let mut asked = Vec::new();
        let mut prove = |y: &[(usize, f64)]| {
            asked.push(y.iter().map(|&(i, v)| (i, v.to_bits())).collect::<Vec<_>>());
            asked.len() % 3 == 0
        };
        let early = Some((above, &mut prove as Prove<'_>));
        let solved = if fixed {
            lp.vertex_solve(g, skip, early)
        } else {
            lp.vertex_solve_in::<0>(g, skip, early, None)
        };
        let solved = match solved {
            None => "none".to_string(),
            Some(Solved::Proved) => "proved".to_string(),
            Some(Solved::Optimum(o)) => {
                let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
                format!("{} {:?} {:?}", o.value.to_bits(), bits(&o.y), bits(&o.x))
            }
        };
        format!("{solved} {asked:?}")
    }
    let mut next = uniform(31337);
    let mut optima = 0;
    for d in 1..=SMALL {
        let bx = FloatBox::of_box(&vec![(q(-1), q(1)); d]);
        for m in [1, d + 1, 3 * d + 4] {
            for round in 0..12 {
                let mut rows = random_rows(&mut next, d, m, (0.05, 0.4));
                if round % 3 == 1 {
                    rows.push(rows[0].clone());
                    rows.push(Halfspace::new(rows[0].a.clone(), q(0)));
                }
                let refs: Vec<&Halfspace> = rows.iter().collect();
                let lp = BoxLp::new(&refs, &bx).unwrap();
                let g: Vec<f64> = (0..d).map(|_| next()).collect();
                let corner: f64 = -g.iter().map(|v| v.abs()).sum::<f64>();
                for skip in [None, Some(round % rows.len())] {
                    for above in [f64::INFINITY, corner + 0.5 * next().abs(), corner - 1.0] {
                        let fixed = solve(&lp, &g, skip, true, above);
                        assert_eq!(fixed, solve(&lp, &g, skip, false, above), "d={d} m={m} skip={skip:?}");
                        optima += usize::from(!fixed.starts_with("proved") && !fixed.starts_with("none"));
                    }
                    let plain = lp.minimize_vertex_skipping(&g, skip);
                    let general = match lp.vertex_solve_in::<0>(&g, skip, None, None) {
                        Some(Solved::Optimum(o)) => Some(o),
                        _ => None,
                    };
                    assert_eq!(plain.map(|o| o.value.to_bits()), general.map(|o| o.value.to_bits()));
                }
            }
        }
    }
    assert!(optima > 100, "too few optima compared: {optima}");
}

/// Bases kept from solves ([`KeptBasis`]), tried for other costs over the same rows and over
/// the rows with more added after them (a descendant region's LP, its box rows renumbered): the
/// optimal basis of a cost proves that cost again just below its minimum, over the parent's
/// LP and over the child's; a nearby cost is proved from it; and no proof from a kept basis
/// ever passes the float minimum of the LP it is tried on.
#[test]
fn kept_bases_prove_soundly_over_the_same_and_more_rows() {
    use crate::kernel::float_box::proves_empty_sparse;
    let mut next = uniform(2024);
    let (d, m) = (5, 20);
    let bx = FloatBox::of_box(&vec![(q(-1), q(1)); d]);
    let (mut nearby, mut tried) = (0, 0);
    for _ in 0..60 {
        let rows = random_rows(&mut next, d, m + 2, (0.05, 0.3));
        let parent: Vec<&Halfspace> = rows[..m].iter().collect();
        let child: Vec<&Halfspace> = rows.iter().collect();
        let (lp, child_lp) = (BoxLp::new(&parent, &bx).unwrap(), BoxLp::new(&child, &bx).unwrap());
        let g: Vec<f64> = (0..d).map(|_| next()).collect();
        let mut kept = None;
        let opt =
            lp.minimize_or_prove_keeping(&g, f64::INFINITY, &mut |_| false, Some(&mut kept)).unwrap_err();
        let (opt, kept) = (opt.unwrap(), kept.expect("a basis kept in five dimensions"));
        for (over, refs) in [(&lp, &parent), (&child_lp, &child)] {
            let above = opt.value - 1e-9;
            let proved = over.prove_by_any([kept].iter(), &g, above, &mut |y| {
                proves_empty_sparse(refs, &g, above, y, &bx)
            });
            assert!(proved, "the optimum's basis proves its own cost");
        }
        // other costs: nearby ones (the same basis often optimal) and random ones
        for scale in [1e-3, 1.0] {
            let h: Vec<f64> = g.iter().map(|v| v + scale * next()).collect();
            for (over, refs) in [(&lp, &parent), (&child_lp, &child)] {
                let min = over.minimize(&h).unwrap().value;
                for above in [min - 1e-6, min - 1e-12, min, min + 1e-6] {
                    tried += 1;
                    let prove = &mut |y: &[(usize, f64)]| proves_empty_sparse(refs, &h, above, y, &bx);
                    if over.prove_by_any([kept].iter(), &h, above, prove) {
                        assert!(above < min + 1e-9, "proved {above} past the minimum {min}");
                        nearby += usize::from(scale < 1.0);
                    }
                }
            }
        }
    }
    assert!(nearby > 0 && tried > 0, "no nearby cost proved from a kept basis");
}
