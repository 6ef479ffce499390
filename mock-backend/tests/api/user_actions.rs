//! The seven user actions: success and error paths.

use serde_json::{json, Value};

use crate::helpers::{
    assert_action_error, assert_action_ok, assert_error, spawn, TestBackend, HASH_B64, SALT_B64,
};

async fn update_email(
    backend: &TestBackend,
    user_id: &str,
    email: &str,
    counter: Value,
) -> crate::helpers::Answer {
    backend
        .invoke(
            "update_user_email_address",
            json!({"user_id": user_id, "email_address": email, "user_email_address_counter": counter}),
        )
        .await
}

async fn update_hash(
    backend: &TestBackend,
    user_id: &str,
    counter: Value,
) -> crate::helpers::Answer {
    backend
        .invoke(
            "update_user_password_hash",
            json!({"user_id": user_id, "password_hash": "bmV3LWhhc2g=",
                   "password_hash_algorithm_id": "argon2id-v2", "password_salt": "bmV3LXNhbHQ=",
                   "user_password_hash_counter": counter}),
        )
        .await
}

async fn increment_sessions(
    backend: &TestBackend,
    user_id: &str,
    counter: Value,
) -> crate::helpers::Answer {
    backend
        .invoke(
            "increment_user_sessions_counter",
            json!({"user_id": user_id, "user_sessions_counter": counter}),
        )
        .await
}

#[tokio::test]
async fn create_user_returns_the_full_model_in_order() {
    let backend = spawn().await;
    let answer = backend
        .invoke(
            "create_user",
            json!({"email_address": "Alice@Example.com", "password_hash": HASH_B64,
                   "password_hash_algorithm_id": "argon2id", "password_salt": SALT_B64}),
        )
        .await;
    let values = assert_action_ok(&answer);
    let user = values["user"].as_object().expect("user object");
    let keys: Vec<&str> = user.keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        [
            "id",
            "email_address",
            "password_hash",
            "password_hash_algorithm_id",
            "password_salt",
            "disabled",
            "display_name",
            "email_address_counter",
            "password_hash_counter",
            "disabled_counter",
            "sessions_counter"
        ]
    );
    assert_eq!(
        values["user"],
        json!({"id": "1_Alice", "email_address": "Alice@Example.com", "password_hash": HASH_B64,
               "password_hash_algorithm_id": "argon2id", "password_salt": SALT_B64,
               "disabled": false, "display_name": "", "email_address_counter": 0,
               "password_hash_counter": 0, "disabled_counter": 0, "sessions_counter": 0})
    );
}

#[tokio::test]
async fn invocation_ids_differ_between_calls() {
    let backend = spawn().await;
    backend.create_user("a@b.c").await;
    let first = backend.get_user("1_a").await;
    let second = backend.get_user("1_a").await;
    assert_ne!(
        first.json["action_invocation_id"],
        second.json["action_invocation_id"]
    );
}

#[tokio::test]
async fn create_user_with_a_used_email_is_refused() {
    let backend = spawn().await;
    backend.create_user("alice@example.com").await;
    let answer = backend
        .invoke(
            "create_user",
            json!({"email_address": "alice@example.com", "password_hash": HASH_B64,
                   "password_hash_algorithm_id": "argon2id", "password_salt": SALT_B64}),
        )
        .await;
    assert_action_error(&answer, "email_address_already_used");
    // Addresses are compared byte for byte: another case is another address.
    let other = backend.create_user("ALICE@example.com").await;
    assert_eq!(other["id"], json!("1_ALICE"));
    // The refused create consumed no id number.
    let next = backend.create_user("alice@other.org").await;
    assert_eq!(next["id"], json!("2_alice"));
    assert_eq!(backend.users().await.len(), 3);
}

