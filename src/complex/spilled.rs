//! The complex at the memory of counting (`faces`, issue 35 point 3): the walk's batches are
//! merged into compact columns (the sign vector packed two bits an entry, the dimension, the
//! facets' numbers as `u32`s, each column one large vector for all faces) while the points of
//! the faces to be listed are written, as their JSON text, into a temporary file the caller
//! gives; nothing of a face's exact point stays in memory. The sign vectors wait in a second
//! temporary file until the walk ends (a hash a face in memory, a match read back and compared:
//! `super::packed::FiledKeyIndex`), and the facets' numbers and the points' places in a third,
//! so that they are never held beside a batch's walk; then they are read back into the columns.
//! At the end the faces are sorted by (dimension, sign vector) and renumbered in that order,
//! boundedness is derived and every identity of [`super::fvector`] is checked on the columns
//! (the facets' dimensions, the diamond property of every face, the Euler relation), exactly as
//! on the held complex, and the faces are read back in id order with their points from the
//! file. The faces, their numbers,
//! points and checks are those of [`super::complex`] (the same walk and merge order: the first
//! batch that finds a face gives its point).

use super::faces::{walk_into, Walked};
use super::packed::{unpack, FiledKeyIndex, Keys};
use super::sign::{sign_strings, SignKey};
use super::walk::Merger;
use super::ComplexError;
use crate::certify::LpStats;
use crate::enumerate::Enumerator;
use crate::exact::num::fmt_q;
use crate::network::Network;
use std::collections::HashMap;
use std::fs::File;
use std::io::{BufReader, BufWriter, Read, Seek, SeekFrom, Write};

/// The faces as compact columns, one entry per face in merge order, in a few large vectors (no
/// allocation of its own per face, which would pin the allocator's pages between the walk's
/// short-lived numbers): the packed sign vectors (`width` bytes each), the dimensions, the
/// facets' numbers (face `i`'s are `bounds[starts[i]..starts[i + 1]]`), and where each point's
/// text starts in the file (it ends where the next face's starts: a face not listed has none).
/// While the walk goes on only the dimensions are filled: the keys wait in
/// [`Compact::index`]'s file, the facets and points' places in [`Compact::records`].
#[derive(Default)]
struct Columns {
    keys: Keys,
    dims: Vec<u8>,
    starts: Vec<u64>,
    bounds: Vec<u32>,
    points: Vec<u64>,
    written: u64,
}

impl Columns {
    fn len(&self) -> usize {
        self.dims.len()
    }

    fn key(&self, i: usize) -> &[u8] {
        self.keys.get(i)
    }

    fn boundary(&self, i: usize) -> &[u32] {
        let end = self.starts.get(i + 1).map_or(self.bounds.len(), |&e| e as usize);
        &self.bounds[self.starts[i] as usize..end]
    }

    fn point(&self, i: usize) -> (u64, u64) {
        let at = self.points[i];
        (at, self.points.get(i + 1).copied().unwrap_or(self.written) - at)
    }

    /// Reads back the records [`Compact::add`] wrote (`bounds` of them in all), one a face in
    /// merge order: where its point starts, the number of its facets, their numbers.
    fn read_records(&mut self, records: File, bounds: usize) -> std::io::Result<()> {
        let mut records = BufReader::new(records);
        records.seek(SeekFrom::Start(0))?;
        let (mut long, mut word) = ([0u8; 8], [0u8; 4]);
        let mut number = |records: &mut BufReader<File>| -> std::io::Result<u32> {
            records.read_exact(&mut word)?;
            Ok(u32::from_le_bytes(word))
        };
        (self.points, self.starts, self.bounds) =
            (Vec::with_capacity(self.len()), Vec::with_capacity(self.len()), Vec::with_capacity(bounds));
        for _ in 0..self.len() {
            records.read_exact(&mut long)?;
            self.points.push(u64::from_le_bytes(long));
            self.starts.push(self.bounds.len() as u64);
            for _ in 0..number(&mut records)? {
                self.bounds.push(number(&mut records)?);
            }
        }
        Ok(())
    }
}

