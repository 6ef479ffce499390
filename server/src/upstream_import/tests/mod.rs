//! The importer against databases written from the documented upstream layouts.

pub(crate) mod encoder;

use std::path::{Path, PathBuf};

use serde_json::json;

use super::*;
use crate::faroe::credentials::SecretHash;
use crate::faroe::records::{
    decode, BucketRecord, SessionRecord, SigninRecord, SignupRecord, UserCounters,
    UserDeletionRecord, UserEmailAddressUpdateRecord, UserPasswordResetRecord,
    UserPasswordUpdateRecord, VerificationCode,
};
use crate::faroe::testing::{Harness, PASSWORD, START};
use crate::faroe::user::PasswordHash;
use crate::storage::{MemoryStorage, SqliteStorage};
use encoder::*;

const MINUTE: i64 = 60;

fn id(tag: &str) -> String {
    format!("{tag:a>24}")
}

fn secret(tag: &str) -> String {
    format!("{tag:s>24}")
}

fn options() -> ImportOptions {
    ImportOptions {
        merge: false,
        now: Timestamp::from_unix_seconds(START),
        sessions: SessionConfig::default(),
    }
}

fn session(tag: &str, user_id: &str) -> Session {
    Session {
        id: id(tag),
        user_id: user_id.to_owned(),
        secret: secret(tag),
        token_last_verified_at: START - MINUTE,
        user_last_checked_at: NEVER_CHECKED,
        user_disabled_counter: 0,
        user_sessions_counter: 0,
        created_at: START - 60 * MINUTE,
    }
}

fn upstream_password(tag: u8) -> Password {
    Password {
        hash: vec![tag; 32],
        algorithm_id: "argon2id.3.65536.1.32".to_owned(),
        salt: vec![tag + 1; 16],
    }
}

fn our_password(tag: u8) -> PasswordHash {
    let upstream = upstream_password(tag);
    PasswordHash {
        hash: upstream.hash,
        algorithm_id: upstream.algorithm_id,
        salt: upstream.salt,
    }
}

/// A live record of every kind, as (key, upstream value).
fn one_of_each(created_at: i64) -> Vec<(String, Vec<u8>)> {
    let mut live_session = session("s", "user1");
    live_session.token_last_verified_at = created_at;
    live_session.created_at = created_at;
    vec![
        (live_session.key(), live_session.encode()),
        {
            let signup = Signup {
                id: id("i"),
                secret: secret("i"),
                email_address: "ann@example.com".into(),
                email_address_verification_code: "ABCDEFGH".into(),
                email_address_verified: true,
                password: Some(upstream_password(1)),
                created_at,
            };
            (signup.key(), signup.encode())
        },
        {
            let signin = Signin {
                id: id("j"),
                user_id: "user1".into(),
                secret: secret("j"),
                user_first_factor_verified: true,
                user_password_hash_counter: 4,
                user_disabled_counter: -3,
                created_at,
            };
            (signin.key(), signin.encode())
        },
        {
            let update = EmailAddressUpdate {
                id: id("k"),
                user_id: "user1".into(),
                session_id: id("s"),
                secret: secret("k"),
                new_email_address: "new@example.com".into(),
                email_address_verification_code: "JKLMNPQR".into(),
                new_email_address_verified: false,
                user_identity_verified: true,
                user_password_hash_counter: 1,
                user_email_address_counter: 2,
                user_disabled_counter: 3,
                created_at,
            };
            (update.key(), update.encode())
        },
        {
            let update = PasswordUpdate {
                id: id("m"),
                user_id: "user1".into(),
                session_id: id("s"),
                secret: secret("m"),
                user_identity_verified: true,
                new_password: None,
                user_password_hash_counter: 7,
                user_disabled_counter: i32::MAX,
                created_at,
            };
            (update.key(), update.encode())
        },
        {
            let reset = PasswordReset {
                id: id("n"),
                user_id: "user1".into(),
                secret: secret("n"),
                temporary_password: upstream_password(5),
                user_first_factor_verified: true,
                new_password: Some(upstream_password(9)),
                user_password_hash_counter: 1,
                user_email_address_counter: 0,
                user_disabled_counter: i32::MIN,
                created_at,
            };
            (reset.key(), reset.encode())
        },
        {
            let deletion = Deletion {
                id: id("p"),
                user_id: "user1".into(),
                session_id: id("s"),
                secret: secret("p"),
                user_identity_verified: false,
                user_password_hash_counter: 0,
                user_disabled_counter: 0,
                created_at,
            };
            (deletion.key(), deletion.encode())
        },
        ("aaaq.user1".into(), bucket(2, created_at)),
        ("aaar.ann@example.com".into(), bucket(0, created_at)),
        ("aaas.ann@example.com".into(), bucket(3, created_at)),
        ("aaat.user1".into(), bucket(1, created_at)),
    ]
}

