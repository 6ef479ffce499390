//! Replays every case of `fixtures/` and snapshots its transcript; then checks that
//! the fixtures produce every (action, error_code) pair of `fixtures/coverage.json`.
//!
//! In-process by default. With `CONFORMANCE_SERVER_URL` and `CONFORMANCE_BACKEND_URL`
//! set, the same cases run against that server; cases needing the clock or faults are
//! skipped there, and reported as skipped.

// Test code: a failed expectation panics.
#![allow(clippy::expect_used, clippy::panic)]

use std::collections::BTreeSet;
use std::io::Write;

use conformance::coverage::CoverageTable;
use conformance::fixture::{fixtures_dir, load_all};
use conformance::runner::{replay, Outcome};
use conformance::target::Target;
use tiauth_faroe::faroe::endpoint::ACTION_NAMES;

fn snapshot_name(family: &str, case: &str) -> String {
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fixtures_replay_and_cover_every_listed_pair() {
    let target = Target::from_env().await.expect("target");
    let families = load_all(&fixtures_dir()).expect("fixtures load");
    let mut produced = BTreeSet::new();
    let mut actions = BTreeSet::new();
    let (mut replayed, mut skipped) = (0, Vec::new());
    let mut names = BTreeSet::new();
    for (family, file) in &families {
        for case in &file.cases {
            let name = snapshot_name(family, &case.name);
            assert!(names.insert(name.clone()), "two cases are named {name}");
            match replay(&target, case).await {
                Ok(Outcome::Replayed {
                    transcript,
                    pairs,
                    actions: invoked,
                }) => {
                    replayed += 1;
                    produced.extend(pairs);
                    actions.extend(invoked);
                    insta::assert_json_snapshot!(name, transcript);
                }
                Ok(Outcome::Skipped { reason }) => skipped.push(format!("{name}: {reason}")),
                Err(error) => panic!("{name}: {error:#}"),
            }
        }
    }
    let coverage = CoverageTable::load(&fixtures_dir().join("coverage.json")).expect("coverage");
    // Written to the process's stderr directly, past the test harness's output
    // capture, so every run shows the table and the skips.
    let mut report = coverage.render(&produced);
    report.push_str(&format!(
        "{replayed} cases replayed, {} skipped\n",
        skipped.len()
    ));
    for line in &skipped {
        report.push_str(&format!("  skipped {line}\n"));
    }
    let _ = std::io::stderr().write_all(report.as_bytes());
    if target.is_external() {
        return;
    }
    let missing = coverage.missing(&produced);
    assert!(missing.is_empty(), "pairs no fixture produced: {missing:?}");
    let unused: Vec<_> = ACTION_NAMES
        .iter()
        .filter(|name| !actions.contains(**name))
        .collect();
    assert!(unused.is_empty(), "actions no fixture invoked: {unused:?}");
    assert!(skipped.is_empty(), "in-process runs skip nothing");
}
