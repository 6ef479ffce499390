//! `--baseline-bin`: the same scenarios against two server binaries in one run.
//!
//! Side A is the baseline, side B this build. Every scenario runs A, B, A, B, … (each
//! run with fresh storage and a fresh user server of its side), so that whatever else
//! the machine does falls on both alike; the table gives each side's median and the
//! median of the per-round ratios B/A.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::bail;

use crate::processes::Binaries;
use crate::report::{self, Row};
use crate::{measure_scenario, Bench, Settings};

/// The scenarios compared, in table order.
pub const SCENARIOS: [&str; 5] = [
    report::ALIVE,
    report::SESSION_UNKNOWN,
    report::SESSION_CACHE_OFF,
    report::SESSION_CACHE_ON,
    report::SIGNIN,
];

/// The baseline's binaries: its server and its user server (this build's when not given).
pub fn baseline_binaries(server: &Path, user_server: Option<&Path>) -> anyhow::Result<Binaries> {
    let user_server = match user_server {
        Some(path) => path.to_path_buf(),
        None => std::env::current_exe()?
            .parent()
            .map(|directory| directory.join("mock-backend"))
            .unwrap_or_default(),
    };
    for binary in [server, user_server.as_path()] {
        if !binary.is_file() {
            bail!("{} is not a file", binary.display());
        }
    }
    Ok(Binaries {
        server: server.to_path_buf(),
        user_server,
        launcher: Vec::new(),
    })
}

/// One row of the comparison: the rows of each round, A's and B's.
#[derive(Debug, Clone, Default)]
pub struct Comparison {
    pub name: String,
    pub rounds: Vec<(Row, Row)>,
}

/// Runs every scenario `repeat` times on each side, interleaved.
pub async fn run(
    settings: &Settings,
    baseline: &Binaries,
    current: &Binaries,
    repeat: usize,
) -> anyhow::Result<Vec<Comparison>> {
    let mut by_name: BTreeMap<String, Comparison> = BTreeMap::new();
    let mut order = Vec::new();
    for scenario in SCENARIOS {
        for round in 0..repeat {
            eprintln!("bench: {scenario}, round {} of {repeat}", round + 1);
            let a = measure_fresh(settings, baseline, scenario).await?;
            let b = measure_fresh(settings, current, scenario).await?;
            for (a, b) in a.into_iter().zip(b) {
                let entry = by_name.entry(a.name.clone()).or_insert_with(|| {
                    order.push(a.name.clone());
                    Comparison {
                        name: a.name.clone(),
                        rounds: Vec::new(),
                    }
                });
                entry.rounds.push((a, b));
            }
        }
    }
    Ok(order
        .into_iter()
        .filter_map(|name| by_name.remove(&name))
        .collect())
}

/// One scenario on a fresh user server and a fresh server of `binaries`.
async fn measure_fresh(
    settings: &Settings,
    binaries: &Binaries,
    scenario: &str,
) -> anyhow::Result<Vec<Row>> {
    let bench = Bench::start(settings, binaries.clone(), Vec::new()).await?;
    measure_scenario(&bench, scenario).await
}

/// The median, `None` for no values.
pub fn median(values: &[f64]) -> Option<f64> {
    let mut sorted: Vec<f64> = values.iter().copied().filter(|v| v.is_finite()).collect();
    sorted.sort_by(f64::total_cmp);
    let n = sorted.len();
    match n {
        0 => None,
        _ if n % 2 == 1 => Some(sorted[n / 2]),
        _ => Some((sorted[n / 2 - 1] + sorted[n / 2]) / 2.0),
    }
}

fn ratios(rounds: &[(Row, Row)], figure: impl Fn(&Row) -> f64) -> Option<f64> {
    let values: Vec<f64> = rounds
        .iter()
        .filter(|(a, _)| figure(a) > 0.0)
        .map(|(a, b)| figure(b) / figure(a))
        .collect();
    median(&values)
}

fn side(rounds: &[(Row, Row)], pick: impl Fn(&(Row, Row)) -> f64) -> Option<f64> {
    median(&rounds.iter().map(pick).collect::<Vec<_>>())
}

