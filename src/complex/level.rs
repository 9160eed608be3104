//! Level sets and decision boundaries as subcomplexes. The network is augmented with one last
//! ReLU layer: the neuron `y_k - c` for a level, or `y_i - y_j` (`i < j`) for the argmax ties;
//! the augmented complex refines the original one by the level's bent hyperplane, and the level
//! set `{y_k = c}` is the union of its faces where that neuron's sign is `0` (a closed
//! subcomplex; a region on which `y_k = c` identically is one of its d-dimensional faces). The
//! decision regions `{y_k >= c}`, `{y_k <= c}` or `{argmax = i}` are closed subcomplexes too.
//!
//! Betti numbers over GF(2) under three conventions at infinity (docs/algorithm.md):
//! - `set`: the set itself; when it is unbounded, the union of its bounded faces when every
//!   face is pointed (homotopy equivalent to it, and to its truncation by any box holding every
//!   vertex: `complex::truncation`), else its truncation by the box `[-R, R]^d`;
//! - `borel_moore`: the chains of its open cells (the one-point compactification relative to
//!   the point at infinity);
//! - `one_point`: its closure in the sphere `R^d + {infinity}` (the set itself when bounded).

use super::faces::{complex, Complex};
use super::homology::{betti, with_point_at_infinity, Chains};
use super::truncation::Truncation;
use super::ComplexError;
use crate::enumerate::Enumerator;
use crate::exact::num::{q, Q};
use crate::network::{Activation, Layer, Network, Weights};
use num_traits::Zero;

/// Which set is the boundary.
#[derive(Debug, Clone, PartialEq)]
pub enum LevelSpec {
    /// `{y_output = level}`.
    Level {
        /// The output index.
        output: usize,
        /// The level `c`.
        level: Q,
    },
    /// Where the argmax of the outputs is not unique.
    Classes,
}

/// Betti numbers over GF(2) under the three conventions at infinity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Betti {
    /// The set itself (its truncation at a large box when unbounded).
    pub set: Vec<usize>,
    /// Borel-Moore homology.
    pub borel_moore: Vec<usize>,
    /// The one-point compactification (the set itself when bounded).
    pub one_point: Vec<usize>,
    /// Over Q, with the 2-torsion over Z, under the same three conventions (`None` where the
    /// face poset does not fix the incidence numbers: [`super::rational`]).
    pub rational: [Option<super::rational::Rational>; 3],
}

/// A connected component of a decision region.
#[derive(Debug, Clone, PartialEq)]
pub struct Component {
    /// A point of it (of one of its highest-dimensional cells, relative interior).
    pub point: Vec<Q>,
    /// Its dimension (of its highest-dimensional cell).
    pub dim: usize,
    /// How many d-dimensional cells (regions of the augmented network) it holds.
    pub regions: usize,
}

/// A decision region with its components and Betti numbers.
#[derive(Debug, Clone, PartialEq)]
pub struct DecisionRegion {
    /// What it is: `"y_k >= c"`, `"y_k <= c"` or `"argmax = i"`.
    pub name: String,
    /// Its connected components.
    pub components: Vec<Component>,
    /// Its Betti numbers.
    pub betti: Betti,
}

/// The boundary (level set or argmax ties) with its topology.
#[derive(Debug, Clone)]
pub struct Boundary {
    /// What was asked.
    pub spec: LevelSpec,
    /// The complex of the augmented network (its faces are the cells referred to by id).
    pub complex: Complex,
    /// The ids of the faces of the boundary set, ascending.
    pub cells: Vec<usize>,
    /// Its maximal cells (in no other cell's closure).
    pub top_cells: Vec<usize>,
    /// Its d-dimensional cells: regions on which the level holds identically.
    pub full_dimensional: Vec<usize>,
    /// Its f-vector (open cells), `f_0 .. f_d`.
    pub f_vector: Vec<usize>,
    /// `sum (-1)^k f_k`, equal to the alternating sum of the Borel-Moore Betti numbers (checked).
    pub euler_characteristic: i64,
    /// Its Betti numbers.
    pub betti: Betti,
    /// The decision regions.
    pub decision: Vec<DecisionRegion>,
    /// The box half-width of the truncation, when one was needed.
    pub truncation: Option<Q>,
}

