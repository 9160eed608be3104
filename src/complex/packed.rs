//! Sign vectors packed two bits an entry in one column for many faces, and the open-addressing
//! tables of face numbers that find them again: the walk of a batch ([`super::faces`]) and the
//! compact merge of `faces` ([`super::spilled`]) hold each key once this way, with no
//! allocation of its own per face (which would also pin the allocator's pages between the
//! walk's short-lived numbers). The compact merge keeps its keys in a temporary file while the
//! walk goes on ([`FiledKeyIndex`]: a hash and a slot a key in memory, a match read back and
//! compared), so that they and a batch's walk are not in memory together.

use super::sign::SignKey;
use std::cell::Cell;
use std::fs::File;
use std::io::{Read, Seek, SeekFrom, Write};

/// A sign vector two bits an entry (`-1, 0, 1` as `0, 1, 2`, the first entry in the high bits
/// of the first byte): of keys of one length, the byte order is the order of the sign vectors.
pub(super) fn pack_into(key: &[i8], out: &mut Vec<u8>) {
    let at = out.len();
    out.resize(at + key.len().div_ceil(4), 0);
    for (i, &v) in key.iter().enumerate() {
        out[at + i / 4] |= ((v + 1) as u8) << (6 - 2 * (i % 4));
    }
}

/// The sign vector of `len` entries packed in `packed`.
pub(super) fn unpack(packed: &[u8], len: usize) -> SignKey {
    (0..len).map(|i| ((packed[i / 4] >> (6 - 2 * (i % 4))) & 3) as i8 - 1).collect()
}

/// The hash of a packed key (or of any bytes).
pub(super) fn hash_of<T: std::hash::Hash + ?Sized>(key: &T) -> u64 {
    use std::hash::Hasher;
    let mut h = std::collections::hash_map::DefaultHasher::new();
    key.hash(&mut h);
    h.finish()
}

/// The bytes of one chunk of [`Keys`] (about).
const CHUNK: usize = 1 << 18;

/// Sign vectors of one length, packed ([`pack_into`]) one after another: key `i` is the `i`-th
/// pushed. They are kept in chunks of a fixed size, never moved once written: a column that
/// doubles would hold its old and new copies at once when it grows, and leave the old one as a
/// hole among the walk's short-lived numbers.
#[derive(Default)]
pub(super) struct Keys {
    /// The number of entries of a key (set by the first one pushed).
    pub(super) len: usize,
    /// The bytes of a packed key.
    pub(super) width: usize,
    /// Keys a chunk.
    per_chunk: usize,
    chunks: Vec<Vec<u8>>,
    count: usize,
}

impl Keys {
    /// The number of keys.
    pub(super) fn count(&self) -> usize {
        self.count
    }

    /// Packed key `i`.
    pub(super) fn get(&self, i: usize) -> &[u8] {
        let at = (i % self.per_chunk) * self.width;
        &self.chunks[i / self.per_chunk][at..at + self.width]
    }

    /// Key `i` unpacked.
    pub(super) fn unpacked(&self, i: usize) -> SignKey {
        unpack(self.get(i), self.len)
    }

    /// Appends a packed key of `len` entries; `false` (nothing appended) when the keys so far
    /// have another length.
    pub(super) fn push_packed(&mut self, packed: &[u8], len: usize) -> bool {
        if self.count == 0 {
            (self.len, self.width) = (len, packed.len());
            self.per_chunk = (CHUNK / self.width.max(1)).max(1);
        } else if len != self.len {
            return false;
        }
        if self.count % self.per_chunk == 0 {
            // grown as it fills (a walk of few faces takes little), never past its chunk
            self.chunks.push(Vec::new());
        }
        self.chunks.last_mut().expect("a chunk").extend_from_slice(packed);
        self.count += 1;
        true
    }
}

/// The marker of an empty slot (no face has this number: see [`number`]).
pub(super) const EMPTY: u32 = u32::MAX;

/// `n` as a face number, below [`EMPTY`].
pub(super) fn number(n: usize) -> Option<u32> {
    u32::try_from(n).ok().filter(|&n| n != EMPTY)
}

/// An open-addressing table of numbers (at most half full), the things numbered kept by the
/// caller: a lookup gives the hash of what it looks for and says which number matches.
#[derive(Default)]
pub(super) struct Slots {
    slots: Vec<u32>,
}

