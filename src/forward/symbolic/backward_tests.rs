//! The back-substituted bounds (module `backward`): what they prove beyond the forward forms,
//! and that their forms stay below the objective at every point of the cell, exactly.
use super::tests::{q, random_layer, square_grid};
use super::*;
use crate::exact::num::from_f64_exact;
use crate::exact::rng::SplitMix;
use crate::network::json::read_network;

/// `y = relu(v + 1) - relu(v + 1)` with `v = relu(x)` on `[-1, 1]`: `y = 0` everywhere. The
/// forward forms bound the two terms apart (`v`'s lower form against its upper one: `y >= -1`
/// at best), the backward pass cancels them in the total coefficient of `v`: `y <= -1/1000` is
/// excluded, `y <= 0` is not.
#[test]
fn back_substitution_cancels_what_the_forward_forms_cannot() {
    let net = read_network(
        r#"{"input_dim": 1, "layers": [
            {"weights": [["1"]], "activation": "relu"},
            {"weights": [["1"], ["1"]], "bias": ["1", "1"], "activation": "relu"},
            {"weights": [["1", "-1"]], "activation": "linear"}]}"#,
        "t",
    )
    .unwrap();
    let bounds = SymbolicBounds::new(&net, &[(q("-1"), q("1"))]);
    let y = bounds.objective(&[q("1")]);
    let (below, zero) = (q("-1/1000"), q("0"));
    let found = bounds.bound(&[], &[(&y, &below, false), (&y, &zero, false)], None);
    assert_eq!(found[0], ConstraintBound::Excluded);
    assert_ne!(found[1], ConstraintBound::Excluded);
    // the forward forms alone leave y <= -1/1000 open
    let (values, _) = bounds.propagate(&bounds.frame, &[]).unwrap();
    assert!(bounds.bound_one(&bounds.frame, &values, None, &y, &below, false) != ConstraintBound::Excluded);
}

/// Random nets of three ReLU layers on `[-1, 1]^2` with the states of a random grid point
/// fixed up to a random depth: the back-substituted form `a . x + a_d` is at most `c . y` at
/// every grid point of the cell, in exact arithmetic; and it is often strictly better over the
/// box than the forward form (the pass is exercised, not bypassed).
#[test]
fn back_substituted_forms_stay_below_the_objective_in_the_cell() {
    let mut rng = SplitMix(23);
    let small = |rng: &mut SplitMix| Q::new(((rng.next_u64() % 9) as i64 - 4).into(), 3.into());
    let grid = square_grid(5);
    let (mut tighter, mut checked) = (0, 0);
    for _ in 0..40 {
        let text = format!(
            r#"{{"input_dim": 2, "layers": [{}, {}, {}, {}]}}"#,
            random_layer(&mut rng, small, 2, 4, "relu"),
            random_layer(&mut rng, small, 4, 4, "relu"),
            random_layer(&mut rng, small, 4, 3, "relu"),
            random_layer(&mut rng, small, 3, 2, "linear")
        );
        let net = read_network(&text, "t").unwrap();
        let bounds = SymbolicBounds::new(&net, &[(q("-1"), q("1")), (q("-1"), q("1"))]);
        let c = [small(&mut rng), small(&mut rng)];
        let objective = bounds.objective(&c);
        let (pattern, _) = net.evaluate(&grid[(rng.next_u64() % grid.len() as u64) as usize]);
        let depth = (rng.next_u64() % 9) as usize;
        let states: Vec<Vec<bool>> =
            vec![pattern[0][..depth.min(4)].to_vec(), pattern[1][..depth.saturating_sub(4).min(4)].to_vec()];
        let refs: Vec<&[bool]> = states.iter().map(Vec::as_slice).collect();
        let f = &bounds.frame;
        let (values, steps) = bounds.propagate(f, &refs).unwrap();
        let steps = steps.expect("ReLU layers only");
        let (form, weight) =
            bounds.back_substitute(f, &steps, &values, &objective.weights, objective.constant).unwrap();
        let (forward, forward_weight) = bounds.forward_form(f, &values, &objective);
        let forward_min = bounds.minimum_weighted(f, &forward, forward_weight);
        tighter += usize::from(bounds.minimum_weighted(f, &form, weight) > forward_min + 1e-9);
        let a: Vec<Q> = form.iter().map(|v| from_f64_exact(*v).unwrap()).collect();
        for x in &grid {
            let (p, y) = net.evaluate(x);
            if states.iter().zip(&p).all(|(s, ps)| s[..] == ps[..s.len()]) {
                checked += 1;
                let cy: Q = c.iter().zip(&y).map(|(ck, yk)| ck * yk).sum();
                let lhs: Q = a[..2].iter().zip(x).map(|(ai, xi)| ai * xi).sum::<Q>() + &a[2];
                assert!(lhs <= cy, "the form exceeds c y = {cy} at {x:?} in the cell of {states:?}: {text}");
            }
        }
    }
    assert!(tighter >= 5 && checked >= 500, "too few tighter forms ({tighter}) or points ({checked})");
}
