//! Every face of the complex: each region (with its certified facets from the facet pipeline)
//! is walked down its face lattice, a face's facets being the rows of its region that touch it
//! in a (k-1)-dimensional set (a certified relative-interior point each, in the face's own
//! exact affine frame). Faces are identified by sign vectors, so a face shared by many regions
//! is found once and its facets computed once. A walker holds each sign vector once, packed
//! (`complex::packed`), and the faces it found by their vertices as generator sets, their
//! points made only when the merge reads them (`complex::lattice`).

use super::frame::{distinct_rows, Frame};
use super::lattice::PointSource;
use super::packed::{pack_into, KeyIndex, Keys};
use super::point::FacePoint;
use super::sign::{SignKey, Signer};
use super::ComplexError;
use crate::analysis::facets::Facet;
use crate::analysis::FacetedRegion;
use crate::certify::Outcome;
use crate::certify::{find_strict_point, LpStats};
use crate::enumerate::region::Region;
use crate::enumerate::Enumerator;
use crate::exact::num::Q;
use crate::kernel::halfspace::Halfspace;
use crate::lp::LpBackend;
use crate::network::Network;
use std::sync::Arc;

/// One face of the complex: a relatively open convex set of one sign vector.
#[derive(Debug, Clone, PartialEq)]
pub struct Face {
    /// Its id: the position in [`Complex::faces`] (faces sorted by dimension, then sign).
    pub id: usize,
    /// Its dimension.
    pub dim: usize,
    /// Its sign vector ([`SignKey`]).
    pub sign: SignKey,
    /// An exact point in its relative interior (reduced when read: [`FacePoint::to_vec`]).
    pub point: FacePoint,
    /// Whether it is bounded.
    pub bounded: bool,
    /// The ids of its (dim-1)-faces (its facets), ascending.
    pub boundary: Vec<usize>,
}

/// The whole complex of a network on its domain.
#[derive(Debug, Clone)]
pub struct Complex {
    /// The input dimension.
    pub input_dim: usize,
    /// Every face, sorted by dimension then sign vector.
    pub faces: Vec<Face>,
    /// The width of each ReLU layer (how a sign vector splits into layers).
    pub widths: Vec<usize>,
    /// Number of domain rows at the end of each sign vector.
    pub domain_rows: usize,
    /// The enumeration and LP figures.
    pub stats: LpStats,
}

impl Complex {
    /// `f_k`: the number of faces of each dimension `0..=d`.
    ///
    /// # Examples
    /// ```
    /// use relu_regions::{complex::complex, Enumerator, Network};
    /// // relu(x), relu(y) on the box [-1, 1]^2: four squares
    /// let net = Network::from_json(r#"{"input_dim": 2, "domain": {"box": [["-1", "1"], ["-1", "1"]]},
    ///     "layers": [{"weights": [["1", "0"], ["0", "1"]], "activation": "relu"}]}"#).unwrap();
    /// let c = complex(&net, &Enumerator::builder().build()).unwrap();
    /// assert_eq!(c.f_vector(), [9, 12, 4]);
    /// assert_eq!(c.f_vector_bounded(), [9, 12, 4]);
    /// ```
    pub fn f_vector(&self) -> Vec<usize> {
        let mut f = vec![0; self.input_dim + 1];
        self.faces.iter().for_each(|x| f[x.dim] += 1);
        f
    }

    /// The f-vector of the bounded faces.
    ///
    /// See the example on [`Complex::f_vector`].
    pub fn f_vector_bounded(&self) -> Vec<usize> {
        let mut f = vec![0; self.input_dim + 1];
        self.faces.iter().filter(|x| x.bounded).for_each(|x| f[x.dim] += 1);
        f
    }

    /// `sum_k (-1)^k f_k`.
    ///
    /// See the example on [`Complex::f_vector`].
    pub fn euler_characteristic(&self) -> i64 {
        self.faces.iter().map(|f| if f.dim % 2 == 0 { 1 } else { -1 }).sum()
    }
}

/// A face as it is being found: ids are positions in discovery order (its sign vector is the
/// walker's key of the same number).
pub(super) struct Found {
    pub(super) dim: usize,
    pub(super) made: Made,
    pub(super) boundary: Vec<usize>,
    pub(super) done: bool,
}

/// How a face's point is made: given (the LP walk's, and a region's own point), or from the
/// generator set of a face found by its vertices ([`super::lattice`]), made only when the
/// merge reads it.
pub(super) enum Made {
    Point(Box<FacePoint>),
    Set(u32),
}

/// What one walker found: its faces (ids local to it) and their sign vectors (key `i` is face
/// `i`'s), what their points are made from, its LP figures, and how many of its regions went
/// by their vertices.
pub(super) struct Walked {
    pub(super) found: Vec<Found>,
    pub(super) keys: Keys,
    pub(super) points: PointSource,
    pub(super) stats: LpStats,
    pub(super) fast_regions: usize,
}