fn database(dir: &Path, rows: &[(String, Vec<u8>)]) -> PathBuf {
    let path = dir.join("upstream.sqlite");
    write_database(&path, rows);
    path
}

async fn stored<R: serde::de::DeserializeOwned>(storage: &dyn Storage, key: &str) -> R {
    let entry = storage.get(key).await.expect(key);
    decode(&entry.value).expect("decodes as this server's record")
}

#[test]
fn the_encoder_writes_the_documented_session_example() {
    let example = Session {
        id: "a".repeat(24),
        user_id: "1_test".into(),
        secret: "b".repeat(24),
        token_last_verified_at: 1_700_000_000,
        user_last_checked_at: NEVER_CHECKED,
        user_disabled_counter: 0,
        user_sessions_counter: 0,
        created_at: 1_700_000_000,
    };
    let expected = format!(
        "18{}06315f7465737438{}{}04caa7e200051cef23edff000004caa7e200",
        "61".repeat(24),
        "62".repeat(24),
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    );
    let encoded = example.encode();
    assert_eq!(encoded.len(), 107);
    assert_eq!(hex::encode(&encoded), expected);
}

#[test]
fn the_encoder_writes_the_documented_integer_reference_values() {
    for (value, hex) in [
        (0i64, ""),
        (1, "02"),
        (-1, "01"),
        (2, "04"),
        (-2, "03"),
        (63, "7e"),
        (64, "80"),
        (1_700_000_000, "caa7e200"),
        (-62_135_596_800, "1cef23edff"),
    ] {
        assert_eq!(hex::encode(int64_item(value)), hex, "{value}");
    }
    assert_eq!(hex::encode(int32_item(2_147_483_647)), "fffffffe");
    assert_eq!(hex::encode(int32_item(-2_147_483_648)), "ffffffff");
    // A length past 127 takes two varint bytes.
    let long = Items::new().raw(&[7; 300]).build();
    assert_eq!(&long[..3], &[0xac, 0x02, 7]);
}

