//! The records kept in storage, and their codec.
//!
//! A stored value is one version byte followed by the record in postcard's compact
//! encoding. The version byte lets a later format be read beside this one; an
//! unknown version or a malformed record is a decode error (`internal_error`).

use std::time::Duration;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use super::clock::Timestamp;
use super::credentials::SecretHash;
use super::error::ErrorCode;
use super::models::{
    Session, Signin, Signup, UserDeletion, UserEmailAddressUpdate, UserPasswordReset,
    UserPasswordUpdate,
};
use super::user::{PasswordHash, User};

const FORMAT_VERSION: u8 = 1;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CodecError {
    #[error("stored record is empty")]
    Empty,
    #[error("stored record has unknown format version {0}")]
    UnknownVersion(u8),
    #[error("stored record is malformed: {0}")]
    Malformed(String),
}

pub fn encode<R: Serialize>(record: &R) -> Result<Vec<u8>, CodecError> {
    let mut bytes = vec![FORMAT_VERSION];
    let body = postcard::to_stdvec(record).map_err(|e| CodecError::Malformed(e.to_string()))?;
    bytes.extend_from_slice(&body);
    Ok(bytes)
}

pub fn decode<R: DeserializeOwned>(bytes: &[u8]) -> Result<R, CodecError> {
    let (&version, body) = bytes.split_first().ok_or(CodecError::Empty)?;
    if version != FORMAT_VERSION {
        return Err(CodecError::UnknownVersion(version));
    }
    postcard::from_bytes(body).map_err(|e| CodecError::Malformed(e.to_string()))
}

/// A record stored under `PREFIX` + its id and reached through a `<id>.<secret>` token.
pub trait TokenRecord: Serialize + DeserializeOwned + Send + Sync {
    const PREFIX: &'static str;
    /// The member naming its model in action values (`"signup"`); the token member
    /// is this name with `_token` appended (`"signup_token"`).
    const MEMBER: &'static str;
    const TOKEN_MEMBER: &'static str;
    /// What actions answer with for it.
    type Model: Serialize;
    fn id(&self) -> &str;
    fn secret_hash(&self) -> &SecretHash;

    /// Where the record is stored.
    fn key(&self) -> String {
        key_of::<Self>(self.id())
    }
}

/// Where the record of kind `R` with this id is stored. (`concat` sizes the key once;
/// `format!` costs several times more on the path of every token read.)
pub fn key_of<R: TokenRecord>(id: &str) -> String {
    [R::PREFIX, id].concat()
}

/// How a lifetime ends: some flows end when `now − created` reaches the lifetime,
/// others one instant later. The contract keeps both.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LifetimeEnd {
    /// Valid while `now − created < lifetime`.
    Exclusive,
    /// Valid while `now − created ≤ lifetime`.
    Inclusive,
}

/// A pending flow: signup, signin, e-mail update, password update, reset, deletion.
pub trait FlowRecord: TokenRecord {
    const LIFETIME: Duration;
    const LIFETIME_END: LifetimeEnd;
    /// What a token that names no usable record of this kind answers.
    const INVALID_TOKEN: ErrorCode;
    fn created_at(&self) -> Timestamp;
    fn model(&self) -> Self::Model;

    fn expires_at(&self) -> Timestamp {
        self.created_at() + Self::LIFETIME
    }

    fn is_valid_at(&self, now: Timestamp) -> bool {
        match Self::LIFETIME_END {
            LifetimeEnd::Exclusive => now.is_before_end_of(self.created_at(), Self::LIFETIME),
            LifetimeEnd::Inclusive => now.is_not_after_end_of(self.created_at(), Self::LIFETIME),
        }
    }
}

/// A flow bound to an existing user, invalidated when the user's counters move.
pub trait UserFlowRecord: FlowRecord {
    fn user_id(&self) -> &str;
    /// True when the user changed in a way that voids this flow.
    fn is_stale_for(&self, user: &User) -> bool;
}

