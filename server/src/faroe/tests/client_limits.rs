//! Per-client rate limits (difference 25): one client's guesses no longer lock the
//! user out for everyone, spraying is capped per client, and a backstop per user caps
//! attacks spread over many clients.

use std::time::Duration;

use serde_json::json;

use super::*;
use crate::faroe::client_limits::{with_client, ClientLimits};
use crate::faroe::rate_limit::Limit;
use crate::faroe::testing::PASSWORD;

fn limit(capacity: u32) -> Limit {
    Limit {
        capacity,
        refill_every: Duration::from_secs(60),
    }
}

fn harness(limits: ClientLimits) -> Harness {
    let mut h = Harness::new();
    h.faroe.client_limits = Some(limits);
    h
}

/// One password attempt for `email_address` from `client`: "ok" or the error code.
async fn attempt(h: &Harness, client: &str, email_address: &str, password: &str) -> String {
    with_client(Some(client.to_owned()), async {
        let created = h
            .invoke(
                "create_signin",
                json!({ "user_email_address": email_address }),
            )
            .await;
        let Some(signin_token) = created["values"]["signin_token"].as_str() else {
            return created["error_code"].as_str().unwrap_or("?").to_owned();
        };
        let answer = h
            .invoke(
                "verify_signin_user_password",
                json!({ "signin_token": signin_token, "password": password }),
            )
            .await;
        answer["error_code"].as_str().unwrap_or("ok").to_owned()
    })
    .await
}

async fn new_signin(h: &Harness, email_address: &str) -> String {
    let created = h
        .ok(
            "create_signin",
            json!({ "user_email_address": email_address }),
        )
        .await;
    token(&created, "signin_token")
}

#[tokio::test]
async fn one_clients_guesses_do_not_spend_another_clients_attempts() {
    let h = harness(ClientLimits::default());
    h.add_user("x@example.com", PASSWORD).await;
    for _ in 0..5 {
        assert_eq!(
            attempt(&h, "10.0.0.1", "x@example.com", "wrong password!").await,
            "incorrect_password"
        );
    }
    assert_eq!(
        attempt(&h, "10.0.0.1", "x@example.com", PASSWORD).await,
        "rate_limited"
    );
    assert_eq!(
        attempt(&h, "10.0.0.2", "x@example.com", PASSWORD).await,
        "ok"
    );
}

#[tokio::test]
async fn without_a_client_the_protocols_bucket_applies() {
    let h = harness(ClientLimits::default());
    h.add_user("x@example.com", PASSWORD).await;
    for _ in 0..5 {
        let token = new_signin(&h, "x@example.com").await;
        assert_eq!(
            h.error(
                "verify_signin_user_password",
                json!({ "signin_token": token, "password": "wrong password!" })
            )
            .await,
            "incorrect_password"
        );
    }
    // The layer is on but this request has no client: one bucket for everybody.
    let token = new_signin(&h, "x@example.com").await;
    assert_eq!(
        h.error(
            "verify_signin_user_password",
            json!({ "signin_token": token, "password": PASSWORD })
        )
        .await,
        "rate_limited"
    );
}

#[tokio::test]
async fn a_client_spraying_many_users_is_refused_past_its_capacity() {
    let h = harness(ClientLimits {
        attempts_per_client: limit(3),
        ..ClientLimits::default()
    });
    for n in 0..4 {
        h.add_user(&format!("user{n}@example.com"), PASSWORD).await;
    }
    for n in 0..3 {
        let address = format!("user{n}@example.com");
        assert_eq!(
            attempt(&h, "10.0.0.1", &address, "wrong password!").await,
            "incorrect_password"
        );
    }
    assert_eq!(
        attempt(&h, "10.0.0.1", "user3@example.com", "wrong password!").await,
        "rate_limited"
    );
    // Another client is not affected.
    assert_eq!(
        attempt(&h, "10.0.0.2", "user3@example.com", PASSWORD).await,
        "ok"
    );
}

#[tokio::test]
async fn the_backstop_refuses_attacks_spread_over_many_clients() {
    let h = harness(ClientLimits {
        attempts_per_subject: limit(4),
        ..ClientLimits::default()
    });
    h.add_user("x@example.com", PASSWORD).await;
    for n in 0..4 {
        assert_eq!(
            attempt(
                &h,
                &format!("10.0.1.{n}"),
                "x@example.com",
                "wrong password!"
            )
            .await,
            "incorrect_password"
        );
    }
    assert_eq!(
        attempt(&h, "10.0.1.9", "x@example.com", PASSWORD).await,
        "rate_limited"
    );
    // A minute later one token is back.
    h.advance(MINUTE);
    assert_eq!(
        attempt(&h, "10.0.1.9", "x@example.com", PASSWORD).await,
        "ok"
    );
}

#[tokio::test]
async fn flow_creations_are_limited_per_client() {
    let h = harness(ClientLimits {
        creations_per_client: limit(2),
        ..ClientLimits::default()
    });
    let create = |client: &'static str| {
        with_client(
            Some(client.to_owned()),
            h.invoke(
                "create_signup",
                json!({ "email_address": format!("{client}@example.com") }),
            ),
        )
    };
    for _ in 0..2 {
        assert_eq!(create("a").await["ok"], json!(true));
    }
    assert_eq!(create("a").await["error_code"], json!("rate_limited"));
    assert_eq!(create("b").await["ok"], json!(true));
}
