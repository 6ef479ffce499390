//! Warnings that could repeat thousands of times a second under attack are logged at
//! most once per interval, with the number of occurrences since the last line.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How often one repeated warning may be logged.
pub const LOG_INTERVAL: Duration = Duration::from_secs(10);

/// One rate-limited warning.
#[derive(Debug)]
pub struct LogEvery {
    interval: Duration,
    last: Mutex<Option<Instant>>,
    since_last: AtomicU64,
}

impl LogEvery {
    pub const fn new(interval: Duration) -> Self {
        LogEvery {
            interval,
            last: Mutex::new(None),
            since_last: AtomicU64::new(0),
        }
    }

    /// Counts one occurrence; returns how many there were since the last line when a
    /// line is due now.
    pub fn due(&self, now: Instant) -> Option<u64> {
        let count = self.since_last.fetch_add(1, Ordering::Relaxed) + 1;
        let mut last = self
            .last
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        match *last {
            Some(at) if now.duration_since(at) < self.interval => None,
            _ => {
                *last = Some(now);
                self.since_last.fetch_sub(count, Ordering::Relaxed);
                Some(count)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_line_per_interval_counting_the_rest() {
        let every = LogEvery::new(Duration::from_secs(10));
        let start = Instant::now();
        assert_eq!(every.due(start), Some(1));
        for second in 1..10 {
            assert_eq!(every.due(start + Duration::from_secs(second)), None);
        }
        assert_eq!(every.due(start + Duration::from_secs(10)), Some(10));
        assert_eq!(every.due(start + Duration::from_secs(11)), None);
    }
}