/// Walks regions down their face lattices.
pub(crate) struct Walker {
    /// The network's signer, one for every walker of a job.
    pub(super) signer: Arc<Signer>,
    pub(super) table: super::vertices::Table,
    backend: &'static dyn LpBackend,
    /// The faces' sign vectors, packed, each once (face `i` has key `i`).
    index: KeyIndex,
    packed: Vec<u8>,
    found: Vec<Found>,
    stats: LpStats,
    regions: usize,
    /// Whether bounded regions go by their vertices ([`super::vertices`]); off only to compare.
    pub(super) fast: bool,
    /// How many regions went by their vertices.
    pub(super) fast_regions: usize,
}

impl Walker {
    pub(super) fn new(net: &Network, signer: Arc<Signer>, backend: &'static dyn LpBackend) -> Walker {
        Walker {
            signer,
            table: super::vertices::Table::new(net),
            backend,
            index: KeyIndex::default(),
            packed: Vec::new(),
            found: Vec::new(),
            stats: LpStats::default(),
            regions: 0,
            fast: true,
            fast_regions: 0,
        }
    }

    /// The face of `key`: its index, and whether its facets are still to be found.
    pub(super) fn entry(
        &mut self,
        key: &[i8],
        dim: usize,
        made: Made,
    ) -> Result<(usize, bool), ComplexError> {
        self.packed.clear();
        pack_into(key, &mut self.packed);
        match self.index.entry(&self.packed, key.len()) {
            None => Err(ComplexError::identity("two sign vectors of different lengths, or 2^32 faces")),
            Some(Ok(i)) => {
                let i = i as usize;
                if self.found[i].dim != dim {
                    return Err(ComplexError::identity(format!(
                        "one sign vector was found as a face of dimensions {} and {dim}",
                        self.found[i].dim
                    )));
                }
                Ok((i, !self.found[i].done))
            }
            Some(Err(i)) => {
                self.found.push(Found { dim, made, boundary: Vec::new(), done: false });
                Ok((i as usize, true))
            }
        }
    }

    /// Walks one more region, after those walked so far (the faces it shares with an earlier one
    /// are taken from it).
    pub(super) fn walk_one(&mut self, r: &FacetedRegion) -> Result<(), ComplexError> {
        self.region(&r.region, &r.facets)
    }

    /// What the walk found.
    pub(super) fn found(self) -> Walked {
        Walked {
            found: self.found,
            keys: self.index.into_keys(),
            points: self.table.into_points(),
            stats: self.stats,
            fast_regions: self.fast_regions,
        }
    }

    /// A region and its certified facets.
    fn region(&mut self, region: &Region, facets: &[Facet]) -> Result<(), ComplexError> {
        self.regions += 1;
        if crate::runtime::stop::requested() {
            return Err(crate::runtime::stop::gave_up("the faces of the complex").into());
        }
        if self.fast && super::vertices::region(self, region, facets)? {
            self.fast_regions += 1;
            return Ok(());
        }
        let d = region.point.len();
        let key = self.signer.key(&region.point);
        let (top, fresh) = self.entry(&key, d, Made::Point(Box::new(region.point.clone().into())))?;
        if !fresh {
            return Err(ComplexError::identity(format!(
                "region {} has another region's sign vector",
                region.id
            )));
        }
        let rows: Vec<&Halfspace> =
            facets.iter().map(|f| &*region.constraints[f.constraints[0]].halfspace).collect();
        let frame = Frame::identity(d);
        let mut boundary = Vec::with_capacity(facets.len());
        for (j, f) in facets.iter().enumerate() {
            boundary.push(self.facet(&frame, &rows, j, f.point.clone(), d - 1)?);
        }
        self.finish(top, boundary)
    }

    /// Whether the facets of face `i` are known.
    pub(super) fn done(&self, i: usize) -> bool {
        self.found[i].done
    }

    pub(super) fn finish(&mut self, i: usize, mut boundary: Vec<usize>) -> Result<(), ComplexError> {
        boundary.sort_unstable();
        let n = boundary.len();
        boundary.dedup();
        if boundary.len() != n {
            return Err(ComplexError::identity("two facets of one face have the same sign vector"));
        }
        self.found[i].boundary = boundary;
        self.found[i].done = true;
        Ok(())
    }

