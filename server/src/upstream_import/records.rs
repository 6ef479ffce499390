//! Upstream records, item by item, turned into this server's records.
//!
//! Upstream keeps a token's secret in plain text (followed by the SHA-256 of nothing);
//! this server keeps the secret's SHA-256, so the secret is hashed here and dropped.
//! Every other field, counters and timestamps included, is carried over as it is.

use sha2::{Digest, Sha256};

use super::sequence::Sequence;
use super::{DecodeError, Kind};
use crate::faroe::clock::Timestamp;
use crate::faroe::credentials::SecretHash;
use crate::faroe::rate_limit::{Bucket, CAPACITY};
use crate::faroe::records::{
    encode, BucketRecord, FlowRecord, SessionRecord, SigninRecord, SignupRecord, UserCounters,
    UserDeletionRecord, UserEmailAddressUpdateRecord, UserPasswordResetRecord,
    UserPasswordUpdateRecord, VerificationCode,
};
use crate::faroe::user::PasswordHash;
use crate::faroe::SessionConfig;

/// Upstream's "user never checked": Go's zero time in Unix seconds.
const NEVER_CHECKED: i64 = -62_135_596_800;

/// Prefixes of the records in the binary sequence format (buckets are not).
const RECORD_PREFIXES: [&str; 7] = [
    "aaah.", "aaai.", "aaaj.", "aaak.", "aaam.", "aaan.", "aaap.",
];

/// One upstream record in this server's format.
#[derive(Debug)]
pub(super) struct Converted {
    pub kind: Kind,
    pub value: Vec<u8>,
    pub expires_at: Timestamp,
    /// Past its lifetime at the time of the import: this server would refuse it.
    pub expired: bool,
}

/// Converts the upstream record stored under `key`. `now` and `sessions` decide
/// whether it is still alive.
pub(super) fn convert(
    key: &str,
    value: &[u8],
    now: Timestamp,
    sessions: &SessionConfig,
) -> Result<Converted, DecodeError> {
    let (prefix, id) = key.split_at_checked(5).ok_or(DecodeError::UnknownPrefix)?;
    let bucket = match prefix {
        "aaaq." => Some(Bucket::UserPassword),
        "aaar." => Some(Bucket::Email),
        "aaas." => Some(Bucket::VerificationCode),
        "aaat." => Some(Bucket::TemporaryPassword),
        _ => None,
    };
    if let Some(bucket) = bucket {
        return convert_bucket(bucket, value, now);
    }
    if !RECORD_PREFIXES.contains(&prefix) {
        return Err(DecodeError::UnknownPrefix);
    }
    let items = Sequence::parse(value)?;
    let stored_id = items.string(0)?;
    let converted = match prefix {
        "aaah." => convert_session(&items, stored_id.clone(), now, sessions)?,
        "aaai." => flow(Kind::Signup, &signup(&items, stored_id.clone())?, now)?,
        "aaaj." => flow(Kind::Signin, &signin(&items, stored_id.clone())?, now)?,
        "aaak." => flow(
            Kind::EmailAddressUpdate,
            &email_address_update(&items, stored_id.clone())?,
            now,
        )?,
        "aaam." => flow(
            Kind::PasswordUpdate,
            &password_update(&items, stored_id.clone())?,
            now,
        )?,
        "aaan." => flow(
            Kind::PasswordReset,
            &password_reset(&items, stored_id.clone())?,
            now,
        )?,
        "aaap." => flow(Kind::Deletion, &deletion(&items, stored_id.clone())?, now)?,
        _ => return Err(DecodeError::UnknownPrefix),
    };
    // A token names the record by the key; one whose id says otherwise cannot be reached.
    if stored_id != id {
        return Err(DecodeError::IdMismatch);
    }
    Ok(converted)
}

fn flow<R: FlowRecord>(kind: Kind, record: &R, now: Timestamp) -> Result<Converted, DecodeError> {
    Ok(Converted {
        kind,
        value: encode(record).map_err(|error| DecodeError::Encode(error.to_string()))?,
        expires_at: record.expires_at(),
        expired: !record.is_valid_at(now),
    })
}

/// The stored secret, hashed as this server stores secrets.
fn secret_hash(items: &Sequence<'_>, index: usize) -> Result<SecretHash, DecodeError> {
    Ok(SecretHash::of(&plain_secret(items, index)?))
}

/// The token secret upstream keeps in the clear (followed by the empty string's
/// SHA-256 digest); it seals the record's verification code here.
fn plain_secret(items: &Sequence<'_>, index: usize) -> Result<String, DecodeError> {
    let empty_digest = Sha256::digest(b"");
    let secret = items
        .bytes(index)?
        .strip_suffix(empty_digest.as_slice())
        .ok_or(DecodeError::BadSecret { index })?;
    std::str::from_utf8(secret)
        .map(str::to_owned)
        .map_err(|_| DecodeError::BadSecret { index })
}

/// A password hash kept as three items: hash, algorithm id, salt.
fn password_hash(items: &Sequence<'_>, first: usize) -> Result<PasswordHash, DecodeError> {
    Ok(PasswordHash {
        hash: items.bytes(first)?.to_vec(),
        algorithm_id: items.string(first + 1)?,
        salt: items.bytes(first + 2)?.to_vec(),
    })
}

/// A password hash that counts only once its "set" flag is.
fn password_if_set(
    items: &Sequence<'_>,
    first: usize,
    set: usize,
) -> Result<Option<PasswordHash>, DecodeError> {
    let hash = password_hash(items, first)?;
    Ok(items.bool(set)?.then_some(hash))
}

/// The password-hash and disabled counters, kept as two adjacent items.
fn user_counters(items: &Sequence<'_>, first: usize) -> Result<UserCounters, DecodeError> {
    Ok(UserCounters {
        password_hash: items.int32(first)?,
        disabled: items.int32(first + 1)?,
    })
}