/// A flow started from a signed-in session; only that session may continue it.
pub trait SessionBoundRecord: UserFlowRecord {
    fn session_id(&self) -> &str;
}

/// Implements the record traits for one record type from the facts written at its
/// use: its prefix, its model and the member naming it, its lifetime and how that
/// ends, the code a bad token answers, whether a session owns it, and when a user
/// change voids it. The accessors (`id`, `secret_hash`, `created_at`, `user_id`,
/// `session_id`) are the same for every record: they read the fields of those names.
macro_rules! record {
    ($record:ident { prefix: $prefix:literal, model: $model:ident $member:literal $(,)? }) => {
        impl TokenRecord for $record {
            const PREFIX: &'static str = $prefix;
            const MEMBER: &'static str = $member;
            const TOKEN_MEMBER: &'static str = concat!($member, "_token");
            type Model = $model;
            fn id(&self) -> &str {
                &self.id
            }
            fn secret_hash(&self) -> &SecretHash {
                &self.secret_hash
            }
        }
    };
    ($record:ident {
        prefix: $prefix:literal,
        model: $model:ident $member:literal,
        lifetime: $lifetime:expr,
        end: $end:expr,
        invalid_token: $invalid_token:ident $(,)?
    }) => {
        record!($record { prefix: $prefix, model: $model $member });
        impl FlowRecord for $record {
            const LIFETIME: Duration = $lifetime;
            const LIFETIME_END: LifetimeEnd = $end;
            const INVALID_TOKEN: ErrorCode = ErrorCode::$invalid_token;
            fn created_at(&self) -> Timestamp {
                Timestamp::from_unix_seconds(self.created_at)
            }
            fn model(&self) -> $model {
                $model::from(self)
            }
        }
    };
    ($record:ident {
        prefix: $prefix:literal,
        model: $model:ident $member:literal,
        lifetime: $lifetime:expr,
        end: $end:expr,
        invalid_token: $invalid_token:ident,
        fn is_stale_for $($is_stale_for:tt)*
    }) => {
        record!($record {
            prefix: $prefix,
            model: $model $member,
            lifetime: $lifetime,
            end: $end,
            invalid_token: $invalid_token,
        });
        impl UserFlowRecord for $record {
            fn user_id(&self) -> &str {
                &self.user_id
            }
            fn is_stale_for $($is_stale_for)*
        }
    };
    ($record:ident {
        prefix: $prefix:literal,
        model: $model:ident $member:literal,
        lifetime: $lifetime:expr,
        end: $end:expr,
        invalid_token: $invalid_token:ident,
        bound_to_session,
        fn is_stale_for $($is_stale_for:tt)*
    }) => {
        record!($record {
            prefix: $prefix,
            model: $model $member,
            lifetime: $lifetime,
            end: $end,
            invalid_token: $invalid_token,
            fn is_stale_for $($is_stale_for)*
        });
        impl SessionBoundRecord for $record {
            fn session_id(&self) -> &str {
                &self.session_id
            }
        }
    };
}

const MINUTE: u64 = 60;

/// The user's password-hash and disabled counters as a flow saw them when it started;
/// a move of either voids the flow. postcard writes a nested struct's fields in place,
/// so a record holding this is stored exactly as with the two counters side by side.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserCounters {
    pub password_hash: i32,
    pub disabled: i32,
}

impl UserCounters {
    pub fn of(user: &User) -> Self {
        UserCounters {
            password_hash: user.password_hash_counter,
            disabled: user.disabled_counter,
        }
    }