#[tokio::test]
async fn every_kind_is_imported_field_by_field() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = database(dir.path(), &one_of_each(START - MINUTE));
    let storage = MemoryStorage::new();
    let summary = import(&path, &storage, None, &options())
        .await
        .expect("import");
    assert_eq!(summary.read, 11);
    assert_eq!(summary.imported_total(), 11, "{summary}");
    for kind in Kind::ALL {
        let expected = if kind == Kind::RateLimitBucket { 4 } else { 1 };
        assert_eq!(summary.imported.get(&kind), Some(&expected), "{kind:?}");
    }
    assert_eq!((summary.expired, summary.rejected.len()), (0, 0));

    let created_at = START - MINUTE;
    let session: SessionRecord = stored(&storage, &format!("aaah.{}", id("s"))).await;
    assert_eq!(
        session,
        SessionRecord {
            id: id("s"),
            user_id: "user1".into(),
            secret_hash: SecretHash::of(&secret("s")),
            created_at,
            token_last_verified_at: created_at,
            user_last_checked_at: None,
            user_disabled_counter: 0,
            user_sessions_counter: 0,
        }
    );
    let signup: SignupRecord = stored(&storage, &format!("aaai.{}", id("i"))).await;
    assert_eq!(
        signup,
        SignupRecord {
            id: id("i"),
            secret_hash: SecretHash::of(&secret("i")),
            email_address: "ann@example.com".into(),
            // Sealed with the token secret, as this server keeps codes.
            email_address_verification_code: VerificationCode::seal("ABCDEFGH", &secret("i")),
            email_address_verified: true,
            password: Some(our_password(1)),
            created_at,
        }
    );
    let signin: SigninRecord = stored(&storage, &format!("aaaj.{}", id("j"))).await;
    assert_eq!(
        signin,
        SigninRecord {
            id: id("j"),
            user_id: "user1".into(),
            secret_hash: SecretHash::of(&secret("j")),
            user_first_factor_verified: true,
            user_counters: UserCounters {
                password_hash: 4,
                disabled: -3,
            },
            created_at,
        }
    );
    let update: UserEmailAddressUpdateRecord = stored(&storage, &format!("aaak.{}", id("k"))).await;
    assert_eq!(
        update,
        UserEmailAddressUpdateRecord {
            id: id("k"),
            user_id: "user1".into(),
            session_id: id("s"),
            secret_hash: SecretHash::of(&secret("k")),
            new_email_address: "new@example.com".into(),
            email_address_verification_code: VerificationCode::seal("JKLMNPQR", &secret("k")),
            new_email_address_verified: false,
            user_identity_verified: true,
            user_password_hash_counter: 1,
            user_email_address_counter: 2,
            user_disabled_counter: 3,
            created_at,
        }
    );
    let update: UserPasswordUpdateRecord = stored(&storage, &format!("aaam.{}", id("m"))).await;
    assert_eq!(
        update,
        UserPasswordUpdateRecord {
            id: id("m"),
            user_id: "user1".into(),
            session_id: id("s"),
            secret_hash: SecretHash::of(&secret("m")),
            user_identity_verified: true,
            new_password: None,
            user_counters: UserCounters {
                password_hash: 7,
                disabled: i32::MAX,
            },
            created_at,
        }
    );
    let reset: UserPasswordResetRecord = stored(&storage, &format!("aaan.{}", id("n"))).await;
    assert_eq!(
        reset,
        UserPasswordResetRecord {
            id: id("n"),
            user_id: "user1".into(),
            secret_hash: SecretHash::of(&secret("n")),
            temporary_password: our_password(5),
            user_first_factor_verified: true,
            new_password: Some(our_password(9)),
            user_password_hash_counter: 1,
            user_email_address_counter: 0,
            user_disabled_counter: i32::MIN,
            created_at,
        }
    );
    let deletion: UserDeletionRecord = stored(&storage, &format!("aaap.{}", id("p"))).await;
    assert_eq!(
        deletion,
        UserDeletionRecord {
            id: id("p"),
            user_id: "user1".into(),
            session_id: id("s"),
            secret_hash: SecretHash::of(&secret("p")),
            user_identity_verified: false,
            user_counters: UserCounters {
                password_hash: 0,
                disabled: 0,
            },
            created_at,
        }
    );
    for (key, tokens) in [
        ("aaaq.user1", 2),
        ("aaar.ann@example.com", 0),
        ("aaas.ann@example.com", 3),
        ("aaat.user1", 1),
    ] {
        let bucket: BucketRecord = stored(&storage, key).await;
        assert_eq!(
            bucket,
            BucketRecord {
                tokens,
                last_refilled_at: created_at
            },
            "{key}"
        );
    }
}

