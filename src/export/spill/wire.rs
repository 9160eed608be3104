//! A region of the `regions --json` document serialized straight to a writer, without the
//! wire struct's strings or a JSON value in between (on a 784-input network a region's text is
//! tens of megabytes, and those held it several times over). The keys are written in sorted
//! order, as a JSON value's map writes them, so the bytes are those of
//! [`crate::export::json::RegionOut`] through `serde_json::Value` and the pretty printer
//! (`tests/check/streams.rs`, `tests/analysis/labels.rs` compare them).

use crate::analysis::facets::Facet;
use crate::enumerate::region::{NeuronId, Region};
use crate::exact::num::{fmt_q, Q};
use crate::export::labels::Labels;
use serde::ser::{SerializeSeq, Serializer};
use serde::Serialize;
use std::io::Write;

/// Exact numbers as strings (written one at a time).
struct Strings<'a>(&'a [Q]);

impl Serialize for Strings<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(self.0.len()))?;
        for v in self.0 {
            seq.serialize_element(&fmt_q(v))?;
        }
        seq.end()
    }
}

/// Rows of exact numbers.
struct Rows<'a>(&'a [Vec<Q>]);

impl Serialize for Rows<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.0.iter().map(|r| Strings(r)))
    }
}

/// The nearest floats of exact numbers (as `crate::export::json`'s `_f64` fields).
struct Floats<'a>(&'a [Q]);

impl Serialize for Floats<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.0.iter().map(crate::kernel::image))
    }
}

/// Rows of nearest floats.
struct FloatRows<'a>(&'a [Vec<Q>]);

impl Serialize for FloatRows<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.0.iter().map(|r| Floats(r)))
    }
}

/// A neuron, keys sorted.
#[derive(Serialize)]
struct Neuron {
    index: usize,
    layer: usize,
}

/// An inequality, keys sorted (`crate::export::json::InequalityOut`).
#[derive(Serialize)]
struct Inequality<'a> {
    a: Strings<'a>,
    b: String,
    #[serde(skip_serializing_if = "<[usize]>::is_empty")]
    domain_rows: &'a [usize],
    facet_point: Strings<'a>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    neurons: Vec<Neuron>,
}

/// The inequalities of a region, one serialized at a time.
struct Inequalities<'a> {
    region: &'a Region,
    facets: &'a [Facet],
    labels: &'a [Labels],
}

impl Serialize for Inequalities<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(self.facets.len()))?;
        for (f, (neurons, rows)) in self.facets.iter().zip(self.labels) {
            let rep = &self.region.constraints[f.constraints[0]].halfspace;
            seq.serialize_element(&Inequality {
                a: Strings(&rep.a),
                b: fmt_q(&rep.b),
                domain_rows: rows,
                facet_point: Strings(&f.point),
                neurons: neurons.iter().map(|&NeuronId { layer, index }| Neuron { index, layer }).collect(),
            })?;
        }
        seq.end()
    }
}

/// A region without its piece, keys sorted (`crate::export::json::RegionOut`; its
/// `facets_uncertified` is false here, so absent).
#[derive(Serialize)]
struct RegionWire<'a> {
    bounded: bool,
    id: usize,
    inequalities: Inequalities<'a>,
    jacobian: Rows<'a>,
    jacobian_f64: FloatRows<'a>,
    offset: Strings<'a>,
    offset_f64: Floats<'a>,
    pattern: Vec<String>,
    point: Strings<'a>,
    point_f64: Floats<'a>,
}

/// Writes `region` with its facets and their labels (in the order of `facets`), pretty
/// printed, to `out`.
pub(super) fn write_region<W: Write>(
    out: &mut W,
    region: &Region,
    facets: &[Facet],
    labels: &[Labels],
) -> std::io::Result<()> {
    let wire = RegionWire {
        bounded: region.bounded,
        id: region.id,
        inequalities: Inequalities { region, facets, labels },
        jacobian: Rows(&region.map.jacobian),
        jacobian_f64: FloatRows(&region.map.jacobian),
        offset: Strings(&region.map.offset),
        offset_f64: Floats(&region.map.offset),
        pattern: region.pattern_strings(),
        point: Strings(&region.point),
        point_f64: Floats(&region.point),
    };
    let mut ser = serde_json::Serializer::pretty(out);
    wire.serialize(&mut ser).map_err(std::io::Error::other)
}

/// A writer that indents what it is given as an element of the document's `regions` (four
/// spaces before every line), counting the bytes it writes and finding the first `key`
/// among them (`key` starts with a newline, found nowhere else in it).
pub(super) struct Indented<'w, W: Write> {
    out: &'w mut W,
    key: &'static [u8],
    matched: usize,
    written: u64,
    found: Option<u64>,
}

impl<'w, W: Write> Indented<'w, W> {
    /// Starts a region (its first line's indentation is written at once).
    pub(super) fn new(out: &'w mut W, key: &'static [u8]) -> Indented<'w, W> {
        Indented { out, key, matched: 0, written: 0, found: None }
    }

    /// The bytes written, and where `key` first began (its newline), if it was written.
    pub(super) fn finish(self) -> (u64, Option<u64>) {
        (self.written, self.found)
    }

    fn emit(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        self.out.write_all(bytes)?;
        let mut k = 0;
        while self.found.is_none() && k < bytes.len() {
            if self.matched == 0 {
                // the key starts with a newline: skip to the next one
                match bytes[k..].iter().position(|&b| b == self.key[0]) {
                    Some(at) => k += at,
                    None => break,
                }
            }
            let b = bytes[k];
            if b == self.key[self.matched] {
                self.matched += 1;
                if self.matched == self.key.len() {
                    self.found = Some(self.written + k as u64 + 1 - self.key.len() as u64);
                }
            } else {
                self.matched = usize::from(b == self.key[0]);
            }
            k += 1;
        }
        self.written += bytes.len() as u64;
        Ok(())
    }
}

impl<W: Write> Write for Indented<'_, W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if self.written == 0 && !buf.is_empty() {
            self.emit(b"    ")?;
        }
        let mut rest = buf;
        while let Some(k) = rest.iter().position(|&b| b == b'\n') {
            self.emit(&rest[..=k])?;
            self.emit(b"    ")?;
            rest = &rest[k + 1..];
        }
        self.emit(rest)?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.out.flush()
    }
}