    /// True when the user's password hash changed or the user was disabled or
    /// enabled since these counters were taken.
    pub fn have_moved_for(&self, user: &User) -> bool {
        *self != Self::of(user)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionRecord {
    pub id: String,
    pub user_id: String,
    pub secret_hash: SecretHash,
    /// Unix seconds.
    pub created_at: i64,
    /// Unix seconds of the last activity refresh.
    pub token_last_verified_at: i64,
    /// Unix seconds of the last user check, when the user cache is on.
    pub user_last_checked_at: Option<i64>,
    pub user_disabled_counter: i32,
    pub user_sessions_counter: i32,
}

record!(SessionRecord { prefix: "aaah.", model: Session "session" });

/// An e-mailed verification code as a record keeps it: sealed with its flow's token
/// secret (XOR with a SHA-256 keystream of that secret), which storage never holds.
/// A copy of the storage therefore reveals no code, yet whoever presents the token can
/// still have the very same code sent again, as the protocol's resend actions promise.
/// Its `Debug` shows nothing either.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VerificationCode(Vec<u8>);

impl VerificationCode {
    fn keystream(secret: &str) -> [u8; 32] {
        use sha2::Digest as _;
        sha2::Sha256::new()
            .chain_update(b"tiauth-faroe verification code\0")
            .chain_update(secret.as_bytes())
            .finalize()
            .into()
    }

    /// Seals `code` (at most 32 bytes) under the token secret `secret`.
    pub fn seal(code: &str, secret: &str) -> Self {
        let key = Self::keystream(secret);
        VerificationCode(
            code.bytes()
                .zip(key.iter().cycle())
                .map(|(byte, key)| byte ^ key)
                .collect(),
        )
    }

    /// The code, given the secret of the token that names the record.
    pub fn open(&self, secret: &str) -> String {
        let key = Self::keystream(secret);
        self.0
            .iter()
            .zip(key.iter().cycle())
            .map(|(byte, key)| char::from(byte ^ key))
            .collect()
    }
}

impl std::fmt::Debug for VerificationCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("VerificationCode(..)")
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignupRecord {
    pub id: String,
    pub secret_hash: SecretHash,
    pub email_address: String,
    pub email_address_verification_code: VerificationCode,
    pub email_address_verified: bool,
    pub password: Option<PasswordHash>,
    pub created_at: i64,
}

record!(SignupRecord {
    prefix: "aaai.",
    model: Signup "signup",
    lifetime: Duration::from_secs(20 * MINUTE),
    end: LifetimeEnd::Exclusive,
    invalid_token: InvalidSignupToken,
});

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SigninRecord {
    pub id: String,
    pub user_id: String,
    pub secret_hash: SecretHash,
    pub user_first_factor_verified: bool,
    pub user_counters: UserCounters,
    pub created_at: i64,
}

record!(SigninRecord {
    prefix: "aaaj.",
    model: Signin "signin",
    lifetime: Duration::from_secs(10 * MINUTE),
    end: LifetimeEnd::Exclusive,
    invalid_token: InvalidSigninToken,
    fn is_stale_for(&self, user: &User) -> bool {
        self.user_counters.have_moved_for(user)
    }
});

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserEmailAddressUpdateRecord {
    pub id: String,
    pub user_id: String,
    pub session_id: String,
    pub secret_hash: SecretHash,
    pub new_email_address: String,
    pub email_address_verification_code: VerificationCode,
    pub new_email_address_verified: bool,
    pub user_identity_verified: bool,
    pub user_password_hash_counter: i32,
    pub user_email_address_counter: i32,
    pub user_disabled_counter: i32,
    pub created_at: i64,
}

record!(UserEmailAddressUpdateRecord {
    prefix: "aaak.",
    model: UserEmailAddressUpdate "user_email_address_update",
    lifetime: Duration::from_secs(20 * MINUTE),
    end: LifetimeEnd::Inclusive,
    invalid_token: InvalidUserEmailAddressUpdateToken,
    bound_to_session,
    fn is_stale_for(&self, user: &User) -> bool {
        self.user_password_hash_counter != user.password_hash_counter
            || self.user_email_address_counter != user.email_address_counter
            || self.user_disabled_counter != user.disabled_counter
    }
});

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserPasswordUpdateRecord {
    pub id: String,
    pub user_id: String,
    pub session_id: String,
    pub secret_hash: SecretHash,
    pub user_identity_verified: bool,
    pub new_password: Option<PasswordHash>,
    pub user_counters: UserCounters,
    pub created_at: i64,
}

record!(UserPasswordUpdateRecord {
    prefix: "aaam.",
    model: UserPasswordUpdate "user_password_update",
    lifetime: Duration::from_secs(10 * MINUTE),
    end: LifetimeEnd::Inclusive,
    invalid_token: InvalidPasswordUpdateToken,
    bound_to_session,
    fn is_stale_for(&self, user: &User) -> bool {
        self.user_counters.have_moved_for(user)
    }
});

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserDeletionRecord {
    pub id: String,
    pub user_id: String,
    pub session_id: String,
    pub secret_hash: SecretHash,
    pub user_identity_verified: bool,
    pub user_counters: UserCounters,
    pub created_at: i64,
}

record!(UserDeletionRecord {
    prefix: "aaap.",
    model: UserDeletion "user_deletion",
    lifetime: Duration::from_secs(10 * MINUTE),
    end: LifetimeEnd::Inclusive,
    invalid_token: InvalidUserDeletionToken,
    bound_to_session,
    fn is_stale_for(&self, user: &User) -> bool {
        self.user_counters.have_moved_for(user)
    }
});

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserPasswordResetRecord {
    pub id: String,
    pub user_id: String,
    pub secret_hash: SecretHash,
    pub temporary_password: PasswordHash,
    pub user_first_factor_verified: bool,
    pub new_password: Option<PasswordHash>,
    pub user_password_hash_counter: i32,
    pub user_email_address_counter: i32,
    pub user_disabled_counter: i32,
    pub created_at: i64,
}

record!(UserPasswordResetRecord {
    prefix: "aaan.",
    model: UserPasswordReset "user_password_reset",
    lifetime: Duration::from_secs(20 * MINUTE),
    end: LifetimeEnd::Exclusive,
    invalid_token: InvalidUserPasswordResetToken,
    // The password-hash counter counts too: a reset made before a password change
    // must not survive it.
    fn is_stale_for(&self, user: &User) -> bool {
        self.user_password_hash_counter != user.password_hash_counter
            || self.user_email_address_counter != user.email_address_counter
            || self.user_disabled_counter != user.disabled_counter
    }
});

/// A token bucket's state (see `rate_limit`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct BucketRecord {
    pub tokens: u32,
    /// Unix seconds.
    pub last_refilled_at: i64,
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn secret_hash() -> impl Strategy<Value = SecretHash> {
        ".{0,30}".prop_map(|s| SecretHash::of(&s))
    }

    fn password_hash() -> impl Strategy<Value = PasswordHash> {
        (
            proptest::collection::vec(any::<u8>(), 0..40),
            ".{0,30}",
            proptest::collection::vec(any::<u8>(), 0..20),
        )
            .prop_map(|(hash, algorithm_id, salt)| PasswordHash {
                hash,
                algorithm_id,
                salt,
            })
    }

    fn user_counters() -> impl Strategy<Value = UserCounters> {
        (any::<i32>(), any::<i32>()).prop_map(|(password_hash, disabled)| UserCounters {
            password_hash,
            disabled,
        })
    }

    fn round_trips<R>(record: &R)
    where
        R: Serialize + DeserializeOwned + PartialEq + std::fmt::Debug,
    {
        let bytes = encode(record).expect("encode");
        assert_eq!(bytes[0], FORMAT_VERSION);
        assert_eq!(&decode::<R>(&bytes).expect("decode"), record);
    }

    proptest! {
        #[test]
        fn sessions_round_trip(
            (id, user_id) in (".*", ".*"), secret_hash in secret_hash(),
            (created_at, token_last_verified_at) in (any::<i64>(), any::<i64>()),
            user_last_checked_at in any::<Option<i64>>(),
            (user_disabled_counter, user_sessions_counter) in (any::<i32>(), any::<i32>()),
        ) {
            round_trips(&SessionRecord { id, user_id, secret_hash, created_at,
                token_last_verified_at, user_last_checked_at, user_disabled_counter,
                user_sessions_counter });
        }

        #[test]
        fn signups_round_trip(
            (id, email_address, email_address_verification_code) in (".*", ".*", ".*"),
            secret_hash in secret_hash(), email_address_verified in any::<bool>(),
            password in proptest::option::of(password_hash()), created_at in any::<i64>(),
        ) {
            round_trips(&SignupRecord { id, secret_hash, email_address,
                email_address_verification_code: VerificationCode::seal(&email_address_verification_code, "s"),
                email_address_verified, password, created_at });
        }

        #[test]
        fn signins_round_trip(
            (id, user_id) in (".*", ".*"), secret_hash in secret_hash(),
            user_first_factor_verified in any::<bool>(), user_counters in user_counters(),
            created_at in any::<i64>(),
        ) {
            round_trips(&SigninRecord { id, user_id, secret_hash, user_first_factor_verified,
                user_counters, created_at });
        }

        #[test]
        fn email_address_updates_round_trip(
            (id, user_id, session_id) in (".*", ".*", ".*"), secret_hash in secret_hash(),
            (new_email_address, email_address_verification_code) in (".*", ".*"),
            (new_email_address_verified, user_identity_verified) in (any::<bool>(), any::<bool>()),
            counters in (any::<i32>(), any::<i32>(), any::<i32>()), created_at in any::<i64>(),
        ) {
            round_trips(&UserEmailAddressUpdateRecord { id, user_id, session_id, secret_hash,
                new_email_address,
                email_address_verification_code: VerificationCode::seal(&email_address_verification_code, "s"),
                new_email_address_verified,
                user_identity_verified, user_password_hash_counter: counters.0,
                user_email_address_counter: counters.1, user_disabled_counter: counters.2,
                created_at });
        }

        #[test]
        fn password_updates_round_trip(
            (id, user_id, session_id) in (".*", ".*", ".*"), secret_hash in secret_hash(),
            user_identity_verified in any::<bool>(),
            new_password in proptest::option::of(password_hash()),
            user_counters in user_counters(), created_at in any::<i64>(),
        ) {
            round_trips(&UserPasswordUpdateRecord { id, user_id, session_id, secret_hash,
                user_identity_verified, new_password, user_counters, created_at });
        }

        #[test]
        fn deletions_round_trip(
            (id, user_id, session_id) in (".*", ".*", ".*"), secret_hash in secret_hash(),
            user_identity_verified in any::<bool>(), user_counters in user_counters(),
            created_at in any::<i64>(),
        ) {
            round_trips(&UserDeletionRecord { id, user_id, session_id, secret_hash,
                user_identity_verified, user_counters, created_at });
        }

        #[test]
        fn password_resets_round_trip(
            (id, user_id) in (".*", ".*"), secret_hash in secret_hash(),
            temporary_password in password_hash(), user_first_factor_verified in any::<bool>(),
            new_password in proptest::option::of(password_hash()),
            counters in (any::<i32>(), any::<i32>(), any::<i32>()), created_at in any::<i64>(),
        ) {
            round_trips(&UserPasswordResetRecord { id, user_id, secret_hash, temporary_password,
                user_first_factor_verified, new_password, user_password_hash_counter: counters.0,
                user_email_address_counter: counters.1, user_disabled_counter: counters.2,
                created_at });
        }

        #[test]
        fn buckets_round_trip(tokens in any::<u32>(), last_refilled_at in any::<i64>()) {
            round_trips(&BucketRecord { tokens, last_refilled_at });
        }

        #[test]
        fn arbitrary_bytes_never_panic_the_decoder(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
            let _ = decode::<SessionRecord>(&bytes);
            let _ = decode::<UserPasswordResetRecord>(&bytes);
        }
    }

    #[test]
    fn unknown_versions_and_truncation_are_errors() {
        let record = BucketRecord {
            tokens: 3,
            last_refilled_at: 1_700_000_000,
        };
        let mut bytes = encode(&record).expect("encode");
        assert!(matches!(
            decode::<BucketRecord>(&bytes[..bytes.len() - 1]),
            Err(CodecError::Malformed(_))
        ));
        bytes[0] = 9;
        assert_eq!(
            decode::<BucketRecord>(&bytes),
            Err(CodecError::UnknownVersion(9))
        );
        assert_eq!(decode::<BucketRecord>(&[]), Err(CodecError::Empty));
    }

    /// The records holding `UserCounters` as they were laid out before the counters
    /// were grouped: two `i32` fields side by side. Stored values written then must
    /// read the same now, so both layouts must encode to the same bytes.
    mod flat {
        use super::*;

        #[derive(Serialize)]
        pub struct Signin {
            pub id: String,
            pub user_id: String,
            pub secret_hash: SecretHash,
            pub user_first_factor_verified: bool,
            pub user_password_hash_counter: i32,
            pub user_disabled_counter: i32,
            pub created_at: i64,
        }

        #[derive(Serialize)]
        pub struct PasswordUpdate {
            pub id: String,
            pub user_id: String,
            pub session_id: String,
            pub secret_hash: SecretHash,
            pub user_identity_verified: bool,
            pub new_password: Option<PasswordHash>,
            pub user_password_hash_counter: i32,
            pub user_disabled_counter: i32,
            pub created_at: i64,
        }

        #[derive(Serialize)]
        pub struct Deletion {
            pub id: String,
            pub user_id: String,
            pub session_id: String,
            pub secret_hash: SecretHash,
            pub user_identity_verified: bool,
            pub user_password_hash_counter: i32,
            pub user_disabled_counter: i32,
            pub created_at: i64,
        }
    }

    proptest! {
        #[test]
        fn grouped_counters_keep_the_flat_layout(
            (id, user_id, session_id) in (".*", ".*", ".*"), secret_hash in secret_hash(),
            verified in any::<bool>(), new_password in proptest::option::of(password_hash()),
            (password_hash, disabled) in (any::<i32>(), any::<i32>()), created_at in any::<i64>(),
        ) {
            let user_counters = UserCounters { password_hash, disabled };
            let signin = encode(&SigninRecord { id: id.clone(), user_id: user_id.clone(),
                secret_hash: secret_hash.clone(), user_first_factor_verified: verified,
                user_counters, created_at }).expect("encode");
            let flat_signin = encode(&flat::Signin { id: id.clone(), user_id: user_id.clone(),
                secret_hash: secret_hash.clone(), user_first_factor_verified: verified,
                user_password_hash_counter: password_hash, user_disabled_counter: disabled,
                created_at }).expect("encode");
            prop_assert_eq!(signin, flat_signin);

            let update = encode(&UserPasswordUpdateRecord { id: id.clone(),
                user_id: user_id.clone(), session_id: session_id.clone(),
                secret_hash: secret_hash.clone(), user_identity_verified: verified,
                new_password: new_password.clone(), user_counters, created_at }).expect("encode");
            let flat_update = encode(&flat::PasswordUpdate { id: id.clone(),
                user_id: user_id.clone(), session_id: session_id.clone(),
                secret_hash: secret_hash.clone(), user_identity_verified: verified, new_password,
                user_password_hash_counter: password_hash, user_disabled_counter: disabled,
                created_at }).expect("encode");
            prop_assert_eq!(update, flat_update);

            let deletion = encode(&UserDeletionRecord { id: id.clone(), user_id: user_id.clone(),
                session_id: session_id.clone(), secret_hash: secret_hash.clone(),
                user_identity_verified: verified, user_counters, created_at }).expect("encode");
            let flat_deletion = encode(&flat::Deletion { id, user_id, session_id, secret_hash,
                user_identity_verified: verified, user_password_hash_counter: password_hash,
                user_disabled_counter: disabled, created_at }).expect("encode");
            prop_assert_eq!(deletion, flat_deletion);
        }
    }

    /// One deletion record byte for byte, written out from the field order: the
    /// counters follow the identity flag directly, with no framing of their own.
    #[test]
    fn a_deletion_record_is_stored_byte_for_byte_as_documented() {
        let record = UserDeletionRecord {
            id: "i".into(),
            user_id: "u".into(),
            session_id: "s".into(),
            secret_hash: SecretHash::of("abc"),
            user_identity_verified: true,
            user_counters: UserCounters {
                password_hash: 300,
                disabled: -2,
            },
            created_at: 1_700_000_000,
        };
        let mut expected = vec![FORMAT_VERSION];
        // Strings: a varint length, then the bytes.
        expected.extend_from_slice(&[1, b'i', 1, b'u', 1, b's']);
        // SHA-256("abc") (FIPS 180-2 test vector), 32 bytes without a length.
        expected.extend(
            hex::decode("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
                .expect("hex"),
        );
        expected.push(1); // user_identity_verified
        expected.extend_from_slice(&[0xd8, 0x04]); // password-hash counter 300, zigzag 600
        expected.push(0x03); // disabled counter -2, zigzag 3
        expected.extend_from_slice(&[0x80, 0xc4, 0x9f, 0xd5, 0x0c]); // zigzag 3_400_000_000
        assert_eq!(encode(&record).expect("encode"), expected);
        assert_eq!(
            decode::<UserDeletionRecord>(&expected).expect("decode"),
            record
        );
    }

    #[test]
    fn counters_move_with_the_password_hash_or_disabled_counter_only() {
        let user = User {
            id: "u".into(),
            email_address: "a@b".into(),
            password_hash: PasswordHash {
                hash: vec![],
                algorithm_id: String::new(),
                salt: vec![],
            },
            display_name: String::new(),
            disabled: false,
            email_address_counter: 1,
            password_hash_counter: 2,
            disabled_counter: 3,
            sessions_counter: 4,
        };
        let counters = UserCounters::of(&user);
        assert_eq!(
            counters,
            UserCounters {
                password_hash: 2,
                disabled: 3
            }
        );
        assert!(!counters.have_moved_for(&user));
        let mut other = user.clone();
        other.email_address_counter += 1;
        other.sessions_counter += 1;
        assert!(!counters.have_moved_for(&other));
        let mut other = user.clone();
        other.password_hash_counter += 1;
        assert!(counters.have_moved_for(&other));
        let mut other = user;
        other.disabled_counter -= 1;
        assert!(counters.have_moved_for(&other));
    }

    #[test]
    fn lifetimes_end_as_the_contract_says() {
        let signup = SignupRecord {
            id: "i".into(),
            secret_hash: SecretHash::of("s"),
            email_address: "a@b".into(),
            email_address_verification_code: VerificationCode::seal("C", "s"),
            email_address_verified: false,
            password: None,
            created_at: 1_000,
        };
        assert!(signup.is_valid_at(Timestamp::from_unix_seconds(1_000 + 1_199)));
        assert!(!signup.is_valid_at(Timestamp::from_unix_seconds(1_000 + 1_200)));
        let deletion = UserDeletionRecord {
            id: "i".into(),
            user_id: "u".into(),
            session_id: "s".into(),
            secret_hash: SecretHash::of("s"),
            user_identity_verified: false,
            user_counters: UserCounters {
                password_hash: 0,
                disabled: 0,
            },
            created_at: 1_000,
        };
        assert!(deletion.is_valid_at(Timestamp::from_unix_seconds(1_000 + 600)));
        assert!(!deletion.is_valid_at(Timestamp::from_unix_nanos(1_600_000_000_001)));
    }

    /// Every record formatted with `Debug` (as a log line would) shows no secret: no
    /// token secret, code, temporary password or password hash.
    #[test]
    fn debug_output_of_every_record_hides_its_secrets() {
        let secret = "SECRETSECRETSECRETSECRET";
        let code = "CODE8XYZ";
        let hash = PasswordHash {
            hash: b"HASHBYTES".to_vec(),
            algorithm_id: "argon2id.3.65536.1.32".into(),
            salt: b"SALTBYTES".to_vec(),
        };
        let records: Vec<String> = vec![
            format!(
                "{:?}",
                SessionRecord {
                    id: "i".into(),
                    user_id: "u".into(),
                    secret_hash: SecretHash::of(secret),
                    created_at: 0,
                    token_last_verified_at: 0,
                    user_last_checked_at: None,
                    user_disabled_counter: 0,
                    user_sessions_counter: 0,
                }
            ),
            format!(
                "{:?}",
                SignupRecord {
                    id: "i".into(),
                    secret_hash: SecretHash::of(secret),
                    email_address: "a@b".into(),
                    email_address_verification_code: VerificationCode::seal(code, secret),
                    email_address_verified: false,
                    password: Some(hash.clone()),
                    created_at: 0,
                }
            ),
            format!(
                "{:?}",
                SigninRecord {
                    id: "i".into(),
                    user_id: "u".into(),
                    secret_hash: SecretHash::of(secret),
                    user_first_factor_verified: false,
                    user_counters: UserCounters {
                        password_hash: 0,
                        disabled: 0,
                    },
                    created_at: 0,
                }
            ),
            format!(
                "{:?}",
                UserEmailAddressUpdateRecord {
                    id: "i".into(),
                    user_id: "u".into(),
                    session_id: "s".into(),
                    secret_hash: SecretHash::of(secret),
                    new_email_address: "n@b".into(),
                    email_address_verification_code: VerificationCode::seal(code, secret),
                    new_email_address_verified: false,
                    user_identity_verified: false,
                    user_password_hash_counter: 0,
                    user_email_address_counter: 0,
                    user_disabled_counter: 0,
                    created_at: 0,
                }
            ),
            format!(
                "{:?}",
                UserPasswordUpdateRecord {
                    id: "i".into(),
                    user_id: "u".into(),
                    session_id: "s".into(),
                    secret_hash: SecretHash::of(secret),
                    user_identity_verified: false,
                    new_password: Some(hash.clone()),
                    user_counters: UserCounters {
                        password_hash: 0,
                        disabled: 0,
                    },
                    created_at: 0,
                }
            ),
            format!(
                "{:?}",
                UserDeletionRecord {
                    id: "i".into(),
                    user_id: "u".into(),
                    session_id: "s".into(),
                    secret_hash: SecretHash::of(secret),
                    user_identity_verified: false,
                    user_counters: UserCounters {
                        password_hash: 0,
                        disabled: 0,
                    },
                    created_at: 0,
                }
            ),
            format!(
                "{:?}",
                UserPasswordResetRecord {
                    id: "i".into(),
                    user_id: "u".into(),
                    secret_hash: SecretHash::of(secret),
                    temporary_password: hash.clone(),
                    user_first_factor_verified: false,
                    new_password: Some(hash),
                    user_password_hash_counter: 0,
                    user_email_address_counter: 0,
                    user_disabled_counter: 0,
                    created_at: 0,
                }
            ),
        ];
        use sha2::Digest as _;
        let secret_hash_hex = hex::encode(sha2::Sha256::digest(secret.as_bytes()));
        for shown in &records {
            for hidden in [secret, code, "HASHBYTES", "SALTBYTES", &secret_hash_hex] {
                assert!(!shown.contains(hidden), "{hidden} in {shown}");
            }
            // Bytes printed as numbers would leak them too.
            assert!(!shown.contains("72, 65, 83, 72"), "{shown}");
        }
        assert!(
            records[1].contains("VerificationCode(..)"),
            "{}",
            records[1]
        );
    }

    #[test]
    fn a_sealed_code_opens_only_with_its_secret() {
        let sealed = VerificationCode::seal("ABCD2345", "secret-one");
        assert_eq!(sealed.open("secret-one"), "ABCD2345");
        assert_ne!(sealed.open("secret-two"), "ABCD2345");
        assert_ne!(sealed, VerificationCode::seal("ABCD2345", "secret-two"));
        assert_ne!(sealed.0, b"ABCD2345".to_vec());
    }
}