#[tokio::test]
async fn expiry_hints_are_the_ones_this_server_gives() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = database(dir.path(), &one_of_each(START - MINUTE));
    let storage = MemoryStorage::new();
    import(&path, &storage, None, &options())
        .await
        .expect("import");
    // Purging at an instant removes exactly what has expired by then.
    let at = |seconds: i64| Timestamp::from_unix_seconds(START - MINUTE + seconds);
    // Buckets: the mail bucket (0 of 5, 30 min each) is full after 150 min, the
    // others (1 min each) within 4 min; a signin and the 10-minute flows after 10 min.
    assert_eq!(storage.purge_expired(at(3 * MINUTE + 1)).await, Ok(2));
    assert_eq!(storage.purge_expired(at(4 * MINUTE + 1)).await, Ok(1));
    assert_eq!(storage.purge_expired(at(10 * MINUTE + 1)).await, Ok(3));
    assert_eq!(storage.purge_expired(at(20 * MINUTE + 1)).await, Ok(3));
    assert_eq!(storage.purge_expired(at(150 * MINUTE + 1)).await, Ok(1));
    // The session lasts 30 days from its last activity.
    assert_eq!(
        storage.purge_expired(at(30 * 24 * 60 * MINUTE)).await,
        Ok(0)
    );
    assert_eq!(
        storage.purge_expired(at(30 * 24 * 60 * MINUTE + 1)).await,
        Ok(1)
    );
}

#[tokio::test]
async fn expired_records_of_every_kind_are_skipped() {
    let dir = tempfile::tempdir().expect("tempdir");
    // Old enough for everything but the session, whose activity was recent.
    let mut rows = one_of_each(START - 151 * MINUTE);
    let mut old_session = session("t", "user1");
    old_session.token_last_verified_at = START - 30 * 24 * 60 * MINUTE;
    let mut ancient_session = session("u", "user1");
    ancient_session.created_at = START - 2160 * 60 * MINUTE;
    rows.push((old_session.key(), old_session.encode()));
    rows.push((ancient_session.key(), ancient_session.encode()));
    let path = database(dir.path(), &rows);
    let storage = MemoryStorage::new();
    let summary = import(&path, &storage, None, &options())
        .await
        .expect("import");
    assert_eq!(summary.read, 13);
    assert_eq!(summary.expired, 12, "{summary}");
    assert_eq!(summary.imported.get(&Kind::Session), Some(&1), "{summary}");
    assert_eq!(storage.keys(), vec![format!("aaah.{}", id("s"))]);

    // Without absolute expiry, the 90-day-old session lives on.
    let storage = MemoryStorage::new();
    let mut no_absolute = options();
    no_absolute.sessions.expiration = None;
    let summary = import(&path, &storage, None, &no_absolute)
        .await
        .expect("import");
    assert_eq!(summary.imported.get(&Kind::Session), Some(&2), "{summary}");
}

#[tokio::test]
async fn undecodable_records_are_rejected_by_key_and_the_rest_imported() {
    let dir = tempfile::tempdir().expect("tempdir");
    let good = session("good", "user1");
    let full = session("cut", "user1").encode();
    let mut other_id = session("x", "user1");
    other_id.id = id("y");
    let not_a_secret = Items::new()
        .string(&id("z"))
        .string("user1")
        .raw(&[b's'; 56])
        .build();
    let signup_too_short = Items::new().string(&id("i")).secret(&secret("i")).build();
    let rows = vec![
        (good.key(), good.encode()),
        (
            format!("aaah.{}", id("cut")),
            full[..full.len() - 3].to_vec(),
        ),
        (format!("aaah.{}", id("x")), other_id.encode()),
        (format!("aaah.{}", id("z")), not_a_secret),
        (format!("aaai.{}", id("i")), signup_too_short),
        ("aaaz.something".into(), good.encode()),
        ("aaaq.user1".into(), bucket(1, START)[..8].to_vec()),
        ("short".into(), vec![]),
    ];
    let path = database(dir.path(), &rows);
    let storage = MemoryStorage::new();
    let summary = import(&path, &storage, None, &options())
        .await
        .expect("import");
    assert_eq!(summary.read, 8);
    assert_eq!(summary.imported_total(), 1);
    let rejected: Vec<(String, DecodeError)> = summary.rejected.clone();
    assert_eq!(
        rejected,
        vec![
            (format!("aaah.{}", id("x")), DecodeError::IdMismatch),
            (
                format!("aaah.{}", id("z")),
                DecodeError::BadSecret { index: 2 }
            ),
            (
                format!("aaah.{}", id("cut")),
                DecodeError::Truncated { index: 7 }
            ),
            (
                format!("aaai.{}", id("i")),
                DecodeError::MissingItem { index: 2 }
            ),
            ("aaaq.user1".into(), DecodeError::BucketLength(8)),
            ("aaaz.something".into(), DecodeError::UnknownPrefix),
            ("short".into(), DecodeError::UnknownPrefix),
        ]
    );
    // The summary names keys and reasons, never a secret.
    let text = summary.to_string();
    assert!(text.contains("rejected as undecodable: 7"), "{text}");
    assert!(
        text.contains("aaaz.something: unknown key prefix"),
        "{text}"
    );
    assert!(!text.contains(&secret("good")), "{text}");
    assert!(!text.contains(&secret("cut")), "{text}");
}