/// The network with the boundary's neurons as a last ReLU layer.
fn augmented(net: &Network, spec: &LevelSpec) -> Result<Network, ComplexError> {
    let m = net.output_dim();
    let row = |i: usize, j: Option<usize>| {
        let mut r = vec![Q::zero(); m];
        r[i] = q(1);
        if let Some(j) = j {
            r[j] = q(-1);
        }
        r
    };
    let (rows, bias): (Vec<Vec<Q>>, Vec<Q>) = match spec {
        LevelSpec::Level { output, level } => {
            if *output >= m {
                return Err(ComplexError::Unsupported(format!(
                    "output {output} does not exist (the network has {m} output{})",
                    if m == 1 { "" } else { "s" }
                )));
            }
            (vec![row(*output, None)], vec![-level.clone()])
        }
        LevelSpec::Classes => {
            if m < 2 {
                return Err(ComplexError::Unsupported(format!(
                    "ties of the argmax need two outputs or more, the network has {m}"
                )));
            }
            let pairs: Vec<Vec<Q>> =
                (0..m).flat_map(|i| (i + 1..m).map(move |j| (i, j))).map(|(i, j)| row(i, Some(j))).collect();
            let n = pairs.len();
            (pairs, vec![Q::zero(); n])
        }
    };
    let mut layers = net.layers().to_vec();
    layers.push(Layer { weights: Weights::from_dense_rows(rows), bias, activation: Activation::Relu });
    Network::new(net.input_dim(), layers, net.domain().clone())
        .map_err(|e| ComplexError::Unsupported(e.to_string()))
}

/// Which faces belong to a set, from the signs of the boundary's neurons (`signs`: the last
/// entries of the neurons' part of the key).
type Member = Box<dyn Fn(&[i8]) -> bool>;

/// The boundary set and the decision regions of `spec`, by the signs of the added layer.
fn members(spec: &LevelSpec, m: usize, level: &Q) -> (Member, Vec<(String, Member)>) {
    match spec {
        LevelSpec::Level { output, .. } => {
            let c = crate::exact::num::fmt_q(level);
            (
                Box::new(|s: &[i8]| s[0] == 0),
                vec![
                    (format!("y_{output} >= {c}"), Box::new(|s: &[i8]| s[0] >= 0) as Member),
                    (format!("y_{output} <= {c}"), Box::new(|s: &[i8]| s[0] <= 0) as Member),
                ],
            )
        }
        LevelSpec::Classes => {
            let pair = move |i: usize, j: usize| -> usize {
                // index of (min, max) among the pairs i < j in order
                let (a, b) = (i.min(j), i.max(j));
                a * m - a * (a + 1) / 2 + (b - a - 1)
            };
            let is_max = move |s: &[i8], i: usize| {
                (0..m).filter(|&j| j != i).all(|j| {
                    let v = s[pair(i, j)];
                    if i < j {
                        v >= 0
                    } else {
                        v <= 0
                    }
                })
            };
            let ties = Box::new(move |s: &[i8]| (0..m).filter(|&i| is_max(s, i)).count() >= 2) as Member;
            let regions = (0..m)
                .map(|i| (format!("argmax = {i}"), Box::new(move |s: &[i8]| is_max(s, i)) as Member))
                .collect();
            (ties, regions)
        }
    }
}

/// The chains of a complex.
fn chains(c: &Complex) -> Chains {
    Chains {
        dims: c.faces.iter().map(|f| f.dim).collect(),
        boundary: c.faces.iter().map(|f| f.boundary.clone()).collect(),
    }
}

