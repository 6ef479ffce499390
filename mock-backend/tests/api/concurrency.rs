//! Parallel calls lose no update and never fail with a 500.

use std::collections::HashSet;
use std::sync::Arc;

use serde_json::{json, Value};

use crate::helpers::{spawn, HASH_B64, SALT_B64};

const TASKS: usize = 50;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn parallel_compare_and_swap_increments_lose_no_update() {
    let backend = Arc::new(spawn().await);
    backend.create_user("race@example.com").await;
    let mut tasks = Vec::new();
    for _ in 0..TASKS {
        let backend = Arc::clone(&backend);
        tasks.push(tokio::spawn(async move {
            let mut refusals = 0u32;
            loop {
                let user = backend.get_user("1_race").await;
                assert_eq!(user.status, 200, "{}", user.text);
                let counter = user.json["values"]["user"]["sessions_counter"].clone();
                let answer = backend
                    .invoke(
                        "increment_user_sessions_counter",
                        json!({"user_id": "1_race", "user_sessions_counter": counter}),
                    )
                    .await;
                assert_eq!(answer.status, 200, "{}", answer.text);
                if answer.json["ok"] == json!(true) {
                    return refusals;
                }
                assert_eq!(answer.json["error_code"], json!("user_not_found"));
                refusals += 1;
            }
        }));
    }
    for task in tasks {
        task.await.expect("task finished");
    }
    let users = backend.users().await;
    assert_eq!(users[0]["sessions_counter"], json!(TASKS));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn parallel_increments_with_distinct_expected_counters_apply_at_most_once_each() {
    let backend = Arc::new(spawn().await);
    backend.create_user("dist@example.com").await;
    let mut tasks = Vec::new();
    for expected in 0..TASKS {
        let backend = Arc::clone(&backend);
        tasks.push(tokio::spawn(async move {
            let answer = backend
                .invoke(
                    "increment_user_sessions_counter",
                    json!({"user_id": "1_dist", "user_sessions_counter": expected}),
                )
                .await;
            assert_eq!(answer.status, 200, "{}", answer.text);
            answer.json["ok"] == json!(true)
        }));
    }
    let mut successes = 0;
    for task in tasks {
        if task.await.expect("task finished") {
            successes += 1;
        }
    }
    // Each success moved the counter by exactly one; none was lost.
    let users = backend.users().await;
    assert_eq!(users[0]["sessions_counter"], json!(successes));
    assert!(successes >= 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn parallel_creates_get_distinct_ids_and_one_winner_per_address() {
    let backend = Arc::new(spawn().await);
    let mut tasks = Vec::new();
    for index in 0..TASKS {
        let backend = Arc::clone(&backend);
        tasks.push(tokio::spawn(async move {
            // Half the tasks race for one address; the rest use addresses of their own.
            let email = if index % 2 == 0 {
                "same@example.com".to_owned()
            } else {
                format!("same@host{index}.org")
            };
            let answer = backend
                .invoke(
                    "create_user",
                    json!({"email_address": email, "password_hash": HASH_B64,
                           "password_hash_algorithm_id": "argon2id", "password_salt": SALT_B64}),
                )
                .await;
            assert_eq!(answer.status, 200, "{}", answer.text);
            answer.json
        }));
    }
    let mut created = Vec::new();
    let mut refused = 0;
    for task in tasks {
        let body: Value = task.await.expect("task finished");
        if body["ok"] == json!(true) {
            created.push(
                body["values"]["user"]["id"]
                    .as_str()
                    .expect("id")
                    .to_owned(),
            );
        } else {
            assert_eq!(body["error_code"], json!("email_address_already_used"));
            refused += 1;
        }
    }
    assert_eq!(created.len(), TASKS / 2 + 1);
    assert_eq!(refused, TASKS / 2 - 1);
    let distinct: HashSet<&String> = created.iter().collect();
    assert_eq!(distinct.len(), created.len());
    let expected: HashSet<String> = (1..=created.len()).map(|n| format!("{n}_same")).collect();
    assert_eq!(created.into_iter().collect::<HashSet<_>>(), expected);
    assert_eq!(backend.users().await.len(), TASKS / 2 + 1);
}
