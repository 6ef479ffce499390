//! E-mailed verification codes are never stored in the clear (difference 28), yet a
//! resend still e-mails the very same code.

use serde_json::json;

use super::*;
use crate::storage::Storage as _;

/// The raw stored bytes of every record whose key starts with `prefix`.
async fn stored_bytes(h: &Harness, prefix: &str) -> Vec<Vec<u8>> {
    let mut values = Vec::new();
    for key in h.storage.keys() {
        if key.starts_with(prefix) {
            values.push(h.storage.get(&key).await.expect("stored").value);
        }
    }
    values
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|window| window == needle.as_bytes())
}

#[tokio::test]
async fn a_signup_code_is_stored_sealed_and_resent_unchanged() {
    let h = Harness::new();
    let created = h
        .ok(
            "create_signup",
            json!({ "email_address": "ann@example.com" }),
        )
        .await;
    let signup = token(&created, "signup_token");
    let code = h.emails.last_code("ann@example.com").expect("sent");
    let stored = stored_bytes(&h, SignupRecord::PREFIX).await;
    assert_eq!(stored.len(), 1);
    assert!(
        !contains(&stored[0], &code),
        "the code is stored in the clear"
    );
    h.ok(
        "send_signup_email_address_verification_code",
        json!({ "signup_token": signup }),
    )
    .await;
    assert_eq!(h.emails.last_code("ann@example.com"), Some(code.clone()));
    h.ok(
        "verify_signup_email_address_verification_code",
        json!({ "signup_token": signup, "email_address_verification_code": code }),
    )
    .await;
}

#[tokio::test]
async fn an_email_update_code_is_stored_sealed_and_resent_unchanged() {
    let h = Harness::new();
    let (_, session) = signed_in(&h, "ann@example.com").await;
    let new = "ann@new.example";
    let created = h
        .ok(
            "create_user_email_address_update",
            json!({ "session_token": session, "new_email_address": new }),
        )
        .await;
    let update = token(&created, "user_email_address_update_token");
    let code = h.emails.last_code(new).expect("sent");
    let stored = stored_bytes(&h, UserEmailAddressUpdateRecord::PREFIX).await;
    assert_eq!(stored.len(), 1);
    assert!(
        !contains(&stored[0], &code),
        "the code is stored in the clear"
    );
    let args = json!({ "session_token": session, "user_email_address_update_token": update });
    h.ok(
        "send_user_email_address_update_email_address_verification_code",
        args.clone(),
    )
    .await;
    assert_eq!(h.emails.last_code(new), Some(code.clone()));
    let mut with_code = args;
    with_code["email_address_verification_code"] = json!(code);
    h.ok(
        "verify_user_email_address_update_email_address_verification_code",
        with_code,
    )
    .await;
}
