//! The figures of a run: one row per scenario, its ratios to its ceiling, the table,
//! and which first targets hold.

use serde::Serialize;

use crate::load::LoadOutcome;
use crate::wrk::WrkSummary;

pub const ALIVE: &str = "alive";
pub const SESSION_CACHE_OFF: &str = "session_cache_off";
pub const SESSION_CACHE_ON: &str = "session_cache_on";
pub const SESSION_UNKNOWN: &str = "session_unknown";
pub const SIGNUP: &str = "signup";
pub const SIGNIN: &str = "signin";
pub const ARGON2_RAW: &str = "argon2_raw";
pub const ALIVE_DURING_SIGNIN: &str = "alive_during_signin";
/// `/alive` driven by the built-in generator while wrk drives the `alive` row.
pub const ALIVE_BUILT_IN: &str = "alive_built_in";

/// The generators a row's load came from.
pub const GENERATOR_WRK: &str = "wrk";
pub const GENERATOR_BUILT_IN: &str = "built-in";
pub const SCALE_PREFIX: &str = "scale_";
/// `PwnedPasswords` lookups in the bench process on a generated corpus of N lines.
pub const PWNED_LOOKUP_PREFIX: &str = "pwned_lookup_";
/// Weak-password answers of a server checking a corpus of N lines.
pub const PWNED_SERVER_PREFIX: &str = "pwned_server_";

/// `1k`, `10m`, or the number itself.
pub fn size_label(count: u64) -> String {
    match count {
        n if n >= 1_000_000 && n % 1_000_000 == 0 => format!("{}m", n / 1_000_000),
        n if n >= 1_000 && n % 1_000 == 0 => format!("{}k", n / 1_000),
        n => n.to_string(),
    }
}

/// The row of `/alive` measured around `scenario` (just before and just after it, on
/// its server), which that scenario's row is compared with.
pub fn alive_around(scenario: &str) -> String {
    format!("{ALIVE}_around_{scenario}")
}

/// The row name of a scale scenario with `sessions` stored sessions.
pub fn scale_row_name(sessions: u64) -> String {
    format!("{SCALE_PREFIX}{}", size_label(sessions))
}

/// One scenario's figures.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Row {
    pub name: String,
    /// The row this one is compared to.
    pub ceiling: Option<String>,
    pub per_second: f64,
    pub p50_us: u64,
    pub p99_us: u64,
    pub max_us: u64,
    pub successes: u64,
    pub errors: u64,
    pub first_error: Option<String>,
    /// CPU of the process under test (the server; the bench itself for `argon2_raw`),
    /// as a percentage of one core.
    pub cpu_percent: Option<f64>,
    /// CPU of the mock user server, as a percentage of one core.
    pub user_server_cpu_percent: Option<f64>,
    /// CPU of the load generator (this process), as a percentage of one core.
    pub generator_cpu_percent: Option<f64>,
    /// Peak resident memory of the process under test.
    pub peak_memory_mib: Option<f64>,
    /// Stored sessions, for the scale rows.
    pub stored_sessions: Option<u64>,
    /// What made the load: wrk or the built-in generator.
    pub generator: &'static str,
    pub throughput_ratio: Option<f64>,
    pub p50_ratio: Option<f64>,
    pub p99_ratio: Option<f64>,
}

impl Row {
    pub fn from_outcome(
        name: impl Into<String>,
        ceiling: Option<&str>,
        outcome: &LoadOutcome,
    ) -> Self {
        let latencies = &outcome.latencies;
        let (p50_us, p99_us, max_us) = if latencies.is_empty() {
            (0, 0, 0)
        } else {
            (
                latencies.value_at_quantile(0.50),
                latencies.value_at_quantile(0.99),
                latencies.max(),
            )
        };
        Row {
            name: name.into(),
            ceiling: ceiling.map(str::to_owned),
            per_second: outcome.per_second(),
            p50_us,
            p99_us,
            max_us,
            successes: outcome.successes(),
            errors: outcome.errors,
            first_error: outcome.first_error.clone(),
            cpu_percent: None,
            user_server_cpu_percent: None,
            generator_cpu_percent: None,
            peak_memory_mib: None,
            stored_sessions: None,
            generator: GENERATOR_BUILT_IN,
            throughput_ratio: None,
            p50_ratio: None,
            p99_ratio: None,
        }
    }

