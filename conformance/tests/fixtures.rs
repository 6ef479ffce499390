//! One test per case of `fixtures/`: each replays its case and compares the
//! transcript with its reviewed snapshot. Test names are `<family>::<case>`, so
//! `cargo test -p conformance --test fixtures -- signup` runs the signup cases, and
//! every failing case is reported in one run. Three more tests: `case_names_are_unique`;
//! `protocol_table_matches_coverage`, which holds the error-code table of
//! `docs/protocol.md` §4.9 and `fixtures/coverage.json` to the same pairs; and
//! `coverage`, which checks that the fixtures produce every (action, error_code) pair
//! listed in `fixtures/coverage.json` and invoke every action.
//!
//! In-process by default. With `CONFORMANCE_SERVER_URL` and `CONFORMANCE_BACKEND_URL`
//! set, the same cases run against that server; cases needing the clock or faults are
//! reported as ignored there.

// Test code: a failed expectation panics.
#![allow(clippy::expect_used, clippy::panic)]

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::process::ExitCode;
use std::sync::{Arc, Mutex};

use conformance::coverage::{protocol_table_pairs, CoverageTable};
use conformance::fixture::{fixtures_dir, load_all, Case};
use conformance::runner::{replay, Outcome};
use conformance::target::Target;
use libtest_mimic::{Arguments, Failed, Trial};
use tiauth_faroe::faroe::endpoint::ACTION_NAMES;
use tiauth_faroe::faroe::error::ErrorCode;

const COVERAGE: &str = "coverage";
const UNIQUE_NAMES: &str = "case_names_are_unique";
const PROTOCOL_TABLE: &str = "protocol_table_matches_coverage";

fn slug(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .collect()
}

/// What the case tests of this run produced, for the coverage test.
#[derive(Default)]
struct Produced {
    pairs: BTreeSet<(String, String)>,
    actions: BTreeSet<String>,
    /// Snapshot names of the cases replayed so far.
    replayed: BTreeSet<String>,
}

impl Produced {
    fn add(&mut self, name: &str, outcome: &Outcome) {
        if let Outcome::Replayed { pairs, actions, .. } = outcome {
            self.pairs.extend(pairs.iter().cloned());
            self.actions.extend(actions.iter().cloned());
            self.replayed.insert(name.to_owned());
        }
    }
}

/// The servers and what the tests share; cases reset the server, so they run one at
/// a time.
struct Suite {
    runtime: tokio::runtime::Runtime,
    target: Target,
    produced: Mutex<Produced>,
}

impl Suite {
    fn produced(&self) -> std::sync::MutexGuard<'_, Produced> {
        self.produced
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn replay(&self, case: &Case) -> Result<Outcome, Failed> {
        self.runtime
            .block_on(replay(&self.target, case))
            .map_err(|error| Failed::from(format!("{error:#}")))
    }
}

fn case_test(suite: &Arc<Suite>, snapshot: String, case: Arc<Case>) -> Trial {
    let suite = Arc::clone(suite);
    let test_name = snapshot.replacen("__", "::", 1);
    Trial::test(test_name, move || {
        let outcome = suite.replay(&case)?;
        suite.produced().add(&snapshot, &outcome);
        match outcome {
            Outcome::Replayed { transcript, .. } => {
                insta::assert_json_snapshot!(snapshot, transcript);
                Ok(())
            }
            Outcome::Skipped { reason } => Err(format!("skipped: {reason}").into()),
        }
    })
}

/// Replays the cases this run has not replayed yet (all of them when the coverage
/// test runs alone), then checks the pairs and actions against the table.
fn coverage_test(
    suite: &Arc<Suite>,
    cases: Vec<(String, Arc<Case>)>,
    skipped: Vec<String>,
) -> Trial {
    let suite = Arc::clone(suite);
    Trial::test(COVERAGE, move || {
        for (name, case) in &cases {
            if !suite.produced().replayed.contains(name) {
                let outcome = suite.replay(case)?;
                suite.produced().add(name, &outcome);
            }
        }
        let produced = suite.produced();
        let table = CoverageTable::load(&fixtures_dir().join("coverage.json"))
            .map_err(|error| Failed::from(format!("{error:#}")))?;
        // Written to the process's stderr directly, past any output capture, so every
        // run shows the table and the skips.
        let mut report = table.render(&produced.pairs);
        report.push_str(&format!(
            "{} cases replayed, {} ignored on this target\n",
            produced.replayed.len(),
            skipped.len()
        ));
        for line in &skipped {
            report.push_str(&format!("  ignored {line}\n"));
        }
        let _ = std::io::stderr().write_all(report.as_bytes());
        if suite.target.is_external() {
            return Ok(());
        }
        let missing = table.missing(&produced.pairs);
        let unused: Vec<_> = ACTION_NAMES
            .iter()
            .filter(|name| !produced.actions.contains(**name))
            .collect();
        let internal = ErrorCode::InternalError.as_str();
        let undeclared: Vec<_> = produced
            .pairs
            .iter()
            .filter(|(action, code)| code != internal && !table.names(action, code))
            .collect();
        let mut problems = Vec::new();
        if !missing.is_empty() {
            problems.push(format!("pairs no fixture produced: {missing:?}"));
        }
        if !unused.is_empty() {
            problems.push(format!("actions no fixture invoked: {unused:?}"));
        }
        if !undeclared.is_empty() {
            problems.push(format!(
                "pairs produced but neither listed nor excluded in coverage.json: {undeclared:?}"
            ));
        }
        if !skipped.is_empty() {
            problems.push("in-process runs skip nothing".to_owned());
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(problems.join("\n").into())
        }
    })
}