impl Slots {
    /// The slot of the number whose thing `matches`, among those of hash `hash`, or the empty
    /// slot where it would go (call [`Slots::reserve`] first).
    pub(super) fn find(&self, hash: u64, matches: impl Fn(u32) -> bool) -> usize {
        let mask = self.slots.len() - 1;
        let mut i = hash as usize & mask;
        loop {
            let e = self.slots[i];
            if e == EMPTY || matches(e) {
                return i;
            }
            i = (i + 1) & mask;
        }
    }

    /// The number in a slot ([`EMPTY`] for none).
    pub(super) fn at(&self, slot: usize) -> u32 {
        self.slots[slot]
    }

    /// The number whose thing `matches`, among those of hash `hash`, if any (an empty table
    /// holds none).
    pub(super) fn get(&self, hash: u64, matches: impl Fn(u32) -> bool) -> Option<u32> {
        if self.slots.is_empty() {
            return None;
        }
        Some(self.at(self.find(hash, matches))).filter(|&n| n != EMPTY)
    }

    /// Puts number `n` in an empty slot found by [`Slots::find`].
    pub(super) fn put(&mut self, slot: usize, n: u32) {
        self.slots[slot] = n;
    }

    /// Room for one more of `len` numbers `0..len` (the table doubled and refilled, `hash`
    /// giving each one's hash, when half full).
    pub(super) fn reserve(&mut self, len: usize, hash: impl Fn(u32) -> u64) {
        if 2 * (len + 1) <= self.slots.len() {
            return;
        }
        let mut grown = Slots { slots: vec![EMPTY; (2 * self.slots.len()).max(1024)] };
        for n in 0..len as u32 {
            let at = grown.find(hash(n), |_| false);
            grown.slots[at] = n;
        }
        *self = grown;
    }
}

/// Packed keys found again by key: [`Keys`] and a [`Slots`] table over them.
#[derive(Default)]
pub(super) struct KeyIndex {
    pub(super) keys: Keys,
    slots: Slots,
}

impl KeyIndex {
    /// The number of the packed key `packed` (of `len` entries), if it is known; otherwise it
    /// is appended as number `count()` and `Err` of that number is given back. `None`: a key
    /// of another length, or 2^32 keys.
    pub(super) fn entry(&mut self, packed: &[u8], len: usize) -> Option<Result<u32, u32>> {
        let keys = &self.keys;
        self.slots.reserve(keys.count(), |n| hash_of(keys.get(n as usize)));
        let at = self.slots.find(hash_of(packed), |n| keys.get(n as usize) == packed);
        match self.slots.at(at) {
            EMPTY => {
                let n = number(self.keys.count())?;
                if !self.keys.push_packed(packed, len) {
                    return None;
                }
                self.slots.put(at, n);
                Some(Err(n))
            }
            n => Some(Ok(n)),
        }
    }

    /// The keys, the table dropped.
    pub(super) fn into_keys(self) -> Keys {
        self.keys
    }
}

/// The bytes of keys that wait in memory before [`FiledKeyIndex`] writes them.
const PENDING: usize = 1 << 16;

/// Packed keys found again by key, as [`KeyIndex`], with the keys themselves in a file until
/// [`FiledKeyIndex::into_keys`]: in memory a key holds its hash (8 bytes, not its packed
/// width) and its slot. A key whose hash matches is read back and compared byte for byte, so a
/// hash never decides; the last keys (up to [`PENDING`] bytes) wait in memory, then are
/// appended to the file.
pub(super) struct FiledKeyIndex {
    len: usize,
    width: usize,
    /// By number.
    hashes: Vec<u64>,
    slots: Slots,
    file: File,
    /// Keys `0..written` are in the file, the others in `pending`.
    written: usize,
    pending: Vec<u8>,
}

impl FiledKeyIndex {
    /// An empty index, its keys to go into `file` (empty, open for reading and writing).
    pub(super) fn new(file: File) -> FiledKeyIndex {
        let (len, width, written) = (0, 0, 0);
        FiledKeyIndex {
            len,
            width,
            hashes: Vec::new(),
            slots: Slots::default(),
            file,
            written,
            pending: Vec::new(),
        }
    }

