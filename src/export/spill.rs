//! The `regions --json` document written while the regions are enumerated, at the memory of
//! counting: each region, once its facets are certified, is serialized (without its piece,
//! which is known only once every region is) into an unnamed temporary file, and at the end the
//! regions are copied from it to the output with their pieces put in. The bytes are those of
//! [`super::stream::write_regions_json`]: the same wire struct through a JSON value (keys
//! sorted), the same pretty printer, indented as the whole document indents its regions.

use super::json::RegionOut;
use super::labels::FacetLabels;
use super::provenance::Provenance;
use crate::analysis::facets::Facet;
use crate::enumerate::region::Region;
use crate::network::Network;
use serde::Serialize;
use serde_json::Value;
use std::fs::File;
use std::io::{BufReader, BufWriter, Read, Seek, SeekFrom, Write};

/// Where a region's `piece` goes in its pretty text: before its `point` (the keys are sorted:
/// `pattern`, `piece`, `point`), at the indentation of a region's keys in the document.
const POINT_KEY: &[u8] = b"\n      \"point\": ";

/// Regions spilled to a temporary file, in the order they were pushed.
pub(crate) struct RegionsSpill {
    file: BufWriter<File>,
    labels: FacetLabels,
    regions: usize,
    text: Vec<u8>,
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

impl RegionsSpill {
    /// An empty spill for the regions of `net`, in a new temporary file (removed from the
    /// directory at once where the system allows it; it goes when the spill is dropped).
    ///
    /// # Errors
    /// The temporary file cannot be created.
    pub(crate) fn new(net: &Network) -> std::io::Result<RegionsSpill> {
        Ok(RegionsSpill {
            file: BufWriter::new(temporary()?),
            labels: FacetLabels::new(net),
            regions: 0,
            text: Vec::new(),
        })
    }

    /// Appends a region with its certified facets.
    ///
    /// # Errors
    /// The temporary file cannot be written.
    pub(crate) fn push(&mut self, region: &Region, facets: &[Facet]) -> std::io::Result<()> {
        let value = serde_json::to_value(RegionOut::new(&self.labels, region, facets, None))
            .expect("wire structs always serialize");
        let mut pretty = Vec::new();
        serde_json::to_writer_pretty(&mut pretty, &value).map_err(std::io::Error::other)?;
        // indented as an element of the document's `regions` (two levels down)
        self.text.clear();
        self.text.extend_from_slice(b"    ");
        for &b in &pretty {
            self.text.push(b);
            if b == b'\n' {
                self.text.extend_from_slice(b"    ");
            }
        }
        let at = find(&self.text, POINT_KEY).map_or(self.text.len(), |k| k + 1) as u64;
        self.file.write_all(&(self.text.len() as u64).to_le_bytes())?;
        self.file.write_all(&at.to_le_bytes())?;
        self.file.write_all(&self.text)?;
        self.regions += 1;
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
        if self.regions == 0 {
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
        let mut region = Vec::new();
        for i in 0..self.regions {
            let mut words = [0u8; 16];
            file.read_exact(&mut words)?;
            let len = u64::from_le_bytes(words[..8].try_into().expect("8 bytes"));
            let at = u64::from_le_bytes(words[8..].try_into().expect("8 bytes"));
            region.resize(usize::try_from(len).map_err(std::io::Error::other)?, 0);
            file.read_exact(&mut region)?;
            let at = usize::try_from(at).map_err(std::io::Error::other)?.min(region.len());
            if i > 0 {
                out.write_all(b",\n")?;
            }
            out.write_all(&region[..at])?;
            if let Some(piece) = piece_of.get(i) {
                writeln!(out, "      \"piece\": {piece},")?;
            }
            out.write_all(&region[at..])?;
        }
        out.write_all(b"\n  ]\n}\n")?;
        out.flush()
    }
}

/// The first position of `needle` in `hay`.
pub(super) fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// A new temporary file, open for writing and reading, its name removed where the system
/// allows it (the file lives until closed).
pub(super) fn temporary() -> std::io::Result<File> {
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
