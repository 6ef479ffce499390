//! The rate-limit buckets (docs/protocol.md §6, §15 #5).

use super::*;

/// The rate-limit buckets (docs/protocol.md §6.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(super) enum Bucket {
    /// B_PW, by user.
    Password,
    /// B_MAIL, by address (case and trailing dots folded).
    Mail,
    /// B_CODE, by address (case and trailing dots folded).
    Code,
    /// B_TMP, by user.
    Temporary,
}

const CAPACITY: i64 = 5;

impl Bucket {
    /// The bucket's key for `subject`: addresses in lower case with the domain's
    /// trailing dots dropped (difference 22), user keys as they are.
    fn key(self, subject: &str) -> (Bucket, String) {
        let subject = match self {
            Bucket::Mail | Bucket::Code => {
                let lower = subject.to_ascii_lowercase();
                match lower.rsplit_once('@') {
                    Some((local, domain)) => {
                        format!("{local}@{}", domain.trim_end_matches('.'))
                    }
                    None => lower,
                }
            }
            Bucket::Password | Bucket::Temporary => subject.to_owned(),
        };
        (self, subject)
    }

    fn interval(self) -> i64 {
        match self {
            Bucket::Mail => 30 * MINUTE,
            _ => MINUTE,
        }
    }
}

impl Model {
    // Buckets (docs/protocol.md §6, §15 #5).

    pub(super) fn refilled(&self, bucket: Bucket, key: &str) -> Option<(i64, i64)> {
        let &(tokens, last) = self.buckets.get(&bucket.key(key))?;
        let intervals = (self.now - last).max(0) / bucket.interval();
        Some(if tokens + intervals >= CAPACITY {
            (CAPACITY, self.now)
        } else {
            (tokens + intervals, last + intervals * bucket.interval())
        })
    }

    pub(super) fn check(&self, bucket: Bucket, key: &str) -> Result<(), Code> {
        match self.refilled(bucket, key) {
            Some((0, _)) => Err("rate_limited"),
            _ => Ok(()),
        }
    }

    pub(super) fn take(&mut self, bucket: Bucket, key: &str) -> Result<(), Code> {
        let next = match self.refilled(bucket, key) {
            None => (CAPACITY - 1, self.now),
            Some((0, _)) => return Err("rate_limited"),
            Some((tokens, last)) => (tokens - 1, last),
        };
        self.buckets.insert(bucket.key(key), next);
        Ok(())
    }
}