    /// A row of a load wrk made; answers wrk counts as errors are no successes.
    pub fn from_wrk(name: impl Into<String>, ceiling: Option<&str>, summary: &WrkSummary) -> Self {
        let errors = summary.status_errors + summary.socket_errors;
        Row {
            per_second: summary.per_second(),
            p50_us: summary.p50_us,
            p99_us: summary.p99_us,
            max_us: summary.max_us,
            successes: summary.successes(),
            errors,
            first_error: (errors > 0).then(|| {
                format!(
                    "wrk: {} answers outside 2xx/3xx, {} socket errors",
                    summary.status_errors, summary.socket_errors
                )
            }),
            generator: GENERATOR_WRK,
            ..Row::from_outcome(name, ceiling, &LoadOutcome::empty())
        }
    }

    /// One row of two measurements of the same load: their mean rate and latencies,
    /// the worst maximum, both counts.
    pub fn mean_of(first: &Row, second: &Row) -> Row {
        let mean = |a: f64, b: f64| (a + b) / 2.0;
        let mean_of = |a, b| either_or_both(a, b, mean);
        Row {
            per_second: mean(first.per_second, second.per_second),
            p50_us: (first.p50_us + second.p50_us) / 2,
            p99_us: (first.p99_us + second.p99_us) / 2,
            max_us: first.max_us.max(second.max_us),
            successes: first.successes + second.successes,
            errors: first.errors + second.errors,
            first_error: first.first_error.clone().or(second.first_error.clone()),
            cpu_percent: mean_of(first.cpu_percent, second.cpu_percent),
            user_server_cpu_percent: mean_of(
                first.user_server_cpu_percent,
                second.user_server_cpu_percent,
            ),
            generator_cpu_percent: mean_of(
                first.generator_cpu_percent,
                second.generator_cpu_percent,
            ),
            peak_memory_mib: either_or_both(
                first.peak_memory_mib,
                second.peak_memory_mib,
                f64::max,
            ),
            ..first.clone()
        }
    }
}

/// `combine` of both values when both are known, else the one that is.
fn either_or_both(
    a: Option<f64>,
    b: Option<f64>,
    combine: impl Fn(f64, f64) -> f64,
) -> Option<f64> {
    match (a, b) {
        (Some(a), Some(b)) => Some(combine(a, b)),
        (one, other) => one.or(other),
    }
}

fn ratio(value: f64, reference: f64) -> Option<f64> {
    (reference > 0.0).then(|| value / reference)
}

/// Fills each row's ratios to its ceiling row, when that row was measured.
pub fn fill_ratios(rows: &mut [Row]) {
    let ceilings: Vec<Option<Row>> = rows
        .iter()
        .map(|row| {
            let name = row.ceiling.as_deref()?;
            rows.iter().find(|other| other.name == name).cloned()
        })
        .collect();
    for (row, ceiling) in rows.iter_mut().zip(ceilings) {
        if let Some(ceiling) = ceiling {
            // The probe's rate is set by its pace, not by the server.
            if row.name != ALIVE_DURING_SIGNIN {
                row.throughput_ratio = ratio(row.per_second, ceiling.per_second);
            }
            row.p50_ratio = ratio(row.p50_us as f64, ceiling.p50_us as f64);
            row.p99_ratio = ratio(row.p99_us as f64, ceiling.p99_us as f64);
        }
    }
}

/// One first target and whether this run meets it.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct TargetCheck {
    pub target: String,
    /// `None` when the run did not measure what the target needs.
    pub holds: Option<bool>,
    pub measured: String,
}

