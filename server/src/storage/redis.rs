//! The Redis (or Valkey) engine: one string key per entry under `<namespace>:`.
//!
//! A value is stored as its counter (8 bytes, big-endian) followed by the value's
//! bytes. `add` is `SET NX PX`; the compare-and-swap of `update` is a Lua script,
//! loaded once and called by its hash (`EVALSHA`, reloaded on `NOSCRIPT`). Expiry is
//! Redis's own: the time-to-live is the expiry hint minus the injected clock's now, so
//! a test clock set in the past does not make Redis drop entries as they are written;
//! an entry whose hint has already passed is not kept at all. There is no purge task.
//! The connection manager reconnects by itself after the server went away.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::{AsyncCommands, Script};

use super::postgres::TimedOut;
use super::{Entry, Storage, StorageError, StorageSettings, StorageUrl};
use crate::faroe::clock::{Clock, Timestamp};

/// KEYS[1]: the key. ARGV: the expected counter (8 bytes), the new stored bytes, the
/// time-to-live in milliseconds (0: the entry has expired; remove it).
/// Returns 1 when written, 0 when the key is absent, -1 when its counter differs.
const COMPARE_AND_SWAP: &str = r"
local current = redis.call('GET', KEYS[1])
if not current then return 0 end
if string.sub(current, 1, 8) ~= ARGV[1] then return -1 end
local ttl = tonumber(ARGV[3])
if ttl > 0 then
  redis.call('SET', KEYS[1], ARGV[2], 'PX', ttl)
else
  redis.call('DEL', KEYS[1])
end
return 1
";

/// Deletes KEYS[1] only while its counter (the value's first 8 bytes) is ARGV[1].
const DELETE_IF_COUNTER: &str = r"
local current = redis.call('GET', KEYS[1])
if not current then return 0 end
if string.sub(current, 1, 8) ~= ARGV[1] then return -1 end
redis.call('DEL', KEYS[1])
return 1
";

/// Keys removed per `SCAN` step of `clear`.
const CLEAR_BATCH: usize = 500;

/// Key-value storage in Redis.
pub struct RedisStorage {
    connection: ConnectionManager,
    prefix: String,
    clock: Arc<dyn Clock>,
    timeout: Duration,
    compare_and_swap: Script,
    delete_if_counter: Script,
    describe: String,
}

impl RedisStorage {
    /// Connects to the server `settings.url` names (failing within the timeout when it
    /// cannot be reached); afterwards the connection is re-established as needed.
    pub async fn open(
        settings: &StorageSettings,
        clock: Arc<dyn Clock>,
    ) -> Result<RedisStorage, StorageError> {
        let StorageUrl::Redis(url) = &settings.url else {
            return Err(StorageError::Failure("not a Redis URL".into()));
        };
        let describe = format!("Redis at {}", settings.url);
        let client = redis::Client::open(url.as_str())
            .map_err(|e| StorageError::failure(format!("invalid URL for {describe}"), e))?;
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(settings.timeout))
            .set_response_timeout(Some(settings.timeout))
            .set_number_of_retries(1)
            .set_max_delay(Duration::from_millis(500));
        let connect = ConnectionManager::new_with_config(client, config);
        let connection = match tokio::time::timeout(settings.timeout, connect).await {
            Ok(Ok(connection)) => connection,
            Ok(Err(e)) => {
                return Err(StorageError::failure(
                    format!("cannot connect to {describe}"),
                    e,
                ))
            }
            Err(_) => {
                return Err(StorageError::failure(
                    format!("cannot connect to {describe}"),
                    TimedOut(settings.timeout),
                ))
            }
        };
        Ok(RedisStorage {
            connection,
            prefix: format!("{}:", settings.namespace),
            clock,
            timeout: settings.timeout,
            compare_and_swap: Script::new(COMPARE_AND_SWAP),
            delete_if_counter: Script::new(DELETE_IF_COUNTER),
            describe,
        })
    }

    fn key(&self, key: &str) -> String {
        format!("{}{key}", self.prefix)
    }

    /// Milliseconds from the injected clock's now to `expires_at`, rounded up; 0 when
    /// the hint has passed.
    fn time_to_live(&self, expires_at: Timestamp) -> u64 {
        let nanos = expires_at.nanos_since(self.clock.now());
        u64::try_from(nanos).map_or(0, |nanos| nanos.div_ceil(1_000_000))
    }

    /// Runs one command within the timeout.
    async fn call<T>(
        &self,
        doing: &str,
        command: impl std::future::Future<Output = redis::RedisResult<T>>,
    ) -> Result<T, StorageError> {
        match tokio::time::timeout(self.timeout, command).await {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(e)) => Err(StorageError::failure(
                format!("{doing} failed on {}", self.describe),
                e,
            )),
            Err(_) => Err(StorageError::failure(
                format!("{doing} failed on {}", self.describe),
                TimedOut(self.timeout),
            )),
        }
    }
}

