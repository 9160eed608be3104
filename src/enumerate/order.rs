//! The order in which the two children of a split are explored, for runs with a pruning test
//! ([`super::Prune`], the property search of `vnnlib`): each child is asked of the test as it
//! is made, not when it is popped, and the kept children are pushed so that the one the test
//! scores lower (nearer its target: for `vnnlib`, the more room left to reach the unsafe set)
//! is explored first; a tie keeps the plain order (the off side first).
//!
//! This changes which of the kept subtrees comes first, never which are kept: each child is
//! asked once either way, with the same states and rows (its `asked` flag spares the test again
//! when it is popped). A run without a pruning test (counting, `regions`) pushes as before.

use super::{Context, Partial};

/// Pushes the children of a split onto the depth-first stack: the one to explore first last.
pub(super) fn push_children(ctx: &Context<'_>, stack: &mut Vec<Partial>, off: Partial, on: Partial) {
    let Some(prune) = ctx.prune else {
        stack.push(on);
        stack.push(off);
        return;
    };
    let score = |p: &Partial| {
        let mut states: Vec<&[bool]> = p.pattern.iter().map(Vec::as_slice).collect();
        states.push(&p.bits);
        let score = prune.score(&states, &p.constraints.neuron_rows());
        if score.is_none() {
            ctx.discarded.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        }
        score
    };
    let kept: Vec<(f64, Partial)> = [off, on]
        .into_iter()
        .filter_map(|mut p| {
            let s = score(&p)?;
            p.asked = true;
            Some((s, p))
        })
        .collect();
    match <[_; 2]>::try_from(kept) {
        // the lower score explored first, so pushed last (a tie or NaN: the off side first)
        Ok([(s_off, off), (s_on, on)]) => {
            if s_on < s_off {
                stack.push(off);
                stack.push(on);
            } else {
                stack.push(on);
                stack.push(off);
            }
        }
        Err(kept) => stack.extend(kept.into_iter().map(|(_, p)| p)),
    }
}