fn cell(value: Option<f64>, decimals: usize) -> String {
    value.map_or_else(|| "-".to_owned(), |v| format!("{v:.decimals$}"))
}

/// The table: per row, each side's median throughput and p99, and the median ratios.
pub fn render(comparisons: &[Comparison], repeat: usize) -> String {
    let mut lines = vec![vec![
        "scenario".to_owned(),
        "A ops/s".to_owned(),
        "B ops/s".to_owned(),
        "B/A ops/s".to_owned(),
        "A p99 ms".to_owned(),
        "B p99 ms".to_owned(),
        "B/A p99".to_owned(),
        "errors A/B".to_owned(),
        "generator".to_owned(),
    ]];
    for comparison in comparisons {
        let rounds = &comparison.rounds;
        // The probe's rate is set by its pace, not by the server.
        let paced = comparison.name == report::ALIVE_DURING_SIGNIN;
        let millis = |row: &Row| row.p99_us as f64 / 1000.0;
        let errors = |pick: fn(&(Row, Row)) -> &Row| -> u64 {
            rounds.iter().map(|pair| pick(pair).errors).sum()
        };
        lines.push(vec![
            comparison.name.clone(),
            cell(side(rounds, |(a, _)| a.per_second), 0),
            cell(side(rounds, |(_, b)| b.per_second), 0),
            if paced {
                "-".to_owned()
            } else {
                cell(ratios(rounds, |row| row.per_second), 2)
            },
            cell(side(rounds, |(a, _)| millis(a)), 2),
            cell(side(rounds, |(_, b)| millis(b)), 2),
            cell(ratios(rounds, millis), 2),
            format!("{}/{}", errors(|(a, _)| a), errors(|(_, b)| b)),
            rounds
                .first()
                .map_or_else(String::new, |(a, _)| a.generator.to_owned()),
        ]);
    }
    let mut text = format!(
        "B/A: this build (B) over the baseline (A); medians of {repeat} round(s) of A, B\n\n"
    );
    text.push_str(&report::align(&lines));
    for comparison in comparisons {
        for (a, b) in &comparison.rounds {
            for (label, row) in [("A", a), ("B", b)] {
                if let Some(error) = &row.first_error {
                    text.push_str(&format!("{} ({label}): first error: {error}\n", row.name));
                }
            }
        }
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::LoadOutcome;

    fn row(name: &str, per_second: f64, p99_us: u64) -> Row {
        Row {
            per_second,
            p99_us,
            ..Row::from_outcome(name, None, &LoadOutcome::empty())
        }
    }

    #[test]
    fn medians_of_odd_and_even_counts() {
        assert_eq!(median(&[]), None);
        assert_eq!(median(&[3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(&[4.0, 1.0, 3.0, 2.0]), Some(2.5));
        assert_eq!(median(&[f64::NAN, 5.0]), Some(5.0));
    }

    #[test]
    fn the_table_gives_the_median_ratio_of_the_rounds() {
        let comparison = Comparison {
            name: report::SESSION_UNKNOWN.to_owned(),
            rounds: vec![
                (
                    row(report::SESSION_UNKNOWN, 100.0, 1_000),
                    row(report::SESSION_UNKNOWN, 150.0, 500),
                ),
                (
                    row(report::SESSION_UNKNOWN, 200.0, 1_000),
                    row(report::SESSION_UNKNOWN, 200.0, 2_000),
                ),
                (
                    row(report::SESSION_UNKNOWN, 100.0, 1_000),
                    row(report::SESSION_UNKNOWN, 300.0, 1_000),
                ),
            ],
        };
        assert_eq!(ratios(&comparison.rounds, |r| r.per_second), Some(1.5));
        let table = render(&[comparison], 3);
        assert!(table.contains("1.50"), "{table}");
        // Medians of each side: A 100/s, B 200/s; p99 ratio median 1.00.
        assert!(
            table.contains("session_unknown      100      200"),
            "{table}"
        );
        assert!(table.contains("1.00"), "{table}");
    }
}
