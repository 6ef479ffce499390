//! The behaviour every storage engine must show; each engine's tests run it.

use super::{Storage, StorageError};
use crate::faroe::clock::Timestamp;

pub(crate) async fn run(storage: &dyn Storage) {
    let later = Timestamp::from_unix_seconds(2_000);
    assert_eq!(storage.get("k").await, Err(StorageError::NotFound));

    storage.add("k", b"one", later).await.expect("add");
    let entry = storage.get("k").await.expect("get");
    assert_eq!((entry.value.as_slice(), entry.counter), (&b"one"[..], 0));
    assert_eq!(
        storage.add("k", b"two", later).await,
        Err(StorageError::AlreadyExists)
    );
    assert_eq!(storage.get("k").await.expect("get").value, b"one");

    // Update only with the current counter; each update moves the counter by one.
    assert_eq!(
        storage.update("k", b"two", later, 1).await,
        Err(StorageError::NotFound)
    );
    storage.update("k", b"two", later, 0).await.expect("update");
    let entry = storage.get("k").await.expect("get");
    assert_eq!((entry.value.as_slice(), entry.counter), (&b"two"[..], 1));
    assert_eq!(
        storage.update("k", b"three", later, 0).await,
        Err(StorageError::NotFound)
    );
    assert_eq!(
        storage.update("absent", b"x", later, 0).await,
        Err(StorageError::NotFound)
    );

    // Binary values and unusual keys survive unchanged.
    let binary: Vec<u8> = (0..=255).collect();
    storage
        .add("aaah.' OR 1=1; --", &binary, later)
        .await
        .expect("add binary");
    assert_eq!(
        storage.get("aaah.' OR 1=1; --").await.expect("get").value,
        binary
    );

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

    // Expiry is only a hint for purging: reads still return expired entries.
    let earlier = Timestamp::from_unix_seconds(1_000);
    storage.add("old", b"x", earlier).await.expect("add old");
    storage.add("new", b"y", later).await.expect("add new");
    assert!(storage.get("old").await.is_ok());
    let purged = storage
        .purge_expired(Timestamp::from_unix_seconds(1_500))
        .await
        .expect("purge");
    assert_eq!(purged, 1);
    assert_eq!(storage.get("old").await, Err(StorageError::NotFound));
    assert!(storage.get("new").await.is_ok());

    storage.clear().await.expect("clear");
    assert_eq!(storage.get("new").await, Err(StorageError::NotFound));
    assert_eq!(
        storage.get("aaah.' OR 1=1; --").await,
        Err(StorageError::NotFound)
    );
}
