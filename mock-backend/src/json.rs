//! JSON bodies written the way Python's `json.dumps` writes them.
//!
//! The Python reference server answers with `json.dumps(...)` defaults: `", "` between members,
//! `": "` after keys, and every character outside printable ASCII escaped as `\uXXXX`. Writing
//! the same bytes lets the two servers be compared response for response.

use std::io;

use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::ser::Formatter;
use serde_json::{json, Value};

/// A `serde_json` formatter matching Python's `json.dumps` with default arguments.
#[derive(Debug, Default, Clone, Copy)]
pub struct PythonFormatter;

impl Formatter for PythonFormatter {
    fn begin_array_value<W: ?Sized + io::Write>(
        &mut self,
        writer: &mut W,
        first: bool,
    ) -> io::Result<()> {
        if first {
            Ok(())
        } else {
            writer.write_all(b", ")
        }
    }

    fn begin_object_key<W: ?Sized + io::Write>(
        &mut self,
        writer: &mut W,
        first: bool,
    ) -> io::Result<()> {
        if first {
            Ok(())
        } else {
            writer.write_all(b", ")
        }
    }

    fn begin_object_value<W: ?Sized + io::Write>(&mut self, writer: &mut W) -> io::Result<()> {
        writer.write_all(b": ")
    }

    /// Python's `ensure_ascii` escapes everything outside `' '..='~'`; `serde_json` already
    /// escapes quotes, backslashes and control characters before calling this.
    fn write_string_fragment<W: ?Sized + io::Write>(
        &mut self,
        writer: &mut W,
        fragment: &str,
    ) -> io::Result<()> {
        // Most fragments are printable ASCII throughout: written as they are.
        if !fragment.bytes().any(|byte| byte >= 0x7f) {
            return writer.write_all(fragment.as_bytes());
        }
        let mut plain_start = 0;
        for (index, character) in fragment.char_indices() {
            if (character as u32) < 0x7f {
                continue;
            }
            writer.write_all(&fragment.as_bytes()[plain_start..index])?;
            let mut units = [0u16; 2];
            for unit in character.encode_utf16(&mut units) {
                write!(writer, "\\u{unit:04x}")?;
            }
            plain_start = index + character.len_utf8();
        }
        writer.write_all(&fragment.as_bytes()[plain_start..])
    }
}

/// Serialises `value` as Python's `json.dumps` would.
pub fn to_python_json<T: Serialize + ?Sized>(value: &T) -> Result<Vec<u8>, serde_json::Error> {
    let mut out = Vec::with_capacity(128);
    let mut serializer = serde_json::Serializer::with_formatter(&mut out, PythonFormatter);
    value.serialize(&mut serializer)?;
    Ok(out)
}

/// A response with `Content-Type: application/json` and the given raw body.
pub fn raw_json_response(status: StatusCode, body: impl Into<axum::body::Body>) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        body.into(),
    )
        .into_response()
}

/// A response whose body is `value` written in the Python style.
pub fn json_response<T: Serialize + ?Sized>(status: StatusCode, value: &T) -> Response {
    match to_python_json(value) {
        Ok(body) => raw_json_response(status, body),
        Err(error) => {
            tracing::error!(%error, "could not serialise a response body");
            internal_error_response()
        }
    }
}

/// The Python server's error body: `{"error": "<message>", "status_code": <n>}`.
pub fn error_response(status: StatusCode, message: &str) -> Response {
    json_response(
        status,
        &json!({"error": message, "status_code": status.as_u16()}),
    )
}

/// `500 {"error": "Internal Server Error", "status_code": 500}`.
pub fn internal_error_response() -> Response {
    raw_json_response(
        StatusCode::INTERNAL_SERVER_ERROR,
        r#"{"error": "Internal Server Error", "status_code": 500}"#,
    )
}

/// Python truthiness of a JSON value (`None`, `False`, `0`, `""`, `[]`, `{}` are falsy).
pub fn is_truthy(value: Option<&Value>) -> bool {
    match value {
        None | Some(Value::Null) => false,
        Some(Value::Bool(flag)) => *flag,
        Some(Value::Number(number)) => number.as_f64().is_some_and(|n| n != 0.0),
        Some(Value::String(text)) => !text.is_empty(),
        Some(Value::Array(items)) => !items.is_empty(),
        Some(Value::Object(members)) => !members.is_empty(),
    }
}

/// How Python's `str()` shows a decoded JSON value in a message (`None`, `True`, the text of a
/// string); arrays and objects are shown as JSON.
pub fn python_str(value: Option<&Value>) -> String {
    match value {
        None | Some(Value::Null) => "None".to_owned(),
        Some(Value::Bool(true)) => "True".to_owned(),
        Some(Value::Bool(false)) => "False".to_owned(),
        Some(Value::String(text)) => text.clone(),
        Some(other) => to_python_json(other)
            .ok()
            .and_then(|bytes| String::from_utf8(bytes).ok())
            .unwrap_or_default(),
    }
}

/// The value as a non-empty string, or `None`.
pub fn non_empty_str(value: Option<&Value>) -> Option<&str> {
    value
        .and_then(Value::as_str)
        .filter(|text| !text.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn python(value: &Value) -> String {
        String::from_utf8(to_python_json(value).expect("serialisable")).expect("ascii output")
    }

    #[test]
    fn separators_match_python() {
        assert_eq!(
            python(&json!({"ok": true, "values": {"a": [1, 2]}})),
            r#"{"ok": true, "values": {"a": [1, 2]}}"#
        );
        assert_eq!(python(&json!({})), "{}");
        assert_eq!(python(&json!([])), "[]");
    }

    #[test]
    fn non_ascii_is_escaped_like_python() {
        assert_eq!(python(&json!("é")), r#""\u00e9""#);
        assert_eq!(python(&json!("a\u{7f}b")), r#""a\u007fb""#);
        assert_eq!(python(&json!("😀")), r#""\ud83d\ude00""#);
        assert_eq!(python(&json!("x\n\"\\\u{1}")), r#""x\n\"\\\u0001""#);
        assert_eq!(python(&json!("a&<>")), r#""a&<>""#);
    }

    #[test]
    fn truthiness_follows_python() {
        assert!(!is_truthy(None));
        assert!(!is_truthy(Some(&json!(""))));
        assert!(!is_truthy(Some(&json!(0))));
        assert!(!is_truthy(Some(&json!(false))));
        assert!(!is_truthy(Some(&json!({}))));
        assert!(is_truthy(Some(&json!("x"))));
        assert!(is_truthy(Some(&json!(2))));
    }
}
