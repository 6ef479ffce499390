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
    /// Profiles this case does not apply to, each with why (e.g. the upstream
    /// answer cannot be replayed).
    #[serde(default)]
    pub skip_profiles: BTreeMap<String, String>,
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
    /// The deliberate difference from upstream (README "Differences", by number) that
    /// this step pins.
    #[serde(default)]
    pub difference: Option<u32>,
    /// What other profiles expect here instead of `expect`, by profile name.
    #[serde(default)]
    pub profiles: BTreeMap<String, Expect>,
}

impl Invoke {
    /// The outcome `profile` expects.
    pub fn expect_under(&self, profile: &str) -> &Expect {
        self.profiles.get(profile).unwrap_or(&self.expect)
    }
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
    /// The deliberate difference from upstream that this step pins.
    #[serde(default)]
    pub difference: Option<u32>,
    /// What other profiles expect here instead of `expect_status`, by profile name.
    #[serde(default)]
    pub profiles: BTreeMap<String, u16>,
}

impl RawRequest {
    /// The status `profile` expects.
    pub fn expect_status_under(&self, profile: &str) -> u16 {
        self.profiles
            .get(profile)
            .copied()
            .unwrap_or(self.expect_status)
    }
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

/// Our own expectations: the fixtures' `expect` members and the reviewed snapshots.
pub const OURS: &str = "ours";

/// Every profile, with what it describes. A profile other than [`OURS`] takes a step's
/// `profiles` entry in place of its `expect`, and its own snapshot where one exists.
pub const PROFILES: &[(&str, &str)] = &[
    (OURS, "Tiauth Faroe, this repository (the default)"),
    (
        "faroe-v0.5.1",
        "upstream faroe v0.5.1 with tiauth: answers upstream gives where ours differs by design",
    ),
];

/// How many deliberate differences README.md lists.
pub const DIFFERENCES: u32 = 28;

impl Step {
    /// The difference this step pins, if it is marked with one.
    pub fn difference(&self) -> Option<u32> {
        match self {
            Step::Invoke(invoke) => invoke.difference,
            Step::Request(request) => request.difference,
            _ => None,
        }
    }

    /// A short name for reports: the action, the request, or the kind of step.
    pub fn label(&self) -> String {
        match self {
            Step::Invoke(invoke) => invoke.action.clone(),
            Step::Request(request) => format!("{} {}", request.method, request.path),
            Step::ReadCode(read) => format!("read_code {}", read.kind),
            Step::Advance(by) => format!("advance {by}"),
            Step::Fault(fault) => format!("fault {}", fault.target),
            Step::ClearFaults => "clear_faults".into(),
            Step::Backend(command) => format!(
                "backend {}",
                command["command"].as_str().unwrap_or("command")
            ),
        }
    }

    fn profile_names(&self) -> Vec<&str> {
        match self {
            Step::Invoke(invoke) => invoke.profiles.keys().map(String::as_str).collect(),
            Step::Request(request) => request.profiles.keys().map(String::as_str).collect(),
            _ => Vec::new(),
        }
    }
}

impl Case {
    /// The differences this case's steps are marked with, in order, without repeats.
    pub fn differences(&self) -> Vec<u32> {
        let mut numbers: Vec<u32> = self.steps.iter().filter_map(Step::difference).collect();
        numbers.sort_unstable();
        numbers.dedup();
        numbers
    }

    /// Checks the profile members: known profile names, and difference numbers that
    /// README.md lists, on every step that expects something else under a profile.
    pub fn check_profiles(&self) -> anyhow::Result<()> {
        let known = |name: &str| {
            PROFILES
                .iter()
                .any(|(known, _)| *known == name && name != OURS)
        };
        for name in self.skip_profiles.keys() {
            anyhow::ensure!(
                known(name),
                "case {:?}: unknown profile {name:?}",
                self.name
            );
        }
        for (index, step) in self.steps.iter().enumerate() {
            let names = step.profile_names();
            for name in &names {
                anyhow::ensure!(
                    known(name),
                    "case {:?}, step {}: unknown profile {name:?}",
                    self.name,
                    index + 1
                );
            }
            match step.difference() {
                Some(number) => anyhow::ensure!(
                    (1..=DIFFERENCES).contains(&number),
                    "case {:?}, step {}: there is no difference {number}",
                    self.name,
                    index + 1
                ),
                None => anyhow::ensure!(
                    names.is_empty(),
                    "case {:?}, step {}: a profile's expectation needs the number of the difference it stems from",
                    self.name,
                    index + 1
                ),
            }
        }
        Ok(())
    }

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
        for case in &file.cases {
            case.check_profiles()
                .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
        }
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

#[cfg(test)]
mod tests {
    use super::*;

    fn case(step: &str) -> Case {
        serde_json::from_str(&format!(r#"{{"name": "c", "steps": [{step}]}}"#)).expect("a case")
    }

    #[test]
    fn profile_expectations_need_a_known_profile_and_a_difference_number() {
        let invoke = |members: &str| {
            case(&format!(
                r#"{{"invoke": {{"action": "a", "arguments": {{}}, "expect": "ok"{members}}}}}"#
            ))
        };
        let marked = invoke(r#", "difference": 7, "profiles": {"faroe-v0.5.1": {"error": "x"}}"#);
        marked.check_profiles().expect("well formed");
        let Step::Invoke(step) = &marked.steps[0] else {
            panic!("an invoke step");
        };
        assert_eq!(step.expect_under(OURS), &Expect::Ok);
        assert_eq!(
            step.expect_under("faroe-v0.5.1"),
            &Expect::Error("x".into())
        );
        assert_eq!(marked.differences(), vec![7]);
        for bad in [
            r#", "profiles": {"faroe-v0.5.1": "ok"}"#,
            r#", "difference": 7, "profiles": {"faroe-v9": "ok"}"#,
            r#", "difference": 29, "profiles": {"faroe-v0.5.1": "ok"}"#,
            r#", "difference": 7, "profiles": {"ours": "ok"}"#,
        ] {
            assert!(invoke(bad).check_profiles().is_err(), "{bad}");
        }
    }
}
