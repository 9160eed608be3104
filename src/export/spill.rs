//! The `regions --json` document written while the regions are enumerated, at the memory of
//! counting: each region, once its facets are certified, is serialized (without its piece,
//! which is known only once every region is) into an unnamed temporary file, and at the end the
//! regions are copied from it to the output with their pieces put in. The bytes are those of
//! [`super::stream::write_regions_json`] (the wire struct through a JSON value, keys sorted, the
//! pretty printer, indented as the whole document indents its regions), written without
//! holding the region's text or strings ([`wire`]), and the facets are labelled from their
//! certificates where the enumeration's facts allow ([`CertifiedLabels`]).

use super::labels::FacetLabels;
use super::provenance::Provenance;
use crate::analysis::facets::labels::CertifiedLabels;
use crate::analysis::facets::Facet;
use crate::enumerate::region::Region;
use crate::network::Network;
use serde::Serialize;
use serde_json::Value;
use std::cell::OnceCell;
use std::fs::File;
use std::io::{BufReader, BufWriter, Read, Seek, SeekFrom, Write};

mod wire;

/// Where a region's `piece` goes in its pretty text: before its `point` (the keys are sorted:
/// `pattern`, `piece`, `point`), at the indentation of a region's keys in the document.
const POINT_KEY: &[u8] = b"\n      \"point\": ";

/// Regions spilled to a temporary file, in the order they were pushed.
pub(crate) struct RegionsSpill<'n> {
    file: BufWriter<File>,
    net: &'n Network,
    /// The exact labelling pass, made when a region first needs it.
    labels: OnceCell<FacetLabels>,
    /// The labels of the facets certified in this run, read off their classes where the
    /// enumeration's facts allow (the exact pass of `labels` otherwise).
    certified: CertifiedLabels<'n>,
    /// Each region's length in the file and where its `piece` goes (from its start).
    index: Vec<(u64, u64)>,
}

/// The document's own fields, in the order of the whole document (sorted keys; `regions` last).
#[derive(Serialize)]
struct Head<'a> {
    complete: bool,
    input_dim: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    provenance: Option<Value>,
    regions: &'a [u8],
}

impl<'n> RegionsSpill<'n> {
    /// An empty spill for the regions of `net`, in a new temporary file (removed from the
    /// directory at once where the system allows it; it goes when the spill is dropped).
    ///
    /// # Errors
    /// The temporary file cannot be created.
    pub(crate) fn new(net: &'n Network) -> std::io::Result<RegionsSpill<'n>> {
        Ok(RegionsSpill {
            file: BufWriter::new(temporary()?),
            net,
            labels: OnceCell::new(),
            certified: CertifiedLabels::new(net),
            index: Vec::new(),
        })
    }

    /// Appends a region with its facets, certified in this run (their labels are read off
    /// their classes where that is proved: [`CertifiedLabels`]). The region is serialized
    /// straight into the file ([`wire`]), as an element of the document's `regions`.
    ///
    /// # Errors
    /// The temporary file cannot be written.
    pub(crate) fn push(&mut self, region: &Region, facets: &[Facet]) -> std::io::Result<()> {
        let labels = self
            .certified
            .of(region, facets)
            .unwrap_or_else(|| self.labels.get_or_init(|| FacetLabels::new(self.net)).of(region, facets));
        let mut indented = wire::Indented::new(&mut self.file, POINT_KEY);
        wire::write_region(&mut indented, region, facets, &labels)?;
        let (len, at) = indented.finish();
        self.index.push((len, at.map_or(len, |k| k + 1)));
        Ok(())
    }

    /// Writes the whole document to `out`: its fields, then the spilled regions, region `i`
    /// with `piece_of[i]` (when given: a region past its end gets none).
    ///
    /// # Errors
    /// The temporary file cannot be read back, or `out` cannot be written.
    pub(crate) fn finish<W: Write>(
        self,
        mut out: W,
        complete: bool,
        provenance: Option<&Provenance>,
        input_dim: usize,
        piece_of: &[usize],
    ) -> std::io::Result<()> {
        let head = Head {
            complete,
            input_dim,
            provenance: provenance.map(|p| serde_json::to_value(p).expect("provenance serializes")),
            regions: &[],
        };
        let mut text = serde_json::to_vec_pretty(&head).map_err(std::io::Error::other)?;
        if self.index.is_empty() {
            out.write_all(&text)?;
            out.write_all(b"\n")?;
            return out.flush();
        }
        // `... "regions": []\n}`: the array opened instead
        text.truncate(text.len() - b"[]\n}".len());
        out.write_all(&text)?;
        out.write_all(b"[\n")?;
        let mut file = self.file.into_inner().map_err(std::io::IntoInnerError::into_error)?;
        file.seek(SeekFrom::Start(0))?;
        let mut file = BufReader::new(file);
        for (i, &(len, at)) in self.index.iter().enumerate() {
            if i > 0 {
                out.write_all(b",\n")?;
            }
            let at = at.min(len);
            copy_exactly(&mut file, &mut out, at)?;
            if let Some(piece) = piece_of.get(i) {
                writeln!(out, "      \"piece\": {piece},")?;
            }
            copy_exactly(&mut file, &mut out, len - at)?;
        }
        out.write_all(b"\n  ]\n}\n")?;
        out.flush()
    }
}

/// The first position of `needle` in `hay`.
pub(super) fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// Copies exactly `n` bytes of `from` to `to` (an error if `from` ends first).
fn copy_exactly<R: Read, W: Write>(from: &mut R, to: &mut W, n: u64) -> std::io::Result<()> {
    if std::io::copy(&mut from.take(n), to)? == n {
        Ok(())
    } else {
        Err(std::io::Error::new(std::io::ErrorKind::UnexpectedEof, "the spilled regions end early"))
    }
}

/// A new temporary file, open for writing and reading, its name removed where the system
/// allows it (the file lives until closed).
pub(crate) fn temporary() -> std::io::Result<File> {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let dir = std::env::temp_dir();
    loop {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let name = format!(
            "relu-regions-{}-{}-{nanos}.regions",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        );
        let path = dir.join(name);
        match std::fs::OpenOptions::new().read(true).write(true).create_new(true).open(&path) {
            Ok(file) => {
                // on systems that cannot remove an open file, the name stays (in the temp dir)
                let _ = std::fs::remove_file(&path);
                return Ok(file);
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => {
                return Err(std::io::Error::new(
                    e.kind(),
                    format!("cannot create a temporary file in {}: {e}", dir.display()),
                ))
            }
        }
    }
}