    /// Whether key `n` is `packed` (read back from the file if it is there).
    fn is(&self, n: u32, packed: &[u8]) -> std::io::Result<bool> {
        let n = n as usize;
        if n >= self.written {
            let at = (n - self.written) * self.width;
            return Ok(&self.pending[at..at + self.width] == packed);
        }
        let mut key = vec![0u8; self.width];
        let mut file = &self.file;
        file.seek(SeekFrom::Start((n * self.width) as u64))?;
        file.read_exact(&mut key)?;
        Ok(key == packed)
    }

    /// [`KeyIndex::entry`], the keys in the file.
    ///
    /// # Errors
    /// The file cannot be read or written.
    pub(super) fn entry(&mut self, packed: &[u8], len: usize) -> std::io::Result<Option<Result<u32, u32>>> {
        if self.hashes.is_empty() {
            (self.len, self.width) = (len, packed.len());
        } else if len != self.len || packed.len() != self.width {
            return Ok(None);
        }
        let FiledKeyIndex { hashes, slots, .. } = self;
        slots.reserve(hashes.len(), |n| hashes[n as usize]);
        let hash = hash_of(packed);
        let failed = Cell::new(None);
        let at = self.slots.find(hash, |n| {
            self.hashes[n as usize] == hash
                && self.is(n, packed).unwrap_or_else(|e| {
                    failed.set(Some(e));
                    true
                })
        });
        if let Some(e) = failed.take() {
            return Err(e);
        }
        if self.slots.at(at) != EMPTY {
            return Ok(Some(Ok(self.slots.at(at))));
        }
        let Some(n) = number(self.hashes.len()) else { return Ok(None) };
        self.slots.put(at, n);
        self.hashes.push(hash);
        self.pending.extend_from_slice(packed);
        if self.pending.len() >= PENDING {
            let mut file = &self.file;
            file.seek(SeekFrom::End(0))?;
            file.write_all(&self.pending)?;
            self.pending.clear();
            self.written = self.hashes.len();
        }
        Ok(Some(Err(n)))
    }

    /// The keys in memory, read back in order (the hashes and the table dropped first).
    ///
    /// # Errors
    /// The file cannot be read.
    pub(super) fn into_keys(self) -> std::io::Result<Keys> {
        let FiledKeyIndex { len, width, hashes, slots, file, written, pending } = self;
        let count = hashes.len();
        drop((hashes, slots));
        let mut keys = Keys::default();
        let mut file = std::io::BufReader::new(file);
        file.seek(SeekFrom::Start(0))?;
        let mut key = vec![0u8; width];
        for _ in 0..written {
            file.read_exact(&mut key)?;
            keys.push_packed(&key, len);
        }
        for i in 0..count - written {
            keys.push_packed(&pending[i * width..(i + 1) * width], len);
        }
        Ok(keys)
    }
}

/// Sign vectors of one length, unpacked (read entry by entry), one after another in one
/// column, found again by key: key `v` is the `v`-th inserted.
#[derive(Default)]
pub(super) struct FlatKeys {
    len: usize,
    flat: Vec<i8>,
    slots: Slots,
}

impl FlatKeys {
    /// Key `v`.
    pub(super) fn get(&self, v: u32) -> &[i8] {
        &self.flat[v as usize * self.len..(v as usize + 1) * self.len]
    }

    fn count(&self) -> usize {
        self.flat.len().checked_div(self.len).unwrap_or(0)
    }

    /// The number of `key`, if it was inserted.
    pub(super) fn find(&self, key: &[i8]) -> Option<u32> {
        self.slots.get(hash_of(key), |v| self.get(v) == key)
    }

