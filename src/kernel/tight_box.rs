//! A region's box tightened by its own rows, proved: a cheaper interval bound than a bound LP.
//!
//! A region `R = {A x <= b} ∩ B0` (`B0` the box that already holds it, a box domain's) is
//! usually far smaller than `B0`: ACAS Xu at width 0.05 enters its last ReLU layer in 6,946
//! regions, and about half of the sides that the interval bound over `B0` leaves to a bound LP
//! miss the box that a few rounds of bound propagation over `R`'s rows give. The propagation
//! (each row `a . x <= b` bounds `a_j x_j <= b - sum_(k != j) min(a_k lo_k, a_k hi_k)`) is
//! run in plain floats and only *proposes* the box `B` (each face widened a little); each
//! tightened face is then proved with the safe dual bound of [`kernel::float_box`], the row that
//! gave it as the certificate (multiplier `1 / |a_j|`), over `B` itself.
//!
//! Proving `B`'s faces over `B` is not circular: if every tightened face is proved strict on
//! `R ∩ B` (`x_j < hi_j` for every `x` in `R ∩ B`) and `R ∩ B` holds a point `p`, then `R ⊆ B`.
//! Otherwise take `y` in `R` outside `B`: the segment from `p` to `y` lies in `R` (convex) and
//! leaves `B` through a face at some `z` in `R ∩ B` with `z_j = hi_j`, which the proof excludes.
//! (A face left at `B0`'s bound cannot be crossed: `y` is in `B0`.) The point is the region's
//! own interior point, checked inside `B` by its image with the kernel's error model.
//!
//! A face whose proof fails is put back to `B0`'s bound and the faces are proved again (a face
//! proved over a box stays proved over a smaller one, not a larger one); `None` when nothing
//! tightened or the point check fails.

use crate::kernel::float_box::FloatBox;
use crate::kernel::halfspace::Halfspace;
use crate::kernel::{safe_lower_bound_exceeds, ETA, UNIT_ROUNDOFF};

/// Rounds of bound propagation over the rows (from an ancestor's box, two settle most).
const ROUNDS: usize = 2;

/// How far a proposed face is moved out, relative to `B0`'s width in that coordinate, so that
/// its proof has room for the rounding of the propagation.
const WIDEN: f64 = 1e-7;

/// A tightened face: the coordinate, `true` for the upper bound, and the row that proposed it.
#[derive(Debug, Clone, Copy)]
struct Face {
    j: usize,
    upper: bool,
    row: usize,
}

/// The box of `R = rows ∩ outer` tightened by bound propagation over the rows and proved (the
/// module's docs), or `None` when no face tightened or it could not be proved. `point` is the
/// image ([`crate::kernel::image`]) of a point of `R`.
pub(crate) fn tightened_box(rows: &[&Halfspace], outer: &FloatBox, point: &[f64]) -> Option<FloatBox> {
    let d = outer.dim();
    if d == 0 || point.len() != d {
        return None;
    }
    let (olo, ohi): (Vec<f64>, Vec<f64>) = (0..d).map(|j| (outer.lo(j), outer.hi(j))).unzip();
    let (mut lo, mut hi) = (olo.clone(), ohi.clone());
    // the row that last tightened each bound
    let (mut lo_row, mut hi_row) = (vec![usize::MAX; d], vec![usize::MAX; d]);
    for _ in 0..ROUNDS {
        let mut moved = false;
        for (r, row) in rows.iter().enumerate() {
            let (a, b) = (row.float_a(), row.float_b());
            let low_sum: f64 =
                a.iter().zip(lo.iter().zip(&hi)).map(|(&ak, (&l, &h))| (ak * l).min(ak * h)).sum();
            if !low_sum.is_finite() || !b.is_finite() {
                continue;
            }
            for j in 0..d {
                let aj = a[j];
                if aj == 0.0 {
                    continue;
                }
                let room = b - (low_sum - (aj * lo[j]).min(aj * hi[j]));
                // divided only when it tightens
                if aj > 0.0 && room < aj * hi[j] {
                    let t = room / aj;
                    if t.is_finite() && t < hi[j] {
                        hi[j] = t.max(lo[j]);
                        hi_row[j] = r;
                        moved = true;
                    }
                } else if aj < 0.0 && room < aj * lo[j] {
                    let t = room / aj;
                    if t.is_finite() && t > lo[j] {
                        lo[j] = t.min(hi[j]);
                        lo_row[j] = r;
                        moved = true;
                    }
                }
            }
        }
        if !moved {
            break;
        }
    }
    // the proposed faces, moved out; a face that would reach the outer box stays the outer one
    let mut faces = Vec::with_capacity(2 * d);
    for j in 0..d {
        let margin = WIDEN * (ohi[j] - olo[j]).abs();
        let (l, h) = (lo[j] - margin, hi[j] + margin);
        lo[j] = olo[j];
        hi[j] = ohi[j];
        if lo_row[j] != usize::MAX && l > olo[j] && l.is_finite() {
            lo[j] = l;
            faces.push(Face { j, upper: false, row: lo_row[j] });
        }
        if hi_row[j] != usize::MAX && h < ohi[j] && h.is_finite() {
            hi[j] = h;
            faces.push(Face { j, upper: true, row: hi_row[j] });
        }
    }
    let mut g = vec![0.0; d];
    loop {
        if faces.is_empty() {
            return None;
        }
        let failed = faces.iter().position(|f| !face_proved(rows[f.row], f, (&lo, &hi), &mut g));
        match failed {
            None => break,
            Some(k) => {
                let f = faces.swap_remove(k);
                if f.upper {
                    hi[f.j] = ohi[f.j];
                } else {
                    lo[f.j] = olo[f.j];
                }
            }
        }
    }
    // the point, by its image, strictly inside every tightened face
    let inside = faces.iter().all(|f| {
        let (x, face) = (point[f.j], if f.upper { hi[f.j] } else { lo[f.j] });
        let slack = 8.0 * UNIT_ROUNDOFF * (x.abs() + face.abs()) + 4.0 * ETA;
        if f.upper {
            x + slack < face
        } else {
            x - slack > face
        }
    });
    inside.then(|| FloatBox::new(lo, hi))
}