fn find<'a>(rows: &'a [Row], name: &str) -> Option<&'a Row> {
    rows.iter().find(|row| row.name == name)
}

fn check(target: &str, measured: Option<(bool, String)>) -> TargetCheck {
    match measured {
        Some((holds, measured)) => TargetCheck {
            target: target.to_owned(),
            holds: Some(holds),
            measured,
        },
        None => TargetCheck {
            target: target.to_owned(),
            holds: None,
            measured: "not measured".to_owned(),
        },
    }
}

/// `share_of_ceiling` with the ceiling the row names.
fn share_of_own_ceiling(rows: &[Row], name: &str, at_least: f64) -> Option<(bool, String)> {
    let ceiling = find(rows, name)?.ceiling.as_deref()?;
    share_of_ceiling(rows, name, ceiling, at_least)
}

fn share_of_ceiling(
    rows: &[Row],
    name: &str,
    ceiling: &str,
    at_least: f64,
) -> Option<(bool, String)> {
    let row = find(rows, name)?;
    let reference = find(rows, ceiling)?;
    let share = ratio(row.per_second, reference.per_second)?;
    Some((
        share >= at_least,
        format!(
            "{:.0}/s = {:.0} % of {ceiling} ({:.0}/s)",
            row.per_second,
            share * 100.0,
            reference.per_second
        ),
    ))
}

fn millis(micros: u64) -> f64 {
    micros as f64 / 1000.0
}

/// The first targets, for a server whose hashing concurrency is
/// `hashing_concurrency`.
pub fn evaluate_targets(rows: &[Row], hashing_concurrency: usize) -> Vec<TargetCheck> {
    let mut checks = vec![
        check(
            "get_session, unknown token: >= 75 % of alive",
            share_of_own_ceiling(rows, SESSION_UNKNOWN, 0.75),
        ),
        check(
            "get_session, cache off: >= 30 % of alive",
            share_of_own_ceiling(rows, SESSION_CACHE_OFF, 0.30),
        ),
        check(
            "get_session, cache off: p99 <= 3 ms",
            find(rows, SESSION_CACHE_OFF).map(|row| {
                (
                    row.p99_us <= 3_000,
                    format!("p99 {:.2} ms", millis(row.p99_us)),
                )
            }),
        ),
        check(
            "get_session, cache on: >= 80 % of alive",
            share_of_own_ceiling(rows, SESSION_CACHE_ON, 0.80),
        ),
        check(
            "signin: >= 90 % of raw Argon2id",
            share_of_ceiling(rows, SIGNIN, ARGON2_RAW, 0.90),
        ),
        check(
            "alive during a signin storm: p99 < 10 ms",
            find(rows, ALIVE_DURING_SIGNIN).map(|row| {
                (
                    row.p99_us < 10_000,
                    format!("p99 {:.2} ms", millis(row.p99_us)),
                )
            }),
        ),
        check(
            "built-in generator: alive >= 90 % of wrk's",
            share_of_ceiling(rows, ALIVE_BUILT_IN, ALIVE, 0.90),
        ),
    ];

    // Network engines, each measured in the same run as SQLite.
    for engine in ["postgres", "redis"] {
        let row = |scenario: &str| format!("{scenario}@{engine}");
        if find(rows, &row(SESSION_CACHE_OFF)).is_none() {
            continue;
        }
        checks.push(check(
            &format!("get_session, cache off, {engine}: >= 75 % of SQLite"),
            share_of_ceiling(rows, &row(SESSION_CACHE_OFF), SESSION_CACHE_OFF, 0.75),
        ));
        checks.push(check(
            &format!("get_session, unknown token, {engine}: >= 50 % of SQLite"),
            share_of_ceiling(rows, &row(SESSION_UNKNOWN), SESSION_UNKNOWN, 0.50),
        ));
        checks.push(check(
            &format!("signin, {engine}: >= 90 % of raw Argon2id"),
            share_of_ceiling(rows, &row(SIGNIN), ARGON2_RAW, 0.90),
        ));
    }

    let scale: Vec<&Row> = rows
        .iter()
        .filter(|row| row.name.starts_with(SCALE_PREFIX) && row.stored_sessions.is_some())
        .collect();
    let smallest = scale.iter().min_by_key(|row| row.stored_sessions);
    let largest = scale.iter().max_by_key(|row| row.stored_sessions);
    let million = scale
        .iter()
        .find(|row| row.stored_sessions == Some(1_000_000));
    let growth = match (smallest, largest) {
        (Some(small), Some(large)) if small.name != large.name => Some((
            large.p99_us <= 2 * small.p99_us,
            format!(
                "p99 {:.2} ms at {} vs {:.2} ms at {}{}",
                millis(large.p99_us),
                large.name,
                millis(small.p99_us),
                small.name,
                if million.is_some() {
                    ""
                } else {
                    " (1 M not measured; largest size shown)"
                }
            ),
        )),
        _ => None,
    };
    checks.push(check("1 M sessions: p99 within 2x of 1 k", growth));

    let budget_mib = 100.0 + 64.0 * hashing_concurrency as f64;
    let memory = |row: &Row| {
        row.peak_memory_mib.map(|mib| {
            (
                mib < budget_mib,
                format!("{mib:.1} MiB at {} (budget {budget_mib:.0} MiB)", row.name),
            )
        })
    };
    checks.push(check(
        &format!("1 M sessions: server memory < 100 MiB + 64 MiB x {hashing_concurrency}"),
        largest.and_then(|row| memory(row)),
    ));
    let heaviest = rows
        .iter()
        .filter(|row| {
            // Those rows measure the bench process, not the server.
            row.name != ARGON2_RAW
                && !row.name.starts_with(PWNED_LOOKUP_PREFIX)
                && row.peak_memory_mib.is_some()
        })
        .max_by(|a, b| {
            a.peak_memory_mib
                .partial_cmp(&b.peak_memory_mib)
                .unwrap_or(std::cmp::Ordering::Equal)
        });
    checks.push(check(
        &format!("any scenario: server memory < 100 MiB + 64 MiB x {hashing_concurrency}"),
        heaviest.and_then(memory),
    ));
    checks.extend(pwned_targets(rows));
    checks
}

