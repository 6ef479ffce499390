//! What the fuzz targets in `fuzz/` run (feature `fuzzing`): each function feeds
//! untrusted bytes to one parser and panics if what must hold of its result does not.
//! The unit tests below replay the committed corpora and every input that once failed.

// A fuzz target reports a broken property by panicking.
#![allow(clippy::expect_used, clippy::panic)]

use std::time::Duration;

use base64::Engine;
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::config::{format_duration, parse_env_file, parse_go_duration};
use crate::faroe::credentials::{format_token, parse_token, SecretHash};
use crate::faroe::endpoint::{ActionRequest, ACTION_NAMES};
use crate::faroe::records::{self, *};

/// An action request body: accepted ones are JSON naming a known action.
pub fn action_envelope(body: &[u8]) {
    if let Ok(request) = ActionRequest::parse(body) {
        let action = request.action();
        assert!(ACTION_NAMES.contains(&action), "{action}");
        assert!(serde_json::from_slice::<serde_json::Value>(body).is_ok());
    }
}

/// A token: one that parses is given back by formatting its halves, and its secret
/// matches its own hash.
pub fn token(bytes: &[u8]) {
    let Ok(text) = std::str::from_utf8(bytes) else {
        return;
    };
    if let Some((id, secret)) = parse_token(text) {
        assert_eq!(format_token(id, secret), text);
        assert!(!secret.contains('.'));
        assert!(SecretHash::of(secret).matches(secret));
    }
}

fn round_trip<R: Serialize + DeserializeOwned + PartialEq + std::fmt::Debug>(bytes: &[u8]) {
    if let Ok(record) = records::decode::<R>(bytes) {
        let encoded = records::encode(&record).expect("a decoded record encodes");
        assert_eq!(records::decode::<R>(&encoded).as_ref(), Ok(&record));
    }
}

/// A stored value, read as every kind of record.
pub fn record(bytes: &[u8]) {
    round_trip::<SessionRecord>(bytes);
    round_trip::<SignupRecord>(bytes);
    round_trip::<SigninRecord>(bytes);
    round_trip::<UserEmailAddressUpdateRecord>(bytes);
    round_trip::<UserPasswordUpdateRecord>(bytes);
    round_trip::<UserDeletionRecord>(bytes);
    round_trip::<UserPasswordResetRecord>(bytes);
    round_trip::<BucketRecord>(bytes);
}

/// A user-server `/invoke` answer: a user read from it has exactly the hash and salt
/// the answer spelled (canonical base64 only).
pub fn user_server_answer(body: &[u8]) {
    if let Ok(Some(user)) = crate::backend::read_answer(body) {
        let answer: serde_json::Value = match serde_json::from_slice(body) {
            Ok(answer) => answer,
            // JSON's grammar allows a lone surrogate escape and a number past f64's
            // range, and the reader skips the members it does not use without decoding
            // them; a value tree cannot hold either, so only those may keep the tree
            // from being built.
            Err(error) => {
                let message = error.to_string();
                assert!(
                    ["hex escape", "surrogate", "number out of range"]
                        .iter()
                        .any(|allowed| message.contains(allowed)),
                    "read, yet not JSON: {message}"
                );
                return;
            }
        };
        let spelled = &answer["values"]["user"];
        let base64 = base64::engine::general_purpose::STANDARD;
        assert_eq!(
            spelled["password_hash"].as_str(),
            Some(base64.encode(&user.password_hash.hash).as_str())
        );
        assert_eq!(
            spelled["password_salt"].as_str(),
            Some(base64.encode(&user.password_hash.salt).as_str())
        );
    }
}

/// An env file: keys and values come out trimmed, and keys never hold `=`.
pub fn env_file(bytes: &[u8]) {
    let Ok(text) = std::str::from_utf8(bytes) else {
        return;
    };
    if let Ok(values) = parse_env_file(text) {
        for key in values.keys() {
            assert_eq!(key.trim(), key);
            assert!(!key.contains('=') && !key.contains('\n'), "{key:?}");
        }
    }
}

/// A Go duration: a non-negative one read back from its formatted form is the same.
pub fn duration(bytes: &[u8]) {
    let Ok(text) = std::str::from_utf8(bytes) else {
        return;
    };
    if let Ok(nanos) = parse_go_duration(text) {
        if let Ok(nanos) = u64::try_from(nanos) {
            let formatted = format_duration(Duration::from_nanos(nanos));
            let reread = parse_go_duration(&formatted);
            assert_eq!(
                reread,
                Ok(i64::try_from(nanos).expect("was an i64")),
                "{formatted}"
            );
        }
    }
}

/// One target's check of an input.
pub type Check = fn(&[u8]);

/// Every fuzz target by name, as `fuzz/fuzz_targets/` names them.
pub const TARGETS: &[(&str, Check)] = &[
    ("action_envelope", action_envelope),
    ("token", token),
    ("record", record),
    ("user_server_answer", user_server_answer),
    ("env_file", env_file),
    ("duration", duration),
];

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;

    /// Replays `fuzz/corpus/<target>/` and `fuzz/regressions/<target>/`.
    #[test]
    fn committed_fuzz_inputs_pass_every_check() {
        let fuzz = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz");
        let mut replayed = 0;
        for (name, check) in TARGETS {
            for folder in ["corpus", "regressions"] {
                let Ok(entries) = std::fs::read_dir(fuzz.join(folder).join(name)) else {
                    continue;
                };
                for entry in entries {
                    let path = entry.expect("directory entry").path();
                    let bytes = std::fs::read(&path).expect("input");
                    let outcome = std::panic::catch_unwind(|| check(&bytes));
                    assert!(outcome.is_ok(), "{} fails", path.display());
                    replayed += 1;
                }
            }
        }
        assert!(replayed >= TARGETS.len(), "only {replayed} inputs found");
    }

    #[test]
    fn the_checks_catch_what_they_guard() {
        // A user answer whose salt is not canonical base64 must not be read as a user.
        let user = r#"{"ok":true,"action_invocation_id":"i","values":{"user":{"id":"1",
            "email_address":"a@b","password_hash":"AAAA","password_hash_algorithm_id":"x",
            "password_salt":"AAB=","display_name":"A","disabled":false,
            "email_address_counter":0,"password_hash_counter":0,"disabled_counter":0,
            "sessions_counter":0}}}"#;
        user_server_answer(user.as_bytes());
        assert!(crate::backend::read_answer(user.as_bytes()).is_err());
        let canonical = user.replace("AAB=", "AAA=");
        assert!(matches!(
            crate::backend::read_answer(canonical.as_bytes()),
            Ok(Some(_))
        ));
        assert!(std::panic::catch_unwind(|| duration(b"1h30m")).is_ok());
    }
}
