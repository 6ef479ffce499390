//! Reading upstream's binary sequence format: a record is a run of items, each an
//! unsigned LEB128 length followed by that many bytes. Integers are zigzag-encoded
//! big-endian with their leading zero bytes dropped (zero is an empty item), booleans
//! one byte, strings raw UTF-8. Items past the ones a layout needs are ignored, as
//! upstream ignores them.

use super::DecodeError;

/// The items of one record, borrowed from its bytes.
#[derive(Debug)]
pub(super) struct Sequence<'a> {
    items: Vec<&'a [u8]>,
}

/// An unsigned LEB128 number of at most 64 bits from the start of `bytes`, and how
/// many bytes it took.
fn read_uvarint(bytes: &[u8]) -> Option<(u64, usize)> {
    let mut value: u64 = 0;
    for (index, &byte) in bytes.iter().enumerate().take(10) {
        // The tenth byte may only hold the 64th bit.
        if index == 9 && byte > 1 {
            return None;
        }
        value |= u64::from(byte & 0x7f) << (7 * index);
        if byte < 0x80 {
            return Some((value, index + 1));
        }
    }
    None
}

/// Undoes zigzag: even numbers are the non-negative values, odd ones the negative.
fn unzigzag(value: u64) -> i64 {
    let magnitude = (value >> 1) as i64;
    if value & 1 == 1 {
        !magnitude
    } else {
        magnitude
    }
}

impl<'a> Sequence<'a> {
    pub(super) fn parse(bytes: &'a [u8]) -> Result<Self, DecodeError> {
        let mut items = Vec::new();
        let mut rest = bytes;
        while !rest.is_empty() {
            let index = items.len();
            let (length, header) = read_uvarint(rest).ok_or(DecodeError::BadLength { index })?;
            rest = &rest[header..];
            let length = usize::try_from(length)
                .ok()
                .filter(|length| *length <= rest.len())
                .ok_or(DecodeError::Truncated { index })?;
            let (item, after) = rest.split_at(length);
            items.push(item);
            rest = after;
        }
        Ok(Sequence { items })
    }

    pub(super) fn bytes(&self, index: usize) -> Result<&'a [u8], DecodeError> {
        self.items
            .get(index)
            .copied()
            .ok_or(DecodeError::MissingItem { index })
    }

    pub(super) fn string(&self, index: usize) -> Result<String, DecodeError> {
        std::str::from_utf8(self.bytes(index)?)
            .map(str::to_owned)
            .map_err(|_| DecodeError::NotUtf8 { index })
    }

    pub(super) fn bool(&self, index: usize) -> Result<bool, DecodeError> {
        match self.bytes(index)? {
            [0] => Ok(false),
            [1] => Ok(true),
            _ => Err(DecodeError::NotABool { index }),
        }
    }

    pub(super) fn int64(&self, index: usize) -> Result<i64, DecodeError> {
        Ok(unzigzag(self.unsigned(index, 8)?))
    }

    pub(super) fn int32(&self, index: usize) -> Result<i32, DecodeError> {
        // Four bytes at most, so the unzigzagged value fits 32 bits.
        let value = unzigzag(self.unsigned(index, 4)?);
        i32::try_from(value).map_err(|_| DecodeError::IntegerTooLong { index })
    }

    /// A big-endian number of at most `width` bytes (shorter ones are zero-padded).
    fn unsigned(&self, index: usize, width: usize) -> Result<u64, DecodeError> {
        let item = self.bytes(index)?;
        if item.len() > width {
            return Err(DecodeError::IntegerTooLong { index });
        }
        Ok(item
            .iter()
            .fold(0u64, |value, &byte| (value << 8) | u64::from(byte)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(bytes: &[u8]) -> Vec<u8> {
        let mut encoded = vec![u8::try_from(bytes.len()).expect("short item")];
        encoded.extend_from_slice(bytes);
        encoded
    }

    #[test]
    fn integers_decode_as_the_documented_reference_values() {
        let int64 = [
            ("", 0i64),
            ("02", 1),
            ("01", -1),
            ("04", 2),
            ("03", -2),
            ("7e", 63),
            ("80", 64),
            ("caa7e200", 1_700_000_000),
            ("1cef23edff", -62_135_596_800),
            ("fffffffffffffffe", i64::MAX),
            ("ffffffffffffffff", i64::MIN),
        ];
        for (hex, expected) in int64 {
            let bytes = item(&hex::decode(hex).expect("hex"));
            let sequence = Sequence::parse(&bytes).expect("parse");
            assert_eq!(sequence.int64(0), Ok(expected), "{hex}");
        }
        let int32 = [
            ("fffffffe", i32::MAX),
            ("ffffffff", i32::MIN),
            ("", 0),
            ("01", -1),
        ];
        for (hex, expected) in int32 {
            let bytes = item(&hex::decode(hex).expect("hex"));
            let sequence = Sequence::parse(&bytes).expect("parse");
            assert_eq!(sequence.int32(0), Ok(expected), "{hex}");
        }
    }

    #[test]
    fn malformed_items_are_errors_naming_the_item() {
        let too_long = item(&[1, 2, 3, 4, 5]);
        let sequence = Sequence::parse(&too_long).expect("parse");
        assert_eq!(
            sequence.int32(0),
            Err(DecodeError::IntegerTooLong { index: 0 })
        );
        assert_eq!(sequence.int64(0), Ok(unzigzag(0x01_0203_0405)));
        assert_eq!(
            sequence.int64(1),
            Err(DecodeError::MissingItem { index: 1 })
        );
        let nine = item(&[1; 9]);
        assert_eq!(
            Sequence::parse(&nine).expect("parse").int64(0),
            Err(DecodeError::IntegerTooLong { index: 0 })
        );
        for bad_bool in [&[][..], &[2], &[0, 0]] {
            let bytes = item(bad_bool);
            assert_eq!(
                Sequence::parse(&bytes).expect("parse").bool(0),
                Err(DecodeError::NotABool { index: 0 })
            );
        }
        let not_utf8 = item(&[0xff, 0xfe]);
        assert_eq!(
            Sequence::parse(&not_utf8).expect("parse").string(0),
            Err(DecodeError::NotUtf8 { index: 0 })
        );
    }

    #[test]
    fn lengths_past_the_end_and_bad_varints_are_errors() {
        let mut bytes = item(b"abc");
        bytes.extend_from_slice(&[5, b'x']);
        assert_eq!(
            Sequence::parse(&bytes).map(|_| ()),
            Err(DecodeError::Truncated { index: 1 })
        );
        // A length header that never ends.
        assert_eq!(
            Sequence::parse(&[0x80, 0x80]).map(|_| ()),
            Err(DecodeError::BadLength { index: 0 })
        );
        // Eleven continuation bytes overflow 64 bits.
        assert_eq!(
            Sequence::parse(&[0xff; 11]).map(|_| ()),
            Err(DecodeError::BadLength { index: 0 })
        );
        // A multi-byte length: 300 bytes.
        let mut long = vec![0xac, 0x02];
        long.extend(std::iter::repeat_n(b'a', 300));
        let sequence = Sequence::parse(&long).expect("parse");
        assert_eq!(sequence.bytes(0).map(<[u8]>::len), Ok(300));
    }
}
