//! Optional rate limits per client (difference 25), against lockout and spraying.
//!
//! The protocol keys its attempt buckets (password, verification code, temporary
//! password) by user or address alone, so anyone can spend a user's five attempts and
//! lock the user out. When the server knows which client sent a request (an address
//! taken at the HTTP edge), each attempt instead costs a token of three buckets:
//! - the (user or address, client) pair's bucket, the protocol's size: one client's
//!   guesses no longer spend another client's attempts;
//! - the client's bucket across all users, which caps spraying one guess over many
//!   users;
//! - the user's (or address's) backstop, larger than five, which still caps an attack
//!   spread over many clients.
//!
//! `create_signup`, `create_signin` and `create_user_password_reset` also cost a token
//! of a per-client bucket each. All buckets live in the same storage as every other,
//! so they hold across instances. With no client known (the layer off, or a request
//! that did not come through the HTTP edge), the protocol's buckets apply unchanged.
//!
//! The client of the request being handled travels in a task-local value set by the
//! edge around the whole invocation, so the 39 actions need no extra argument.

use std::future::Future;
use std::time::Duration;

use super::error::ActionResult;
use super::rate_limit::{self, Bucket, Limit};
use super::Faroe;

tokio::task_local! {
    static CLIENT: Option<String>;
}

/// Runs `invocation` as the request of `client` (`None`: no client known).
pub fn with_client<F: Future>(
    client: Option<String>,
    invocation: F,
) -> impl Future<Output = F::Output> {
    // A plain function, not an `async fn`: that would hold `invocation` twice (as its
    // argument and in the awaited scope), doubling the size of every request's future.
    CLIENT.scope(client, invocation)
}

fn current_client() -> Option<String> {
    CLIENT.try_with(Clone::clone).ok().flatten()
}

/// The sizes of the per-client buckets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientLimits {
    /// Attempts of one client across all users and addresses.
    pub attempts_per_client: Limit,
    /// Attempts on one user or address across all clients (the backstop).
    pub attempts_per_subject: Limit,
    /// Each of `create_signup`, `create_signin` and `create_user_password_reset`, per
    /// client.
    pub creations_per_client: Limit,
}

impl Default for ClientLimits {
    fn default() -> Self {
        ClientLimits {
            attempts_per_client: Limit {
                capacity: 30,
                refill_every: Duration::from_secs(20),
            },
            attempts_per_subject: Limit {
                capacity: 50,
                refill_every: Duration::from_secs(72),
            },
            creations_per_client: Limit {
                capacity: 30,
                refill_every: Duration::from_secs(20),
            },
        }
    }
}

/// Key prefixes of the per-client buckets; distinct from every record's and protocol
/// bucket's prefix.
const PAIR: &str = "tiauth.pair.";
const CLIENT_ATTEMPTS: &str = "tiauth.client_attempts.";
const BACKSTOP: &str = "tiauth.backstop.";
const CREATIONS: &str = "tiauth.creations.";

/// The key of the (user or address, client) pair's bucket: one key for the check and
/// the take of an attempt.
fn pair_key(bucket: Bucket, subject: &str, client: &str) -> String {
    format!("{PAIR}{}|{client}", bucket.storage_key(subject))
}

/// The per-client bucket stored at `storage_key`, by name: a (subject, client) pair
/// bucket is named after the protocol bucket it narrows.
pub(crate) fn bucket_name(storage_key: &str) -> &'static str {
    if let Some(inner) = storage_key.strip_prefix(PAIR) {
        return Bucket::of_key(inner).map_or("other", Bucket::name);
    }
    if storage_key.starts_with(CLIENT_ATTEMPTS) {
        "client_attempts"
    } else if storage_key.starts_with(BACKSTOP) {
        "subject_attempts"
    } else if storage_key.starts_with(CREATIONS) {
        "client_creations"
    } else {
        "other"
    }
}

impl Faroe {
    /// The client of this request, when per-client limits are on and it is known.
    fn limited_client(&self) -> Option<(ClientLimits, String)> {
        Some((self.client_limits?, current_client()?))
    }

    /// Answers `rate_limited` when an attempt on `subject` would be refused; spends
    /// nothing.
    pub(crate) async fn check_attempt(&self, bucket: Bucket, subject: &str) -> ActionResult<()> {
        let storage = self.storage.as_ref();
        let now = self.now();
        match self.limited_client() {
            None => rate_limit::check(storage, bucket, subject, now).await,
            Some((_, client)) => {
                rate_limit::check_key(
                    storage,
                    &pair_key(bucket, subject, &client),
                    bucket.limit(),
                    now,
                )
                .await
            }
        }
    }

    /// Spends one attempt on `subject` (a user id or an address), or answers
    /// `rate_limited`.
    pub(crate) async fn take_attempt(&self, bucket: Bucket, subject: &str) -> ActionResult<()> {
        let storage = self.storage.as_ref();
        let now = self.now();
        let Some((limits, client)) = self.limited_client() else {
            return rate_limit::take(storage, bucket, subject, now).await;
        };
        let buckets = [
            (pair_key(bucket, subject, &client), bucket.limit()),
            (
                format!("{CLIENT_ATTEMPTS}{client}"),
                limits.attempts_per_client,
            ),
            (
                format!("{BACKSTOP}{}", bucket.storage_key(subject)),
                limits.attempts_per_subject,
            ),
        ];
        // Every bucket must have a token before any is spent, so a refusal by one
        // does not drain the others.
        for (key, limit) in &buckets {
            rate_limit::check_key(storage, key, *limit, now).await?;
        }
        for (key, limit) in &buckets {
            rate_limit::take_key(storage, key, *limit, now).await?;
        }
        Ok(())
    }

    /// Spends one of the client's tokens for starting a flow with `action`; free when
    /// no client is known.
    pub(crate) async fn take_creation(&self, action: &'static str) -> ActionResult<()> {
        let Some((limits, client)) = self.limited_client() else {
            return Ok(());
        };
        let key = format!("{CREATIONS}{action}.{client}");
        rate_limit::take_key(
            self.storage.as_ref(),
            &key,
            limits.creations_per_client,
            self.now(),
        )
        .await
    }
}