#[tokio::test]
async fn a_non_empty_destination_is_refused_and_merge_is_idempotent() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = database(dir.path(), &one_of_each(START - MINUTE));
    let storage = MemoryStorage::new();
    let later = Timestamp::from_unix_seconds(START + 3600);
    // The destination already holds one of the buckets, with other contents.
    storage
        .add("aaaq.user1", b"destination's own", later)
        .await
        .expect("add");
    let refused = import(&path, &storage, None, &options())
        .await
        .expect_err("refused");
    assert!(
        matches!(&refused, ImportError::DestinationNotEmpty { reason } if reason.contains("aaaq.user1")),
        "{refused}"
    );
    assert!(refused.to_string().contains("--merge"), "{refused}");
    assert_eq!(storage.keys().len(), 1, "nothing was written");
    // A caller that can count the destination's rows refuses any non-empty one.
    let other = MemoryStorage::new();
    let refused = import(&path, &other, Some(3), &options())
        .await
        .expect_err("refused");
    assert!(refused.to_string().contains("3 records"), "{refused}");
    assert!(other.keys().is_empty());

    let merge = ImportOptions {
        merge: true,
        ..options()
    };
    let first = import(&path, &storage, Some(1), &merge)
        .await
        .expect("merge");
    assert_eq!((first.imported_total(), first.already_present), (10, 1));
    assert_eq!(
        storage.get("aaaq.user1").await.expect("kept").value,
        b"destination's own"
    );
    let again = import(&path, &storage, Some(11), &merge)
        .await
        .expect("merge again");
    assert_eq!((again.imported_total(), again.already_present), (0, 11));
    assert_eq!(storage.keys().len(), 11);
}

fn file_state(path: &Path) -> Vec<(String, Vec<u8>, std::time::SystemTime)> {
    let mut state = Vec::new();
    for suffix in ["", "-wal", "-shm"] {
        let file = PathBuf::from(format!("{}{suffix}", path.display()));
        if let Ok(metadata) = std::fs::metadata(&file) {
            let bytes = std::fs::read(&file).expect("read");
            state.push((
                suffix.to_owned(),
                bytes,
                metadata.modified().expect("mtime"),
            ));
        }
    }
    state
}

#[tokio::test]
async fn the_source_is_never_modified() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("upstream.sqlite");
    write_database(&path, &one_of_each(START - MINUTE));
    // A connection left open keeps its last write in the WAL, as after a killed server.
    let writer = rusqlite::Connection::open(&path).expect("open");
    writer
        .execute_batch(
            "PRAGMA wal_autocheckpoint = 0;
             INSERT INTO key_value VALUES ('aaat.user2', 0, '', x'03000000006553f100');",
        )
        .expect("write to the WAL");
    assert!(dir.path().join("upstream.sqlite-wal").exists());
    let before = file_state(&path);
    let storage = SqliteStorage::open(dir.path().join("ours.sqlite")).expect("open");
    let summary = import(&path, &storage, None, &options())
        .await
        .expect("import");
    assert_eq!(summary.imported_total(), 12, "{summary}");
    let after = file_state(&path);
    assert_eq!(before.len(), after.len());
    for ((suffix, bytes, modified), (_, bytes_after, modified_after)) in before.iter().zip(&after) {
        if suffix == "-shm" {
            continue; // shared-memory index, not data
        }
        assert!(bytes == bytes_after, "{suffix} changed");
        assert_eq!(modified, modified_after, "{suffix} touched");
    }
}