/// The local corpus: lookups fast from a warm page cache, and a server whose memory
/// does not grow with the corpus file (its pages stay in the kernel's cache).
fn pwned_targets(rows: &[Row]) -> [TargetCheck; 2] {
    let lookup = rows
        .iter()
        .find(|row| row.name.starts_with(PWNED_LOOKUP_PREFIX));
    let large = rows
        .iter()
        .find(|row| row.name.starts_with(PWNED_SERVER_PREFIX) && row.ceiling.is_some());
    let growth = large.and_then(|large| {
        let small = find(rows, large.ceiling.as_deref()?)?;
        let (large_mib, small_mib) = (large.peak_memory_mib?, small.peak_memory_mib?);
        Some((
            large_mib <= small_mib + PWNED_MEMORY_SLACK_MIB,
            format!(
                "{large_mib:.1} MiB at {} vs {small_mib:.1} MiB at {} ({:.2}x)",
                large.name,
                small.name,
                ratio(large_mib, small_mib).unwrap_or(0.0)
            ),
        ))
    });
    [
        check(
            "local corpus: lookup p99 <= 1 ms (warm page cache)",
            lookup.map(|row| {
                (
                    row.p99_us <= 1_000,
                    format!("p99 {:.3} ms at {}", millis(row.p99_us), row.name),
                )
            }),
        ),
        check(
            &format!(
                "local corpus: server memory within {PWNED_MEMORY_SLACK_MIB} MiB of a 1 k-line corpus"
            ),
            growth,
        ),
    ]
}

/// How much more a server may hold with the large corpus than with the small one.
const PWNED_MEMORY_SLACK_MIB: f64 = 16.0;

