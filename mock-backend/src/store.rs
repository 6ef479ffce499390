//! The user table, kept in SQLite.
//!
//! Every statement is parameterised. One connection sits behind a mutex; the async side reaches
//! it through [`UserStore::run`], which moves the work onto a blocking thread, or for the two
//! lookups through [`UserStore::read`], which runs them in place when the connection is free:
//! a lookup by key takes microseconds, less than the trip to a blocking thread and back.

use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard};

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use rusqlite::{params, Connection, OptionalExtension, Row, Transaction};
use serde::Serialize;
use serde_json::Value;

/// A user as the user-server protocol reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub id: String,
    pub email_address: String,
    pub password_hash: Vec<u8>,
    pub password_hash_algorithm_id: String,
    pub password_salt: Vec<u8>,
    pub disabled: bool,
    pub display_name: String,
    pub email_address_counter: i64,
    pub password_hash_counter: i64,
    pub disabled_counter: i64,
    pub sessions_counter: i64,
}

impl User {
    /// The protocol's user model, ready to be written without a JSON tree in between.
    pub fn model(&self) -> UserModel<'_> {
        UserModel {
            id: &self.id,
            email_address: &self.email_address,
            password_hash: BASE64.encode(&self.password_hash),
            password_hash_algorithm_id: &self.password_hash_algorithm_id,
            password_salt: BASE64.encode(&self.password_salt),
            disabled: self.disabled,
            display_name: &self.display_name,
            email_address_counter: self.email_address_counter,
            password_hash_counter: self.password_hash_counter,
            disabled_counter: self.disabled_counter,
            sessions_counter: self.sessions_counter,
        }
    }

    /// The protocol's user model as a JSON value.
    pub fn to_json(&self) -> Value {
        serde_json::to_value(self.model()).unwrap_or_default()
    }

    /// A row of [`user_columns!`], read by position: looking columns up by name cost
    /// more than the query.
    fn from_row(row: &Row<'_>) -> rusqlite::Result<Self> {
        Ok(Self {
            id: row.get(0)?,
            email_address: row.get(1)?,
            display_name: row.get(2)?,
            password_hash: row.get(3)?,
            password_salt: row.get(4)?,
            password_hash_algorithm_id: row.get(5)?,
            disabled: row.get::<_, i64>(6)? != 0,
            email_address_counter: row.get(7)?,
            password_hash_counter: row.get(8)?,
            disabled_counter: row.get(9)?,
            sessions_counter: row.get(10)?,
        })
    }
}

/// The protocol's user model: members in the Python library's order, bytes as padded
/// standard base64.
#[derive(Debug, Serialize)]
pub struct UserModel<'a> {
    pub id: &'a str,
    pub email_address: &'a str,
    pub password_hash: String,
    pub password_hash_algorithm_id: &'a str,
    pub password_salt: String,
    pub disabled: bool,
    pub display_name: &'a str,
    pub email_address_counter: i64,
    pub password_hash_counter: i64,
    pub disabled_counter: i64,
    pub sessions_counter: i64,
}

/// The fields `create_user` receives.
#[derive(Debug, Clone)]
pub struct NewUser {
    pub email_address: String,
    pub password_hash: Vec<u8>,
    pub password_hash_algorithm_id: String,
    pub password_salt: Vec<u8>,
}

/// A new password hash for `update_user_password_hash`.
#[derive(Debug, Clone)]
pub struct NewPasswordHash {
    pub password_hash: Vec<u8>,
    pub password_hash_algorithm_id: String,
    pub password_salt: Vec<u8>,
}