/// The merge of the walk's batches into [`Columns`], the listed points spilled.
struct Compact<'f> {
    /// The faces, their keys in `index` (in its file) until the walk ends.
    faces: Columns,
    index: FiledKeyIndex,
    listed: &'f dyn Fn(usize) -> bool,
    file: BufWriter<File>,
    /// Each new face's record, in merge order ([`Columns::read_records`]).
    records: BufWriter<File>,
    /// The facets' numbers in `records`.
    bounds: usize,
    stats: LpStats,
}

impl Merger for Compact<'_> {
    fn add(&mut self, walked: Walked) -> Result<(), ComplexError> {
        let Walked { found, keys, points, stats, .. } = walked;
        self.stats.add(&stats);
        let mut global = Vec::with_capacity(found.len());
        let mut fresh: Vec<(u64, Vec<usize>)> = Vec::new();
        for (i, f) in found.into_iter().enumerate() {
            if !f.done {
                return Err(ComplexError::identity("a batch ended with a face whose facets were not found"));
            }
            let entry = self.index.entry(keys.get(i), keys.len).map_err(ComplexError::Spill)?;
            match entry.ok_or_else(|| {
                ComplexError::identity("two sign vectors of different lengths, or 2^32 faces")
            })? {
                Err(g) => {
                    let at = self.faces.written;
                    if (self.listed)(f.dim) {
                        let coords: Vec<String> = points.point(f.made).to_vec().iter().map(fmt_q).collect();
                        let text = serde_json::to_string(&coords).expect("JSON");
                        self.file.write_all(text.as_bytes()).map_err(ComplexError::Spill)?;
                        self.faces.written += text.len() as u64;
                    }
                    let dim =
                        u8::try_from(f.dim).map_err(|_| ComplexError::identity("a face of dimension 256"))?;
                    self.faces.dims.push(dim);
                    fresh.push((at, f.boundary));
                    global.push(g);
                }
                Ok(g) => {
                    let known = usize::from(self.faces.dims[g as usize]);
                    if known != f.dim {
                        return Err(ComplexError::identity(format!(
                            "one sign vector was found as a face of dimensions {known} and {}",
                            f.dim
                        )));
                    }
                    global.push(g);
                }
            }
        }
        // the new faces are the last ones, in order: their records go at the end
        let records = &mut self.records;
        for (at, local) in fresh {
            let count = u32::try_from(local.len()).map_err(|_| ComplexError::identity("2^32 facets"))?;
            let mut record = |bytes: &[u8]| records.write_all(bytes).map_err(ComplexError::Spill);
            record(&at.to_le_bytes())?;
            record(&count.to_le_bytes())?;
            for &l in &local {
                record(&global[l].to_le_bytes())?;
            }
            self.bounds += local.len();
        }
        Ok(())
    }
}

/// The complex of a network, its faces kept as compact columns and their points in a file
/// ([`spilled`]).
pub struct Spilled {
    /// The input dimension.
    pub input_dim: usize,
    /// The width of each ReLU layer.
    pub widths: Vec<usize>,
    /// The enumeration and LP figures.
    pub stats: LpStats,
    key_len: usize,
    /// In merge order, the facets renumbered by id.
    faces: Columns,
    /// By id (faces in (dimension, sign) order): the face's merge number.
    order: Vec<u32>,
    /// By id.
    bounded: Vec<bool>,
    file: File,
}

/// One face read back from [`Spilled`].
#[derive(Debug, Clone, PartialEq)]
pub struct SpilledFace {
    /// Its id (faces sorted by dimension, then sign vector).
    pub id: usize,
    /// Its dimension.
    pub dim: usize,
    /// Its sign vector.
    pub sign: SignKey,
    /// Its exact point as the JSON text of an array of strings (`None` for a face not listed).
    pub point: Option<String>,
    /// Whether it is bounded.
    pub bounded: bool,
    /// The ids of its facets, ascending.
    pub boundary: Vec<u32>,
}