#[tokio::test]
async fn files_that_are_not_upstream_databases_are_refused_with_a_reason() {
    let dir = tempfile::tempdir().expect("tempdir");
    let storage = MemoryStorage::new();
    let missing = dir.path().join("missing.sqlite");
    let error = import(&missing, &storage, None, &options())
        .await
        .expect_err("missing");
    assert!(error.to_string().contains("no such file"), "{error}");
    assert!(!missing.exists(), "the source is not created");

    let junk = dir.path().join("junk.sqlite");
    std::fs::write(&junk, vec![b'x'; 4096]).expect("write");
    let error = import(&junk, &storage, None, &options())
        .await
        .expect_err("junk");
    assert!(error.to_string().contains("junk.sqlite"), "{error}");

    let ours = dir.path().join("ours.sqlite");
    drop(SqliteStorage::open(&ours).expect("our database"));
    let error = import(&ours, &storage, None, &options())
        .await
        .expect_err("ours");
    assert!(
        error.to_string().contains("database of this server"),
        "{error}"
    );

    let other = dir.path().join("other.sqlite");
    rusqlite::Connection::open(&other)
        .expect("create")
        .execute_batch("CREATE TABLE users (id INTEGER);")
        .expect("schema");
    let error = import(&other, &storage, None, &options())
        .await
        .expect_err("other");
    assert!(error.to_string().contains("no key_value table"), "{error}");
    assert!(storage.keys().is_empty());
}

#[tokio::test]
async fn a_storage_failure_stops_the_import_naming_the_key() {
    use crate::faroe::testing::{FaultyStorage, StorageOp};
    let dir = tempfile::tempdir().expect("tempdir");
    let path = database(dir.path(), &one_of_each(START - MINUTE));
    let storage = FaultyStorage::default();
    storage.fail(
        StorageOp::Add,
        "aaan.",
        0,
        StorageError::Failure("disk full".into()),
    );
    let error = import(&path, &storage, None, &options())
        .await
        .expect_err("fails");
    let message = error.to_string();
    assert!(
        message.contains("aaan.") && message.contains("disk full"),
        "{message}"
    );
}

#[tokio::test]
async fn a_hundred_thousand_sessions_are_imported() {
    let dir = tempfile::tempdir().expect("tempdir");
    let rows: Vec<(String, Vec<u8>)> = (0..100_000)
        .map(|n| {
            let record = session(&n.to_string(), &format!("user{n}"));
            (record.key(), record.encode())
        })
        .collect();
    let path = database(dir.path(), &rows);
    // Memory storage keeps the test quick; the import time into SQLite is measured
    // with the release binary (see the README).
    let storage = MemoryStorage::new();
    let summary = import(&path, &storage, None, &options())
        .await
        .expect("import");
    assert_eq!(summary.read, 100_000);
    assert_eq!(summary.imported.get(&Kind::Session), Some(&100_000));
    let last: SessionRecord = stored(&storage, &format!("aaah.{}", id("99999"))).await;
    assert_eq!(last.user_id, "user99999");
    assert!(last.secret_hash.matches(&secret("99999")));
}

// ------------------------------------------------------------------ after import

async fn import_into(harness: &Harness, rows: &[(String, Vec<u8>)]) {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = database(dir.path(), rows);
    let summary = import(&path, harness.storage.as_ref(), None, &options())
        .await
        .expect("import");
    assert_eq!(summary.imported_total(), rows.len(), "{summary}");
}