/// CPU time of the process under test per successful operation, in microseconds.
pub fn cpu_micros_per_operation(row: &Row) -> Option<f64> {
    let percent = row.cpu_percent?;
    (row.per_second > 0.0).then(|| percent / 100.0 * 1e6 / row.per_second)
}

fn optional(value: Option<f64>, decimals: usize) -> String {
    value.map_or_else(|| "-".to_owned(), |v| format!("{v:.decimals$}"))
}

fn percent(value: Option<f64>) -> String {
    value.map_or_else(|| "-".to_owned(), |v| format!("{:.0} %", v * 100.0))
}

fn times(value: Option<f64>) -> String {
    value.map_or_else(|| "-".to_owned(), |v| format!("{v:.2}x"))
}

/// Lines of cells as a table: the first line is the header, underlined; the first
/// column is aligned left, the others right.
pub fn align(lines: &[Vec<String>]) -> String {
    let columns = lines.iter().map(Vec::len).max().unwrap_or(0);
    let widths: Vec<usize> = (0..columns)
        .map(|column| {
            lines
                .iter()
                .map(|line| line.get(column).map_or(0, |cell| cell.chars().count()))
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut text = String::new();
    for (index, line) in lines.iter().enumerate() {
        let cells: Vec<String> = line
            .iter()
            .zip(&widths)
            .enumerate()
            .map(|(column, (cell, &width))| {
                if column == 0 {
                    format!("{cell:<width$}")
                } else {
                    format!("{cell:>width$}")
                }
            })
            .collect();
        text.push_str(cells.join("  ").trim_end());
        text.push('\n');
        if index == 0 {
            let total = widths.iter().sum::<usize>() + 2 * columns.saturating_sub(1);
            text.push_str(&"-".repeat(total));
            text.push('\n');
        }
    }
    text
}

/// The table of rows and the target verdicts, as printed.
pub fn render(rows: &[Row], targets: &[TargetCheck]) -> String {
    let header = [
        "scenario",
        "ops/s",
        "vs ceiling",
        "p50 ms",
        "p99 ms",
        "max ms",
        "p50 vs",
        "p99 vs",
        "errors",
        "cpu %",
        "cpu µs/op",
        "user srv cpu %",
        "bench cpu %",
        "peak MiB",
        "generator",
    ];
    let mut lines: Vec<Vec<String>> = vec![header.iter().map(|s| s.to_string()).collect()];
    for row in rows {
        let name = match &row.ceiling {
            Some(ceiling) => format!("{} (/{ceiling})", row.name),
            None => row.name.clone(),
        };
        lines.push(vec![
            name,
            if row.per_second < 100.0 {
                format!("{:.1}", row.per_second)
            } else {
                format!("{:.0}", row.per_second)
            },
            percent(row.throughput_ratio),
            format!("{:.2}", millis(row.p50_us)),
            format!("{:.2}", millis(row.p99_us)),
            format!("{:.2}", millis(row.max_us)),
            times(row.p50_ratio),
            times(row.p99_ratio),
            row.errors.to_string(),
            optional(row.cpu_percent, 0),
            optional(cpu_micros_per_operation(row), 0),
            optional(row.user_server_cpu_percent, 0),
            optional(row.generator_cpu_percent, 0),
            optional(row.peak_memory_mib, 1),
            row.generator.to_owned(),
        ]);
    }
    let mut text = align(&lines);
    for row in rows {
        if let Some(error) = &row.first_error {
            text.push_str(&format!("{}: first error: {error}\n", row.name));
        }
    }
    text.push_str("\nFirst targets:\n");
    for target in targets {
        let verdict = match target.holds {
            Some(true) => "HOLDS ",
            Some(false) => "MISSES",
            None => "  n/a ",
        };
        text.push_str(&format!(
            "  [{verdict}] {}: {}\n",
            target.target, target.measured
        ));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(name: &str, ceiling: Option<&str>, per_second: f64, p50_us: u64, p99_us: u64) -> Row {
        Row {
            name: name.to_owned(),
            ceiling: ceiling.map(str::to_owned),
            per_second,
            p50_us,
            p99_us,
            max_us: p99_us * 2,
            successes: 1,
            errors: 0,
            first_error: None,
            cpu_percent: None,
            user_server_cpu_percent: None,
            generator_cpu_percent: None,
            peak_memory_mib: None,
            stored_sessions: None,
            generator: GENERATOR_BUILT_IN,
            throughput_ratio: None,
            p50_ratio: None,
            p99_ratio: None,
        }
    }

    fn scale(sessions: u64, p99_us: u64, mib: f64) -> Row {
        Row {
            stored_sessions: Some(sessions),
            peak_memory_mib: Some(mib),
            ..row(
                &scale_row_name(sessions),
                Some(ALIVE),
                5_000.0,
                1_000,
                p99_us,
            )
        }
    }

    fn verdict(checks: &[TargetCheck], starts: &str) -> Option<bool> {
        checks
            .iter()
            .find(|check| check.target.starts_with(starts))
            .map(|check| check.holds)
            .expect("target present")
    }

    #[test]
    fn cpu_per_operation_follows_from_cpu_share_and_throughput() {
        let mut measured = row(ALIVE, None, 20_000.0, 1, 1);
        assert_eq!(cpu_micros_per_operation(&measured), None);
        measured.cpu_percent = Some(50.0);
        assert_eq!(cpu_micros_per_operation(&measured), Some(25.0));
        measured.per_second = 0.0;
        assert_eq!(cpu_micros_per_operation(&measured), None);
    }

    #[test]
    fn corpus_targets_compare_lookup_p99_and_server_memory() {
        let mut lookup = row("pwned_lookup_10m", None, 5_000.0, 40, 900);
        lookup.peak_memory_mib = Some(900.0);
        let mut small = row("pwned_server_1k", None, 3_000.0, 1_000, 4_000);
        small.peak_memory_mib = Some(30.0);
        let mut large = row(
            "pwned_server_10m",
            Some("pwned_server_1k"),
            3_000.0,
            1_000,
            4_000,
        );
        large.peak_memory_mib = Some(45.0);
        let rows = vec![lookup.clone(), small.clone(), large.clone()];
        let checks = evaluate_targets(&rows, 2);
        assert_eq!(verdict(&checks, "local corpus: lookup"), Some(true));
        assert_eq!(verdict(&checks, "local corpus: server memory"), Some(true));
        // The bench's own memory (the lookup row) is no server's.
        assert_eq!(verdict(&checks, "any scenario"), Some(true));
        lookup.p99_us = 1_001;
        large.peak_memory_mib = Some(47.0);
        let checks = evaluate_targets(&[lookup, small, large], 2);
        assert_eq!(verdict(&checks, "local corpus: lookup"), Some(false));
        assert_eq!(verdict(&checks, "local corpus: server memory"), Some(false));
        assert_eq!(
            verdict(&evaluate_targets(&[], 2), "local corpus: lookup"),
            None
        );
    }

    #[test]
    fn scale_rows_are_named_by_size() {
        assert_eq!(scale_row_name(1_000), "scale_1k");
        assert_eq!(scale_row_name(100_000), "scale_100k");
        assert_eq!(scale_row_name(1_000_000), "scale_1m");
        assert_eq!(scale_row_name(1_500), "scale_1500");
    }

    #[test]
    fn ratios_are_taken_to_the_named_ceiling() {
        let mut rows = vec![
            row(ALIVE, None, 40_000.0, 300, 1_000),
            row(SESSION_CACHE_OFF, Some(ALIVE), 10_000.0, 900, 4_000),
            row(SIGNIN, Some(ARGON2_RAW), 10.0, 1, 1),
        ];
        fill_ratios(&mut rows);
        assert_eq!(rows[0].throughput_ratio, None);
        assert_eq!(rows[1].throughput_ratio, Some(0.25));
        assert_eq!(rows[1].p50_ratio, Some(3.0));
        assert_eq!(rows[1].p99_ratio, Some(4.0));
        // The ceiling was not measured: no ratio rather than a wrong one.
        assert_eq!(rows[2].throughput_ratio, None);
    }

    #[test]
    fn the_paced_probe_gets_latency_ratios_only() {
        let mut rows = vec![
            row(ALIVE, None, 40_000.0, 300, 1_000),
            row(ALIVE_DURING_SIGNIN, Some(ALIVE), 50.0, 600, 5_000),
        ];
        fill_ratios(&mut rows);
        assert_eq!(rows[1].throughput_ratio, None);
        assert_eq!(rows[1].p99_ratio, Some(5.0));
    }

    #[test]
    fn targets_hold_or_miss_at_their_thresholds() {
        let rows = vec![
            row(ALIVE, None, 40_000.0, 300, 1_000),
            row(ALIVE_BUILT_IN, Some(ALIVE), 36_000.0, 300, 1_000),
            row(SESSION_CACHE_OFF, Some(ALIVE), 12_000.0, 900, 3_000),
            row(SESSION_CACHE_ON, Some(ALIVE), 31_999.0, 500, 2_000),
            row(SESSION_UNKNOWN, Some(ALIVE), 30_000.0, 500, 2_000),
            row(ARGON2_RAW, None, 20.0, 1, 1),
            row(SIGNIN, Some(ARGON2_RAW), 17.9, 1, 1),
            row(ALIVE_DURING_SIGNIN, Some(ALIVE), 50.0, 500, 10_000),
        ];
        let checks = evaluate_targets(&rows, 2);
        assert_eq!(verdict(&checks, "get_session, unknown"), Some(true));
        assert_eq!(
            verdict(&checks, "get_session, cache off: >= 30 %"),
            Some(true)
        );
        assert_eq!(verdict(&checks, "get_session, cache off: p99"), Some(true));
        assert_eq!(verdict(&checks, "get_session, cache on"), Some(false));
        assert_eq!(verdict(&checks, "signin"), Some(false));
        assert_eq!(verdict(&checks, "alive during"), Some(false));
        assert_eq!(verdict(&checks, "built-in generator"), Some(true));
        assert_eq!(verdict(&checks, "1 M sessions: p99"), None);
        assert_eq!(verdict(&checks, "any scenario"), None);

        let rows = vec![
            row(ALIVE, None, 40_000.0, 300, 1_000),
            row(ALIVE_BUILT_IN, Some(ALIVE), 35_999.0, 300, 1_000),
            row(SESSION_CACHE_OFF, Some(ALIVE), 11_999.0, 900, 3_001),
            row(SESSION_CACHE_ON, Some(ALIVE), 32_000.0, 500, 2_000),
            row(SESSION_UNKNOWN, Some(ALIVE), 29_999.0, 500, 2_000),
            row(ARGON2_RAW, None, 20.0, 1, 1),
            row(SIGNIN, Some(ARGON2_RAW), 18.0, 1, 1),
            row(ALIVE_DURING_SIGNIN, Some(ALIVE), 50.0, 500, 9_999),
        ];
        let checks = evaluate_targets(&rows, 2);
        assert_eq!(verdict(&checks, "get_session, unknown"), Some(false));
        assert_eq!(
            verdict(&checks, "get_session, cache off: >= 30 %"),
            Some(false)
        );
        assert_eq!(verdict(&checks, "get_session, cache off: p99"), Some(false));
        assert_eq!(verdict(&checks, "get_session, cache on"), Some(true));
        assert_eq!(verdict(&checks, "signin"), Some(true));
        assert_eq!(verdict(&checks, "alive during"), Some(true));
        assert_eq!(verdict(&checks, "built-in generator"), Some(false));
    }

    #[test]
    fn session_rows_are_held_to_the_alive_measured_around_them() {
        let around = alive_around(SESSION_UNKNOWN);
        let rows = vec![
            row(ALIVE, None, 40_000.0, 300, 1_000),
            row(&around, None, 32_000.0, 300, 1_000),
            row(SESSION_UNKNOWN, Some(&around), 24_000.0, 500, 2_000),
        ];
        let checks = evaluate_targets(&rows, 2);
        // 75 % of the /alive around it, though 60 % of the first /alive.
        assert_eq!(verdict(&checks, "get_session, unknown"), Some(true));
        let measured = &checks
            .iter()
            .find(|check| check.target.starts_with("get_session, unknown"))
            .expect("present")
            .measured;
        assert!(
            measured.contains("alive_around_session_unknown"),
            "{measured}"
        );
    }

    #[test]
    fn two_measurements_make_one_row_of_their_means() {
        let mut before = row(ALIVE, None, 30_000.0, 200, 1_000);
        before.cpu_percent = Some(100.0);
        let mut after = row(ALIVE, None, 50_000.0, 400, 3_000);
        after.cpu_percent = Some(120.0);
        after.errors = 2;
        let both = Row::mean_of(&before, &after);
        assert_eq!(both.per_second, 40_000.0);
        assert_eq!((both.p50_us, both.p99_us, both.max_us), (300, 2_000, 6_000));
        assert_eq!((both.successes, both.errors), (2, 2));
        assert_eq!(both.cpu_percent, Some(110.0));
        assert_eq!(both.name, ALIVE);
    }

    #[test]
    fn wrk_rows_count_its_errors_and_name_it() {
        let summary = WrkSummary {
            requests: 1_000,
            duration: std::time::Duration::from_secs(2),
            p50_us: 100,
            p99_us: 900,
            max_us: 5_000,
            status_errors: 10,
            socket_errors: 2,
        };
        let row = Row::from_wrk(ALIVE, None, &summary);
        assert_eq!(row.per_second, 495.0);
        assert_eq!((row.successes, row.errors), (990, 12));
        assert_eq!((row.p50_us, row.p99_us, row.max_us), (100, 900, 5_000));
        assert_eq!(row.generator, GENERATOR_WRK);
        assert!(row.first_error.is_some());
        let table = render(&[row], &[]);
        assert!(table.contains("wrk"), "{table}");
    }

    #[test]
    fn scale_targets_compare_the_largest_size_with_the_smallest() {
        let rows = vec![scale(1_000, 1_000, 30.0), scale(1_000_000, 2_000, 227.0)];
        let checks = evaluate_targets(&rows, 2);
        assert_eq!(verdict(&checks, "1 M sessions: p99"), Some(true));
        assert_eq!(verdict(&checks, "1 M sessions: server memory"), Some(true));

        let rows = vec![scale(1_000, 1_000, 30.0), scale(100_000, 2_001, 229.0)];
        let checks = evaluate_targets(&rows, 2);
        assert_eq!(verdict(&checks, "1 M sessions: p99"), Some(false));
        assert_eq!(verdict(&checks, "1 M sessions: server memory"), Some(false));
        assert_eq!(verdict(&checks, "any scenario"), Some(false));
        let growth = checks
            .iter()
            .find(|check| check.target.starts_with("1 M sessions: p99"))
            .expect("present");
        assert!(
            growth.measured.contains("1 M not measured"),
            "{}",
            growth.measured
        );
    }

    #[test]
    fn the_table_lists_every_row_and_verdict() {
        let mut rows = vec![
            row(ALIVE, None, 40_000.0, 300, 1_000),
            row(SESSION_UNKNOWN, Some(ALIVE), 30_000.0, 450, 1_500),
        ];
        fill_ratios(&mut rows);
        let checks = evaluate_targets(&rows, 2);
        let table = render(&rows, &checks);
        assert!(table.contains("session_unknown (/alive)"), "{table}");
        assert!(table.contains("75 %"), "{table}");
        assert!(table.contains("1.50x"), "{table}");
        assert!(
            table.contains("[HOLDS ] get_session, unknown token"),
            "{table}"
        );
        assert!(table.contains("[  n/a ] signin"), "{table}");
    }
}
