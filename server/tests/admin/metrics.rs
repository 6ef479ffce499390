//! The counters after a signup, a signin, a failed and a rate-limited password attempt;
//! bounded series under random action names; the public port's 404 for admin routes.

use prometheus_parse::Scrape;
use serde_json::json;

use crate::common::running::temp_dir;
use crate::support::{client, get, invoke, scrape, series, start, user_server, value};

const EMAIL: &str = "ann@example.com";
const PASSWORD: &str = "correct horse battery staple";

/// `after - before` of one series.
fn moved(before: &Scrape, after: &Scrape, name: &str, labels: &[(&str, &str)]) -> f64 {
    value(after, name, labels) - value(before, name, labels)
}

fn action(name: &'static str, outcome: &'static str) -> [(&'static str, &'static str); 2] {
    [("action", name), ("outcome", outcome)]
}

/// One expected move: the series (`name` with `labels`) and by how much.
type Move<'a> = (&'a str, &'a [(&'a str, &'a str)], f64);

/// Every series in `moves` moved by exactly its amount between the scrapes.
fn assert_moves(before: &Scrape, after: &Scrape, moves: &[Move<'_>]) {
    for (name, labels, amount) in moves {
        let actual = moved(before, after, name, labels);
        assert_eq!(actual, *amount, "{name} {labels:?}");
    }
}

/// Each of `names` ran once between the scrapes, successfully.
fn each_ran_once(before: &Scrape, after: &Scrape, names: &[&'static str]) {
    for &name in names {
        assert_moves(
            before,
            after,
            &[
                ("tiauth_actions_total", &action(name, "ok"), 1.0),
                ("tiauth_action_duration_seconds", &[("action", name)], 1.0),
            ],
        );
    }
}

fn signin_token(answer: &serde_json::Value) -> String {
    answer["values"]["signin_token"]
        .as_str()
        .expect("signin token")
        .to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn counters_move_by_exactly_the_expected_amounts() {
    let backend = user_server().await;
    let dir = temp_dir();
    let server = start(dir.path(), backend.addr().port(), &[]);
    let (public, admin) = (server.public.as_str(), server.admin.as_str());
    let version = [("version", env!("CARGO_PKG_VERSION"))];
    assert_eq!(
        value(&scrape(admin).await, "tiauth_build_info", &version),
        1.0
    );
    let hashed: &[(&str, &str)] = &[("purpose", "user_password")];

    // A signup: four actions, one e-mail, one hash, one user created, one session.
    let before = scrape(admin).await;
    let answer = invoke(public, "create_signup", json!({ "email_address": EMAIL })).await;
    let signup_token = answer["values"]["signup_token"].as_str().expect("token");
    let code = backend
        .take_token("signup_verification", EMAIL)
        .expect("the code was e-mailed");
    let steps = [
        (
            "verify_signup_email_address_verification_code",
            json!({ "signup_token": signup_token, "email_address_verification_code": code }),
        ),
        (
            "set_signup_password",
            json!({ "signup_token": signup_token, "password": PASSWORD }),
        ),
        ("complete_signup", json!({ "signup_token": signup_token })),
    ];
    for (name, arguments) in steps {
        let answer = invoke(public, name, arguments).await;
        assert_eq!(answer["ok"], true, "{name}: {answer}");
    }
    let after = scrape(admin).await;
    each_ran_once(
        &before,
        &after,
        &[
            "create_signup",
            "verify_signup_email_address_verification_code",
            "set_signup_password",
            "complete_signup",
        ],
    );
    assert_moves(
        &before,
        &after,
        &[
            (
                "tiauth_http_requests_total",
                &[("route", "action"), ("status", "200")],
                4.0,
            ),
            ("tiauth_sessions_created_total", &[], 1.0),
            (
                "tiauth_email_deliveries_total",
                &[("type", "signup_verification"), ("result", "ok")],
                1.0,
            ),
            (
                "tiauth_user_server_calls_total",
                &[("user_action", "create_user"), ("result", "ok")],
                1.0,
            ),
            ("tiauth_hash_duration_seconds", hashed, 1.0),
            ("tiauth_hashing_queue_wait_seconds", hashed, 1.0),
        ],
    );
    assert_eq!(value(&after, "tiauth_hashing_in_flight", hashed), 0.0);

    // A signin: three actions, one hash, one session.
    let before = after;
    let token = signin_token(
        &invoke(
            public,
            "create_signin",
            json!({ "user_email_address": EMAIL }),
        )
        .await,
    );
    let answer = invoke(
        public,
        "verify_signin_user_password",
        json!({ "signin_token": token, "password": PASSWORD }),
    )
    .await;
    assert_eq!(answer["ok"], true, "{answer}");
    let answer = invoke(public, "complete_signin", json!({ "signin_token": token })).await;
    assert_eq!(answer["ok"], true, "{answer}");
    let after = scrape(admin).await;
    each_ran_once(
        &before,
        &after,
        &[
            "create_signin",
            "verify_signin_user_password",
            "complete_signin",
        ],
    );
    assert_moves(
        &before,
        &after,
        &[
            ("tiauth_sessions_created_total", &[], 1.0),
            ("tiauth_hash_duration_seconds", hashed, 1.0),
        ],
    );

    // A failed password attempt: one incorrect_password, one hash, no refusal.
    let before = after;
    let token = signin_token(
        &invoke(
            public,
            "create_signin",
            json!({ "user_email_address": EMAIL }),
        )
        .await,
    );
    let wrong = json!({ "signin_token": token, "password": "not the password at all" });
    let answer = invoke(public, "verify_signin_user_password", wrong.clone()).await;
    assert_eq!(answer["error_code"], "incorrect_password", "{answer}");
    let after = scrape(admin).await;
    let incorrect = action("verify_signin_user_password", "incorrect_password");
    assert_moves(
        &before,
        &after,
        &[
            ("tiauth_actions_total", &incorrect, 1.0),
            ("tiauth_hash_duration_seconds", hashed, 1.0),
            ("tiauth_rate_limit_refusals_total", &[], 0.0),
        ],
    );

    // The bucket holds 5 attempts: the signin and the failure above took two, three
    // more failures empty it, and the next attempt is refused without hashing.
    for _ in 0..3 {
        let answer = invoke(public, "verify_signin_user_password", wrong.clone()).await;
        assert_eq!(answer["error_code"], "incorrect_password", "{answer}");
    }
    let before = scrape(admin).await;
    let answer = invoke(public, "verify_signin_user_password", wrong).await;
    assert_eq!(answer["error_code"], "rate_limited", "{answer}");
    let after = scrape(admin).await;
    assert_moves(
        &before,
        &after,
        &[
            (
                "tiauth_actions_total",
                &action("verify_signin_user_password", "rate_limited"),
                1.0,
            ),
            ("tiauth_actions_total", &incorrect, 0.0),
            (
                "tiauth_rate_limit_refusals_total",
                &[("bucket", "user_password")],
                1.0,
            ),
            ("tiauth_rate_limit_refusals_total", &[], 1.0),
            ("tiauth_hash_duration_seconds", hashed, 0.0),
        ],
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn random_action_names_do_not_grow_the_series() {
    let backend = user_server().await;
    let dir = temp_dir();
    let server = start(dir.path(), backend.addr().port(), &[]);
    let (public, admin) = (server.public.as_str(), server.admin.as_str());
    let http = client();
    let send_random = |count: usize| {
        let http = http.clone();
        async move {
            for _ in 0..count {
                let name = format!("no_such_action_{:016x}", rand::random::<u64>());
                let response = http
                    .post(format!("http://{public}/"))
                    .json(&json!({ "action": name, "arguments": {} }))
                    .send()
                    .await
                    .expect("request");
                assert_eq!(response.status(), 400);
            }
        }
    };
    // The first unknown name creates the shared series; later ones only count.
    send_random(10).await;
    let before = scrape(admin).await;
    send_random(1_000).await;
    let after = scrape(admin).await;
    assert_eq!(series(&after), series(&before));
    assert_moves(
        &before,
        &after,
        &[
            (
                "tiauth_actions_total",
                &[("action", "unknown"), ("outcome", "rejected")],
                1_000.0,
            ),
            (
                "tiauth_http_rejected_bodies_total",
                &[("status", "400")],
                1_000.0,
            ),
        ],
    );
    let exposition = get(admin, "/metrics").await.1;
    assert!(
        !exposition.contains("no_such_action_"),
        "an action name became a label"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_public_port_never_serves_admin_routes_nor_the_admin_port_actions() {
    let backend = user_server().await;
    let dir = temp_dir();
    let server = start(dir.path(), backend.addr().port(), &[]);
    for path in ["/metrics", "/health/live", "/health/ready"] {
        assert_eq!(get(&server.public, path).await.0, 404, "{path}");
    }
    assert_eq!(
        get(&server.admin, "/health/live").await,
        (200, r#"{"status":"live"}"#.to_owned())
    );
    assert_eq!(get(&server.admin, "/alive").await.0, 404);
    let action = client()
        .post(format!("http://{}/", server.admin))
        .json(&json!({ "action": "get_session", "arguments": { "session_token": "x" } }))
        .send()
        .await
        .expect("request");
    assert_eq!(action.status(), 404);
}