/// Why a store operation did not happen.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// No such user, or the expected counter did not match.
    #[error("user not found")]
    UserNotFound,
    /// Another user already has this e-mail address.
    #[error("email address already used")]
    EmailAddressAlreadyUsed,
    /// SQLite failed.
    #[error("database error: {0}")]
    Database(#[from] rusqlite::Error),
    /// The blocking task running the query did not finish.
    #[error("database task failed: {0}")]
    Task(#[from] tokio::task::JoinError),
}

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS user (
    user_id TEXT NOT NULL,
    email TEXT NOT NULL,
    display_name TEXT NOT NULL,
    password_hash BLOB NOT NULL,
    password_salt BLOB NOT NULL,
    password_hash_algorithm_id TEXT NOT NULL,
    disabled INTEGER NOT NULL DEFAULT 0,
    email_address_counter INTEGER NOT NULL DEFAULT 0,
    password_hash_counter INTEGER NOT NULL DEFAULT 0,
    disabled_counter INTEGER NOT NULL DEFAULT 0,
    sessions_counter INTEGER NOT NULL DEFAULT 0,
    created_seq INTEGER NOT NULL,
    CONSTRAINT pk_user PRIMARY KEY (user_id)
) WITHOUT ROWID, STRICT;
CREATE UNIQUE INDEX IF NOT EXISTS ix_user_email ON user (email);
CREATE TABLE IF NOT EXISTS user_id_counter (
    local_part TEXT NOT NULL PRIMARY KEY,
    last_number INTEGER NOT NULL
) WITHOUT ROWID, STRICT;
";

/// The columns of a user, as one SQL list, in the order [`User::from_row`] reads them.
macro_rules! user_columns {
    () => {
        "user_id, email, display_name, password_hash, password_salt, \
         password_hash_algorithm_id, disabled, email_address_counter, password_hash_counter, \
         disabled_counter, sessions_counter"
    };
}

const USER_COLUMNS: &str = user_columns!();
const SELECT_BY_ID: &str = concat!("SELECT ", user_columns!(), " FROM user WHERE user_id = ?1");
const SELECT_BY_EMAIL: &str = concat!("SELECT ", user_columns!(), " FROM user WHERE email = ?1");

/// The user table. Cloning shares the same connection.
#[derive(Clone)]
pub struct UserStore {
    connection: Arc<Mutex<Connection>>,
}

impl std::fmt::Debug for UserStore {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.debug_struct("UserStore").finish_non_exhaustive()
    }
}

impl UserStore {
    /// A fresh store in memory.
    pub fn open_in_memory() -> Result<Self, StoreError> {
        Self::from_connection(Connection::open_in_memory()?)
    }

