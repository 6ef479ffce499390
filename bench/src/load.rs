//! The load generator: a fixed number of workers, each running one operation after
//! another until a deadline, with every latency recorded in microseconds.

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;

/// Latencies above this (one minute) are recorded as this.
const HIGHEST_MICROS: u64 = 60_000_000;

// Three significant digits from 1 µs to one minute; the bounds are valid constants.
#[allow(clippy::expect_used)]
pub fn new_histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, HIGHEST_MICROS, 3).expect("valid histogram bounds")
}

/// `count` operations over `elapsed`, per second (0 for no time).
pub fn per_second(count: u64, elapsed: Duration) -> f64 {
    let seconds = elapsed.as_secs_f64();
    if seconds > 0.0 {
        count as f64 / seconds
    } else {
        0.0
    }
}

/// What one scenario's workers did.
#[derive(Debug, Clone)]
pub struct LoadOutcome {
    /// Latencies of the operations that succeeded.
    pub latencies: Histogram<u64>,
    pub errors: u64,
    pub first_error: Option<String>,
    pub elapsed: Duration,
}

impl LoadOutcome {
    /// No operations yet.
    pub fn empty() -> Self {
        LoadOutcome {
            latencies: new_histogram(),
            errors: 0,
            first_error: None,
            elapsed: Duration::ZERO,
        }
    }

    pub fn successes(&self) -> u64 {
        self.latencies.len()
    }

    pub fn per_second(&self) -> f64 {
        per_second(self.successes(), self.elapsed)
    }

    fn merge(&mut self, other: WorkerTally) {
        // Both histograms have the same bounds and values are clamped, so adding cannot fail.
        let _ = self.latencies.add(&other.latencies);
        self.errors += other.errors;
        if self.first_error.is_none() {
            self.first_error = other.first_error;
        }
    }
}

struct WorkerTally {
    latencies: Histogram<u64>,
    errors: u64,
    first_error: Option<String>,
}

impl WorkerTally {
    fn new() -> Self {
        WorkerTally {
            latencies: new_histogram(),
            errors: 0,
            first_error: None,
        }
    }

    fn record(&mut self, started: Instant, result: Result<(), String>) {
        match result {
            Ok(()) => {
                let micros = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX);
                self.latencies
                    .saturating_record(micros.clamp(1, HIGHEST_MICROS));
            }
            Err(message) => {
                self.errors += 1;
                self.first_error.get_or_insert(message);
            }
        }
    }
}

/// Runs `operation(worker, iteration)` in `concurrency` tasks, back to back, until
/// `duration` has passed.
pub async fn run_closed_loop<F, Fut>(
    concurrency: usize,
    duration: Duration,
    operation: Arc<F>,
) -> LoadOutcome
where
    F: Fn(usize, u64) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<(), String>> + Send + 'static,
{
    let started = Instant::now();
    let deadline = started + duration;
    let workers: Vec<_> = (0..concurrency.max(1))
        .map(|worker| {
            let operation = Arc::clone(&operation);
            tokio::spawn(async move {
                let mut tally = WorkerTally::new();
                let mut iteration = 0u64;
                loop {
                    let begun = Instant::now();
                    if begun >= deadline {
                        break;
                    }
                    let result = operation(worker, iteration).await;
                    tally.record(begun, result);
                    iteration += 1;
                }
                tally
            })
        })
        .collect();
    let mut outcome = LoadOutcome::empty();
    for worker in workers {
        match worker.await {
            Ok(tally) => outcome.merge(tally),
            Err(error) => {
                outcome.errors += 1;
                outcome
                    .first_error
                    .get_or_insert(format!("worker task failed: {error}"));
            }
        }
    }
    outcome.elapsed = started.elapsed();
    outcome
}

/// Runs `operation` once every `every` (a light probe beside a load) until `duration`
/// has passed.
pub async fn run_paced<F, Fut>(every: Duration, duration: Duration, operation: F) -> LoadOutcome
where
    F: Fn() -> Fut,
    Fut: Future<Output = Result<(), String>>,
{
    let started = Instant::now();
    let deadline = started + duration;
    let mut tally = WorkerTally::new();
    let mut ticks = tokio::time::interval(every);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        let begun = Instant::now();
        if begun >= deadline {
            break;
        }
        let result = operation().await;
        tally.record(begun, result);
    }
    let mut outcome = LoadOutcome {
        elapsed: started.elapsed(),
        ..LoadOutcome::empty()
    };
    outcome.merge(tally);
    outcome
}