/// Whether the face `f` of the box `(lo, hi)` is proved strict on `row ∩ box` by the safe dual
/// bound with the row's multiplier `1 / |a_j|`: `x_j < hi_j` (upper) or `x_j > lo_j`.
fn face_proved(row: &Halfspace, f: &Face, (lo, hi): (&[f64], &[f64]), g: &mut [f64]) -> bool {
    let aj = row.float_a()[f.j];
    if (f.upper && aj <= 0.0) || (!f.upper && aj >= 0.0) {
        return false;
    }
    let y = 1.0 / aj.abs();
    g.fill(0.0);
    // upper: `-x_j <= -hi_j` has no point; lower: `x_j <= lo_j` has none
    let (gj, beta) = if f.upper { (-1.0, -hi[f.j]) } else { (1.0, lo[f.j]) };
    g[f.j] = gj;
    let proved = safe_lower_bound_exceeds([(row.float_a(), row.float_b())], (lo, hi), g, beta, Some(&[y]));
    g[f.j] = 0.0;
    proved
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exact::num::{parse_rational, q, to_f64, Q};
    use proptest::prelude::*;

    fn rational(text: &str) -> Q {
        parse_rational(text).unwrap()
    }

    /// A triangle in the corner of the unit square: its box is proved, holds it, and is much
    /// smaller than the square.
    #[test]
    fn a_corner_triangle_gets_its_own_box() {
        let outer = FloatBox::new(vec![0.0, 0.0], vec![1.0, 1.0]);
        // x + y <= 1/4
        let row = Halfspace::new(vec![q(1), q(1)], rational("1/4"));
        let bx = tightened_box(&[&row], &outer, &[0.05, 0.05]).expect("tightened");
        for j in 0..2 {
            assert_eq!(bx.lo(j), 0.0, "the outer lower bound stays");
            assert!(bx.hi(j) >= 0.25 && bx.hi(j) < 0.2501, "{}", bx.hi(j));
        }
    }

    /// A row that cuts nothing off the box tightens nothing: no box.
    #[test]
    fn a_loose_row_gives_no_box() {
        let outer = FloatBox::new(vec![0.0, 0.0], vec![1.0, 1.0]);
        let row = Halfspace::new(vec![q(1), q(1)], q(3));
        assert!(tightened_box(&[&row], &outer, &[0.5, 0.5]).is_none());
    }

    /// A point outside the proposed box (not a point of the region) is refused: the argument
    /// needs a point of `R` inside the box.
    #[test]
    fn a_point_outside_is_refused() {
        let outer = FloatBox::new(vec![0.0, 0.0], vec![1.0, 1.0]);
        let row = Halfspace::new(vec![q(1), q(0)], rational("1/4"));
        assert!(tightened_box(&[&row], &outer, &[0.1, 0.5]).is_some());
        assert!(tightened_box(&[&row], &outer, &[0.9, 0.5]).is_none());
    }

    /// Rows whose ratio of coefficients is huge (the propagation's rounding amplified in the
    /// face's proof) and a row that touches the box only at its edge: whatever box comes back
    /// holds the region's vertices, exactly.
    #[test]
    fn steep_and_touching_rows_stay_sound() {
        let outer = FloatBox::new(vec![-1.0, -1.0], vec![1.0, 1.0]);
        // 1e-12 x + y <= -1 + 1e-13 (touches y = -1 only), and x <= 0
        let a = Halfspace::new(vec![rational("1e-12"), q(1)], rational("-9999999999999/10000000000000"));
        let b = Halfspace::new(vec![q(1), q(0)], q(0));
        if let Some(bx) = tightened_box(&[&a, &b], &outer, &[-0.5, -0.9999999999999]) {
            // the region's vertices: (-1, -1), (-1, -1 + 1e-13 + 1e-12), (0, -1 + 1e-13)... all
            // its points have y <= -1 + 1e-13 + 1e-12 and x in [-1, 0]
            assert!(bx.hi(0) >= 0.0 && bx.lo(0) <= -1.0 && bx.lo(1) <= -1.0);
            assert!(to_f64(&rational("-0.9999999999989")) <= bx.hi(1));
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

        /// The proved box holds every point of the region: triangles of exact rational rows
        /// inside a box, the region's vertices computed exactly (brute force over pairs of
        /// rows and box faces), each checked inside the proved box exactly.
        #[test]
        fn the_proved_box_holds_every_vertex(
            rows in proptest::collection::vec((-50i64..=50, -50i64..=50, -60i64..=60), 1..5),
            scale in prop_oneof![Just(1i64), Just(1000), Just(1_000_000_000)],
        ) {
            // the box [-1, 1]^2 scaled down by `scale`
            let s = Q::new(1.into(), scale.into());
            let bounds = [(-s.clone(), s.clone()), (-s.clone(), s.clone())];
            let outer = FloatBox::of_box(&bounds);
            let halfspaces: Vec<Halfspace> = rows
                .iter()
                .map(|&(a, b, c)| Halfspace::new(vec![q(a), q(b)], Q::new(c.into(), (10 * scale).into())))
                .collect();
            // every line: the rows' and the box's faces, `u . x = w`
            let mut lines: Vec<([Q; 2], Q)> = halfspaces.iter().map(|h| ([h.a[0].clone(), h.a[1].clone()], h.b.clone())).collect();
            for j in 0..2 {
                let mut e = [q(0), q(0)];
                e[j] = q(1);
                lines.push((e.clone(), bounds[j].1.clone()));
                lines.push(([-&e[0], -&e[1]], -&bounds[j].0));
            }
            let inside = |x: &[Q; 2]| lines.iter().all(|(u, w)| &u[0] * &x[0] + &u[1] * &x[1] <= *w);
            let mut vertices = Vec::new();
            for i in 0..lines.len() {
                for k in i + 1..lines.len() {
                    let (u, w) = &lines[i];
                    let (v, z) = &lines[k];
                    let det = &u[0] * &v[1] - &u[1] * &v[0];
                    if det == q(0) {
                        continue;
                    }
                    let x = [(w * &v[1] - &u[1] * z) / &det, (&u[0] * z - w * &v[0]) / &det];
                    if inside(&x) {
                        vertices.push(x);
                    }
                }
            }
            prop_assume!(!vertices.is_empty());
            // a point of the region: the mean of its vertices
            let n = Q::from_integer((vertices.len() as i64).into());
            let mean = [
                vertices.iter().map(|v| v[0].clone()).sum::<Q>() / &n,
                vertices.iter().map(|v| v[1].clone()).sum::<Q>() / &n,
            ];
            let refs: Vec<&Halfspace> = halfspaces.iter().collect();
            if let Some(bx) = tightened_box(&refs, &outer, &[to_f64(&mean[0]), to_f64(&mean[1])]) {
                for v in &vertices {
                    for j in 0..2 {
                        let lo = crate::exact::num::from_f64_exact(bx.lo(j)).unwrap();
                        let hi = crate::exact::num::from_f64_exact(bx.hi(j)).unwrap();
                        // an outer face is the image of the exact bound: the exact one holds
                        let lo = if bx.lo(j) == outer.lo(j) { bounds[j].0.clone() } else { lo };
                        let hi = if bx.hi(j) == outer.hi(j) { bounds[j].1.clone() } else { hi };
                        prop_assert!(lo <= v[j] && v[j] <= hi, "vertex {:?} outside [{}, {}]", v, bx.lo(j), bx.hi(j));
                    }
                }
            }
        }
    }
}
