//! The fixture format: flow families of named cases, each a list of steps.
//! `fixtures/README.md` documents it for fixture authors.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_json::Value;

/// One file of `fixtures/`: a flow family.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FixtureFile {
    pub family: String,
    #[serde(default)]
    pub description: String,
    pub cases: Vec<Case>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Case {
    pub name: String,
    #[serde(default)]
    pub description: String,
    /// What the runner must offer; a runner without it skips the case.
    #[serde(default)]
    pub needs: Vec<Need>,
    pub steps: Vec<Step>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Need {
    /// Moves the server's clock (`advance` steps).
    Clock,
    /// Switches user-server faults (`fault` and `clear_faults` steps).
    Faults,
    /// A pwned-passwords range API that reports `password1234` and `qwertyuiop123` as
    /// breached (the in-process runner fakes one).
    BreachedPasswords,
    /// The server in file mode (`FAROE_PWNED_PASSWORDS=file:PATH`), with a local corpus
    /// listing the same two passwords and no range API to fall back on.
    BreachedPasswordsFile,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Step {
    /// Invokes an action and checks the outcome.
    Invoke(Invoke),
    /// Sends a request as is (bad envelopes, other routes).
    Request(RawRequest),
    /// Reads the code or temporary password the server e-mailed, from the user server.
    ReadCode(ReadCode),
    /// Moves the server's clock forward, e.g. `"20m"`, `"30d"`, `"59s"`.
    Advance(String),
    /// Makes a user action (or `email`) fail in the given way until cleared.
    Fault(FaultStep),
    /// Ends every fault.
    ClearFaults,
    /// Sends a `/command` to the user server (e.g. `update_user` to disable a user).
    Backend(Value),
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Invoke {
    pub action: String,
    /// Argument values may use `${name}` to insert a saved value.
    pub arguments: BTreeMap<String, String>,
    pub expect: Expect,
    /// Saves values of a successful answer: variable name → dotted path in `values`.
    #[serde(default)]
    pub save: BTreeMap<String, String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Expect {
    Ok,
    Error(String),
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawRequest {
    #[serde(default = "default_method")]
    pub method: String,
    #[serde(default = "default_path")]
    pub path: String,
    #[serde(default)]
    pub body: String,
    pub expect_status: u16,
}

fn default_method() -> String {
    "POST".into()
}

fn default_path() -> String {
    "/".into()
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReadCode {
    /// The e-mail type: `signup_verification`, `email_update_verification`, `password_reset`.
    pub kind: String,
    pub email: String,
    pub save: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FaultStep {
    /// A user action name, or `email`.
    pub target: String,
    /// As the user server's `set_fault` command takes it, e.g. `{"kind": "http_500"}`.
    pub fault: Value,
}

impl Case {
    /// The first need `offered` lacks, if any.
    pub fn unmet_need(&self, offered: &[Need]) -> Option<Need> {
        self.needs
            .iter()
            .copied()
            .find(|need| !offered.contains(need))
    }
}

/// The `fixtures/` folder of this workspace.
pub fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures")
}

/// Every flow family in `dir`, by file name.
pub fn load_all(dir: &Path) -> anyhow::Result<Vec<(String, FixtureFile)>> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        let is_family = path.extension().is_some_and(|ext| ext == "json")
            && path.file_name().is_some_and(|name| name != "coverage.json");
        if !is_family {
            continue;
        }
        let text = std::fs::read_to_string(&path)?;
        let file: FixtureFile =
            serde_json::from_str(&text).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
        let stem = path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        files.push((stem, file));
    }
    files.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(files)
}

/// Parses `"90s"`, `"20m"`, `"2h"`, `"30d"` (one unit).
pub fn parse_advance(text: &str) -> anyhow::Result<std::time::Duration> {
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .ok_or_else(|| anyhow::anyhow!("duration {text:?} has no unit"))?;
    let (number, unit) = text.split_at(split);
    let number: u64 = number.parse()?;
    let seconds = match unit {
        "s" => number,
        "m" => number * 60,
        "h" => number * 3600,
        "d" => number * 86_400,
        _ => anyhow::bail!("duration {text:?}: unit must be s, m, h or d"),
    };
    Ok(std::time::Duration::from_secs(seconds))
}
