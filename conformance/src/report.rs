//! The result of a conformance run: one line per case, the coverage table and the
//! totals as text; the same as JUnit XML for CI systems and as JSON for tools.

use std::collections::BTreeSet;
use std::fmt::Write;
use std::time::Duration;

use quick_junit::{NonSuccessKind, TestCase, TestCaseStatus, TestSuite};
use serde_json::{json, Value};

use crate::coverage::CoverageTable;

/// The result of one run.
#[derive(Debug)]
pub struct Report {
    pub profile: String,
    pub cases: Vec<CaseReport>,
    /// The (action, error_code) pairs the replayed cases produced.
    pub pairs: BTreeSet<(String, String)>,
}

/// The result of one case.
#[derive(Debug)]
pub struct CaseReport {
    pub family: String,
    pub name: String,
    /// The differences from upstream the case's steps are marked with.
    pub differences: Vec<u32>,
    pub verdict: Verdict,
    /// Requests retried on a fresh connection during the case.
    pub retries: usize,
    pub duration: Duration,
}

#[derive(Debug)]
pub enum Verdict {
    Passed,
    Failed(Failure),
    /// Not applicable here, with why.
    Skipped(String),
}

#[derive(Debug)]
pub struct Failure {
    /// The first failing step, from 1 (`None` when the case failed before any step).
    pub step: Option<usize>,
    /// The action or kind of that step.
    pub label: String,
    /// The difference from upstream that step is marked with.
    pub difference: Option<u32>,
    pub message: String,
    /// A few lines of expected against answered.
    pub diff: Vec<String>,
}

impl Failure {
    /// `step 7 (delete_user_password_update): …; differs from upstream by design (difference 7)`
    pub fn summary(&self) -> String {
        let mut text = match self.step {
            Some(step) => format!("step {step} ({}): {}", self.label, self.message),
            None => self.message.clone(),
        };
        if let Some(number) = self.difference {
            let _ = write!(
                text,
                "; differs from upstream by design (difference {number})"
            );
        }
        text
    }
}

impl CaseReport {
    /// `family / case name`.
    pub fn title(&self) -> String {
        format!("{} / {}", self.family, self.name)
    }

    /// The report's line(s) for this case.
    pub fn line(&self) -> String {
        let mut notes = Vec::new();
        if !self.differences.is_empty() {
            let numbers: Vec<String> = self.differences.iter().map(u32::to_string).collect();
            notes.push(format!("pins difference {}", numbers.join(", ")));
        }
        if self.retries > 0 {
            notes.push(format!(
                "{} request{} retried on a fresh connection",
                self.retries,
                if self.retries == 1 { "" } else { "s" }
            ));
        }
        let notes = if notes.is_empty() {
            String::new()
        } else {
            format!(" [{}]", notes.join("; "))
        };
        match &self.verdict {
            Verdict::Passed => format!("pass  {}{notes}", self.title()),
            Verdict::Skipped(reason) => format!("skip  {}: {reason}", self.title()),
            Verdict::Failed(failure) => {
                let mut text =
                    format!("FAIL  {}{notes}\n      {}", self.title(), failure.summary());
                for line in &failure.diff {
                    let _ = write!(text, "\n        {line}");
                }
                text
            }
        }
    }
}

impl Report {
    /// (passed, failed, skipped).
    pub fn counts(&self) -> (usize, usize, usize) {
        let mut counts = (0, 0, 0);
        for case in &self.cases {
            match case.verdict {
                Verdict::Passed => counts.0 += 1,
                Verdict::Failed(_) => counts.1 += 1,
                Verdict::Skipped(_) => counts.2 += 1,
            }
        }
        counts
    }

    pub fn retries(&self) -> usize {
        self.cases.iter().map(|case| case.retries).sum()
    }

    /// The coverage table, the retries and the totals, for after the case lines.
    pub fn summary(&self, coverage: &CoverageTable) -> String {
        let mut text = coverage.render(&self.pairs);
        let retries = self.retries();
        if retries > 0 {
            let _ = writeln!(
                text,
                "{retries} request{} retried once on a fresh connection (the server closed a pooled connection before answering)",
                if retries == 1 { "" } else { "s" }
            );
        }
        let (passed, failed, skipped) = self.counts();
        let _ = writeln!(
            text,
            "profile {}: {passed} passed, {failed} failed, {skipped} skipped",
            self.profile
        );
        text
    }

    /// The run as JUnit XML: one test suite per fixture family.
    pub fn junit(&self) -> anyhow::Result<String> {
        let mut report = quick_junit::Report::new(format!("faroe-conformance ({})", self.profile));
        let mut families: Vec<&str> = self.cases.iter().map(|c| c.family.as_str()).collect();
        families.dedup();
        for family in families {
            let mut suite = TestSuite::new(family);
            for case in self.cases.iter().filter(|c| c.family == family) {
                let status = match &case.verdict {
                    Verdict::Passed => TestCaseStatus::success(),
                    Verdict::Skipped(reason) => {
                        let mut status = TestCaseStatus::skipped();
                        status.set_message(reason.as_str());
                        status
                    }
                    Verdict::Failed(failure) => {
                        let mut status = TestCaseStatus::non_success(NonSuccessKind::Failure);
                        status
                            .set_message(failure.summary())
                            .set_description(failure.diff.join("\n"));
                        status
                    }
                };
                let mut test = TestCase::new(case.name.as_str(), status);
                test.set_classname(format!("conformance.{family}"))
                    .set_time(case.duration);
                if !case.differences.is_empty() {
                    let numbers: Vec<String> =
                        case.differences.iter().map(u32::to_string).collect();
                    test.add_property(quick_junit::Property::new("differences", numbers.join(",")));
                }
                if case.retries > 0 {
                    test.add_property(quick_junit::Property::new(
                        "retries",
                        case.retries.to_string(),
                    ));
                }
                suite.add_test_case(test);
            }
            report.add_test_suite(suite);
        }
        Ok(report.to_string()?)
    }

    /// The run as JSON for tools: every case with its verdict, the totals, and the
    /// (action, error_code) pairs produced.
    pub fn json(&self, coverage: &CoverageTable) -> Value {
        let (passed, failed, skipped) = self.counts();
        let cases: Vec<Value> = self
            .cases
            .iter()
            .map(|case| {
                let mut entry = json!({
                    "family": case.family,
                    "name": case.name,
                    "differences": case.differences,
                    "retries": case.retries,
                    "seconds": case.duration.as_secs_f64(),
                });
                match &case.verdict {
                    Verdict::Passed => entry["result"] = json!("passed"),
                    Verdict::Skipped(reason) => {
                        entry["result"] = json!("skipped");
                        entry["reason"] = json!(reason);
                    }
                    Verdict::Failed(failure) => {
                        entry["result"] = json!("failed");
                        entry["failure"] = json!({
                            "step": failure.step,
                            "label": failure.label,
                            "difference": failure.difference,
                            "message": failure.message,
                            "diff": failure.diff,
                        });
                    }
                }
                entry
            })
            .collect();
        let missing: Vec<Value> = coverage
            .missing(&self.pairs)
            .iter()
            .map(|pair| json!({"action": pair.action, "error_code": pair.error_code}))
            .collect();
        json!({
            "profile": self.profile,
            "passed": passed,
            "failed": failed,
            "skipped": skipped,
            "retries": self.retries(),
            "cases": cases,
            "coverage": {
                "listed": coverage.pairs.len(),
                "covered": coverage.pairs.len() - missing.len(),
                "missing": missing,
            },
        })
    }
}
