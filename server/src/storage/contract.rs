//! The behaviour every storage engine must show, one public function per case, and
//! [`storage_contract_tests!`](crate::storage_contract_tests) to run each case as a
//! test of its own against an engine.
//!
//! An engine is given as a factory `|namespace: String, clock: Arc<ManualClock>|`
//! returning `Option<Subject>` (`None`: the engine's service is not available, and the
//! factory printed a skip line). Every call gets a fresh namespace; the clock starts
//! in 2023, far behind the wall clock, as the conformance clock does.

// Test support (the `test-util` feature): a failed expectation is the test failing.
#![allow(clippy::expect_used, clippy::panic)]

use std::any::Any;
use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use super::testing::{
    reroute, service_addr, service_url, TcpProxy, POSTGRES_URL_VARIABLE, REDIS_URL_VARIABLE,
};
use super::{PostgresStorage, RedisStorage, Storage, StorageError, StorageSettings, StorageUrl};
use crate::faroe::clock::{Clock, ManualClock, Timestamp};

/// 2023-11-14T22:13:20Z.
pub const CLOCK_START: i64 = 1_700_000_000;

type Finish = Box<dyn FnOnce() -> Pin<Box<dyn Future<Output = ()> + Send>> + Send>;

/// An engine under test, and what to do when the case is over.
pub struct Subject {
    pub storage: Arc<dyn Storage>,
    finish: Option<Finish>,
    keep: Vec<Box<dyn Any + Send>>,
}

impl Subject {
    pub fn new(storage: Arc<dyn Storage>) -> Subject {
        Subject {
            storage,
            finish: None,
            keep: Vec::new(),
        }
    }

    /// Keeps `value` (a temporary directory, a proxy) alive as long as the subject.
    pub fn keeping(mut self, value: impl Any + Send) -> Subject {
        self.keep.push(Box::new(value));
        self
    }

