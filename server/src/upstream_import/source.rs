//! Reading the upstream database: opened read-only, so the file is never changed.

use std::path::Path;
use std::time::Duration;

use rusqlite::{Connection, OpenFlags, OptionalExtension};

/// One row of upstream's `key_value` table.
pub(super) struct Row {
    pub key: String,
    pub value: Vec<u8>,
}

/// Every row of the upstream table at `path`, in key order. The error says what is
/// wrong with the file in words meant for the person running the import.
pub(super) fn read(path: &Path) -> Result<Vec<Row>, String> {
    if !path.is_file() {
        return Err("no such file".to_owned());
    }
    // Read-only and no URI parsing; a WAL left by a server that was killed is read too.
    let connection = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(|error| format!("cannot open it read-only: {error}"))?;
    connection
        .busy_timeout(Duration::from_secs(5))
        .map_err(|error| error.to_string())?;
    let expiration_type: Option<String> = connection
        .query_row(
            "SELECT type FROM pragma_table_info('key_value') WHERE name = 'expiration'",
            [],
            |row| row.get(0),
        )
        .optional()
        .map_err(|error| format!("cannot read it as an SQLite database: {error}"))?;
    match expiration_type {
        None => {
            return Err(
                "it has no key_value table, so it is not an upstream tiauth database".into(),
            )
        }
        Some(kind) if kind.eq_ignore_ascii_case("INTEGER") => {
            return Err(
                "it is a database of this server already (its expiration column is INTEGER); \
                 there is nothing to import"
                    .into(),
            )
        }
        Some(_) => {}
    }
    let mut statement = connection
        .prepare("SELECT CAST(key AS BLOB), value FROM key_value ORDER BY key")
        .map_err(|error| format!("cannot read its key_value table: {error}"))?;
    let rows = statement
        .query_map([], |row| {
            let key: Vec<u8> = row.get(0)?;
            let value: Vec<u8> = row.get(1)?;
            Ok(Row {
                key: String::from_utf8_lossy(&key).into_owned(),
                value,
            })
        })
        .and_then(Iterator::collect::<Result<Vec<_>, _>>)
        .map_err(|error| format!("cannot read its key_value table: {error}"))?;
    Ok(rows)
}

/// How many rows the `key_value` table of the SQLite file at `path` holds; `None` when
/// there is no such file or table (or it cannot be read).
pub(super) fn count_rows(path: &Path) -> Option<u64> {
    if !path.is_file() {
        return None;
    }
    let connection = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .ok()?;
    connection
        .query_row("SELECT count(*) FROM key_value", [], |row| row.get(0))
        .ok()
}