    /// Inserts a key not yet inserted (of the length of the others): its number (`None`: 2^32
    /// keys, or a key of another length).
    pub(super) fn insert(&mut self, key: &[i8]) -> Option<u32> {
        if self.flat.is_empty() {
            self.len = key.len();
        } else if key.len() != self.len {
            return None;
        }
        let v = number(self.count())?;
        let FlatKeys { len, flat, slots } = self;
        let get = |v: u32| &flat[v as usize * *len..(v as usize + 1) * *len];
        slots.reserve(v as usize, |v| hash_of(get(v)));
        let at = slots.find(hash_of(key), |_| false);
        slots.put(at, v);
        self.flat.extend_from_slice(key);
        Some(v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pack(k: &[i8]) -> Vec<u8> {
        let mut out = Vec::new();
        pack_into(k, &mut out);
        out
    }

    #[test]
    fn packing_keeps_the_order_of_sign_vectors() {
        let keys: Vec<SignKey> = vec![
            vec![-1, -1, -1, -1, -1],
            vec![-1, 0, 1, 1, 0],
            vec![0, -1, 1, 0, 1],
            vec![0, 0, 0, 0, 0],
            vec![1, -1, -1, 0, 1],
            vec![1, 1, 1, 1, 1],
        ];
        for a in &keys {
            assert_eq!(&unpack(&pack(a), a.len()), a);
            for b in &keys {
                assert_eq!(a.cmp(b), pack(a).cmp(&pack(b)), "{a:?} {b:?}");
            }
        }
    }

    #[test]
    fn the_index_numbers_each_key_once_in_order() {
        // 3^7 keys, each entered twice (the table grows twice on the way): the first entry is
        // new and numbered in order, the second finds it
        let digits = |n: usize| -> SignKey { (0..7).map(|p| (n / 3usize.pow(p) % 3) as i8 - 1).collect() };
        let all: Vec<SignKey> = (0..3usize.pow(7)).map(digits).collect();
        let mut index = KeyIndex::default();
        for (i, k) in all.iter().enumerate() {
            assert_eq!(index.entry(&pack(k), 7), Some(Err(i as u32)));
        }
        for (i, k) in all.iter().enumerate().rev() {
            assert_eq!(index.entry(&pack(k), 7), Some(Ok(i as u32)));
            assert_eq!(&index.keys.unpacked(i), k);
        }
        assert_eq!(index.entry(&pack(&[0; 8]), 8), None, "a key of another length");
        assert_eq!(index.into_keys().count(), all.len());
    }

    #[test]
    fn the_filed_index_numbers_each_key_once_and_reads_matches_back() {
        // 3^9 keys of 37 entries (10 bytes packed), 192 KiB: most are in the file when looked up
        let digits = |n: usize| -> SignKey {
            (0..37)
                .map(|p| if p < 9 { (n / 3usize.pow(p) % 3) as i8 - 1 } else { (p % 3) as i8 - 1 })
                .collect()
        };
        let all: Vec<SignKey> = (0..3usize.pow(9)).map(digits).collect();
        let file = crate::export::spill::temporary().unwrap();
        let mut index = FiledKeyIndex::new(file.try_clone().unwrap());
        for (i, k) in all.iter().enumerate() {
            assert_eq!(index.entry(&pack(k), 37).unwrap(), Some(Err(i as u32)));
        }
        assert!(index.written * 10 > 2 * PENDING, "keys in the file: {}", index.written);
        for (i, k) in all.iter().enumerate().rev() {
            assert_eq!(index.entry(&pack(k), 37).unwrap(), Some(Ok(i as u32)));
        }
        assert_eq!(index.entry(&pack(&[0; 36]), 36).unwrap(), None, "a key of another length");
        // a key whose bytes in the file differ is not found by its hash alone
        let mut f = &file;
        f.seek(SeekFrom::Start(0)).unwrap();
        f.write_all(&[0xff; 10]).unwrap();
        assert_eq!(index.entry(&pack(&all[0]), 37).unwrap(), Some(Err(all.len() as u32)));
        let keys = index.into_keys().unwrap();
        assert_eq!(keys.count(), all.len() + 1);
        for (i, k) in all.iter().enumerate().skip(1) {
            assert_eq!(&keys.unpacked(i), k);
        }
        assert_eq!(keys.get(0), &[0xff; 10], "the keys are read back from the file");
        assert_eq!(&keys.unpacked(all.len()), &all[0]);
    }

    #[test]
    fn flat_keys_number_each_key_once_and_give_it_back() {
        let digits = |n: usize| -> SignKey { (0..9).map(|p| (n / 3usize.pow(p) % 3) as i8 - 1).collect() };
        let mut keys = FlatKeys::default();
        assert_eq!(keys.find(&digits(0)), None, "an empty table");
        for n in (0..3usize.pow(9)).step_by(5) {
            assert_eq!(keys.insert(&digits(n)), Some((n / 5) as u32));
        }
        for n in 0..3usize.pow(9) {
            let found = keys.find(&digits(n));
            assert_eq!(found, (n % 5 == 0).then_some((n / 5) as u32), "key {n}");
            if let Some(v) = found {
                assert_eq!(keys.get(v), &digits(n)[..]);
            }
        }
        assert_eq!(keys.insert(&[1, 0]), None, "a key of another length");
    }
}