fn stored_bytes(counter: i64, value: &[u8]) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(8 + value.len());
    bytes.extend_from_slice(&counter.to_be_bytes());
    bytes.extend_from_slice(value);
    bytes
}

#[async_trait]
impl Storage for RedisStorage {
    async fn get(&self, key: &str) -> Result<Entry, StorageError> {
        let mut connection = self.connection.clone();
        let key = self.key(key);
        let bytes: Option<Vec<u8>> = self.call("get", connection.get(&key)).await?;
        let bytes = bytes.ok_or(StorageError::NotFound)?;
        let Some((counter, value)) = bytes.split_first_chunk::<8>() else {
            return Err(StorageError::Failure(
                format!(
                    "{}: {key} holds no counter; not written by tiauth",
                    self.describe
                )
                .into(),
            ));
        };
        Ok(Entry {
            value: value.to_vec(),
            counter: i64::from_be_bytes(*counter),
        })
    }

    async fn add(
        &self,
        key: &str,
        value: &[u8],
        expires_at: Timestamp,
    ) -> Result<(), StorageError> {
        let mut connection = self.connection.clone();
        let key = self.key(key);
        let ttl = self.time_to_live(expires_at);
        let added = if ttl == 0 {
            // Already expired: nothing to keep, but a present key still wins.
            let exists: bool = self.call("add", connection.exists(&key)).await?;
            !exists
        } else {
            let mut command = redis::cmd("SET");
            command
                .arg(&key)
                .arg(stored_bytes(0, value))
                .arg("NX")
                .arg("PX")
                .arg(ttl);
            let answer: Option<String> = self
                .call("add", command.query_async(&mut connection))
                .await?;
            answer.is_some()
        };
        if added {
            Ok(())
        } else {
            Err(StorageError::AlreadyExists)
        }
    }

    async fn update(
        &self,
        key: &str,
        value: &[u8],
        expires_at: Timestamp,
        counter: i64,
    ) -> Result<(), StorageError> {
        let mut connection = self.connection.clone();
        let next = counter.checked_add(1).ok_or(StorageError::Conflict)?;
        let mut invocation = self.compare_and_swap.key(self.key(key));
        invocation
            .arg(&counter.to_be_bytes()[..])
            .arg(stored_bytes(next, value))
            .arg(self.time_to_live(expires_at));
        let outcome: i64 = self
            .call("update", invocation.invoke_async(&mut connection))
            .await?;
        match outcome {
            1 => Ok(()),
            0 => Err(StorageError::NotFound),
            _ => Err(StorageError::Conflict),
        }
    }

    async fn delete(&self, key: &str) -> Result<(), StorageError> {
        let mut connection = self.connection.clone();
        let removed: u64 = self.call("delete", connection.del(self.key(key))).await?;
        if removed == 0 {
            Err(StorageError::NotFound)
        } else {
            Ok(())
        }
    }

    async fn delete_if_counter(&self, key: &str, counter: i64) -> Result<(), StorageError> {
        let mut connection = self.connection.clone();
        let mut invocation = self.delete_if_counter.key(self.key(key));
        invocation.arg(&counter.to_be_bytes()[..]);
        let outcome: i64 = self
            .call(
                "delete_if_counter",
                invocation.invoke_async(&mut connection),
            )
            .await?;
        match outcome {
            1 => Ok(()),
            _ => Err(StorageError::NotFound),
        }
    }

    async fn clear(&self) -> Result<(), StorageError> {
        // The namespace allows only letters, digits and `_`, so the pattern needs no
        // escaping and matches no other namespace's keys.
        let pattern = format!("{}*", self.prefix);
        let mut connection = self.connection.clone();
        let mut cursor: u64 = 0;
        loop {
            let mut scan = redis::cmd("SCAN");
            scan.arg(cursor)
                .arg("MATCH")
                .arg(&pattern)
                .arg("COUNT")
                .arg(CLEAR_BATCH);
            let (next, keys): (u64, Vec<String>) = self
                .call("clear", scan.query_async(&mut connection))
                .await?;
            if !keys.is_empty() {
                let _: u64 = self.call("clear", connection.unlink(&keys)).await?;
            }
            if next == 0 {
                return Ok(());
            }
            cursor = next;
        }
    }

    async fn purge_expired(&self, _now: Timestamp) -> Result<u64, StorageError> {
        Ok(0)
    }

    fn expires_by_itself(&self) -> bool {
        true
    }
}

#[cfg(test)]
mod contract {
    use crate::storage::contract::{redis, redis_outage};

    crate::storage_contract_tests!(redis, outage: redis_outage);
}