/// The error-code table of `docs/protocol.md` §4.9 and `fixtures/coverage.json` (listed
/// pairs and exclusions together) name the same (action, error_code) pairs, and the
/// table has a row for every action.
fn protocol_table_test() -> Trial {
    Trial::test(PROTOCOL_TABLE, || {
        let fail = |error: anyhow::Error| Failed::from(format!("{error:#}"));
        let doc = fixtures_dir().join("../docs/protocol.md");
        let markdown = std::fs::read_to_string(&doc)
            .map_err(|error| Failed::from(format!("{}: {error}", doc.display())))?;
        let documented = protocol_table_pairs(&markdown).map_err(fail)?;
        let table = CoverageTable::load(&fixtures_dir().join("coverage.json")).map_err(fail)?;
        let covered = table.named_pairs();
        let only_documented: Vec<_> = documented.difference(&covered).collect();
        let only_covered: Vec<_> = covered.difference(&documented).collect();
        let actions: BTreeSet<&str> = documented.iter().map(|(a, _)| a.as_str()).collect();
        let undocumented: Vec<_> = ACTION_NAMES
            .iter()
            .filter(|name| !actions.contains(**name))
            .collect();
        let mut problems = Vec::new();
        if !only_documented.is_empty() {
            problems.push(format!(
                "in docs/protocol.md §4.9 but not in coverage.json: {only_documented:?}"
            ));
        }
        if !only_covered.is_empty() {
            problems.push(format!(
                "in coverage.json but not in docs/protocol.md §4.9: {only_covered:?}"
            ));
        }
        if !undocumented.is_empty() {
            problems.push(format!(
                "actions without a row in docs/protocol.md §4.9: {undocumented:?}"
            ));
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(problems.join("\n").into())
        }
    })
}

fn main() -> ExitCode {
    let mut arguments = Arguments::from_args();
    // Every case resets the one shared server: never two at once.
    arguments.test_threads = Some(1);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime");
    let target = runtime.block_on(Target::from_env()).expect("target");
    let families = load_all(&fixtures_dir()).expect("fixtures load");
    let offers = target.offers();
    let suite = Arc::new(Suite {
        runtime,
        target,
        produced: Mutex::new(Produced::default()),
    });

    let mut trials = Vec::new();
    let mut replayable = Vec::new();
    let mut skipped = Vec::new();
    let mut names: BTreeMap<String, usize> = BTreeMap::new();
    for (family, file) in families {
        for case in file.cases {
            let case = Arc::new(case);
            let snapshot = format!("{family}__{}", slug(&case.name));
            *names.entry(snapshot.clone()).or_default() += 1;
            let need = case.unmet_need(&offers);
            if let Some(need) = &need {
                skipped.push(format!("{snapshot}: needs {need:?}"));
            } else {
                replayable.push((snapshot.clone(), Arc::clone(&case)));
            }
            trials.push(case_test(&suite, snapshot, case).with_ignored_flag(need.is_some()));
        }
    }
    let duplicates: Vec<String> = names
        .into_iter()
        .filter(|(_, count)| *count > 1)
        .map(|(name, _)| name)
        .collect();
    trials.push(Trial::test(UNIQUE_NAMES, move || {
        if duplicates.is_empty() {
            Ok(())
        } else {
            Err(format!("cases sharing a snapshot name: {duplicates:?}").into())
        }
    }));
    trials.push(protocol_table_test());
    trials.push(coverage_test(&suite, replayable, skipped));
    libtest_mimic::run(&arguments, trials).exit_code()
}
