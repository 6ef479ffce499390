//! Time as the protocol sees it: an injected clock and nanosecond timestamps.
//!
//! Records keep whole seconds; "now" keeps nanoseconds, so lifetime boundaries
//! (`<` versus `≤`) behave exactly as the contract states.

use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

const NANOS_PER_SECOND: i64 = 1_000_000_000;

/// An instant, in nanoseconds since the Unix epoch.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(i64);

impl Timestamp {
    pub const fn from_unix_seconds(seconds: i64) -> Self {
        Timestamp(seconds.saturating_mul(NANOS_PER_SECOND))
    }

    pub const fn from_unix_nanos(nanos: i64) -> Self {
        Timestamp(nanos)
    }

    /// Whole seconds since the epoch, rounded toward negative infinity.
    pub const fn unix_seconds(self) -> i64 {
        self.0.div_euclid(NANOS_PER_SECOND)
    }

    pub const fn unix_nanos(self) -> i64 {
        self.0
    }

    /// This instant cut to whole seconds, as storage keeps it.
    pub const fn truncated_to_seconds(self) -> Self {
        Self::from_unix_seconds(self.unix_seconds())
    }

    /// Signed nanoseconds from `earlier` to `self`.
    pub fn nanos_since(self, earlier: Timestamp) -> i64 {
        self.0.saturating_sub(earlier.0)
    }

    /// True while `self` is less than `lifetime` after `start` (`now − start < lifetime`).
    pub fn is_before_end_of(self, start: Timestamp, lifetime: Duration) -> bool {
        self.nanos_since(start) < duration_nanos(lifetime)
    }

    /// True while `self` is at most `lifetime` after `start` (`now − start ≤ lifetime`).
    pub fn is_not_after_end_of(self, start: Timestamp, lifetime: Duration) -> bool {
        self.nanos_since(start) <= duration_nanos(lifetime)
    }
}

impl std::ops::Add<Duration> for Timestamp {
    type Output = Timestamp;

    fn add(self, duration: Duration) -> Timestamp {
        Timestamp(self.0.saturating_add(duration_nanos(duration)))
    }
}

pub(crate) fn duration_nanos(duration: Duration) -> i64 {
    i64::try_from(duration.as_nanos()).unwrap_or(i64::MAX)
}

/// The source of "now" for every protocol decision.
pub trait Clock: Send + Sync {
    fn now(&self) -> Timestamp;
}

/// The wall clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        let since_epoch = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or(Duration::ZERO);
        Timestamp(duration_nanos(since_epoch))
    }
}

/// A clock that only moves when told to; for tests.
#[derive(Debug)]
pub struct ManualClock(AtomicI64);

impl ManualClock {
    pub fn new(start: Timestamp) -> Self {
        ManualClock(AtomicI64::new(start.0))
    }

    pub fn set(&self, now: Timestamp) {
        self.0.store(now.0, Ordering::SeqCst);
    }

    pub fn advance(&self, by: Duration) {
        self.0.fetch_add(duration_nanos(by), Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Timestamp {
        Timestamp(self.0.load(Ordering::SeqCst))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unix_seconds_round_toward_negative_infinity() {
        assert_eq!(Timestamp::from_unix_nanos(1_500_000_000).unix_seconds(), 1);
        assert_eq!(Timestamp::from_unix_nanos(-1).unix_seconds(), -1);
        assert_eq!(
            Timestamp::from_unix_nanos(-1_000_000_000).unix_seconds(),
            -1
        );
    }

    #[test]
    fn lifetime_boundaries_differ_only_at_the_exact_end() {
        let start = Timestamp::from_unix_seconds(100);
        let lifetime = Duration::from_secs(60);
        let end = Timestamp::from_unix_seconds(160);
        assert!(!end.is_before_end_of(start, lifetime));
        assert!(end.is_not_after_end_of(start, lifetime));
        let just_before = Timestamp::from_unix_nanos(end.unix_nanos() - 1);
        assert!(just_before.is_before_end_of(start, lifetime));
        let just_after = Timestamp::from_unix_nanos(end.unix_nanos() + 1);
        assert!(!just_after.is_not_after_end_of(start, lifetime));
    }

    #[test]
    fn manual_clock_moves_only_when_told() {
        let clock = ManualClock::new(Timestamp::from_unix_seconds(10));
        assert_eq!(clock.now().unix_seconds(), 10);
        clock.advance(Duration::from_millis(1500));
        assert_eq!(clock.now().unix_nanos(), 11_500_000_000);
        clock.set(Timestamp::from_unix_seconds(3));
        assert_eq!(clock.now().unix_seconds(), 3);
    }
}