#[tokio::test]
async fn get_user_and_get_user_by_email_address() {
    let backend = spawn().await;
    let created = backend.create_user("bob@example.com").await;
    assert_eq!(
        assert_action_ok(&backend.get_user("1_bob").await)["user"],
        created
    );
    let by_email = backend
        .invoke(
            "get_user_by_email_address",
            json!({"email_address": "bob@example.com"}),
        )
        .await;
    assert_eq!(assert_action_ok(&by_email)["user"], created);
    assert_action_error(&backend.get_user("2_bob").await, "user_not_found");
    let other_case = backend
        .invoke(
            "get_user_by_email_address",
            json!({"email_address": "Bob@example.com"}),
        )
        .await;
    assert_action_error(&other_case, "user_not_found");
}

#[tokio::test]
async fn update_user_email_address_moves_the_counter_only_on_a_match() {
    let backend = spawn().await;
    backend.create_user("carol@example.com").await;
    let values =
        assert_action_ok(&update_email(&backend, "1_carol", "carol@new.org", json!(0)).await);
    assert_eq!(values, json!({}));
    let user = assert_action_ok(&backend.get_user("1_carol").await)["user"].clone();
    assert_eq!(user["email_address"], json!("carol@new.org"));
    assert_eq!(user["email_address_counter"], json!(1));
    // A stale counter and an unknown user both answer user_not_found and change nothing.
    assert_action_error(
        &update_email(&backend, "1_carol", "carol@third.org", json!(0)).await,
        "user_not_found",
    );
    assert_action_error(
        &update_email(&backend, "9_carol", "carol@third.org", json!(0)).await,
        "user_not_found",
    );
    let unchanged = assert_action_ok(&backend.get_user("1_carol").await)["user"].clone();
    assert_eq!(unchanged, user);
}

#[tokio::test]
async fn update_user_email_address_to_a_used_address_is_refused() {
    let backend = spawn().await;
    backend.create_user("dave@example.com").await;
    backend.create_user("erin@example.com").await;
    assert_action_error(
        &update_email(&backend, "1_dave", "erin@example.com", json!(0)).await,
        "email_address_already_used",
    );
    let dave = assert_action_ok(&backend.get_user("1_dave").await)["user"].clone();
    assert_eq!(dave["email_address"], json!("dave@example.com"));
    assert_eq!(dave["email_address_counter"], json!(0));
    // A stale counter wins over the conflict, as the reference server's UPDATE does.
    assert_action_error(
        &update_email(&backend, "1_dave", "erin@example.com", json!(5)).await,
        "user_not_found",
    );
    // Setting one's own address again is not a conflict.
    assert_action_ok(&update_email(&backend, "1_dave", "dave@example.com", json!(0)).await);
}

#[tokio::test]
async fn update_user_password_hash_moves_the_password_counter() {
    let backend = spawn().await;
    backend.create_user("frank@example.com").await;
    assert_eq!(
        assert_action_ok(&update_hash(&backend, "1_frank", json!(0)).await),
        json!({})
    );
    let user = assert_action_ok(&backend.get_user("1_frank").await)["user"].clone();
    assert_eq!(user["password_hash"], json!("bmV3LWhhc2g="));
    assert_eq!(user["password_salt"], json!("bmV3LXNhbHQ="));
    assert_eq!(user["password_hash_algorithm_id"], json!("argon2id-v2"));
    assert_eq!(user["password_hash_counter"], json!(1));
    assert_eq!(user["email_address_counter"], json!(0));
    assert_action_error(
        &update_hash(&backend, "1_frank", json!(0)).await,
        "user_not_found",
    );
    assert_action_error(
        &update_hash(&backend, "1_nobody", json!(0)).await,
        "user_not_found",
    );
    assert_action_ok(&update_hash(&backend, "1_frank", json!(1)).await);
}

