//! `GET /health/ready` follows the storage and the user server: 503 naming the check
//! that fails, 200 again once it recovers. The real app in this process, with a
//! storage whose faults are switched on and off.

use std::sync::Arc;

use mock_backend::MockBackend;
use serde_json::Value;
use tiauth_faroe::app::{self, App, Overrides};
use tiauth_faroe::config::{Config, PwnedPasswordsMode};
use tiauth_faroe::fault_storage::{FaultyStorage, StorageOp};
use tiauth_faroe::storage::StorageError;
use tokio::net::TcpListener;
use tokio::sync::oneshot;

use crate::common::running::temp_dir;
use crate::support::{get, user_server};

/// Status and the parsed body of the readiness route.
async fn ready(admin: &str) -> (u16, Value) {
    let (status, body) = get(admin, "/health/ready").await;
    (status, serde_json::from_str(&body).expect("JSON body"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readiness_names_the_failed_check_and_recovers() {
    let backend = user_server().await;
    let user_server_addr = backend.addr();
    let dir = temp_dir();
    let config = Config {
        host: [127, 0, 0, 1].into(),
        port: 0,
        private_host: "127.0.0.2".to_owned(),
        private_port: user_server_addr.port(),
        admin_addr: Some("127.0.0.1:0".parse().expect("address")),
        db_path: dir.path().join("db.sqlite"),
        pwned_passwords: PwnedPasswordsMode::Off,
        hashing_concurrency: 1,
        ..Config::default()
    };
    let storage = Arc::new(FaultyStorage::new());
    let app = App::build(
        &config,
        Overrides {
            storage: Some(storage.clone()),
            ..Overrides::default()
        },
    )
    .await
    .expect("the app builds");
    let public = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let public_addr = public.local_addr().expect("address").to_string();
    let admin_listener = app::bind_admin(&config)
        .await
        .expect("bind")
        .expect("an admin listener");
    let admin = admin_listener.local_addr().expect("address").to_string();
    let (stop, stopped) = oneshot::channel::<()>();
    let served = tokio::spawn(app.serve_with_admin(public, Some(admin_listener), async {
        let _ = stopped.await;
    }));

    let healthy = serde_json::json!({ "status": "ready" });
    assert_eq!(ready(&admin).await, (200, healthy.clone()));
    // Readiness writes nothing and calls no user action.
    for op in [StorageOp::Add, StorageOp::Update, StorageOp::Delete] {
        assert_eq!(storage.calls(op), 0, "{op:?}");
    }
    assert!(backend.calls().is_empty(), "{:?}", backend.calls());

    backend.shutdown().await.expect("the user server stops");
    let (status, body) = ready(&admin).await;
    assert_eq!(status, 503);
    assert_eq!(body["failed"], serde_json::json!(["user_server"]), "{body}");
    assert_eq!(get(&admin, "/health/live").await.0, 200);

    let backend = MockBackend::start(user_server_addr)
        .await
        .expect("the user server starts again on its port");
    assert_eq!(ready(&admin).await, (200, healthy.clone()));

    storage.fail(
        StorageOp::Get,
        "",
        0,
        StorageError::Failure("the engine is down".into()),
    );
    let (status, body) = ready(&admin).await;
    assert_eq!(status, 503);
    assert_eq!(body["failed"], serde_json::json!(["storage"]), "{body}");

    storage.clear_faults();
    assert_eq!(ready(&admin).await, (200, healthy));
    assert_eq!(get(&public_addr, "/health/ready").await.0, 404);

    let _ = stop.send(());
    served.await.expect("joined").expect("served");
    drop(backend);
}