impl Spilled {
    /// The number of faces.
    ///
    /// See the example on [`crate::jobs::faces_spilled`].
    pub fn len(&self) -> usize {
        self.faces.len()
    }

    /// Whether there is no face (never, for a nonempty domain).
    ///
    /// See the example on [`crate::jobs::faces_spilled`].
    pub fn is_empty(&self) -> bool {
        self.faces.len() == 0
    }

    /// `f_k`: the number of faces of each dimension `0..=d`.
    ///
    /// See the example on [`crate::jobs::faces_spilled`].
    pub fn f_vector(&self) -> Vec<usize> {
        let mut f = vec![0; self.input_dim + 1];
        self.faces.dims.iter().for_each(|&k| f[usize::from(k)] += 1);
        f
    }

    /// The f-vector of the bounded faces.
    ///
    /// See the example on [`crate::jobs::faces_spilled`].
    pub fn f_vector_bounded(&self) -> Vec<usize> {
        let mut f = vec![0; self.input_dim + 1];
        (0..self.len()).filter(|&id| self.bounded[id]).for_each(|id| f[self.dim(id)] += 1);
        f
    }

    /// `sum_k (-1)^k f_k`.
    ///
    /// See the example on [`crate::jobs::faces_spilled`].
    pub fn euler_characteristic(&self) -> i64 {
        self.faces.dims.iter().map(|k| if k % 2 == 0 { 1 } else { -1 }).sum()
    }

    /// The dimension of face `id`.
    ///
    /// See the example on [`crate::jobs::faces_spilled`].
    pub fn dim(&self, id: usize) -> usize {
        usize::from(self.faces.dims[self.order[id] as usize])
    }

    /// The facets of face `id`, ascending.
    fn boundary(&self, id: usize) -> &[u32] {
        self.faces.boundary(self.order[id] as usize)
    }

    /// Face `id`, its point read back from the file.
    ///
    /// # Errors
    /// The file cannot be read.
    ///
    /// See the example on [`crate::jobs::faces_spilled`].
    pub fn face(&mut self, id: usize) -> std::io::Result<SpilledFace> {
        let o = self.order[id] as usize;
        let point = match self.faces.point(o) {
            (_, 0) => None,
            (at, len) => {
                let mut text = vec![0u8; len as usize];
                self.file.seek(SeekFrom::Start(at))?;
                self.file.read_exact(&mut text)?;
                Some(
                    String::from_utf8(text)
                        .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e))?,
                )
            }
        };
        Ok(SpilledFace {
            id,
            dim: self.dim(id),
            sign: unpack(self.faces.key(o), self.key_len),
            point,
            bounded: self.bounded[id],
            boundary: self.boundary(id).to_vec(),
        })
    }

    /// The sign strings of a face ([`sign_strings`]).
    ///
    /// See the example on [`crate::jobs::faces_spilled`].
    pub fn sign_strings(&self, face: &SpilledFace) -> (Vec<String>, String) {
        sign_strings(&face.sign, &self.widths)
    }
}

