//! Turns a case's transcript into a stable snapshot: ids, tokens, codes and
//! timestamps become placeholders, each checked for its documented shape first.
//!
//! Within a case the same value always gets the same placeholder, so a snapshot
//! still shows which token belongs to which record.

use std::collections::HashMap;

use serde_json::{Map, Value};

use tiauth_faroe::faroe::credentials::{LOWERCASE_ALPHABET as LOWER, UPPERCASE_ALPHABET as UPPER};

fn is_symbols(text: &str, alphabet: &[u8], length: usize) -> bool {
    text.len() == length && text.bytes().all(|b| alphabet.contains(&b))
}

/// An id or a secret: 24 symbols of the lowercase alphabet.
pub fn is_id(text: &str) -> bool {
    is_symbols(text, LOWER, 24)
}

/// `<id>.<secret>`.
pub fn is_token(text: &str) -> bool {
    text.split_once('.')
        .is_some_and(|(id, secret)| is_id(id) && is_id(secret))
}

pub fn is_verification_code(text: &str) -> bool {
    is_symbols(text, UPPER, 8)
}

pub fn is_temporary_password(text: &str) -> bool {
    is_symbols(text, UPPER, 12)
}

#[derive(Debug, thiserror::Error)]
#[error("{field}: {problem} (got {value})")]
pub struct ShapeError {
    field: String,
    problem: &'static str,
    value: Value,
}

/// The instant of an e-mail's `timestamp` (UTC, e.g. `March 5, 2025 09:07:03`), in
/// unix seconds, when it has that shape.
pub fn email_time(text: &str) -> Option<i64> {
    let format = time::macros::format_description!(
        "[month repr:long] [day padding:none], [year] [hour]:[minute]:[second]"
    );
    // The day is never zero-padded, which the parser would let pass.
    if text
        .split(' ')
        .nth(1)
        .is_some_and(|day| day.starts_with('0'))
    {
        return None;
    }
    time::PrimitiveDateTime::parse(text, &format)
        .ok()
        .map(|t| t.assume_utc().unix_timestamp())
}

/// Numbers each distinct value of a kind in order of appearance.
#[derive(Default)]
struct Numbering(HashMap<String, usize>);

impl Numbering {
    fn number(&mut self, value: &str) -> usize {
        let next = self.0.len() + 1;
        *self.0.entry(value.to_owned()).or_insert(next)
    }
}

/// Placeholders for one case.
#[derive(Default)]
pub struct Redactor {
    ids: Numbering,
    secrets: Numbering,
    codes: Numbering,
    users: Numbering,
    /// Timestamps must lie in this window (unix seconds).
    window: (i64, i64),
}

impl Redactor {
    /// Timestamps must fall within `earliest ..= latest`.
    pub fn set_time_window(&mut self, earliest: i64, latest: i64) {
        self.window = (earliest, latest);
    }

    /// Redacts a value the client sent: by shape only, since fixtures also send
    /// deliberately malformed values.
    pub fn redact_sent(&mut self, value: &Value) -> Value {
        match value {
            Value::String(text) => Value::String(self.redact_text(text)),
            Value::Object(map) => Value::Object(
                map.iter()
                    .map(|(k, v)| (k.clone(), self.redact_sent(v)))
                    .collect(),
            ),
            other => other.clone(),
        }
    }

    /// Redacts a `/command` sent to the user server, or its answer: `user_id`
    /// members become the same `[userN]` as in the server's answers (the user
    /// server's numbering goes on across cases), other strings are redacted by
    /// shape (codes in e-mails, tokens), arrays and objects recursively.
    pub fn redact_backend(&mut self, value: &Value) -> Value {
        match value {
            Value::String(text) => Value::String(self.redact_text(text)),
            Value::Array(items) => {
                Value::Array(items.iter().map(|v| self.redact_backend(v)).collect())
            }
            Value::Object(map) => Value::Object(
                map.iter()
                    .map(|(k, v)| {
                        let redacted = match (k.as_str(), v) {
                            ("user_id", Value::String(user)) if !user.is_empty() => {
                                Value::String(format!("[user{}]", self.users.number(user)))
                            }
                            // E-mail times; one not near the clock is left as it is, so
                            // the snapshot shows it.
                            ("timestamp", Value::String(text))
                                if email_time(text)
                                    .is_some_and(|t| t >= self.window.0 && t <= self.window.1) =>
                            {
                                Value::String("[timestamp]".into())
                            }
                            _ => self.redact_backend(v),
                        };
                        (k.clone(), redacted)
                    })
                    .collect(),
            ),
            other => other.clone(),
        }
    }

    /// Redacts a text the client sent or read (codes from e-mails).
    pub fn redact_text(&mut self, text: &str) -> String {
        if is_token(text) {
            let (id, secret) = text.split_once('.').unwrap_or_default();
            format!(
                "[id{}].[secret{}]",
                self.ids.number(id),
                self.secrets.number(secret)
            )
        } else if is_id(text) {
            format!("[id{}]", self.ids.number(text))
        } else if is_verification_code(text) {
            format!("[code{}]", self.codes.number(text))
        } else if is_temporary_password(text) {
            format!("[temporary_password{}]", self.codes.number(text))
        } else {
            text.to_owned()
        }
    }

    /// Redacts a server answer, checking the shape of every field it replaces.
    pub fn redact_received(&mut self, value: &Value) -> Result<Value, ShapeError> {
        self.received(value, "")
    }

