//! Token buckets kept in storage: capacity 5, one token back per interval.
//!
//! The refill is exact: only whole elapsed intervals are credited, never more than
//! the capacity, never a negative amount when the clock steps back; the refill time
//! advances by the intervals credited, or to now when the bucket fills up. A full
//! bucket is the same as no bucket, so its row's expiry hint lets the purge drop it.

use std::time::Duration;

use super::clock::{duration_nanos, Timestamp};
use super::email_address::rate_limit_form;
use super::error::{ActionResult, ErrorCode, Found};
use super::records::{decode, encode, BucketRecord};
use crate::storage::{Storage, StorageError};

pub const CAPACITY: u32 = 5;

/// A bucket's size: `capacity` tokens, one back every `refill_every`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limit {
    pub capacity: u32,
    pub refill_every: Duration,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bucket {
    /// Verifying a user's password; keyed by user id.
    UserPassword,
    /// Sending an e-mail; keyed by the address (its rate-limit form).
    Email,
    /// Verifying an e-mail address verification code; keyed by the address (its
    /// rate-limit form).
    VerificationCode,
    /// Verifying a temporary password; keyed by user id.
    TemporaryPassword,
}

impl Bucket {
    /// The storage key of the bucket of `subject` (a user id or an address). Address
    /// buckets are keyed on the address's rate-limit form, so its case and dot
    /// variants share one bucket.
    pub(crate) fn storage_key(self, subject: &str) -> String {
        match self {
            Bucket::Email | Bucket::VerificationCode => {
                format!("{}{}", self.prefix(), rate_limit_form(subject))
            }
            Bucket::UserPassword | Bucket::TemporaryPassword => {
                format!("{}{subject}", self.prefix())
            }
        }
    }

    pub const fn prefix(self) -> &'static str {
        match self {
            Bucket::UserPassword => "aaaq.",
            Bucket::Email => "aaar.",
            Bucket::VerificationCode => "aaas.",
            Bucket::TemporaryPassword => "aaat.",
        }
    }

    pub fn refill_interval(self) -> Duration {
        match self {
            Bucket::Email => Duration::from_secs(30 * 60),
            _ => Duration::from_secs(60),
        }
    }

    /// The bucket stored at `storage_key`, if it is a protocol bucket.
    pub(crate) fn of_key(storage_key: &str) -> Option<Bucket> {
        [
            Bucket::UserPassword,
            Bucket::Email,
            Bucket::VerificationCode,
            Bucket::TemporaryPassword,
        ]
        .into_iter()
        .find(|bucket| storage_key.starts_with(bucket.prefix()))
    }

    /// The bucket's name in metrics.
    pub const fn name(self) -> &'static str {
        match self {
            Bucket::UserPassword => "user_password",
            Bucket::Email => "email",
            Bucket::VerificationCode => "verification_code",
            Bucket::TemporaryPassword => "temporary_password",
        }
    }

    /// The protocol's size of this bucket: 5 tokens.
    pub fn limit(self) -> Limit {
        Limit {
            capacity: CAPACITY,
            refill_every: self.refill_interval(),
        }
    }
}

/// Counts a refusal under the name of the bucket stored at `storage_key`.
fn refused(storage_key: &str) -> ActionResult<()> {
    let bucket = Bucket::of_key(storage_key).map_or_else(
        || super::client_limits::bucket_name(storage_key),
        Bucket::name,
    );
    metrics::counter!(crate::metrics::RATE_LIMIT_REFUSALS, "bucket" => bucket).increment(1);
    Err(ErrorCode::RateLimited.into())
}

/// The bucket as it stands at `now`, refill credited.
fn refilled(stored: BucketRecord, now: Timestamp, limit: Limit) -> BucketRecord {
    let Limit {
        capacity,
        refill_every: interval,
    } = limit;
    let tokens = stored.tokens.min(capacity);
    let elapsed = now.nanos_since(Timestamp::from_unix_seconds(stored.last_refilled_at));
    let intervals = (elapsed.max(0) / duration_nanos(interval).max(1)).max(0);
    if i64::from(tokens) + intervals >= i64::from(capacity) {
        return BucketRecord {
            tokens: capacity,
            last_refilled_at: now.unix_seconds(),
        };
    }
    // Below capacity, so `intervals` < capacity and the arithmetic cannot overflow.
    BucketRecord {
        tokens: tokens + intervals as u32,
        last_refilled_at: stored.last_refilled_at + intervals * interval.as_secs() as i64,
    }
}

fn expiry_hint(bucket: &BucketRecord, limit: Limit) -> Timestamp {
    let missing = limit.capacity.saturating_sub(bucket.tokens);
    Timestamp::from_unix_seconds(bucket.last_refilled_at) + limit.refill_every * missing
}

/// Answers `rate_limited` when the bucket is empty; consumes nothing.
pub async fn check(
    storage: &dyn Storage,
    bucket: Bucket,
    key: &str,
    now: Timestamp,
) -> ActionResult<()> {
    check_key(storage, &bucket.storage_key(key), bucket.limit(), now).await
}