/// The level set or argmax ties of `net` with every topological figure, each identity
/// checked (the Euler characteristic from the f-vector and from the Betti numbers, the
/// components against `b_0`).
///
/// # Examples
/// ```
/// use relu_regions::complex::{boundary, LevelSpec};
/// use relu_regions::{exact::num::q, Enumerator, Network};
/// // |x| + |y| = 1 in the box [-2, 2]^2: a diamond, one loop
/// let net = Network::from_json(r#"{"input_dim": 2, "domain": {"box": [["-2", "2"], ["-2", "2"]]}, "layers": [
///     {"weights": [["1", "0"], ["-1", "0"], ["0", "1"], ["0", "-1"]], "activation": "relu"},
///     {"weights": [["1", "1", "1", "1"]], "bias": ["-1"], "activation": "linear"}]}"#).unwrap();
/// let b = boundary(&net, &LevelSpec::Level { output: 0, level: q(0) }, &Enumerator::builder().build()).unwrap();
/// assert_eq!(b.betti.set, [1, 1]);
/// assert_eq!(b.f_vector, [4, 4, 0]);
/// ```
pub fn boundary(net: &Network, spec: &LevelSpec, enumerator: &Enumerator) -> Result<Boundary, ComplexError> {
    boundary_with(net, spec, enumerator, true)
}

/// [`boundary`], with the `set` convention of an unbounded set taken on its bounded faces
/// when the complex is pointed (`by_bounded_faces`), or always on a truncated complex.
pub(crate) fn boundary_with(
    net: &Network,
    spec: &LevelSpec,
    enumerator: &Enumerator,
    by_bounded_faces: bool,
) -> Result<Boundary, ComplexError> {
    let d = net.input_dim();
    let aug = augmented(net, spec)?;
    let full = complex(&aug, enumerator)?;
    let added = aug.layers().last().map_or(0, Layer::width);
    let level = match spec {
        LevelSpec::Level { level, .. } => level.clone(),
        LevelSpec::Classes => Q::zero(),
    };
    let (in_set, regions) = members(spec, net.output_dim(), &level);
    let neurons = full.widths.iter().sum::<usize>();
    let signs = |key: &[i8]| -> Vec<i8> { key[neurons - added..neurons].to_vec() };
    let all = chains(&full);
    let keep = |c: &Complex, f: &Member| -> Vec<bool> {
        let n: usize = c.widths.iter().sum();
        c.faces.iter().map(|x| f(&x.sign[n - added..n])).collect()
    };
    let set_mask = keep(&full, &in_set);
    let _ = signs;
    let truncation = super::truncation::plan(&aug, &full, enumerator, by_bounded_faces)?;
    let topology =
        |mask: &[bool], boxed_mask: Option<Vec<bool>>, top: usize| -> Result<Betti, ComplexError> {
            let open = Chains::restricted(&all, |i| mask[i]);
            let borel_moore = betti(&open, top);
            let unbounded = full.faces.iter().zip(mask).any(|(f, &m)| m && !f.bounded);
            let cut = match (&truncation, boxed_mask) {
                (Truncation::Boxed(b, _), Some(bm)) if unbounded => {
                    Some(Chains::restricted(&chains(b), |i| bm[i]))
                }
                (Truncation::Bounded(_), _) if unbounded => {
                    Some(Chains::restricted(&all, |i| mask[i] && full.faces[i].bounded))
                }
                _ => None,
            };
            let (set, one_point, cut) = match cut {
                Some(cut) => {
                    let set = betti(&cut, top);
                    check_euler(&cut, &set, "the truncated set")?;
                    (set, betti(&with_point_at_infinity(&open), top), Some(cut))
                }
                _ => (borel_moore.clone(), borel_moore.clone(), None),
            };
            check_euler(&open, &borel_moore, "the set's open cells (Borel-Moore)")?;
            let rational = match cut {
                Some(cut) => [
                    rational(&cut, top, &set)?,
                    rational(&open, top, &borel_moore)?,
                    rational(&with_point_at_infinity(&open), top, &one_point)?,
                ],
                None => {
                    let r = rational(&open, top, &borel_moore)?;
                    [r.clone(), r.clone(), r]
                }
            };
            Ok(Betti { set, borel_moore, one_point, rational })
        };
    let top_of = |mask: &[bool]| -> usize {
        let has_d = full.faces.iter().zip(mask).any(|(f, &m)| m && f.dim == d);
        if has_d {
            d
        } else {
            d.saturating_sub(1)
        }
    };
    let boxed_mask = |f: &Member| match &truncation {
        Truncation::Boxed(b, _) => Some(keep(b, f)),
        _ => None,
    };
    let top = top_of(&set_mask);
    let set_betti = topology(&set_mask, boxed_mask(&in_set), top)?;
    let cells: Vec<usize> = (0..full.faces.len()).filter(|&i| set_mask[i]).collect();
    let mut covered = vec![false; full.faces.len()];
    for &i in &cells {
        full.faces[i].boundary.iter().for_each(|&b| covered[b] = true);
    }
    let top_cells = cells.iter().copied().filter(|&i| !covered[i]).collect();
    let full_dimensional = cells.iter().copied().filter(|&i| full.faces[i].dim == d).collect();
    let mut f_vector = vec![0; d + 1];
    cells.iter().for_each(|&i| f_vector[full.faces[i].dim] += 1);
    let euler_characteristic =
        f_vector.iter().enumerate().map(|(k, &f)| if k % 2 == 0 { f as i64 } else { -(f as i64) }).sum();
    let mut decision = Vec::new();
    for (name, member) in &regions {
        let mask = keep(&full, member);
        let betti = topology(&mask, boxed_mask(member), d)?;
        let components = components(&full, &mask);
        if components.len() != betti.set[0] {
            return Err(ComplexError::identity(format!(
                "{name}: {} components but b_0 = {}",
                components.len(),
                betti.set[0]
            )));
        }
        decision.push(DecisionRegion { name: name.clone(), components, betti });
    }
    Ok(Boundary {
        spec: spec.clone(),
        complex: full,
        cells,
        top_cells,
        full_dimensional,
        f_vector,
        euler_characteristic,
        betti: set_betti,
        decision,
        truncation: truncation.radius(),
    })
}

