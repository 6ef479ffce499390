//! Many sessions written straight into a server's SQLite file before it starts.
//!
//! The i-th session's id and secret are derived from `i`, so the load generator can
//! rebuild any token from its index instead of keeping a million of them.

use std::path::Path;

use anyhow::Context;
use tiauth_faroe::faroe::credentials::{format_token, SecretHash};
use tiauth_faroe::faroe::records::{encode, SessionRecord, TokenRecord};
use tiauth_faroe::storage::SqliteStorage;

/// The protocol's id and secret alphabet.
const ALPHABET: &[u8; 32] = b"abcdefghijkmnpqrstuvwxyz23456789";

/// A well-mixed 64-bit value from a 64-bit input (a bijection: splitmix64).
pub fn mix(mut value: u64) -> u64 {
    value = value.wrapping_add(0x9e37_79b9_7f4a_7c15);
    value = (value ^ (value >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    value = (value ^ (value >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    value ^ (value >> 31)
}

/// 24 symbols of the alphabet from two 64-bit values (60 bits each).
fn symbols(first: u64, second: u64) -> String {
    (0..24)
        .map(|position| {
            let source = if position < 12 { first } else { second };
            let shift = (position % 12) * 5;
            // The mask keeps five bits, so the index is below 32.
            char::from(ALPHABET[((source >> shift) & 31) as usize])
        })
        .collect()
}

/// The id and secret of the `index`-th bulk session of a run keyed by `seed`.
pub fn session_credentials(seed: u64, index: u64) -> (String, String) {
    let base = mix(seed ^ mix(index));
    let id = symbols(mix(index ^ seed.rotate_left(17)), base);
    let secret = symbols(mix(base), mix(base ^ 0x5555));
    (id, secret)
}

pub fn session_token(seed: u64, index: u64) -> String {
    let (id, secret) = session_credentials(seed, index);
    format_token(&id, &secret)
}

/// Writes `count` sessions of `user_id` (counters 0, created and verified at `now`,
/// storage expiry in 30 days) into the database at `path`, in one transaction. The
/// server's own storage code creates the file and its table first.
pub fn load_sessions(
    path: &Path,
    user_id: &str,
    count: u64,
    seed: u64,
    now: i64,
) -> anyhow::Result<()> {
    drop(SqliteStorage::open(path).context("cannot create the server database")?);
    let mut connection = rusqlite::Connection::open(path)?;
    connection.pragma_update(None, "cache_size", -200_000)?;
    let expiration = now + 30 * 24 * 3600;
    let transaction = connection.transaction()?;
    {
        let mut insert = transaction.prepare(
            "INSERT INTO key_value (key, counter, expiration, value) VALUES (?1, 0, ?2, ?3)",
        )?;
        for index in 0..count {
            let (id, secret) = session_credentials(seed, index);
            let record = SessionRecord {
                id: id.clone(),
                user_id: user_id.to_owned(),
                secret_hash: SecretHash::of(&secret),
                created_at: now,
                token_last_verified_at: now,
                user_last_checked_at: None,
                user_disabled_counter: 0,
                user_sessions_counter: 0,
            };
            let key = format!("{}{id}", SessionRecord::PREFIX);
            insert.execute(rusqlite::params![key, expiration, encode(&record)?])?;
        }
    }
    transaction.commit()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    #[test]
    fn bulk_tokens_are_well_formed_and_distinct() {
        let tokens: HashSet<String> = (0..10_000).map(|index| session_token(7, index)).collect();
        assert_eq!(tokens.len(), 10_000);
        for token in tokens.iter().take(100) {
            let (id, secret) = token.split_once('.').expect("one dot");
            for part in [id, secret] {
                assert_eq!(part.len(), 24);
                assert!(part.bytes().all(|b| ALPHABET.contains(&b)), "{token}");
            }
        }
    }

    #[test]
    fn the_same_index_gives_the_same_token() {
        assert_eq!(session_token(3, 42), session_token(3, 42));
        assert_ne!(session_token(3, 42), session_token(4, 42));
    }
}