#[tokio::test]
async fn an_imported_session_token_still_works() {
    let harness = Harness::new();
    let user = harness.add_user("ann@example.com", PASSWORD).await;
    let mut record = session("s", &user.id);
    record.user_sessions_counter = user.sessions_counter;
    record.user_disabled_counter = user.disabled_counter;
    import_into(&harness, &[(record.key(), record.encode())]).await;

    let token = format!("{}.{}", record.id, record.secret);
    let values = harness
        .ok("get_session", json!({ "session_token": token }))
        .await;
    assert_eq!(values["session"]["id"], record.id.as_str());
    assert_eq!(values["session"]["user_id"], user.id.as_str());
    assert_eq!(values["session"]["created_at"], record.created_at);
    let wrong = format!("{}.{}", record.id, secret("other"));
    assert_eq!(
        harness
            .error("get_session", json!({ "session_token": wrong }))
            .await,
        "invalid_session_token"
    );
}

#[tokio::test]
async fn an_imported_pending_signup_can_be_completed() {
    let harness = Harness::new();
    let hash = harness
        .faroe
        .hasher
        .hash_user_password(PASSWORD)
        .await
        .expect("hash");
    let signup = Signup {
        id: id("i"),
        secret: secret("i"),
        email_address: "bo@example.com".into(),
        email_address_verification_code: "ABCDEFGH".into(),
        email_address_verified: true,
        password: Some(Password {
            hash: hash.hash,
            algorithm_id: hash.algorithm_id,
            salt: hash.salt,
        }),
        created_at: START - 5 * MINUTE,
    };
    import_into(&harness, &[(signup.key(), signup.encode())]).await;
    let token = format!("{}.{}", signup.id, signup.secret);
    let values = harness
        .ok("complete_signup", json!({ "signup_token": token }))
        .await;
    assert!(values["session_token"].is_string(), "{values}");
    // The user was created with the password chosen before the move.
    let signin = harness.verified_signin("bo@example.com", PASSWORD).await;
    harness
        .ok("complete_signin", json!({ "signin_token": signin }))
        .await;
}

#[tokio::test]
async fn an_imported_reset_still_takes_its_temporary_password() {
    let harness = Harness::new();
    let user = harness.add_user("cy@example.com", PASSWORD).await;
    let temporary = harness
        .faroe
        .hasher
        .hash_temporary_password("ABCDEFGHJKLM")
        .await
        .expect("hash");
    let reset = PasswordReset {
        id: id("n"),
        user_id: user.id.clone(),
        secret: secret("n"),
        temporary_password: Password {
            hash: temporary.hash,
            algorithm_id: temporary.algorithm_id,
            salt: temporary.salt,
        },
        user_first_factor_verified: false,
        new_password: None,
        user_password_hash_counter: user.password_hash_counter,
        user_email_address_counter: user.email_address_counter,
        user_disabled_counter: user.disabled_counter,
        created_at: START - 5 * MINUTE,
    };
    import_into(&harness, &[(reset.key(), reset.encode())]).await;
    let token = format!("{}.{}", reset.id, reset.secret);
    assert_eq!(
        harness
            .error(
                "verify_user_password_reset_temporary_password",
                json!({ "user_password_reset_token": token, "temporary_password": "ABCDEFGHJKLN" }),
            )
            .await,
        "incorrect_temporary_password"
    );
    harness
        .ok(
            "verify_user_password_reset_temporary_password",
            json!({ "user_password_reset_token": token, "temporary_password": "ABCDEFGHJKLM" }),
        )
        .await;
}

#[tokio::test]
async fn an_imported_empty_bucket_still_refuses() {
    let harness = Harness::new();
    let user = harness.add_user("di@example.com", PASSWORD).await;
    import_into(
        &harness,
        &[(format!("aaaq.{}", user.id), bucket(0, START - 10))],
    )
    .await;
    let created = harness
        .ok(
            "create_signin",
            json!({ "user_email_address": "di@example.com" }),
        )
        .await;
    let token = created["signin_token"].as_str().expect("token").to_owned();
    let verify = json!({ "signin_token": token, "password": PASSWORD });
    assert_eq!(
        harness
            .error("verify_signin_user_password", verify.clone())
            .await,
        "rate_limited"
    );
    // One interval after the last refill, one token is back.
    harness.advance(std::time::Duration::from_secs(50));
    harness.ok("verify_signin_user_password", verify).await;
}