/// The alternating sums of the cells and of the Betti numbers agree.
/// Betti numbers over Q and 2-torsion, checked: the Euler characteristic from them equals the
/// cells', and `b_k(GF(2)) = b_k(Q) + t_k + t_(k-1)` (by construction of `t`).
fn rational(
    c: &Chains,
    top: usize,
    gf2: &[usize],
) -> Result<Option<super::rational::Rational>, ComplexError> {
    let Some(r) = super::rational::rational_betti_given(c, top, gf2) else { return Ok(None) };
    check_euler(c, &r.betti, "over Q")?;
    debug_assert_eq!(r.betti.len(), gf2.len());
    Ok(Some(r))
}

fn check_euler(c: &Chains, b: &[usize], what: &str) -> Result<(), ComplexError> {
    let from_betti: i64 =
        b.iter().enumerate().map(|(k, &v)| if k % 2 == 0 { v as i64 } else { -(v as i64) }).sum();
    if from_betti != c.euler() {
        return Err(ComplexError::identity(format!(
            "{what}: the Euler characteristic is {} from the cells and {from_betti} from the Betti numbers {b:?}",
            c.euler()
        )));
    }
    Ok(())
}

/// The connected components of the closed set of the faces in `mask` (union-find over the
/// incidences), each with a point of its first highest-dimensional cell.
fn components(c: &Complex, mask: &[bool]) -> Vec<Component> {
    let n = c.faces.len();
    let mut parent: Vec<usize> = (0..n).collect();
    fn find(p: &mut [usize], mut x: usize) -> usize {
        while p[x] != x {
            p[x] = p[p[x]];
            x = p[x];
        }
        x
    }
    for f in c.faces.iter().filter(|f| mask[f.id]) {
        for &b in &f.boundary {
            let (x, y) = (find(&mut parent, f.id), find(&mut parent, b));
            if x != y {
                parent[x.max(y)] = x.min(y);
            }
        }
    }
    let mut by_root: std::collections::BTreeMap<usize, (usize, usize)> = Default::default();
    let d = c.input_dim;
    for f in c.faces.iter().filter(|f| mask[f.id]) {
        let root = find(&mut parent, f.id);
        let entry = by_root.entry(root).or_insert((f.id, 0));
        if f.dim > c.faces[entry.0].dim {
            entry.0 = f.id;
        }
        if f.dim == d {
            entry.1 += 1;
        }
    }
    by_root
        .values()
        .map(|&(best, regions)| Component {
            point: c.faces[best].point.to_vec(),
            dim: c.faces[best].dim,
            regions,
        })
        .collect()
}
