//! Test support: upstream tiauth databases, written from the documented storage
//! layouts (binary sequence records, 9-byte buckets, plain-text secrets). Kept apart
//! from the importer's decoder and pinned by the documented reference values, so the
//! two cannot agree on a mistake. Used by the unit tests and by the binary's tests.

#![allow(dead_code)]

use std::path::Path;

use sha2::{Digest, Sha256};

/// Upstream's "user never checked" (Go's zero time in Unix seconds).
pub const NEVER_CHECKED: i64 = -62_135_596_800;

/// The big-endian bytes of `value` without its leading zero bytes.
fn trimmed(bytes: &[u8]) -> Vec<u8> {
    let first = bytes.iter().position(|b| *b != 0).unwrap_or(bytes.len());
    bytes[first..].to_vec()
}

/// The item of an int64: zigzag, big-endian, leading zeros dropped (0 is empty).
pub fn int64_item(value: i64) -> Vec<u8> {
    let zigzag = ((value << 1) ^ (value >> 63)) as u64;
    trimmed(&zigzag.to_be_bytes())
}

/// The item of an int32, the same way in four bytes.
pub fn int32_item(value: i32) -> Vec<u8> {
    let zigzag = ((value << 1) ^ (value >> 31)) as u32;
    trimmed(&zigzag.to_be_bytes())
}

/// A record being written item by item.
#[derive(Debug, Default, Clone)]
pub struct Items(Vec<u8>);

impl Items {
    pub fn new() -> Self {
        Items::default()
    }

    pub fn raw(mut self, item: &[u8]) -> Self {
        let mut length = item.len() as u64;
        loop {
            let low = (length & 0x7f) as u8;
            length >>= 7;
            if length == 0 {
                self.0.push(low);
                break;
            }
            self.0.push(low | 0x80);
        }
        self.0.extend_from_slice(item);
        self
    }

    pub fn string(self, value: &str) -> Self {
        self.raw(value.as_bytes())
    }

    pub fn bool(self, value: bool) -> Self {
        self.raw(&[u8::from(value)])
    }

    pub fn int64(self, value: i64) -> Self {
        self.raw(&int64_item(value))
    }

    pub fn int32(self, value: i32) -> Self {
        self.raw(&int32_item(value))
    }

    /// A token secret as upstream stores it: the secret, then SHA-256 of nothing.
    pub fn secret(self, secret: &str) -> Self {
        let mut stored = secret.as_bytes().to_vec();
        stored.extend_from_slice(&Sha256::digest(b""));
        self.raw(&stored)
    }

    /// A password hash as three items; unset ones are empty.
    pub fn password(self, password: Option<&Password>) -> Self {
        match password {
            Some(password) => self
                .raw(&password.hash)
                .string(&password.algorithm_id)
                .raw(&password.salt),
            None => self.raw(&[]).string("").raw(&[]),
        }
    }

    pub fn build(self) -> Vec<u8> {
        self.0
    }
}

#[derive(Debug, Clone)]
pub struct Password {
    pub hash: Vec<u8>,
    pub algorithm_id: String,
    pub salt: Vec<u8>,
}

#[derive(Debug, Clone)]
pub struct Session {
    pub id: String,
    pub user_id: String,
    pub secret: String,
    pub token_last_verified_at: i64,
    pub user_last_checked_at: i64,
    pub user_disabled_counter: i32,
    pub user_sessions_counter: i32,
    pub created_at: i64,
}

impl Session {
    pub fn key(&self) -> String {
        format!("aaah.{}", self.id)
    }
    pub fn encode(&self) -> Vec<u8> {
        Items::new()
            .string(&self.id)
            .string(&self.user_id)
            .secret(&self.secret)
            .int64(self.token_last_verified_at)
            .int64(self.user_last_checked_at)
            .int32(self.user_disabled_counter)
            .int32(self.user_sessions_counter)
            .int64(self.created_at)
            .build()
    }
}

#[derive(Debug, Clone)]
pub struct Signup {
    pub id: String,
    pub secret: String,
    pub email_address: String,
    pub email_address_verification_code: String,
    pub email_address_verified: bool,
    pub password: Option<Password>,
    pub created_at: i64,
}

impl Signup {
    pub fn key(&self) -> String {
        format!("aaai.{}", self.id)
    }
    pub fn encode(&self) -> Vec<u8> {
        Items::new()
            .string(&self.id)
            .secret(&self.secret)
            .string(&self.email_address)
            .string(&self.email_address_verification_code)
            .bool(self.email_address_verified)
            .password(self.password.as_ref())
            .bool(self.password.is_some())
            .int64(self.created_at)
            .build()
    }
}

#[derive(Debug, Clone)]
pub struct Signin {
    pub id: String,
    pub user_id: String,
    pub secret: String,
    pub user_first_factor_verified: bool,
    pub user_password_hash_counter: i32,
    pub user_disabled_counter: i32,
    pub created_at: i64,
}

impl Signin {
    pub fn key(&self) -> String {
        format!("aaaj.{}", self.id)
    }
    pub fn encode(&self) -> Vec<u8> {
        Items::new()
            .string(&self.id)
            .string(&self.user_id)
            .secret(&self.secret)
            .bool(self.user_first_factor_verified)
            .int32(self.user_password_hash_counter)
            .int32(self.user_disabled_counter)
            .int64(self.created_at)
            .build()
    }
}