    fn received(&mut self, value: &Value, path: &str) -> Result<Value, ShapeError> {
        let Value::Object(map) = value else {
            return Ok(value.clone());
        };
        let mut out = Map::new();
        let created_at = map.get("created_at").and_then(Value::as_i64);
        for (key, field) in map {
            let field_path = format!("{path}.{key}");
            let fail = |problem| ShapeError {
                field: field_path.clone(),
                problem,
                value: field.clone(),
            };
            let redacted = match (key.as_str(), field) {
                ("action_invocation_id", Value::String(id)) if is_id(id) => {
                    Value::String("[action_invocation_id]".into())
                }
                ("action_invocation_id", _) => return Err(fail("not an id")),
                ("created_at", Value::Number(n)) => {
                    let t = n.as_i64().ok_or_else(|| fail("not an integer"))?;
                    if t < self.window.0 || t > self.window.1 {
                        return Err(fail("timestamp not near the clock"));
                    }
                    Value::String("[timestamp]".into())
                }
                ("created_at", _) => return Err(fail("not a timestamp")),
                ("expires_at", Value::Null) => Value::Null,
                ("expires_at", Value::Number(n)) => {
                    let (Some(t), Some(created)) = (n.as_i64(), created_at) else {
                        return Err(fail("expiry without an integer creation time"));
                    };
                    if t <= created {
                        return Err(fail("expires before it was created"));
                    }
                    Value::String(format!("[created_at+{}s]", t - created))
                }
                ("expires_at", _) => return Err(fail("not a timestamp")),
                (key, Value::String(token)) if key.ends_with("_token") => {
                    if !is_token(token) {
                        return Err(fail("not a token"));
                    }
                    Value::String(self.redact_text(token))
                }
                ("id" | "session_id", Value::String(id)) => {
                    if !is_id(id) {
                        return Err(fail("not an id"));
                    }
                    Value::String(self.redact_text(id))
                }
                ("user_id", Value::String(user)) if !user.is_empty() => {
                    Value::String(format!("[user{}]", self.users.number(user)))
                }
                (_, nested @ Value::Object(_)) => self.received(nested, &field_path)?,
                (_, other) => other.clone(),
            };
            out.insert(key.clone(), redacted);
        }
        Ok(Value::Object(out))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const ID: &str = "abcdefghijkmnpqrstuvwxyz";
    const OTHER: &str = "23456789abcdefghijkmnpqr";

    fn redactor() -> Redactor {
        let mut redactor = Redactor::default();
        redactor.set_time_window(1_000, 2_000);
        redactor
    }

    #[test]
    fn same_values_get_the_same_placeholder() {
        let mut r = redactor();
        let token = format!("{ID}.{OTHER}");
        let answer = json!({
            "action_invocation_id": OTHER,
            "values": {"signup": {"id": ID, "created_at": 1_500, "expires_at": 2_700},
                       "signup_token": token}
        });
        let redacted = r.redact_received(&answer).expect("shapes fine");
        assert_eq!(
            redacted,
            json!({
                "action_invocation_id": "[action_invocation_id]",
                "values": {"signup": {"id": "[id1]", "created_at": "[timestamp]",
                                      "expires_at": "[created_at+1200s]"},
                           "signup_token": "[id1].[secret1]"}
            })
        );
        assert_eq!(r.redact_text(&token), "[id1].[secret1]");
        assert_eq!(r.redact_text("ABCDEFGH"), "[code1]");
        assert_eq!(r.redact_text("not-a-token.x"), "not-a-token.x");
    }

    #[test]
    fn backend_commands_and_answers_share_the_user_placeholders() {
        let mut r = redactor();
        let session = r
            .redact_received(&json!({"session": {"user_id": "7_alice"}}))
            .expect("shapes fine");
        assert_eq!(session, json!({"session": {"user_id": "[user1]"}}));
        let command = json!({"command": "update_user", "user_id": "7_alice", "disabled": true});
        assert_eq!(
            r.redact_backend(&command),
            json!({"command": "update_user", "user_id": "[user1]", "disabled": true})
        );
        let emails = json!({"emails": [{"type": "signup_verification", "email": "a@b.c",
                                        "code": "ABCDEFGH"}]});
        assert_eq!(
            r.redact_backend(&emails),
            json!({"emails": [{"type": "signup_verification", "email": "a@b.c",
                               "code": "[code1]"}]})
        );
    }

    #[test]
    fn e_mail_times_are_read_in_utc() {
        assert_eq!(
            email_time("November 14, 2023 22:13:20"),
            Some(1_700_000_000)
        );
        assert_eq!(email_time("March 5, 2025 09:07:03"), Some(1_741_165_623));
        assert_eq!(email_time("March 05, 2025 09:07:03"), None);
        assert_eq!(email_time("2025-03-05T09:07:03Z"), None);
    }

    #[test]
    fn wrong_shapes_are_errors() {
        let mut r = redactor();
        for bad in [
            json!({"session_token": "short.token"}),
            json!({"id": "UPPERCASEUPPERCASEUPPERC"}),
            json!({"created_at": 5}),
            json!({"created_at": 1_500, "expires_at": 1_400}),
            json!({"action_invocation_id": 7}),
        ] {
            assert!(r.redact_received(&bad).is_err(), "{bad}");
        }
    }
}