#[tokio::test]
async fn increment_user_sessions_counter_only_on_a_match() {
    let backend = spawn().await;
    backend.create_user("grace@example.com").await;
    assert_eq!(
        assert_action_ok(&increment_sessions(&backend, "1_grace", json!(0)).await),
        json!({})
    );
    assert_action_ok(&increment_sessions(&backend, "1_grace", json!(1)).await);
    assert_action_error(
        &increment_sessions(&backend, "1_grace", json!(1)).await,
        "user_not_found",
    );
    assert_action_error(
        &increment_sessions(&backend, "1_grace", json!(-1)).await,
        "user_not_found",
    );
    assert_action_error(
        &increment_sessions(&backend, "1_grace", json!(u64::MAX)).await,
        "user_not_found",
    );
    assert_action_error(
        &increment_sessions(&backend, "2_grace", json!(0)).await,
        "user_not_found",
    );
    let user = assert_action_ok(&backend.get_user("1_grace").await)["user"].clone();
    assert_eq!(user["sessions_counter"], json!(2));
}

#[tokio::test]
async fn delete_user_removes_the_user_once() {
    let backend = spawn().await;
    backend.create_user("heidi@example.com").await;
    let values = assert_action_ok(
        &backend
            .invoke("delete_user", json!({"user_id": "1_heidi"}))
            .await,
    );
    assert_eq!(values, json!({}));
    assert_action_error(&backend.get_user("1_heidi").await, "user_not_found");
    assert_action_error(
        &backend
            .invoke("delete_user", json!({"user_id": "1_heidi"}))
            .await,
        "user_not_found",
    );
}

#[tokio::test]
async fn deleted_ids_are_never_reused() {
    let backend = spawn().await;
    let first = backend.create_user("alice@example.com").await;
    assert_eq!(first["id"], json!("1_alice"));
    assert_action_ok(
        &backend
            .invoke("delete_user", json!({"user_id": "1_alice"}))
            .await,
    );
    let second = backend.create_user("alice@example.com").await;
    assert_eq!(second["id"], json!("2_alice"));
    // Numbering is per exact local part; LIKE wildcards and case play no part.
    assert_eq!(
        backend.create_user("malice@example.com").await["id"],
        json!("1_malice")
    );
    assert_eq!(
        backend.create_user("al_ce@example.com").await["id"],
        json!("1_al_ce")
    );
    assert_eq!(
        backend.create_user("o'brien@example.com").await["id"],
        json!("1_o'brien")
    );
    assert_eq!(
        backend.create_user("alice@third.org").await["id"],
        json!("3_alice")
    );
}

#[tokio::test]
async fn base64_arguments_must_be_strict_standard_base64() {
    let backend = spawn().await;
    for bad in [
        "aGFzaA",
        "aGFz aA==",
        "aGFzaA=",
        "aGFzaA===",
        "a-_z",
        "aGFzaA==\n",
        "@@@@",
        "aGFzaA==aGFz",
    ] {
        let answer = backend
            .invoke(
                "create_user",
                json!({"email_address": "ivan@example.com", "password_hash": bad,
                       "password_hash_algorithm_id": "argon2id", "password_salt": SALT_B64}),
            )
            .await;
        assert_error(&answer, 400, "Invalid or missing 'password_hash' field");
        let answer = backend
            .invoke(
                "create_user",
                json!({"email_address": "ivan@example.com", "password_hash": HASH_B64,
                       "password_hash_algorithm_id": "argon2id", "password_salt": bad}),
            )
            .await;
        assert_error(&answer, 400, "Invalid or missing 'password_salt' field");
    }
    backend.create_user("judy@example.com").await;
    let answer = backend
        .invoke(
            "update_user_password_hash",
            json!({"user_id": "1_judy", "password_hash": "aGFzaA", "password_hash_algorithm_id": "x",
                   "password_salt": SALT_B64, "user_password_hash_counter": 0}),
        )
        .await;
    assert_error(&answer, 400, "Invalid or missing 'password_hash' field");
    let users = backend.users().await;
    assert_eq!(users.len(), 1);
    assert_eq!(users[0]["password_hash_counter"], json!(0));
    // Empty bytes are valid base64.
    let empty = backend
        .invoke(
            "create_user",
            json!({"email_address": "kim@example.com", "password_hash": "",
                   "password_hash_algorithm_id": "argon2id", "password_salt": ""}),
        )
        .await;
    assert_eq!(assert_action_ok(&empty)["user"]["password_hash"], json!(""));
}

