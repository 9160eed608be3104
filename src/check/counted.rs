//! The byte reader under `check`'s JSON parser ([`super::stream`]): it hands the parser the
//! answer's bytes one at a time, as the parser asks, and counts the lines it has handed out, so
//! that what follows the first value (another line of a stream, or nothing) is read from the
//! inner reader at the first byte the parser did not take.

use std::io::BufRead;

/// A reader that counts the line breaks it hands out, the bytes since the last one, and the
/// line of the first byte that is not white space (JSON's: space, tab, line feed, carriage
/// return). The JSON reader asks for one byte at a time: each is handed out of a copy of the
/// inner reader's buffer, which is consumed (and counted) only when the copy is spent, or by
/// [`Counted::settle`] (the counts are read after it): the inner reader never gives up a byte
/// not handed out.
pub(super) struct Counted<R> {
    inner: R,
    /// A copy of the inner reader's buffered bytes (not yet consumed there), and how many of
    /// them are handed out.
    copy: Vec<u8>,
    taken: usize,
    pub(super) newlines: usize,
    pub(super) column: usize,
    pub(super) start: Option<usize>,
}

impl<R: BufRead> Counted<R> {
    pub(super) fn new(inner: R) -> Counted<R> {
        Counted { inner, copy: Vec::new(), taken: 0, newlines: 0, column: 0, start: None }
    }

    /// Counts the bytes handed out and consumes them from the inner reader.
    pub(super) fn settle(&mut self) {
        let spent = &self.copy[..self.taken];
        let newlines = |bytes: &[u8]| bytes.iter().filter(|&&b| b == b'\n').count();
        if self.start.is_none() {
            if let Some(i) = spent.iter().position(|b| !matches!(b, b' ' | b'\t' | b'\n' | b'\r')) {
                self.start = Some(self.newlines + newlines(&spent[..i]));
            }
        }
        self.newlines += newlines(spent);
        self.column = match spent.iter().rposition(|&b| b == b'\n') {
            Some(i) => spent.len() - i - 1,
            None => self.column + spent.len(),
        };
        self.inner.consume(self.taken);
        self.copy.drain(..self.taken);
        self.taken = 0;
    }
}

impl<R: BufRead> std::io::Read for Counted<R> {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        if self.taken == self.copy.len() && !out.is_empty() {
            self.settle();
            self.copy.extend_from_slice(self.inner.fill_buf()?);
        }
        let n = (self.copy.len() - self.taken).min(out.len());
        // one byte at a time, as the JSON reader asks: no copy call
        if n == 1 {
            out[0] = self.copy[self.taken];
        } else {
            out[..n].copy_from_slice(&self.copy[self.taken..self.taken + n]);
        }
        self.taken += n;
        Ok(n)
    }
}