    /// Runs `finish` at the end of the case (dropping the namespace, say).
    pub fn finishing<F>(mut self, finish: impl FnOnce() -> F + Send + 'static) -> Subject
    where
        F: Future<Output = ()> + Send + 'static,
    {
        self.finish = Some(Box::new(move || Box::pin(finish())));
        self
    }

    pub async fn finish(mut self) {
        if let Some(finish) = self.finish.take() {
            finish().await;
        }
        self.keep.clear();
    }
}

/// The clock every case starts with.
pub fn test_clock() -> Arc<ManualClock> {
    Arc::new(ManualClock::new(Timestamp::from_unix_seconds(CLOCK_START)))
}

fn settings(url: StorageUrl, namespace: &str, timeout: Duration) -> StorageSettings {
    StorageSettings {
        namespace: namespace.to_owned(),
        pool_size: 8,
        timeout,
        ..StorageSettings::new(url)
    }
}

/// PostgreSQL at `TIAUTH_TEST_POSTGRES_URL` in `namespace` (dropped when finished).
pub async fn postgres(namespace: String, _clock: Arc<ManualClock>) -> Option<Subject> {
    let url = service_url(POSTGRES_URL_VARIABLE, "PostgreSQL storage contract")?;
    let storage = open_postgres(&url, &namespace, Duration::from_secs(5)).await;
    Some(Subject::new(storage.clone()).finishing(move || async move {
        let _ = storage.drop_namespace().await;
    }))
}

async fn open_postgres(url: &str, namespace: &str, timeout: Duration) -> Arc<PostgresStorage> {
    let settings = settings(StorageUrl::Postgres(url.to_owned()), namespace, timeout);
    Arc::new(
        PostgresStorage::open(&settings)
            .await
            .expect("the test PostgreSQL server is reachable"),
    )
}

/// Redis at `TIAUTH_TEST_REDIS_URL` in `namespace` (cleared when finished).
pub async fn redis(namespace: String, clock: Arc<ManualClock>) -> Option<Subject> {
    let url = service_url(REDIS_URL_VARIABLE, "Redis storage contract")?;
    let storage = open_redis(&url, &namespace, clock, Duration::from_secs(5)).await;
    Some(Subject::new(storage.clone()).finishing(move || async move {
        let _ = storage.clear().await;
    }))
}

async fn open_redis(
    url: &str,
    namespace: &str,
    clock: Arc<ManualClock>,
    timeout: Duration,
) -> Arc<RedisStorage> {
    let settings = settings(StorageUrl::Redis(url.to_owned()), namespace, timeout);
    Arc::new(
        RedisStorage::open(&settings, clock)
            .await
            .expect("the test Redis server is reachable"),
    )
}

/// An engine reached through a proxy that the outage case cuts.
pub struct Outage {
    pub storage: Arc<dyn Storage>,
    pub proxy: TcpProxy,
    pub timeout: Duration,
    pub subject: Subject,
}

/// The storage timeout of the outage case: short, so the case is quick.
pub const OUTAGE_TIMEOUT: Duration = Duration::from_millis(500);

/// PostgreSQL behind a proxy, for the outage case.
pub async fn postgres_outage(namespace: String, _clock: Arc<ManualClock>) -> Option<Outage> {
    let url = service_url(POSTGRES_URL_VARIABLE, "PostgreSQL storage outage")?;
    let proxy = TcpProxy::start(service_addr(&url)).await.expect("proxy");
    let proxied = reroute(&url, proxy.addr());
    let storage = open_postgres(&proxied, &namespace, OUTAGE_TIMEOUT).await;
    let direct = open_postgres(&url, &namespace, Duration::from_secs(5)).await;
    Some(Outage {
        storage: storage.clone(),
        proxy,
        timeout: OUTAGE_TIMEOUT,
        subject: Subject::new(storage).finishing(move || async move {
            let _ = direct.drop_namespace().await;
        }),
    })
}

/// Redis behind a proxy, for the outage case.
pub async fn redis_outage(namespace: String, clock: Arc<ManualClock>) -> Option<Outage> {
    let url = service_url(REDIS_URL_VARIABLE, "Redis storage outage")?;
    let proxy = TcpProxy::start(service_addr(&url)).await.expect("proxy");
    let proxied = reroute(&url, proxy.addr());
    let storage = open_redis(&proxied, &namespace, clock.clone(), OUTAGE_TIMEOUT).await;
    let direct = open_redis(&url, &namespace, clock, Duration::from_secs(5)).await;
    Some(Outage {
        storage: storage.clone(),
        proxy,
        timeout: OUTAGE_TIMEOUT,
        subject: Subject::new(storage).finishing(move || async move {
            let _ = direct.clear().await;
        }),
    })
}

fn hour_after(clock: &ManualClock) -> Timestamp {
    clock.now() + Duration::from_secs(3600)
}

/// Add, get, update under the counter, delete.
pub async fn add_get_update_delete(storage: &dyn Storage, clock: &ManualClock) {
    let later = hour_after(clock);
    assert_eq!(storage.get("k").await, Err(StorageError::NotFound));

    storage.add("k", b"one", later).await.expect("add");
    let entry = storage.get("k").await.expect("get");
    assert_eq!((entry.value.as_slice(), entry.counter), (&b"one"[..], 0));
    assert_eq!(
        storage.add("k", b"two", later).await,
        Err(StorageError::AlreadyExists)
    );
    assert_eq!(storage.get("k").await.expect("get").value, b"one");

    // Update only with the current counter; each update moves the counter by one. A
    // wrong counter is a lost race, distinct from an absent key.
    assert_eq!(
        storage.update("k", b"two", later, 1).await,
        Err(StorageError::Conflict)
    );
    storage.update("k", b"two", later, 0).await.expect("update");
    let entry = storage.get("k").await.expect("get");
    assert_eq!((entry.value.as_slice(), entry.counter), (&b"two"[..], 1));
    assert_eq!(
        storage.update("k", b"three", later, 0).await,
        Err(StorageError::Conflict)
    );
    storage
        .update("k", b"three", later, 1)
        .await
        .expect("update");
    assert_eq!(storage.get("k").await.expect("get").counter, 2);
    assert_eq!(
        storage.update("absent", b"x", later, 0).await,
        Err(StorageError::NotFound)
    );
    assert_eq!(storage.get("absent").await, Err(StorageError::NotFound));

    // A conditional delete takes the entry only at its current counter.
    assert_eq!(
        storage.delete_if_counter("k", 0).await,
        Err(StorageError::NotFound)
    );
    assert!(storage.get("k").await.is_ok());
    assert_eq!(
        storage.delete_if_counter("absent", 0).await,
        Err(StorageError::NotFound)
    );
    storage.add("taken", b"x", later).await.expect("add");
    storage.delete_if_counter("taken", 0).await.expect("taken");
    assert_eq!(storage.get("taken").await, Err(StorageError::NotFound));

    storage.delete("k").await.expect("delete");
    assert_eq!(storage.delete("k").await, Err(StorageError::NotFound));
    assert_eq!(storage.get("k").await, Err(StorageError::NotFound));
    assert_eq!(
        storage.update("k", b"x", later, 2).await,
        Err(StorageError::NotFound)
    );
    // A deleted key can be added again, with a fresh counter.
    storage.add("k", b"again", later).await.expect("re-add");
    assert_eq!(storage.get("k").await.expect("get").counter, 0);
}

/// Values are bytes: every byte value, empty, and up to 64 KiB, unchanged.
pub async fn binary_values_up_to_64_kib(storage: &dyn Storage, clock: &ManualClock) {
    let later = hour_after(clock);
    let every_byte: Vec<u8> = (0..=255).collect();
    let large: Vec<u8> = (0..64 * 1024).map(|n| (n * 7 + n / 256) as u8).collect();
    let cases: [(&str, &[u8]); 4] = [
        ("empty", b""),
        ("every-byte", &every_byte),
        ("nul", b"\0\0\0\0\0\0\0\0\0"),
        ("large", &large),
    ];
    for (key, value) in cases {
        storage.add(key, value, later).await.expect("add");
        assert_eq!(storage.get(key).await.expect("get").value, value, "{key}");
    }
    let reversed: Vec<u8> = large.iter().rev().copied().collect();
    storage
        .update("large", &reversed, later, 0)
        .await
        .expect("update");
    assert_eq!(storage.get("large").await.expect("get").value, reversed);
}

/// Keys up to 255 bytes, with characters that mean something to SQL or to Redis
/// patterns, stay distinct from each other.
pub async fn keys_up_to_255_bytes(storage: &dyn Storage, clock: &ManualClock) {
    let later = hour_after(clock);
    let long = "k".repeat(255);
    let prefix = "k".repeat(254);
    let odd = "aaah.' OR 1=1; -- *?[]:%_\\\"";
    for (n, key) in [long.as_str(), prefix.as_str(), odd, "*"]
        .iter()
        .enumerate()
    {
        storage.add(key, &[n as u8], later).await.expect("add");
    }
    for (n, key) in [long.as_str(), prefix.as_str(), odd, "*"]
        .iter()
        .enumerate()
    {
        assert_eq!(
            storage.get(key).await.expect("get").value,
            [n as u8],
            "{key}"
        );
    }
    storage.delete("*").await.expect("delete");
    assert!(
        storage.get(odd).await.is_ok(),
        "a pattern key deleted others"
    );
    assert!(storage.get(&long).await.is_ok());
}

/// Expiry hints are counted from the injected clock: with the clock years behind the
/// wall clock, an entry with a future hint stays readable, through updates too.
pub async fn expiry_follows_the_injected_clock(storage: &dyn Storage, clock: &ManualClock) {
    let soon = clock.now() + Duration::from_secs(60);
    storage.add("fresh", b"x", soon).await.expect("add");
    assert!(storage.get("fresh").await.is_ok(), "a fresh entry vanished");
    storage
        .update("fresh", b"y", soon + Duration::from_secs(60), 0)
        .await
        .expect("update");
    assert_eq!(storage.get("fresh").await.expect("get").value, b"y");
    let purged = storage.purge_expired(clock.now()).await.expect("purge");
    assert_eq!(purged, 0);
    assert!(storage.get("fresh").await.is_ok());
}

/// Purging removes exactly the entries whose hint is past. Engines that expire
/// entries themselves purge nothing; instead they keep no entry written with a hint
/// already past.
pub async fn purge_removes_expired_entries(storage: &dyn Storage, clock: &ManualClock) {
    let start = clock.now();
    storage
        .add("new", b"y", start + Duration::from_secs(3600))
        .await
        .expect("add new");
    if storage.expires_by_itself() {
        let past = Timestamp::from_unix_nanos(start.unix_nanos() - 1_000_000_000);
        storage.add("old", b"x", past).await.expect("add old");
        assert_eq!(storage.get("old").await, Err(StorageError::NotFound));
        storage
            .add("old", b"x", start + Duration::from_secs(60))
            .await
            .expect("add");
        storage.update("old", b"x", past, 0).await.expect("update");
        assert_eq!(storage.get("old").await, Err(StorageError::NotFound));
        assert_eq!(storage.purge_expired(start).await, Ok(0));
    } else {
        storage
            .add("old", b"x", start + Duration::from_secs(60))
            .await
            .expect("add old");
        clock.advance(Duration::from_secs(120));
        // Only a hint: reads still see it until purged.
        assert!(storage.get("old").await.is_ok());
        assert_eq!(storage.purge_expired(clock.now()).await, Ok(1));
        assert_eq!(storage.get("old").await, Err(StorageError::NotFound));
    }
    assert!(storage.get("new").await.is_ok());
}

/// `clear` removes this namespace's entries and no other's.
pub async fn clear_spares_other_namespaces(
    storage: &dyn Storage,
    other: &dyn Storage,
    clock: &ManualClock,
) {
    let later = hour_after(clock);
    for key in ["a", "b", "c"] {
        storage.add(key, b"mine", later).await.expect("add");
    }
    other.add("a", b"theirs", later).await.expect("add other");
    other.add("z", b"theirs", later).await.expect("add other");
    storage.clear().await.expect("clear");
    for key in ["a", "b", "c"] {
        assert_eq!(storage.get(key).await, Err(StorageError::NotFound));
    }
    assert_eq!(other.get("a").await.expect("survived").value, b"theirs");
    assert!(other.get("z").await.is_ok());
    storage
        .add("a", b"again", later)
        .await
        .expect("usable after clear");
}

/// 32 concurrent updates with the same counter: exactly one wins, the others lost
/// the race (`Conflict`, not `NotFound`).
pub async fn concurrent_updates_let_exactly_one_win(
    storage: Arc<dyn Storage>,
    clock: &ManualClock,
) {
    let later = hour_after(clock);
    storage.add("race", b"start", later).await.expect("add");
    let tasks: Vec<_> = (0..32u8)
        .map(|n| {
            let storage = Arc::clone(&storage);
            tokio::spawn(async move { (n, storage.update("race", &[n], later, 0).await) })
        })
        .collect();
    let mut winners = Vec::new();
    for task in tasks {
        match task.await.expect("task") {
            (n, Ok(())) => winners.push(n),
            (_, Err(StorageError::Conflict)) => {}
            (_, Err(other)) => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(winners.len(), 1, "{winners:?}");
    let entry = storage.get("race").await.expect("get");
    assert_eq!((entry.value, entry.counter), (vec![winners[0]], 1));
}

/// 32 concurrent adds of one key: exactly one wins.
pub async fn concurrent_adds_let_exactly_one_win(storage: Arc<dyn Storage>, clock: &ManualClock) {
    let later = hour_after(clock);
    let tasks: Vec<_> = (0..32u8)
        .map(|n| {
            let storage = Arc::clone(&storage);
            tokio::spawn(async move { (n, storage.add("race", &[n], later).await) })
        })
        .collect();
    let mut outcomes: HashMap<String, usize> = HashMap::new();
    let mut winner = None;
    for task in tasks {
        let (n, outcome) = task.await.expect("task");
        if outcome.is_ok() {
            winner = Some(n);
        }
        *outcomes.entry(format!("{outcome:?}")).or_default() += 1;
    }
    assert_eq!(outcomes.get("Ok(())"), Some(&1), "{outcomes:?}");
    assert_eq!(
        outcomes.get("Err(AlreadyExists)"),
        Some(&31),
        "{outcomes:?}"
    );
    let entry = storage.get("race").await.expect("get");
    assert_eq!(
        (entry.value, entry.counter),
        (vec![winner.expect("a winner")], 0)
    );
}

/// With the engine unreachable, every call fails as a storage failure within the
/// timeout (plus scheduling slack); once it is back, calls succeed again without
/// reopening anything.
pub async fn engine_down_fails_within_the_timeout(outage: &Outage, clock: &ManualClock) {
    let later = hour_after(clock);
    let storage = &outage.storage;
    storage.add("before", b"x", later).await.expect("add");
    outage.proxy.cut();
    let slack = Duration::from_secs(1);
    for attempt in 0..3 {
        let started = std::time::Instant::now();
        let outcomes = [
            storage.get("before").await.map(|_| ()),
            storage.add("new", b"y", later).await,
            storage.update("before", b"z", later, 0).await,
            storage.delete("before").await,
        ];
        for outcome in outcomes {
            assert!(
                matches!(outcome, Err(StorageError::Failure(_))),
                "attempt {attempt}: {outcome:?}"
            );
        }
        assert!(
            started.elapsed() < 4 * (outage.timeout + slack),
            "attempt {attempt} took {:?}",
            started.elapsed()
        );
    }
    outage.proxy.restore();
    // Reconnecting takes the engine's client a moment: poll, bounded.
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        match storage.get("before").await {
            Ok(entry) => {
                assert_eq!(entry.value, b"x");
                break;
            }
            Err(error) => assert!(
                std::time::Instant::now() < deadline,
                "no recovery after the engine came back: {error}"
            ),
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    storage
        .update("before", b"z", later, 0)
        .await
        .expect("update after recovery");
}

/// One test per contract case for the engine `$open` makes (see the module docs);
/// `outage: $outage` adds the outage case for network engines.
#[macro_export]
macro_rules! storage_contract_tests {
    ($open:expr) => {
        $crate::storage_contract_tests!(@cases $open);
    };
    ($open:expr, outage: $outage:expr) => {
        $crate::storage_contract_tests!(@cases $open);

        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn contract_engine_down_fails_within_the_timeout() {
            use $crate::storage::contract as contract;
            let clock = contract::test_clock();
            let Some(outage) = ($outage)(
                $crate::storage::testing::fresh_namespace(),
                clock.clone(),
            ).await else { return };
            contract::engine_down_fails_within_the_timeout(&outage, &clock).await;
            outage.subject.finish().await;
        }
    };
    (@cases $open:expr) => {
        $crate::storage_contract_tests!(@case $open, contract_add_get_update_delete, add_get_update_delete);
        $crate::storage_contract_tests!(@case $open, contract_binary_values_up_to_64_kib, binary_values_up_to_64_kib);
        $crate::storage_contract_tests!(@case $open, contract_keys_up_to_255_bytes, keys_up_to_255_bytes);
        $crate::storage_contract_tests!(@case $open, contract_expiry_follows_the_injected_clock, expiry_follows_the_injected_clock);
        $crate::storage_contract_tests!(@case $open, contract_purge_removes_expired_entries, purge_removes_expired_entries);
        $crate::storage_contract_tests!(@shared $open, contract_concurrent_updates_let_exactly_one_win, concurrent_updates_let_exactly_one_win);
        $crate::storage_contract_tests!(@shared $open, contract_concurrent_adds_let_exactly_one_win, concurrent_adds_let_exactly_one_win);

        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn contract_clear_spares_other_namespaces() {
            use $crate::storage::contract as contract;
            let clock = contract::test_clock();
            let fresh = $crate::storage::testing::fresh_namespace;
            let Some(mine) = ($open)(fresh(), clock.clone()).await else { return };
            let Some(other) = ($open)(fresh(), clock.clone()).await else { return };
            contract::clear_spares_other_namespaces(&*mine.storage, &*other.storage, &clock).await;
            mine.finish().await;
            other.finish().await;
        }
    };
    (@case $open:expr, $test:ident, $case:ident) => {
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn $test() {
            use $crate::storage::contract as contract;
            let clock = contract::test_clock();
            let Some(subject) = ($open)(
                $crate::storage::testing::fresh_namespace(),
                clock.clone(),
            ).await else { return };
            contract::$case(&*subject.storage, &clock).await;
            subject.finish().await;
        }
    };
    (@shared $open:expr, $test:ident, $case:ident) => {
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn $test() {
            use $crate::storage::contract as contract;
            let clock = contract::test_clock();
            let Some(subject) = ($open)(
                $crate::storage::testing::fresh_namespace(),
                clock.clone(),
            ).await else { return };
            contract::$case(subject.storage.clone(), &clock).await;
            subject.finish().await;
        }
    };
}