    /// A store in the SQLite file at `path`, created if missing.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        Self::from_connection(Connection::open(path)?)
    }

    fn from_connection(connection: Connection) -> Result<Self, StoreError> {
        connection.execute_batch(SCHEMA)?;
        Ok(Self {
            connection: Arc::new(Mutex::new(connection)),
        })
    }

    /// Runs `work` with the connection on a blocking thread.
    pub async fn run<T, F>(&self, work: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> Result<T, StoreError> + Send + 'static,
    {
        let connection = Arc::clone(&self.connection);
        tokio::task::spawn_blocking(move || work(&mut lock(&connection))).await?
    }

    /// Runs a short read in place when the connection is free right now, else as
    /// [`UserStore::run`] does.
    pub async fn read<T, F>(&self, work: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> Result<T, StoreError> + Send + 'static,
    {
        if let Some(mut connection) = try_lock(&self.connection) {
            return work(&mut connection);
        }
        self.run(work).await
    }

    pub async fn create_user(&self, new_user: NewUser) -> Result<User, StoreError> {
        self.run(move |connection| create_user(connection, new_user))
            .await
    }

    pub async fn get_user(&self, user_id: String) -> Result<User, StoreError> {
        self.read(move |connection| {
            select_user(connection, UserKey::Id, &user_id)?.ok_or(StoreError::UserNotFound)
        })
        .await
    }

    pub async fn get_user_by_email_address(&self, email: String) -> Result<User, StoreError> {
        self.read(move |connection| {
            select_user(connection, UserKey::Email, &email)?.ok_or(StoreError::UserNotFound)
        })
        .await
    }

    pub async fn update_user_email_address(
        &self,
        user_id: String,
        email: String,
        expected_counter: i64,
    ) -> Result<(), StoreError> {
        self.run(move |connection| {
            let changed = connection.execute(
                "UPDATE user SET email = ?1, email_address_counter = email_address_counter + 1 \
                 WHERE user_id = ?2 AND email_address_counter = ?3",
                params![email, user_id, expected_counter],
            );
            match changed {
                Ok(rows) => one_row(rows),
                Err(error) if is_unique_violation(&error) => {
                    Err(StoreError::EmailAddressAlreadyUsed)
                }
                Err(error) => Err(error.into()),
            }
        })
        .await
    }

    pub async fn update_user_password_hash(
        &self,
        user_id: String,
        new_hash: NewPasswordHash,
        expected_counter: i64,
    ) -> Result<(), StoreError> {
        self.run(move |connection| {
            let rows = connection.execute(
                "UPDATE user SET password_hash = ?1, password_hash_algorithm_id = ?2, \
                 password_salt = ?3, password_hash_counter = password_hash_counter + 1 \
                 WHERE user_id = ?4 AND password_hash_counter = ?5",
                params![
                    new_hash.password_hash,
                    new_hash.password_hash_algorithm_id,
                    new_hash.password_salt,
                    user_id,
                    expected_counter
                ],
            )?;
            one_row(rows)
        })
        .await
    }

    pub async fn increment_user_sessions_counter(
        &self,
        user_id: String,
        expected_counter: i64,
    ) -> Result<(), StoreError> {
        self.run(move |connection| {
            let rows = connection.execute(
                "UPDATE user SET sessions_counter = sessions_counter + 1 \
                 WHERE user_id = ?1 AND sessions_counter = ?2",
                params![user_id, expected_counter],
            )?;
            one_row(rows)
        })
        .await
    }

    pub async fn delete_user(&self, user_id: String) -> Result<(), StoreError> {
        self.run(move |connection| {
            let rows =
                connection.execute("DELETE FROM user WHERE user_id = ?1", params![user_id])?;
            one_row(rows)
        })
        .await
    }

    /// Sets `disabled` and/or `display_name`. Changing `disabled` to a different value also
    /// increments `disabled_counter`.
    pub async fn update_user(
        &self,
        user_id: String,
        disabled: Option<bool>,
        display_name: Option<String>,
    ) -> Result<(), StoreError> {
        self.run(move |connection| {
            let transaction = connection.transaction()?;
            let exists = transaction
                .query_row(
                    "SELECT 1 FROM user WHERE user_id = ?1",
                    params![user_id],
                    |_| Ok(()),
                )
                .optional()?
                .is_some();
            if !exists {
                return Err(StoreError::UserNotFound);
            }
            if let Some(disabled) = disabled {
                transaction.execute(
                    "UPDATE user SET disabled_counter = disabled_counter + (disabled != ?1), \
                     disabled = ?1 WHERE user_id = ?2",
                    params![i64::from(disabled), user_id],
                )?;
            }
            if let Some(display_name) = display_name {
                transaction.execute(
                    "UPDATE user SET display_name = ?1 WHERE user_id = ?2",
                    params![display_name, user_id],
                )?;
            }
            transaction.commit()?;
            Ok(())
        })
        .await
    }

    /// Every user, oldest first.
    pub async fn users(&self) -> Result<Vec<User>, StoreError> {
        self.run(|connection| {
            let mut statement = connection.prepare(&format!(
                "SELECT {USER_COLUMNS} FROM user ORDER BY created_seq"
            ))?;
            let users = statement
                .query_map([], User::from_row)?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(users)
        })
        .await
    }

    /// Deletes every user. The id numbering goes on where it was, so no id is ever reused.
    pub async fn delete_all_users(&self) -> Result<(), StoreError> {
        self.run(|connection| {
            connection.execute("DELETE FROM user", [])?;
            Ok(())
        })
        .await
    }
}

/// A poisoned mutex only means a thread panicked while holding it; the connection is still
/// usable, and every change runs in a statement or transaction of its own.
fn lock(connection: &Mutex<Connection>) -> MutexGuard<'_, Connection> {
    connection
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// The connection if nobody holds it.
fn try_lock(connection: &Mutex<Connection>) -> Option<MutexGuard<'_, Connection>> {
    match connection.try_lock() {
        Ok(guard) => Some(guard),
        Err(std::sync::TryLockError::Poisoned(poisoned)) => Some(poisoned.into_inner()),
        Err(std::sync::TryLockError::WouldBlock) => None,
    }
}

fn one_row(rows: usize) -> Result<(), StoreError> {
    if rows == 0 {
        Err(StoreError::UserNotFound)
    } else {
        Ok(())
    }
}

fn is_unique_violation(error: &rusqlite::Error) -> bool {
    matches!(
        error,
        rusqlite::Error::SqliteFailure(failure, _)
            if failure.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE
    )
}

/// The user whose `column` holds `value`. The statement is prepared once per
/// connection and column: preparing costs more than the lookup itself.
fn select_user(
    connection: &Connection,
    column: UserKey,
    value: &str,
) -> Result<Option<User>, StoreError> {
    let sql = match column {
        UserKey::Id => SELECT_BY_ID,
        UserKey::Email => SELECT_BY_EMAIL,
    };
    Ok(connection
        .prepare_cached(sql)?
        .query_row(params![value], User::from_row)
        .optional()?)
}

/// The columns a user is looked up by.
#[derive(Debug, Clone, Copy)]
enum UserKey {
    Id,
    Email,
}

/// The local part used in user ids: everything before the first `@`.
pub fn id_local_part(email_address: &str) -> &str {
    email_address
        .split_once('@')
        .map_or(email_address, |(local, _)| local)
}

