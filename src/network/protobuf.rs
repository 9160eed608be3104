//! A minimal, defensive protobuf wire-format reader: just enough to walk an ONNX model (varints,
//! fixed 32/64-bit values, length-delimited fields). Every read is bounds-checked and returns an
//! error on malformed input; nesting depth is limited by the caller's schema walk.

/// A wire-format error with the byte offset where it happened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct WireError {
    /// Byte offset in the message being decoded.
    pub offset: usize,
    /// What is wrong.
    pub message: &'static str,
}

/// A field's value.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum WireValue<'a> {
    /// Wire type 0.
    Varint(u64),
    /// Wire type 1.
    Fixed64(u64),
    /// Wire type 2: bytes, string, sub-message or packed repeated.
    Bytes(&'a [u8]),
    /// Wire type 5.
    Fixed32(u32),
}

/// Iterates over the fields `(number, value)` of one message.
pub(crate) struct Fields<'a> {
    data: &'a [u8],
    pos: usize,
}

impl<'a> Fields<'a> {
    /// The fields of `data`.
    pub(crate) fn new(data: &'a [u8]) -> Fields<'a> {
        Fields { data, pos: 0 }
    }

    fn varint(&mut self) -> Result<u64, WireError> {
        read_varint(self.data, &mut self.pos)
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], WireError> {
        let end = self.pos.checked_add(n).filter(|&e| e <= self.data.len()).ok_or(WireError {
            offset: self.pos,
            message: "field runs past the end of the message (truncated file?)",
        })?;
        let out = &self.data[self.pos..end];
        self.pos = end;
        Ok(out)
    }
}

/// Reads one varint at `pos`.
pub(crate) fn read_varint(data: &[u8], pos: &mut usize) -> Result<u64, WireError> {
    let mut value = 0u64;
    for shift in (0..64).step_by(7) {
        let byte = *data.get(*pos).ok_or(WireError { offset: *pos, message: "truncated varint" })?;
        *pos += 1;
        value |= u64::from(byte & 0x7f) << shift;
        if byte & 0x80 == 0 {
            return Ok(value);
        }
    }
    Err(WireError { offset: *pos, message: "varint longer than 10 bytes" })
}

impl<'a> Iterator for Fields<'a> {
    type Item = Result<(u32, WireValue<'a>), WireError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.pos >= self.data.len() {
            return None;
        }
        let start = self.pos;
        let item = (|| {
            let key = self.varint()?;
            let number = u32::try_from(key >> 3)
                .map_err(|_| WireError { offset: start, message: "bad field number" })?;
            let value = match key & 7 {
                0 => WireValue::Varint(self.varint()?),
                1 => WireValue::Fixed64(u64::from_le_bytes(self.take(8)?.try_into().expect("8 bytes"))),
                2 => {
                    let len = usize::try_from(self.varint()?)
                        .map_err(|_| WireError { offset: start, message: "length too large" })?;
                    WireValue::Bytes(self.take(len)?)
                }
                5 => WireValue::Fixed32(u32::from_le_bytes(self.take(4)?.try_into().expect("4 bytes"))),
                _ => {
                    return Err(WireError {
                        offset: start,
                        message: "unsupported wire type (not a protobuf/ONNX file?)",
                    })
                }
            };
            Ok((number, value))
        })();
        if item.is_err() {
            self.pos = self.data.len();
        }
        Some(item)
    }
}

/// Decodes a packed (or single) repeated varint field value.
pub(crate) fn varints(value: WireValue<'_>) -> Result<Vec<u64>, WireError> {
    match value {
        WireValue::Varint(v) => Ok(vec![v]),
        WireValue::Bytes(b) => {
            let mut pos = 0;
            let mut out = Vec::new();
            while pos < b.len() {
                out.push(read_varint(b, &mut pos)?);
            }
            Ok(out)
        }
        _ => Err(WireError { offset: 0, message: "expected varints" }),
    }
}

/// Decodes a packed (or single) repeated fixed-width field into chunks of `width` bytes.
pub(crate) fn fixed_chunks(value: WireValue<'_>, width: usize) -> Result<Vec<Vec<u8>>, WireError> {
    match value {
        WireValue::Fixed32(v) if width == 4 => Ok(vec![v.to_le_bytes().to_vec()]),
        WireValue::Fixed64(v) if width == 8 => Ok(vec![v.to_le_bytes().to_vec()]),
        WireValue::Bytes(b) if b.len() % width == 0 => Ok(b.chunks(width).map(<[u8]>::to_vec).collect()),
        _ => Err(WireError { offset: 0, message: "packed field has the wrong width" }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_fields_and_rejects_truncation() {
        // field 1 varint 150, field 2 bytes "hi"
        let msg = [0x08, 0x96, 0x01, 0x12, 0x02, b'h', b'i'];
        let fields: Vec<_> = Fields::new(&msg).collect::<Result<_, _>>().unwrap();
        assert_eq!(fields, vec![(1, WireValue::Varint(150)), (2, WireValue::Bytes(b"hi"))]);
        let truncated = &msg[..6];
        assert!(Fields::new(truncated).any(|f| f.is_err()));
        assert!(Fields::new(&[0x0f]).next().unwrap().is_err());
    }
}