    /// The facet of a face on its row `j` (of `rows`, in the face's frame), of dimension
    /// `dim`, with its point `z` (in the face's coordinates): its index, its own facets found
    /// if it is new (its frame and rows are made only then).
    fn facet(
        &mut self,
        frame: &Frame,
        rows: &[&Halfspace],
        j: usize,
        z: Vec<Q>,
        dim: usize,
    ) -> Result<usize, ComplexError> {
        let x = frame.apply(&z);
        let key = self.signer.key(&x);
        let (i, fresh) = self.entry(&key, dim, Made::Point(Box::new(x.into())))?;
        if !fresh {
            return Ok(i);
        }
        if crate::runtime::stop::requested() {
            return Err(crate::runtime::stop::gave_up("the faces of the complex").into());
        }
        let others: Vec<&Halfspace> =
            rows.iter().enumerate().filter(|&(k, _)| k != j).map(|(_, r)| *r).collect();
        let sub = frame.restrict(rows[j], &others);
        let rows = distinct_rows(sub.rows);
        let refs: Vec<&Halfspace> = rows.iter().collect();
        let mut boundary = Vec::new();
        if dim > 0 {
            for (k, row) in refs.iter().enumerate() {
                let others: Vec<&Halfspace> =
                    refs.iter().enumerate().filter(|&(m, _)| m != k).map(|(_, r)| *r).collect();
                let point = match find_strict_point(&others, Some(row), self.backend, &mut self.stats)? {
                    Outcome::Witness(p) => p,
                    Outcome::Proved(_) => continue,
                };
                boundary.push(self.facet(&sub.frame, &refs, k, point, dim - 1)?);
            }
        }
        self.finish(i, boundary)?;
        Ok(i)
    }
}

/// The complex from the faces found (in merge order, their facets by merge number): sorted and
/// renumbered, boundedness derived, every identity checked.
pub(super) fn assemble(found: Vec<Face>, net: &Network, stats: LpStats) -> Result<Complex, ComplexError> {
    let mut order: Vec<usize> = (0..found.len()).collect();
    order.sort_by(|&a, &b| (found[a].dim, &found[a].sign).cmp(&(found[b].dim, &found[b].sign)));
    let mut new_id = vec![0; order.len()];
    for (n, &o) in order.iter().enumerate() {
        new_id[o] = n;
    }
    let mut slots: Vec<Option<Face>> = found.into_iter().map(Some).collect();
    let mut faces: Vec<Face> = Vec::with_capacity(order.len());
    for (id, &o) in order.iter().enumerate() {
        let f = slots[o].take().expect("each face once");
        let mut boundary: Vec<usize> = f.boundary.iter().map(|&b| new_id[b]).collect();
        boundary.sort_unstable();
        faces.push(Face { id, boundary, ..f });
    }
    super::fvector::derive_bounded(&mut faces);
    let widths = net.relu_layers().map(|i| net.layers()[i].width()).collect();
    let domain_rows = net.domain().halfspaces(net.input_dim()).len();
    let c = Complex { input_dim: net.input_dim(), faces, widths, domain_rows, stats };
    super::fvector::check(&c, net)?;
    Ok(c)
}

/// Every face of the complex of `net` on its domain, with the f-vector identities and the
/// diamond property checked (a failed identity is an internal error).
///
/// See the example on [`Complex::f_vector`].
pub fn complex(net: &Network, enumerator: &Enumerator) -> Result<Complex, ComplexError> {
    complex_walk(net, enumerator, true).map(|(c, _)| c)
}

/// [`complex`], with bounded regions going by their vertices or not (`fast`), and how many did.
pub(crate) fn complex_walk(
    net: &Network,
    enumerator: &Enumerator,
    fast: bool,
) -> Result<(Complex, usize), ComplexError> {
    let (merge, mut stats) = walk_into(net, enumerator, fast, super::walk::Merge::default())?;
    let (found, walk_stats, fast_regions) = merge.into_faces();
    stats.add(&walk_stats);
    Ok((assemble(found, net, stats)?, fast_regions))
}

/// Every region of `net` walked into `merge` under one stop token for the whole job: the merge
/// and the enumeration's LP figures (a stop, by a limit or Ctrl-C, is [`ComplexError::Stopped`]).
pub(super) fn walk_into<M: super::walk::Merger>(
    net: &Network,
    enumerator: &Enumerator,
    fast: bool,
    merge: M,
) -> Result<(M, LpStats), ComplexError> {
    super::sign::supported(net).map_err(ComplexError::Unsupported)?;
    // one token for the whole job (the enumeration and the walk), polled by the walk and its
    // exact solves: a solve that gave up when it fired is the stop, not an error
    let start = std::time::Instant::now();
    let enumerator = &enumerator.anchored(start);
    let token = enumerator.stop_token(start);
    let _stop = token.install();
    let (merge, summary) = match super::walk::walk(net, enumerator, fast, merge) {
        Ok(done) => done,
        Err(ComplexError::Internal(e)) => {
            return Err(token.excuse(e).map_or_else(ComplexError::Internal, ComplexError::Stopped))
        }
        Err(e) => return Err(e),
    };
    if let Some(reason) = summary.stopped {
        return Err(ComplexError::Stopped(reason));
    }
    Ok((merge, summary.stats))
}
