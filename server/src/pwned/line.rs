//! The one parser of corpus lines: `HEX:COUNT`, where HEX is the whole SHA-1 (40 digits,
//! in the sorted file) or the 35 digits after the prefix (in range answers and range
//! files). Upper- or lower-case hex; surrounding whitespace and a CR are ignored.

/// Hex digits of the SHA-1 that name a range (the API's prefix, the file name).
pub const PREFIX_LENGTH: usize = 5;
/// Hex digits of a whole SHA-1.
pub const HASH_LENGTH: usize = 40;
/// Hex digits of a range entry.
pub const SUFFIX_LENGTH: usize = HASH_LENGTH - PREFIX_LENGTH;

/// The hex digits and the count of one line, or `None` when it is not such a line.
pub fn parse_line(line: &[u8], hex_length: usize) -> Option<(&[u8], u64)> {
    let line = line.trim_ascii();
    let colon = line.iter().position(|&byte| byte == b':')?;
    let (hex, count) = (&line[..colon], line[colon + 1..].trim_ascii());
    if hex.len() != hex_length || !hex.iter().all(u8::is_ascii_hexdigit) {
        return None;
    }
    if count.is_empty() || !count.iter().all(u8::is_ascii_digit) {
        return None;
    }
    // All digits, so only an overflow can fail.
    let count = std::str::from_utf8(count).ok()?.parse().ok()?;
    Some((hex, count))
}

/// Whether the hex digits of a line equal `wanted` (upper case), in any case.
pub fn hex_equals(hex: &[u8], wanted: &[u8]) -> bool {
    hex.eq_ignore_ascii_case(wanted)
}

/// What reading one range (an API answer or a range file) found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RangeScan {
    /// The count listed for the suffix looked for, when it is listed.
    pub count: Option<u64>,
    /// Lines that parsed.
    pub entries: usize,
    /// The byte offset of the first non-blank line that did not parse.
    pub first_malformed: Option<usize>,
}

/// Reads `SUFFIX:COUNT` lines up to the one listing `suffix` (upper-case hex).
pub fn scan_range(body: &[u8], suffix: &[u8]) -> RangeScan {
    let mut scan = RangeScan::default();
    let mut offset = 0;
    for line in body.split(|&byte| byte == b'\n') {
        let start = offset;
        offset += line.len() + 1;
        match parse_line(line, SUFFIX_LENGTH) {
            Some((hex, count)) => {
                scan.entries += 1;
                if hex_equals(hex, suffix) {
                    scan.count = Some(count);
                    break;
                }
            }
            None if line.trim_ascii().is_empty() => {}
            None => {
                scan.first_malformed.get_or_insert(start);
            }
        }
    }
    scan
}

#[cfg(test)]
mod tests {
    use super::*;

    const SUFFIX: &str = "AD6438836DBE526AA231ABDE2D0EEF74D42";
    const HASH: &str = "ABF7AAD6438836DBE526AA231ABDE2D0EEF74D42";

    #[test]
    fn lines_parse_defensively() {
        let parse = |line: &str, length| {
            parse_line(line.as_bytes(), length)
                .map(|(hex, count)| (String::from_utf8_lossy(hex).into_owned(), count))
        };
        assert_eq!(
            parse(&format!("{SUFFIX}:12\r"), SUFFIX_LENGTH),
            Some((SUFFIX.to_owned(), 12))
        );
        assert_eq!(
            parse(&format!(" {}:0 ", HASH.to_lowercase()), HASH_LENGTH),
            Some((HASH.to_lowercase(), 0))
        );
        assert_eq!(parse(HASH, HASH_LENGTH), None);
        assert_eq!(parse(&format!("{HASH}:12"), SUFFIX_LENGTH), None);
        assert_eq!(parse(&format!("{SUFFIX}:12"), HASH_LENGTH), None);
        assert_eq!(parse("", SUFFIX_LENGTH), None);
        assert_eq!(parse("x", SUFFIX_LENGTH), None);
        assert_eq!(parse(&format!("{SUFFIX}:"), SUFFIX_LENGTH), None);
        assert_eq!(parse(&format!("{SUFFIX}:-1"), SUFFIX_LENGTH), None);
        assert_eq!(parse(&format!("{SUFFIX}:+1"), SUFFIX_LENGTH), None);
        assert_eq!(parse(&format!("{SUFFIX}:1 2"), SUFFIX_LENGTH), None);
        assert_eq!(
            parse(&format!("{SUFFIX}:99999999999999999999999"), SUFFIX_LENGTH),
            None
        );
        assert_eq!(parse(&format!("{SUFFIX}0:1"), SUFFIX_LENGTH), None);
        assert_eq!(parse(&format!("G{}:1", &SUFFIX[1..]), SUFFIX_LENGTH), None);
        assert_eq!(parse(&"é".repeat(40), SUFFIX_LENGTH), None);
    }

    #[test]
    fn a_range_scan_stops_at_the_suffix_and_reports_the_first_bad_line() {
        let body = format!(
            "0018A45C4D1DEF81644B54AB7F969B88D65:1\r\nnot a line\r\n\r\n{}:42\r\nrest",
            SUFFIX.to_lowercase()
        );
        let scan = scan_range(body.as_bytes(), SUFFIX.as_bytes());
        assert_eq!(scan.count, Some(42));
        assert_eq!(scan.entries, 2);
        assert_eq!(scan.first_malformed, Some(39));

        let scan = scan_range(b"", SUFFIX.as_bytes());
        assert_eq!(scan, RangeScan::default());
        let scan = scan_range(
            b"0018A45C4D1DEF81644B54AB7F969B88D65:1\n",
            SUFFIX.as_bytes(),
        );
        assert_eq!(
            scan,
            RangeScan {
                count: None,
                entries: 1,
                first_malformed: None
            }
        );
    }
}