/// Consumes one token, or answers `rate_limited`. A concurrent change of the same
/// bucket is `internal_conflict`.
pub async fn take(
    storage: &dyn Storage,
    bucket: Bucket,
    key: &str,
    now: Timestamp,
) -> ActionResult<()> {
    take_key(storage, &bucket.storage_key(key), bucket.limit(), now).await
}

/// `check` of the bucket stored at `storage_key` with `limit`.
pub async fn check_key(
    storage: &dyn Storage,
    storage_key: &str,
    limit: Limit,
    now: Timestamp,
) -> ActionResult<()> {
    let Some(entry) = storage.get(storage_key).await.found()? else {
        return Ok(());
    };
    let stored: BucketRecord = decode(&entry.value)?;
    if refilled(stored, now, limit).tokens > 0 {
        Ok(())
    } else {
        refused(storage_key)
    }
}

/// `take` of the bucket stored at `storage_key` with `limit`.
pub async fn take_key(
    storage: &dyn Storage,
    storage_key: &str,
    limit: Limit,
    now: Timestamp,
) -> ActionResult<()> {
    let Some(entry) = storage.get(storage_key).await.found()? else {
        if limit.capacity == 0 {
            return refused(storage_key);
        }
        let fresh = BucketRecord {
            tokens: limit.capacity - 1,
            last_refilled_at: now.unix_seconds(),
        };
        let value = encode(&fresh)?;
        return match storage
            .add(storage_key, &value, expiry_hint(&fresh, limit))
            .await
        {
            Err(StorageError::AlreadyExists) => Err(ErrorCode::InternalConflict.into()),
            result => Ok(result?),
        };
    };
    let stored: BucketRecord = decode(&entry.value)?;
    let mut current = refilled(stored, now, limit);
    if current.tokens == 0 {
        return refused(storage_key);
    }
    current.tokens -= 1;
    let value = encode(&current)?;
    storage
        .update(
            storage_key,
            &value,
            expiry_hint(&current, limit),
            entry.counter,
        )
        .await
        .found()?
        .ok_or(ErrorCode::InternalConflict)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fault_storage::FaultyStorage;
    use crate::storage::MemoryStorage;
    use std::sync::Arc;
    use tokio::sync::Barrier;

    /// The answer as the client sees it.
    async fn answer(
        result: impl std::future::Future<Output = ActionResult<()>>,
    ) -> Result<(), ErrorCode> {
        result.await.map_err(|error| error.code())
    }

    const MINUTE: i64 = 60;

    fn at(seconds: i64) -> Timestamp {
        Timestamp::from_unix_seconds(1_700_000_000 + seconds)
    }

    async fn takes_allowed(storage: &MemoryStorage, now: Timestamp) -> usize {
        let mut allowed = 0;
        while take(storage, Bucket::UserPassword, "u", now).await.is_ok() {
            allowed += 1;
            assert!(allowed <= CAPACITY as usize, "more takes than the capacity");
        }
        allowed
    }

    #[tokio::test]
    async fn a_new_bucket_allows_exactly_the_capacity() {
        let storage = MemoryStorage::new();
        assert_eq!(
            answer(check(&storage, Bucket::UserPassword, "u", at(0))).await,
            Ok(())
        );
        assert_eq!(takes_allowed(&storage, at(0)).await, 5);
        assert_eq!(
            answer(take(&storage, Bucket::UserPassword, "u", at(0))).await,
            Err(ErrorCode::RateLimited)
        );
        assert_eq!(
            answer(check(&storage, Bucket::UserPassword, "u", at(0))).await,
            Err(ErrorCode::RateLimited)
        );
        // Other keys and other buckets are separate.
        assert!(take(&storage, Bucket::UserPassword, "v", at(0))
            .await
            .is_ok());
        assert!(take(&storage, Bucket::TemporaryPassword, "u", at(0))
            .await
            .is_ok());
    }

    #[tokio::test]
    async fn one_token_comes_back_per_whole_interval() {
        let storage = MemoryStorage::new();
        assert_eq!(takes_allowed(&storage, at(0)).await, 5);
        assert_eq!(takes_allowed(&storage, at(MINUTE - 1)).await, 0);
        assert_eq!(takes_allowed(&storage, at(MINUTE)).await, 1);
        assert_eq!(takes_allowed(&storage, at(3 * MINUTE + 59)).await, 2);
    }

    #[tokio::test]
    async fn a_long_idle_never_gives_more_than_the_capacity() {
        // The cases where a wrapping 8-bit refill or an over-advanced refill time
        // would deny, or burst past the capacity.
        for idle_minutes in [5, 10, 60, 252, 256, 257, 1_440, 1_000_000] {
            let storage = MemoryStorage::new();
            assert!(take(&storage, Bucket::UserPassword, "u", at(0))
                .await
                .is_ok());
            let later = at(idle_minutes * MINUTE);
            assert_eq!(
                takes_allowed(&storage, later).await,
                5,
                "{idle_minutes} min"
            );
        }
    }

    #[tokio::test]
    async fn a_drained_bucket_refills_after_a_multiple_of_256_intervals() {
        let storage = MemoryStorage::new();
        assert_eq!(takes_allowed(&storage, at(0)).await, 5);
        assert_eq!(takes_allowed(&storage, at(256 * MINUTE)).await, 5);
    }

    #[tokio::test]
    async fn credited_intervals_advance_the_refill_time_exactly() {
        let storage = MemoryStorage::new();
        assert_eq!(takes_allowed(&storage, at(0)).await, 5);
        // 90 s: one interval credited, the half interval carries over.
        assert_eq!(takes_allowed(&storage, at(90)).await, 1);
        assert_eq!(takes_allowed(&storage, at(119)).await, 0);
        assert_eq!(takes_allowed(&storage, at(120)).await, 1);
    }

    #[tokio::test]
    async fn a_clock_stepping_back_credits_nothing() {
        let storage = MemoryStorage::new();
        assert_eq!(takes_allowed(&storage, at(0)).await, 5);
        assert_eq!(takes_allowed(&storage, at(-3_600)).await, 0);
        assert_eq!(takes_allowed(&storage, at(MINUTE)).await, 1);
    }

    #[tokio::test]
    async fn the_email_bucket_refills_every_30_minutes() {
        let storage = MemoryStorage::new();
        for _ in 0..5 {
            assert!(take(&storage, Bucket::Email, "a@b", at(0)).await.is_ok());
        }
        let denied = answer(take(&storage, Bucket::Email, "a@b", at(29 * MINUTE))).await;
        assert_eq!(denied, Err(ErrorCode::RateLimited));
        assert!(take(&storage, Bucket::Email, "a@b", at(30 * MINUTE))
            .await
            .is_ok());
    }

    #[tokio::test]
    async fn case_and_dot_variants_of_an_address_share_its_buckets() {
        for bucket in [Bucket::Email, Bucket::VerificationCode] {
            let storage = MemoryStorage::new();
            for variant in [
                "victim@example.com",
                "Victim@example.com",
                "victim@Example.com",
                "victim@example.com.",
                "VICTIM@EXAMPLE.COM",
            ] {
                assert!(take(&storage, bucket, variant, at(0)).await.is_ok());
            }
            assert_eq!(
                answer(take(&storage, bucket, "victim@EXAMPLE.com.", at(0))).await,
                Err(ErrorCode::RateLimited),
                "{bucket:?}"
            );
            assert!(take(&storage, bucket, "other@example.com", at(0))
                .await
                .is_ok());
        }
        // User ids are opaque: their case is never folded.
        let storage = MemoryStorage::new();
        for _ in 0..5 {
            assert!(take(&storage, Bucket::UserPassword, "u", at(0))
                .await
                .is_ok());
        }
        assert!(take(&storage, Bucket::UserPassword, "U", at(0))
            .await
            .is_ok());
    }

    #[tokio::test]
    async fn the_expiry_hint_is_when_the_bucket_would_be_full_again() {
        let storage = MemoryStorage::new();
        for _ in 0..2 {
            assert!(take(&storage, Bucket::UserPassword, "u", at(0))
                .await
                .is_ok());
        }
        // Two tokens missing: full again two minutes later, so purgeable after that.
        assert_eq!(storage.purge_expired(at(2 * MINUTE)).await, Ok(0));
        assert_eq!(storage.purge_expired(at(2 * MINUTE + 1)).await, Ok(1));
    }

    /// Every taker reads the bucket, then all wait at a barrier inside the store's
    /// read before any writes: all of them write based on the same read, on
    /// several worker threads. Only the counter guard stops them all succeeding.
    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn concurrent_takes_never_hand_out_more_than_the_capacity() {
        const TAKERS: usize = 8;
        let storage = Arc::new(FaultyStorage::new());
        assert!(take(storage.as_ref(), Bucket::UserPassword, "u", at(0))
            .await
            .is_ok());
        let barrier = Arc::new(Barrier::new(TAKERS));
        storage.hold_reads_at(Arc::clone(&barrier));
        let attempts: Vec<_> = (0..TAKERS)
            .map(|_| {
                let storage = Arc::clone(&storage);
                tokio::spawn(async move {
                    answer(take(storage.as_ref(), Bucket::UserPassword, "u", at(0))).await
                })
            })
            .collect();
        let mut outcomes = Vec::new();
        for attempt in attempts {
            outcomes.push(attempt.await.expect("task"));
        }
        storage.release_reads();
        // All read the same four tokens: exactly one write wins, the rest lost the race.
        let allowed = outcomes.iter().filter(|outcome| outcome.is_ok()).count();
        assert_eq!(allowed, 1, "{outcomes:?}");
        assert!(
            outcomes
                .iter()
                .all(|outcome| matches!(outcome, Ok(()) | Err(ErrorCode::InternalConflict))),
            "{outcomes:?}"
        );
        let mut left = 0;
        while take(storage.as_ref(), Bucket::UserPassword, "u", at(0))
            .await
            .is_ok()
        {
            left += 1;
        }
        assert_eq!(left, 3, "five tokens: one before the race, one in it");
    }
}
