//! Durations in Go's syntax, as the upstream server reads and prints them.

use std::time::Duration;

/// Parses a duration in Go's syntax (`time.ParseDuration`): an optional sign, then one or
/// more decimal numbers, each with an optional fraction and a unit (`ns`, `us`/`µs`/`μs`,
/// `ms`, `s`, `m`, `h`), such as `2160h`, `1h30m`, `1.5h` or `300ms`; a bare `0` is also
/// accepted. Returns nanoseconds.
pub fn parse_go_duration(text: &str) -> Result<i64, String> {
    const UNITS: &[(&str, i128)] = &[
        ("ns", 1),
        ("us", 1_000),
        ("µs", 1_000),
        ("μs", 1_000),
        ("ms", 1_000_000),
        ("s", 1_000_000_000),
        ("m", 60_000_000_000),
        ("h", 3_600_000_000_000),
    ];
    let syntax = || "not a duration (examples: 2160h, 1h30m, 90m, 1.5h, 300ms)".to_owned();
    let (negative, mut rest) = match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    if rest == "0" {
        return Ok(0);
    }
    if rest.is_empty() {
        return Err(syntax());
    }
    let mut total: i128 = 0;
    while !rest.is_empty() {
        let integer_digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        let (integer, after) = rest.split_at(integer_digits);
        let (fraction, after) = match after.strip_prefix('.') {
            Some(after_dot) => {
                let digits = after_dot.bytes().take_while(u8::is_ascii_digit).count();
                after_dot.split_at(digits)
            }
            None => ("", after),
        };
        if integer.is_empty() && fraction.is_empty() {
            return Err(syntax());
        }
        let unit_length = after
            .char_indices()
            .find(|(_, c)| c.is_ascii_digit() || *c == '.')
            .map_or(after.len(), |(index, _)| index);
        let (unit, after) = after.split_at(unit_length);
        let Some(&(_, scale)) = UNITS.iter().find(|(name, _)| *name == unit) else {
            return Err(if unit.is_empty() {
                "missing unit (one of ns, us, ms, s, m, h)".to_owned()
            } else {
                format!("unknown unit {unit:?} (one of ns, us, ms, s, m, h)")
            });
        };
        let too_large = || "too large".to_owned();
        let mut value: i128 = 0;
        for digit in integer.bytes() {
            value = value
                .checked_mul(10)
                .and_then(|v| v.checked_add(i128::from(digit - b'0')))
                .filter(|v| *v <= i128::from(i64::MAX))
                .ok_or_else(too_large)?;
        }
        value = value.checked_mul(scale).ok_or_else(too_large)?;
        // Fraction digits beyond nanosecond precision do not matter.
        let mut fraction_value: i128 = 0;
        let mut fraction_scale: i128 = 1;
        for digit in fraction.bytes().take(18) {
            fraction_value = fraction_value * 10 + i128::from(digit - b'0');
            fraction_scale *= 10;
        }
        value += fraction_value * scale / fraction_scale;
        total = total
            .checked_add(value)
            .filter(|v| *v <= i128::from(i64::MAX) + 1)
            .ok_or_else(too_large)?;
        rest = after;
    }
    let signed = if negative { -total } else { total };
    i64::try_from(signed).map_err(|_| "too large".to_owned())
}

/// Formats a duration in Go's style (`2160h0m0s`, `1.5s`, `300ms`).
pub fn format_duration(duration: Duration) -> String {
    let nanos = duration.as_nanos();
    if nanos == 0 {
        return "0s".to_owned();
    }
    if nanos < 1_000_000_000 {
        let (value, unit, scale) = if nanos < 1_000 {
            (nanos, "ns", 1)
        } else if nanos < 1_000_000 {
            (nanos, "µs", 1_000)
        } else {
            (nanos, "ms", 1_000_000)
        };
        return format!("{}{unit}", decimal(value, scale));
    }
    let total_seconds = nanos / 1_000_000_000;
    let hours = total_seconds / 3600;
    let minutes = (total_seconds % 3600) / 60;
    let seconds = decimal(nanos % 60_000_000_000, 1_000_000_000);
    if hours > 0 {
        format!("{hours}h{minutes}m{seconds}s")
    } else if minutes > 0 {
        format!("{minutes}m{seconds}s")
    } else {
        format!("{seconds}s")
    }
}

fn decimal(value: u128, scale: u128) -> String {
    let whole = value / scale;
    let fraction = value % scale;
    if fraction == 0 {
        return whole.to_string();
    }
    let width = scale.to_string().len() - 1;
    let digits = format!("{fraction:0width$}");
    format!("{whole}.{}", digits.trim_end_matches('0'))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECOND: i64 = 1_000_000_000;

    #[test]
    fn go_durations_parse_like_go() {
        let cases: &[(&str, i64)] = &[
            ("0", 0),
            ("+0", 0),
            ("-0", 0),
            ("2160h", 2160 * 3600 * SECOND),
            ("1h30m", 5400 * SECOND),
            ("90m", 5400 * SECOND),
            ("1.5h", 5400 * SECOND),
            ("300ms", 300_000_000),
            ("1.5s", 1_500_000_000),
            (".5s", 500_000_000),
            ("1.s", SECOND),
            ("3s", 3 * SECOND),
            ("-1h", -3600 * SECOND),
            ("1h1m1s1ms1us1ns", 3661 * SECOND + 1_001_001),
            ("1µs", 1_000),
            ("1μs", 1_000),
            ("0s", 0),
            ("0.000000001s", 1),
            ("0.0000000019s", 1),
            ("2562047h47m16.854775807s", i64::MAX),
        ];
        for (text, nanos) in cases {
            assert_eq!(parse_go_duration(text), Ok(*nanos), "{text}");
        }
    }

    #[test]
    fn bad_go_durations_are_rejected() {
        for text in [
            "", "-", "+", "1", "10", "h", ".h", "1x", "1hh", "1h30", " 1h", "1h ", "1.2.3s",
            "1e3s", "2562048h", "abc", "1 h", "--1h",
        ] {
            assert!(parse_go_duration(text).is_err(), "{text:?} was accepted");
        }
    }

    #[test]
    fn durations_format_like_go() {
        assert_eq!(
            format_duration(Duration::from_secs(2160 * 3600)),
            "2160h0m0s"
        );
        assert_eq!(format_duration(Duration::from_secs(5400)), "1h30m0s");
        assert_eq!(format_duration(Duration::from_millis(300)), "300ms");
        assert_eq!(format_duration(Duration::from_millis(1500)), "1.5s");
        assert_eq!(format_duration(Duration::from_secs(3)), "3s");
        assert_eq!(format_duration(Duration::ZERO), "0s");
        assert_eq!(format_duration(Duration::from_secs(61)), "1m1s");
    }
}
