//! A neuron side's float row, formed for every side of every decision (millions in a run):
//! written into a stack buffer in few dimensions instead of a new vector.

/// The input dimensions up to which a side's float row is kept on the stack.
pub(super) const SIDE_ON_STACK: usize = 16;

/// The float side of `c . x + e` (on: `-c . x <= e`, off: `c . x <= -e`), its row written into
/// `stack` when it fits, else into `heap`.
pub(super) fn side_floats_into<'s>(
    (c, e): (&[f64], f64),
    on: bool,
    stack: &'s mut [f64; SIDE_ON_STACK],
    heap: &'s mut Vec<f64>,
) -> (&'s [f64], f64) {
    let out: &mut [f64] = if c.len() <= SIDE_ON_STACK {
        &mut stack[..c.len()]
    } else {
        heap.resize(c.len(), 0.0);
        heap
    };
    if on {
        out.iter_mut().zip(c).for_each(|(o, v)| *o = -v);
        (out, e)
    } else {
        out.copy_from_slice(c);
        (out, -e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A side's float row written on the stack (few dimensions) or on the heap (more than
    /// [`SIDE_ON_STACK`]) is the row negated for on and as it is for off, with the offset's
    /// sign the other way round, and nothing beyond the row's length.
    #[test]
    fn side_floats_on_the_stack_and_on_the_heap() {
        for n in [0, 1, 5, SIDE_ON_STACK, SIDE_ON_STACK + 1, 40] {
            let c: Vec<f64> = (0..n).map(|j| j as f64 - 2.5).collect();
            let (mut stack, mut heap) = ([7.0; SIDE_ON_STACK], Vec::new());
            let (off, off_b) = side_floats_into((&c, 1.5), false, &mut stack, &mut heap);
            assert_eq!((off.to_vec(), off_b), (c.clone(), -1.5));
            let (mut stack, mut heap) = ([7.0; SIDE_ON_STACK], Vec::new());
            let (on, on_b) = side_floats_into((&c, 1.5), true, &mut stack, &mut heap);
            assert_eq!((on.to_vec(), on_b), (c.iter().map(|v| -v).collect::<Vec<_>>(), 1.5));
            // the stack is used exactly when the row fits
            assert_eq!(heap.is_empty(), n <= SIDE_ON_STACK || n == 0);
        }
    }
}