fn create_user(connection: &mut Connection, new_user: NewUser) -> Result<User, StoreError> {
    let transaction = connection.transaction()?;
    let taken = transaction
        .query_row(
            "SELECT 1 FROM user WHERE email = ?1",
            params![new_user.email_address],
            |_| Ok(()),
        )
        .optional()?
        .is_some();
    if taken {
        return Err(StoreError::EmailAddressAlreadyUsed);
    }
    let local_part = id_local_part(&new_user.email_address);
    let number = next_id_number(&transaction, local_part)?;
    let user = User {
        id: format!("{number}_{local_part}"),
        email_address: new_user.email_address.clone(),
        password_hash: new_user.password_hash,
        password_hash_algorithm_id: new_user.password_hash_algorithm_id,
        password_salt: new_user.password_salt,
        disabled: false,
        display_name: String::new(),
        email_address_counter: 0,
        password_hash_counter: 0,
        disabled_counter: 0,
        sessions_counter: 0,
    };
    transaction.execute(
        "INSERT INTO user (user_id, email, display_name, password_hash, password_salt, \
         password_hash_algorithm_id, disabled, email_address_counter, password_hash_counter, \
         disabled_counter, sessions_counter, created_seq) \
         VALUES (?1, ?2, '', ?3, ?4, ?5, 0, 0, 0, 0, 0, \
         (SELECT COALESCE(MAX(created_seq), 0) + 1 FROM user))",
        params![
            user.id,
            user.email_address,
            user.password_hash,
            user.password_salt,
            user.password_hash_algorithm_id
        ],
    )?;
    transaction.commit()?;
    Ok(user)
}

/// Takes the next number for `local_part` from a counter that only goes up, so a deleted
/// user's id is never handed out again.
fn next_id_number(transaction: &Transaction<'_>, local_part: &str) -> Result<i64, StoreError> {
    Ok(transaction.query_row(
        "INSERT INTO user_id_counter (local_part, last_number) VALUES (?1, 1) \
         ON CONFLICT (local_part) DO UPDATE SET last_number = last_number + 1 \
         RETURNING last_number",
        params![local_part],
        |row| row.get(0),
    )?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn new_user(email: &str) -> NewUser {
        NewUser {
            email_address: email.to_owned(),
            password_hash: vec![1, 2, 3],
            password_hash_algorithm_id: "argon2id".to_owned(),
            password_salt: vec![4, 5],
        }
    }

    #[test]
    fn local_part_is_text_before_first_at() {
        assert_eq!(id_local_part("alice@example.com"), "alice");
        assert_eq!(id_local_part("a@b@c"), "a");
        assert_eq!(id_local_part("no-at"), "no-at");
        assert_eq!(id_local_part("@x"), "");
    }

    #[tokio::test]
    async fn ids_count_per_exact_local_part_and_are_never_reused() {
        let store = UserStore::open_in_memory().expect("store opens");
        let first = store
            .create_user(new_user("alice@a.com"))
            .await
            .expect("created");
        assert_eq!(first.id, "1_alice");
        let other = store
            .create_user(new_user("Alice@a.com"))
            .await
            .expect("created");
        assert_eq!(other.id, "1_Alice");
        let quoted = store
            .create_user(new_user("o'hara@a.com"))
            .await
            .expect("created");
        assert_eq!(quoted.id, "1_o'hara");
        store.delete_user(first.id).await.expect("deleted");
        let again = store
            .create_user(new_user("alice@b.com"))
            .await
            .expect("created");
        assert_eq!(again.id, "2_alice");
        store.delete_all_users().await.expect("cleared");
        let after_clear = store
            .create_user(new_user("alice@c.com"))
            .await
            .expect("created");
        assert_eq!(after_clear.id, "3_alice");
    }

    #[tokio::test]
    async fn file_store_keeps_users_and_numbering() {
        let path = std::env::temp_dir().join(format!(
            "mock-backend-store-test-{}.sqlite",
            std::process::id()
        ));
        let _ = std::fs::remove_file(&path);
        {
            let store = UserStore::open(&path).expect("store opens");
            let user = store
                .create_user(new_user("bob@x.y"))
                .await
                .expect("created");
            store.delete_user(user.id).await.expect("deleted");
        }
        let store = UserStore::open(&path).expect("store reopens");
        let user = store
            .create_user(new_user("bob@x.y"))
            .await
            .expect("created");
        assert_eq!(user.id, "2_bob");
        drop(store);
        let _ = std::fs::remove_file(&path);
    }
}
