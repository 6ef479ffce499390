//! Periodic removal of entries past their expiry hint.
//!
//! The protocol checks expiry itself on every read, so purging only keeps the
//! store from growing with abandoned flows and sessions; a failed purge is
//! logged and retried on the next period.

use std::sync::Arc;
use std::time::Duration;

use tokio::task::JoinHandle;
use tokio::time::{interval_at, Instant, MissedTickBehavior};

use super::Storage;
use crate::faroe::clock::Clock;

/// The shortest period the purge task accepts; shorter ones are raised to it.
const MIN_PERIOD: Duration = Duration::from_secs(1);

/// Spawns a task that, every `every` (at least one second), removes the entries
/// whose expiry hint is before the clock's now. The first purge runs one period
/// after the start. Abort the returned handle to stop it.
pub fn spawn_purge_task(
    storage: Arc<dyn Storage>,
    clock: Arc<dyn Clock>,
    every: Duration,
) -> JoinHandle<()> {
    let period = every.max(MIN_PERIOD);
    // Counted from the call, not from whenever the task is first polled.
    let first = Instant::now() + period;
    tokio::spawn(async move {
        let mut ticks = interval_at(first, period);
        // After a stall, purge once and keep the period, rather than in a burst.
        ticks.set_missed_tick_behavior(MissedTickBehavior::Delay);
        loop {
            ticks.tick().await;
            match storage.purge_expired(clock.now()).await {
                Ok(purged) => tracing::debug!(purged, "purged expired storage entries"),
                Err(error) => tracing::warn!(%error, "purging expired storage entries failed"),
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::faroe::clock::{ManualClock, Timestamp};
    use crate::fault_storage::{FaultyStorage, StorageOp};
    use crate::storage::{MemoryStorage, StorageError};

    const PERIOD: Duration = Duration::from_secs(60);

    /// Lets the spawned task run what became ready after a time advance.
    async fn let_tasks_run() {
        for _ in 0..10 {
            tokio::task::yield_now().await;
        }
    }

    #[tokio::test(start_paused = true)]
    async fn purges_expired_entries_once_per_period() {
        let storage = Arc::new(MemoryStorage::new());
        let clock = Arc::new(ManualClock::new(Timestamp::from_unix_seconds(500)));
        storage
            .add("early", b"x", Timestamp::from_unix_seconds(1_000))
            .await
            .expect("add");
        storage
            .add("late", b"y", Timestamp::from_unix_seconds(2_000))
            .await
            .expect("add");
        let task = spawn_purge_task(storage.clone(), clock.clone(), PERIOD);

        // Nothing runs before the first period, even once entries have expired.
        clock.set(Timestamp::from_unix_seconds(1_500));
        tokio::time::advance(PERIOD - Duration::from_secs(1)).await;
        let_tasks_run().await;
        assert_eq!(storage.keys().len(), 2);

        tokio::time::advance(Duration::from_secs(1)).await;
        let_tasks_run().await;
        assert_eq!(storage.keys(), vec!["late".to_owned()]);

        clock.set(Timestamp::from_unix_seconds(2_500));
        tokio::time::advance(PERIOD).await;
        let_tasks_run().await;
        assert!(storage.keys().is_empty());

        task.abort();
    }

    /// Storage whose every purge fails; it counts the attempts.
    fn unpurgeable() -> Arc<FaultyStorage> {
        let storage = FaultyStorage::new();
        let failure = StorageError::Failure("disk on fire".into());
        storage.fail(StorageOp::Purge, "", 0, failure);
        Arc::new(storage)
    }

    #[tokio::test(start_paused = true)]
    async fn a_failed_purge_is_retried_next_period() {
        let storage = unpurgeable();
        let clock = Arc::new(ManualClock::new(Timestamp::from_unix_seconds(0)));
        let task = spawn_purge_task(storage.clone(), clock, PERIOD);
        for expected in 1..=3 {
            tokio::time::advance(PERIOD).await;
            let_tasks_run().await;
            assert_eq!(storage.calls(StorageOp::Purge), expected);
        }
        assert!(!task.is_finished());
        task.abort();
    }

    #[tokio::test(start_paused = true)]
    async fn a_zero_period_is_raised_to_the_minimum() {
        let storage = unpurgeable();
        let clock = Arc::new(ManualClock::new(Timestamp::from_unix_seconds(0)));
        let task = spawn_purge_task(storage.clone(), clock, Duration::ZERO);
        let_tasks_run().await;
        assert_eq!(storage.calls(StorageOp::Purge), 0);
        tokio::time::advance(MIN_PERIOD).await;
        let_tasks_run().await;
        assert_eq!(storage.calls(StorageOp::Purge), 1);
        task.abort();
    }
}