/// Every face of the complex of `net`, as [`super::complex`] gives them (the same ids, points,
/// boundedness and checks), kept compact: the points of the faces of the dimensions `listed`
/// keeps are written into a file that `temporary` makes (an empty temporary file, read back by
/// [`Spilled::face`]), the others are not kept; the faces' sign vectors and their facets wait in
/// two more until the walk ends, and are held from then on.
///
/// # Errors
/// As [`super::complex`], and [`ComplexError::Spill`] when a file cannot be made, written or
/// read.
///
/// See the example on [`crate::jobs::faces_spilled`].
pub fn spilled(
    net: &Network,
    enumerator: &Enumerator,
    listed: &dyn Fn(usize) -> bool,
    temporary: &dyn Fn() -> std::io::Result<File>,
) -> Result<Spilled, ComplexError> {
    let file = || temporary().map_err(ComplexError::Spill);
    let merge = Compact {
        faces: Columns::default(),
        index: FiledKeyIndex::new(file()?),
        listed,
        file: BufWriter::new(file()?),
        records: BufWriter::new(file()?),
        bounds: 0,
        stats: LpStats::default(),
    };
    let (merge, mut stats) = walk_into(net, enumerator, true, merge)?;
    stats.add(&merge.stats);
    let file = merge.file.into_inner().map_err(|e| ComplexError::Spill(e.into_error()))?;
    let mut faces = merge.faces;
    faces.keys = merge.index.into_keys().map_err(ComplexError::Spill)?;
    let records = merge.records.into_inner().map_err(|e| ComplexError::Spill(e.into_error()))?;
    faces.read_records(records, merge.bounds).map_err(ComplexError::Spill)?;
    let key_len = faces.keys.len;
    // sorted by (dimension, sign vector), the facets renumbered in that order (in place)
    let mut order: Vec<u32> = (0..faces.len() as u32).collect();
    order.sort_unstable_by(|&a, &b| {
        let (a, b) = (a as usize, b as usize);
        (faces.dims[a], faces.key(a)).cmp(&(faces.dims[b], faces.key(b)))
    });
    let mut new_id = vec![0u32; order.len()];
    for (n, &o) in order.iter().enumerate() {
        new_id[o as usize] = n as u32;
    }
    faces.bounds.iter_mut().for_each(|b| *b = new_id[*b as usize]);
    drop(new_id);
    for i in 0..faces.len() {
        let end = faces.starts.get(i + 1).map_or(faces.bounds.len(), |&e| e as usize);
        faces.bounds[faces.starts[i] as usize..end].sort_unstable();
    }
    let widths = net.relu_layers().map(|i| net.layers()[i].width()).collect();
    let mut c = Spilled {
        input_dim: net.input_dim(),
        widths,
        stats,
        key_len,
        faces,
        order,
        bounded: Vec::new(),
        file,
    };
    c.bounded = derive_bounded(&c);
    check(&c, net)?;
    Ok(c)
}

/// [`super::fvector::derive_bounded`] by id (the faces sorted by dimension).
fn derive_bounded(c: &Spilled) -> Vec<bool> {
    let mut bounded = Vec::with_capacity(c.len());
    for id in 0..c.len() {
        let boundary = c.boundary(id);
        let b = match c.dim(id) {
            0 => true,
            1 => boundary.len() == 2,
            _ => !boundary.is_empty() && boundary.iter().all(|&b| bounded[b as usize]),
        };
        bounded.push(b);
    }
    bounded
}

/// [`super::fvector::check`] on the columns: the same identities, the same messages.
fn check(c: &Spilled, net: &Network) -> Result<(), ComplexError> {
    for id in 0..c.len() {
        if c.boundary(id).iter().any(|&b| c.dim(b as usize) + 1 != c.dim(id)) {
            return Err(ComplexError::identity(format!("face {id} has a facet of another dimension")));
        }
    }
    let mut count: HashMap<u32, u32> = HashMap::new();
    for id in (0..c.len()).filter(|&id| c.dim(id) >= 2) {
        count.clear();
        for &g in c.boundary(id) {
            for &h in c.boundary(g as usize) {
                *count.entry(h).or_default() += 1;
            }
        }
        if let Some((h, n)) = count.iter().find(|(_, &n)| n != 2) {
            return Err(ComplexError::identity(format!(
                "the diamond property fails: face {h} lies in {n} facets of face {id}"
            )));
        }
    }
    super::fvector::euler_holds(c.euler_characteristic(), || c.f_vector(), net)
}