#[tokio::test]
async fn booleans_and_other_non_integers_are_not_counters() {
    let backend = spawn().await;
    backend.create_user("leo@example.com").await;
    for bad in [
        json!(true),
        json!(false),
        json!(0.0),
        json!("0"),
        json!(null),
        json!([0]),
    ] {
        assert_error(
            &increment_sessions(&backend, "1_leo", bad.clone()).await,
            400,
            "Invalid or missing 'user_sessions_counter' field",
        );
        assert_error(
            &update_email(&backend, "1_leo", "leo@new.org", bad.clone()).await,
            400,
            "Invalid or missing 'user_email_address_counter' field",
        );
        assert_error(
            &update_hash(&backend, "1_leo", bad).await,
            400,
            "Invalid or missing 'user_password_hash_counter' field",
        );
    }
    let user = &backend.users().await[0];
    assert_eq!(user["sessions_counter"], json!(0));
    assert_eq!(user["email_address"], json!("leo@example.com"));
}

#[tokio::test]
async fn missing_or_mistyped_arguments_are_named() {
    let backend = spawn().await;
    let cases = [
        ("create_user", json!({}), "email_address"),
        (
            "create_user",
            json!({"email_address": "a@b.c"}),
            "password_hash",
        ),
        (
            "create_user",
            json!({"email_address": "a@b.c", "password_hash": HASH_B64}),
            "password_hash_algorithm_id",
        ),
        (
            "create_user",
            json!({"email_address": "a@b.c", "password_hash": HASH_B64, "password_hash_algorithm_id": "x"}),
            "password_salt",
        ),
        ("get_user", json!({"user_id": 1}), "user_id"),
        ("get_user_by_email_address", json!({}), "email_address"),
        (
            "update_user_email_address",
            json!({"user_id": "1_a"}),
            "email_address",
        ),
        (
            "update_user_email_address",
            json!({"user_id": "1_a", "email_address": "a@b.c"}),
            "user_email_address_counter",
        ),
        (
            "update_user_password_hash",
            json!({"user_id": null}),
            "user_id",
        ),
        (
            "update_user_password_hash",
            json!({"user_id": "1_a", "password_hash": HASH_B64, "password_hash_algorithm_id": "x", "password_salt": SALT_B64}),
            "user_password_hash_counter",
        ),
        (
            "increment_user_sessions_counter",
            json!({"user_id": "1_a"}),
            "user_sessions_counter",
        ),
        ("delete_user", json!({"user_id": ["1_a"]}), "user_id"),
    ];
    for (action, arguments, name) in cases {
        assert_error(
            &backend.invoke(action, arguments).await,
            400,
            &format!("Invalid or missing '{name}' field"),
        );
    }
}

#[tokio::test]
async fn every_invocation_is_journaled_in_arrival_order() {
    let backend = spawn().await;
    backend.create_user("mia@example.com").await;
    backend.get_user("1_mia").await;
    backend.invoke("no_such_action", json!({"x": 1})).await;
    let answer = backend.command(json!({"command": "get_calls"})).await;
    assert_eq!(answer.status, 200);
    assert_eq!(
        answer.json,
        json!({"calls": [
            {"action": "create_user", "arguments": {"email_address": "mia@example.com",
                "password_hash": HASH_B64, "password_hash_algorithm_id": "argon2id",
                "password_salt": SALT_B64}},
            {"action": "get_user", "arguments": {"user_id": "1_mia"}},
            {"action": "no_such_action", "arguments": {"x": 1}},
        ]})
    );
}
