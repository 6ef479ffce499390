//! Replays every applicable case, keeps going after failures, and compares each
//! transcript with its reviewed snapshot: what `faroe-conformance` runs.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::time::Instant;

use serde_json::Value;

use crate::fixture::{fixtures_dir, load_all, Case};
use crate::report::{CaseReport, Failure, Report, Verdict};
use crate::runner::{replay_under, Outcome, StepFailed};
use crate::snapshot::{
    first_departure, read_snapshot, short_diff, snapshot_name, snapshot_path, snapshots_dir,
};
use crate::target::Target;

/// What to run.
#[derive(Debug, Clone)]
pub struct SuiteOptions {
    pub profile: String,
    /// Runs only the cases whose `family/name` or snapshot name contains this text
    /// (ignoring case).
    pub only: Option<String>,
    pub fixtures: PathBuf,
    pub snapshots: PathBuf,
}

impl Default for SuiteOptions {
    fn default() -> Self {
        SuiteOptions {
            profile: crate::fixture::OURS.to_owned(),
            only: None,
            fixtures: fixtures_dir(),
            snapshots: snapshots_dir(),
        }
    }
}

/// How many lines of a departure the report shows.
const DIFF_LINES: usize = 6;

/// Runs the suite, calling `each` with every case's result as soon as it is known.
pub async fn run(
    target: &Target,
    options: &SuiteOptions,
    mut each: impl FnMut(&CaseReport),
) -> anyhow::Result<Report> {
    let families = load_all(&options.fixtures)?;
    let only = options.only.as_ref().map(|text| text.to_lowercase());
    let mut report = Report {
        profile: options.profile.clone(),
        cases: Vec::new(),
        pairs: BTreeSet::new(),
    };
    for (family, file) in &families {
        for case in &file.cases {
            let name = snapshot_name(family, &case.name);
            let selected = only.as_ref().is_none_or(|only| {
                format!("{family}/{}", case.name)
                    .to_lowercase()
                    .contains(only)
                    || name.contains(only)
            });
            if !selected {
                continue;
            }
            let retries_before = target.retries();
            let started = Instant::now();
            let verdict = run_case(target, options, &name, case, &mut report.pairs).await;
            let result = CaseReport {
                family: family.clone(),
                name: case.name.clone(),
                differences: case.differences(),
                verdict,
                retries: target.retries() - retries_before,
                duration: started.elapsed(),
            };
            each(&result);
            report.cases.push(result);
        }
    }
    Ok(report)
}

async fn run_case(
    target: &Target,
    options: &SuiteOptions,
    name: &str,
    case: &Case,
    pairs: &mut BTreeSet<(String, String)>,
) -> Verdict {
    let transcript = match replay_under(target, case, &options.profile).await {
        Ok(Outcome::Skipped { reason }) => return Verdict::Skipped(reason),
        Ok(Outcome::Replayed {
            transcript,
            pairs: seen,
            ..
        }) => {
            pairs.extend(seen);
            transcript
        }
        Err(error) => {
            let failure = match error.downcast_ref::<StepFailed>() {
                Some(failed) => Failure {
                    step: Some(failed.step),
                    label: failed.label.clone(),
                    difference: failed.difference,
                    // The lines below show a mismatch; other failures say what went wrong.
                    message: match failed.mismatch {
                        Some(_) => "the answer is not the one expected".to_owned(),
                        None => failed.message.clone(),
                    },
                    diff: failed
                        .mismatch
                        .as_ref()
                        .map(|m| {
                            vec![
                                format!("expected: {}", m.expected),
                                format!("answered: {}", clip(&m.answered)),
                            ]
                        })
                        .unwrap_or_default(),
                },
                None => Failure {
                    step: None,
                    label: String::new(),
                    difference: None,
                    message: format!("{error:#}"),
                    diff: Vec::new(),
                },
            };
            return Verdict::Failed(failure);
        }
    };
    let path = snapshot_path(&options.snapshots, &options.profile, name);
    let snapshot = match read_snapshot(&path) {
        Ok(snapshot) => snapshot,
        Err(error) => {
            return Verdict::Failed(Failure {
                step: None,
                label: String::new(),
                difference: None,
                message: format!("{error:#}"),
                diff: Vec::new(),
            })
        }
    };
    match first_departure(&snapshot, &transcript) {
        None => Verdict::Passed,
        Some(departure) => {
            let step = case.steps.get(departure.step - 1);
            Verdict::Failed(Failure {
                step: Some(departure.step),
                label: step.map(|s| s.label()).unwrap_or_default(),
                difference: step.and_then(|s| s.difference()),
                message: format!("the transcript departs from {}", path.display()),
                diff: match (&departure.expected, &departure.answered) {
                    (Value::Null, answered) => {
                        vec![format!("unexpected step: {}", clip(&answered.to_string()))]
                    }
                    (expected, Value::Null) => {
                        vec![format!("missing step: {}", clip(&expected.to_string()))]
                    }
                    (expected, answered) => short_diff(expected, answered, DIFF_LINES),
                },
            })
        }
    }
}

/// A long text cut to a length that keeps a report line readable.
fn clip(text: &str) -> String {
    const MAX: usize = 240;
    match text.char_indices().nth(MAX) {
        Some((end, _)) => format!("{}…", &text[..end]),
        None => text.to_owned(),
    }
}
