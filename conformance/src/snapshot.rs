//! Reviewed transcripts: the insta snapshots of `conformance/tests/snapshots/`, read
//! back for comparison outside `cargo test`. A profile other than `ours` keeps its
//! own snapshot, in a folder named for the profile, for each case where its answers
//! differ; every other case shares ours.

use std::path::{Path, PathBuf};

use anyhow::Context;
use serde_json::Value;

use crate::fixture::OURS;

/// The folder of our snapshots.
pub fn snapshots_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/snapshots")
}

/// The insta snapshot name of a case: `<family>__<case name with every character
/// other than a letter or digit as _>`, lower case.
pub fn snapshot_name(family: &str, case: &str) -> String {
    let slug: String = case
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .collect();
    format!("{family}__{slug}")
}

/// The file holding the snapshot `profile` compares a case with: the profile's own
/// when it has one, ours otherwise.
pub fn snapshot_path(dir: &Path, profile: &str, name: &str) -> PathBuf {
    let file = format!("fixtures__{name}.snap");
    if profile != OURS {
        let own = dir.join(profile).join(&file);
        if own.exists() {
            return own;
        }
    }
    dir.join(file)
}

/// The transcript stored in an insta snapshot file (the JSON after its header).
pub fn read_snapshot(path: &Path) -> anyhow::Result<Value> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("no reviewed snapshot at {}", path.display()))?;
    let body = text
        .strip_prefix("---\n")
        .and_then(|rest| rest.split_once("\n---\n"))
        .map(|(_, body)| body)
        .with_context(|| format!("{}: not an insta snapshot", path.display()))?;
    serde_json::from_str(body).with_context(|| format!("{}: not JSON", path.display()))
}

/// Where a transcript first departs from its snapshot.
#[derive(Debug, Clone, PartialEq)]
pub struct Departure {
    /// The step, from 1.
    pub step: usize,
    /// The snapshot's entry for that step (`null` past its end).
    pub expected: Value,
    /// The transcript's entry (`null` past its end).
    pub answered: Value,
}

/// The first step at which `transcript` and `snapshot` differ, if any.
pub fn first_departure(snapshot: &Value, transcript: &Value) -> Option<Departure> {
    let empty = Vec::new();
    let expected = snapshot.as_array().unwrap_or(&empty);
    let answered = transcript.as_array().unwrap_or(&empty);
    (0..expected.len().max(answered.len()))
        .find(|&i| expected.get(i) != answered.get(i))
        .map(|i| Departure {
            step: i + 1,
            expected: expected.get(i).cloned().unwrap_or(Value::Null),
            answered: answered.get(i).cloned().unwrap_or(Value::Null),
        })
}

/// The members of two JSON values that differ, as `path: expected → answered` lines,
/// at most `limit` of them.
pub fn short_diff(expected: &Value, answered: &Value, limit: usize) -> Vec<String> {
    let mut lines = Vec::new();
    diff_into(expected, answered, String::new(), &mut lines, limit);
    lines
}

fn diff_into(
    expected: &Value,
    answered: &Value,
    path: String,
    lines: &mut Vec<String>,
    limit: usize,
) {
    if lines.len() >= limit || expected == answered {
        return;
    }
    match (expected, answered) {
        (Value::Object(left), Value::Object(right)) => {
            let mut keys: Vec<&String> = left.keys().collect();
            keys.extend(right.keys().filter(|k| !left.contains_key(*k)));
            for key in keys {
                let at = if path.is_empty() {
                    key.clone()
                } else {
                    format!("{path}.{key}")
                };
                let missing = Value::Null;
                diff_into(
                    left.get(key).unwrap_or(&missing),
                    right.get(key).unwrap_or(&missing),
                    at,
                    lines,
                    limit,
                );
            }
        }
        _ => {
            let at = if path.is_empty() { "." } else { &path };
            lines.push(format!("{at}: {expected} → {answered}"));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_first_differing_step_and_its_differing_members() {
        let snapshot = json!([{"invoke": "a", "answer": {"ok": true}},
                              {"invoke": "b", "answer": {"ok": false, "error_code": "x"}}]);
        let transcript = json!([{"invoke": "a", "answer": {"ok": true}},
                                {"invoke": "b", "answer": {"ok": false, "error_code": "y"}}]);
        let departure = first_departure(&snapshot, &transcript).expect("they differ");
        assert_eq!(departure.step, 2);
        assert_eq!(
            short_diff(&departure.expected, &departure.answered, 5),
            vec![r#"answer.error_code: "x" → "y""#.to_owned()]
        );
        assert_eq!(first_departure(&snapshot, &snapshot), None);
        let shorter = json!([{"invoke": "a", "answer": {"ok": true}}]);
        let past_end = first_departure(&snapshot, &shorter).expect("one step is missing");
        assert_eq!((past_end.step, past_end.answered), (2, Value::Null));
    }

    #[test]
    fn snapshot_names_follow_the_case_names() {
        assert_eq!(
            snapshot_name("deviations", "row 7: delete_user_password_update, bad"),
            "deviations__row_7__delete_user_password_update__bad"
        );
    }

    #[test]
    fn ours_are_read_back() {
        let path = snapshot_path(
            &snapshots_dir(),
            "faroe-v0.5.1",
            "signup__delete_signup_ends_the_signup",
        );
        let transcript = read_snapshot(&path).expect("a reviewed snapshot");
        assert_eq!(transcript[0]["invoke"], "create_signup");
    }
}