fn convert_session(
    items: &Sequence<'_>,
    id: String,
    now: Timestamp,
    sessions: &SessionConfig,
) -> Result<Converted, DecodeError> {
    let record = SessionRecord {
        id,
        user_id: items.string(1)?,
        secret_hash: secret_hash(items, 2)?,
        token_last_verified_at: items.int64(3)?,
        user_last_checked_at: Some(items.int64(4)?).filter(|at| *at != NEVER_CHECKED),
        user_disabled_counter: items.int32(5)?,
        user_sessions_counter: items.int32(6)?,
        created_at: items.int64(7)?,
    };
    let created = Timestamp::from_unix_seconds(record.created_at);
    let last_verified = Timestamp::from_unix_seconds(record.token_last_verified_at);
    let expired = !now.is_before_end_of(last_verified, sessions.inactivity_timeout)
        || sessions
            .expiration
            .is_some_and(|lifetime| !now.is_before_end_of(created, lifetime));
    Ok(Converted {
        kind: Kind::Session,
        value: encode(&record).map_err(|error| DecodeError::Encode(error.to_string()))?,
        // As sessions are stored when created or refreshed: inactivity ends them.
        expires_at: last_verified + sessions.inactivity_timeout,
        expired,
    })
}

fn signup(items: &Sequence<'_>, id: String) -> Result<SignupRecord, DecodeError> {
    Ok(SignupRecord {
        id,
        secret_hash: secret_hash(items, 1)?,
        email_address: items.string(2)?,
        email_address_verification_code: VerificationCode::seal(
            &items.string(3)?,
            &plain_secret(items, 1)?,
        ),
        email_address_verified: items.bool(4)?,
        password: password_if_set(items, 5, 8)?,
        created_at: items.int64(9)?,
    })
}

fn signin(items: &Sequence<'_>, id: String) -> Result<SigninRecord, DecodeError> {
    Ok(SigninRecord {
        id,
        user_id: items.string(1)?,
        secret_hash: secret_hash(items, 2)?,
        user_first_factor_verified: items.bool(3)?,
        user_counters: user_counters(items, 4)?,
        created_at: items.int64(6)?,
    })
}

fn email_address_update(
    items: &Sequence<'_>,
    id: String,
) -> Result<UserEmailAddressUpdateRecord, DecodeError> {
    Ok(UserEmailAddressUpdateRecord {
        id,
        user_id: items.string(1)?,
        session_id: items.string(2)?,
        secret_hash: secret_hash(items, 3)?,
        new_email_address: items.string(4)?,
        email_address_verification_code: VerificationCode::seal(
            &items.string(5)?,
            &plain_secret(items, 3)?,
        ),
        new_email_address_verified: items.bool(6)?,
        user_identity_verified: items.bool(7)?,
        user_password_hash_counter: items.int32(8)?,
        user_email_address_counter: items.int32(9)?,
        user_disabled_counter: items.int32(10)?,
        created_at: items.int64(11)?,
    })
}

fn password_update(
    items: &Sequence<'_>,
    id: String,
) -> Result<UserPasswordUpdateRecord, DecodeError> {
    Ok(UserPasswordUpdateRecord {
        id,
        user_id: items.string(1)?,
        session_id: items.string(2)?,
        secret_hash: secret_hash(items, 3)?,
        user_identity_verified: items.bool(4)?,
        new_password: password_if_set(items, 5, 8)?,
        user_counters: user_counters(items, 9)?,
        created_at: items.int64(11)?,
    })
}

fn password_reset(
    items: &Sequence<'_>,
    id: String,
) -> Result<UserPasswordResetRecord, DecodeError> {
    Ok(UserPasswordResetRecord {
        id,
        user_id: items.string(1)?,
        secret_hash: secret_hash(items, 2)?,
        temporary_password: password_hash(items, 3)?,
        user_first_factor_verified: items.bool(6)?,
        new_password: password_if_set(items, 7, 10)?,
        user_password_hash_counter: items.int32(11)?,
        user_email_address_counter: items.int32(12)?,
        user_disabled_counter: items.int32(13)?,
        created_at: items.int64(14)?,
    })
}

fn deletion(items: &Sequence<'_>, id: String) -> Result<UserDeletionRecord, DecodeError> {
    Ok(UserDeletionRecord {
        id,
        user_id: items.string(1)?,
        session_id: items.string(2)?,
        secret_hash: secret_hash(items, 3)?,
        user_identity_verified: items.bool(4)?,
        user_counters: user_counters(items, 5)?,
        created_at: items.int64(7)?,
    })
}

/// A bucket is 9 bytes: the token count, then the last refill in Unix seconds as a
/// big-endian 64-bit number.
fn convert_bucket(bucket: Bucket, value: &[u8], now: Timestamp) -> Result<Converted, DecodeError> {
    let [count, refilled @ ..] = value else {
        return Err(DecodeError::BucketLength(value.len()));
    };
    let refilled: [u8; 8] = refilled
        .try_into()
        .map_err(|_| DecodeError::BucketLength(value.len()))?;
    let record = BucketRecord {
        tokens: u32::from(*count),
        last_refilled_at: i64::from_be_bytes(refilled),
    };
    // When the bucket is full again; a full bucket is the same as none.
    let missing = CAPACITY.saturating_sub(record.tokens);
    let expires_at =
        Timestamp::from_unix_seconds(record.last_refilled_at) + bucket.refill_interval() * missing;
    Ok(Converted {
        kind: Kind::RateLimitBucket,
        value: encode(&record).map_err(|error| DecodeError::Encode(error.to_string()))?,
        expires_at,
        expired: expires_at <= now,
    })
}