#[derive(Debug, Clone)]
pub struct EmailAddressUpdate {
    pub id: String,
    pub user_id: String,
    pub session_id: String,
    pub secret: String,
    pub new_email_address: String,
    pub email_address_verification_code: String,
    pub new_email_address_verified: bool,
    pub user_identity_verified: bool,
    pub user_password_hash_counter: i32,
    pub user_email_address_counter: i32,
    pub user_disabled_counter: i32,
    pub created_at: i64,
}

impl EmailAddressUpdate {
    pub fn key(&self) -> String {
        format!("aaak.{}", self.id)
    }
    pub fn encode(&self) -> Vec<u8> {
        Items::new()
            .string(&self.id)
            .string(&self.user_id)
            .string(&self.session_id)
            .secret(&self.secret)
            .string(&self.new_email_address)
            .string(&self.email_address_verification_code)
            .bool(self.new_email_address_verified)
            .bool(self.user_identity_verified)
            .int32(self.user_password_hash_counter)
            .int32(self.user_email_address_counter)
            .int32(self.user_disabled_counter)
            .int64(self.created_at)
            .build()
    }
}

#[derive(Debug, Clone)]
pub struct PasswordUpdate {
    pub id: String,
    pub user_id: String,
    pub session_id: String,
    pub secret: String,
    pub user_identity_verified: bool,
    pub new_password: Option<Password>,
    pub user_password_hash_counter: i32,
    pub user_disabled_counter: i32,
    pub created_at: i64,
}

impl PasswordUpdate {
    pub fn key(&self) -> String {
        format!("aaam.{}", self.id)
    }
    pub fn encode(&self) -> Vec<u8> {
        Items::new()
            .string(&self.id)
            .string(&self.user_id)
            .string(&self.session_id)
            .secret(&self.secret)
            .bool(self.user_identity_verified)
            .password(self.new_password.as_ref())
            .bool(self.new_password.is_some())
            .int32(self.user_password_hash_counter)
            .int32(self.user_disabled_counter)
            .int64(self.created_at)
            .build()
    }
}

#[derive(Debug, Clone)]
pub struct PasswordReset {
    pub id: String,
    pub user_id: String,
    pub secret: String,
    pub temporary_password: Password,
    pub user_first_factor_verified: bool,
    pub new_password: Option<Password>,
    pub user_password_hash_counter: i32,
    pub user_email_address_counter: i32,
    pub user_disabled_counter: i32,
    pub created_at: i64,
}

impl PasswordReset {
    pub fn key(&self) -> String {
        format!("aaan.{}", self.id)
    }
    pub fn encode(&self) -> Vec<u8> {
        Items::new()
            .string(&self.id)
            .string(&self.user_id)
            .secret(&self.secret)
            .password(Some(&self.temporary_password))
            .bool(self.user_first_factor_verified)
            .password(self.new_password.as_ref())
            .bool(self.new_password.is_some())
            .int32(self.user_password_hash_counter)
            .int32(self.user_email_address_counter)
            .int32(self.user_disabled_counter)
            .int64(self.created_at)
            .build()
    }
}

#[derive(Debug, Clone)]
pub struct Deletion {
    pub id: String,
    pub user_id: String,
    pub session_id: String,
    pub secret: String,
    pub user_identity_verified: bool,
    pub user_password_hash_counter: i32,
    pub user_disabled_counter: i32,
    pub created_at: i64,
}

impl Deletion {
    pub fn key(&self) -> String {
        format!("aaap.{}", self.id)
    }
    pub fn encode(&self) -> Vec<u8> {
        Items::new()
            .string(&self.id)
            .string(&self.user_id)
            .string(&self.session_id)
            .secret(&self.secret)
            .bool(self.user_identity_verified)
            .int32(self.user_password_hash_counter)
            .int32(self.user_disabled_counter)
            .int64(self.created_at)
            .build()
    }
}

/// A token bucket: the count, then the last refill as a big-endian 64-bit number.
pub fn bucket(count: u8, last_refilled_at: i64) -> Vec<u8> {
    let mut value = vec![count];
    value.extend_from_slice(&last_refilled_at.to_be_bytes());
    value
}

/// Writes an upstream database at `path`: its table, in WAL mode, holding `rows`.
pub fn write_database(path: &Path, rows: &[(String, Vec<u8>)]) {
    let mut connection = rusqlite::Connection::open(path).expect("create upstream database");
    connection
        .execute_batch(
            "PRAGMA journal_mode = WAL;
             CREATE TABLE IF NOT EXISTS key_value (
                 key TEXT PRIMARY KEY, counter INTEGER NOT NULL,
                 expiration TEXT NOT NULL, value BLOB NOT NULL
             ) STRICT;",
        )
        .expect("upstream schema");
    let transaction = connection.transaction().expect("transaction");
    {
        let mut insert = transaction
            .prepare(
                "INSERT INTO key_value (key, value, counter, expiration) \
                 VALUES (?1, ?2, 3, '2025-08-25T06:21:26+02:00')",
            )
            .expect("prepare");
        for (key, value) in rows {
            insert
                .execute(rusqlite::params![key, value])
                .expect("insert");
        }
    }
    transaction.commit().expect("commit");
}
