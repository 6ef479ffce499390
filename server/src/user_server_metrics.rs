//! Decorators around the user store and the e-mail sender that count calls by user
//! action (or e-mail type) and result, and time them. The client's failures carry
//! their kind; it maps here onto a fixed set of result labels, so no text from the
//! user server ever becomes a label.

use std::sync::Arc;
use std::time::Instant;

use async_trait::async_trait;

use crate::faroe::email::{Email, EmailError, EmailSender};
use crate::faroe::user::{PasswordHash, User, UserStore, UserStoreError};
use crate::faroe::user_server_failure::{FailureKind, UserServerFailure};
use crate::metrics::{
    seconds_since, EMAIL_DELIVERIES, USER_SERVER_CALLS, USER_SERVER_CALL_DURATION,
};

/// The result label of a failed exchange with the user server.
fn failure_label(failure: &UserServerFailure) -> &'static str {
    match failure.kind {
        FailureKind::Timeout => "timeout",
        FailureKind::Transport => "transport",
        FailureKind::UnexpectedErrorCode => "unexpected_error_code",
        FailureKind::BadAnswer => "bad_answer",
    }
}

fn user_result<T>(result: &Result<T, UserStoreError>) -> &'static str {
    match result {
        Ok(_) => "ok",
        Err(UserStoreError::UserNotFound) => "user_not_found",
        Err(UserStoreError::EmailAddressAlreadyUsed) => "email_address_already_used",
        Err(UserStoreError::Failure(failure)) => failure_label(failure),
    }
}

/// Counts and times the calls to a user store.
pub struct MeteredUsers {
    inner: Arc<dyn UserStore>,
}

impl MeteredUsers {
    pub fn new(inner: Arc<dyn UserStore>) -> Self {
        MeteredUsers { inner }
    }
}

fn record<T>(
    user_action: &'static str,
    start: Instant,
    result: Result<T, UserStoreError>,
) -> Result<T, UserStoreError> {
    metrics::counter!(USER_SERVER_CALLS, "user_action" => user_action, "result" => user_result(&result))
        .increment(1);
    metrics::histogram!(USER_SERVER_CALL_DURATION, "user_action" => user_action)
        .record(seconds_since(start));
    result
}

#[async_trait]
impl UserStore for MeteredUsers {
    async fn create_user(
        &self,
        email_address: &str,
        password: &PasswordHash,
    ) -> Result<User, UserStoreError> {
        let start = Instant::now();
        let result = self.inner.create_user(email_address, password).await;
        record("create_user", start, result)
    }

    async fn get_user(&self, user_id: &str) -> Result<User, UserStoreError> {
        let start = Instant::now();
        let result = self.inner.get_user(user_id).await;
        record("get_user", start, result)
    }

    async fn get_user_by_email_address(&self, email_address: &str) -> Result<User, UserStoreError> {
        let start = Instant::now();
        let result = self.inner.get_user_by_email_address(email_address).await;
        record("get_user_by_email_address", start, result)
    }

    async fn update_user_email_address(
        &self,
        user_id: &str,
        email_address: &str,
        user_email_address_counter: i32,
    ) -> Result<(), UserStoreError> {
        let start = Instant::now();
        let result = self
            .inner
            .update_user_email_address(user_id, email_address, user_email_address_counter)
            .await;
        record("update_user_email_address", start, result)
    }

    async fn update_user_password_hash(
        &self,
        user_id: &str,
        password: &PasswordHash,
        user_password_hash_counter: i32,
    ) -> Result<(), UserStoreError> {
        let start = Instant::now();
        let result = self
            .inner
            .update_user_password_hash(user_id, password, user_password_hash_counter)
            .await;
        record("update_user_password_hash", start, result)
    }

    async fn increment_user_sessions_counter(
        &self,
        user_id: &str,
        user_sessions_counter: i32,
    ) -> Result<(), UserStoreError> {
        let start = Instant::now();
        let result = self
            .inner
            .increment_user_sessions_counter(user_id, user_sessions_counter)
            .await;
        record("increment_user_sessions_counter", start, result)
    }

    async fn delete_user(&self, user_id: &str) -> Result<(), UserStoreError> {
        let start = Instant::now();
        let result = self.inner.delete_user(user_id).await;
        record("delete_user", start, result)
    }
}

/// Counts e-mail deliveries by type and result.
pub struct MeteredEmails {
    inner: Arc<dyn EmailSender>,
}

impl MeteredEmails {
    pub fn new(inner: Arc<dyn EmailSender>) -> Self {
        MeteredEmails { inner }
    }
}

#[async_trait]
impl EmailSender for MeteredEmails {
    async fn send(&self, email: &Email) -> Result<(), EmailError> {
        let result = self.inner.send(email).await;
        let label = match &result {
            Ok(()) => "ok",
            Err(EmailError(failure)) => failure_label(failure),
        };
        metrics::counter!(EMAIL_DELIVERIES, "type" => email.kind(), "result" => label).increment(1);
        result
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use wiremock::matchers::method;
    use wiremock::{Mock, MockServer, ResponseTemplate};

    use super::*;
    use crate::backend::UserServerClient;

    async fn answering(template: ResponseTemplate) -> MockServer {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .respond_with(template)
            .mount(&server)
            .await;
        server
    }

    async fn result_of(url: &str) -> &'static str {
        let client = UserServerClient::new(url, Duration::from_millis(300)).expect("client");
        user_result(&client.get_user("u1").await)
    }

    /// The client's real failures land on the intended labels.
    #[tokio::test]
    async fn client_failures_are_classified_by_kind() {
        let closed = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let closed_url = format!("http://{}", closed.local_addr().expect("address"));
        drop(closed);
        assert_eq!(result_of(&closed_url).await, "transport");

        let slow = answering(ResponseTemplate::new(200).set_delay(Duration::from_secs(5))).await;
        assert_eq!(result_of(&slow.uri()).await, "timeout");

        let garbage = answering(ResponseTemplate::new(200).set_body_string("nope")).await;
        assert_eq!(result_of(&garbage.uri()).await, "bad_answer");

        let refused = answering(ResponseTemplate::new(500)).await;
        assert_eq!(result_of(&refused.uri()).await, "bad_answer");

        let not_found = answering(ResponseTemplate::new(200).set_body_json(serde_json::json!({
            "ok": false, "action_invocation_id": "a", "error_code": "user_not_found"
        })))
        .await;
        assert_eq!(result_of(&not_found.uri()).await, "user_not_found");

        let odd = answering(ResponseTemplate::new(200).set_body_json(serde_json::json!({
            "ok": false, "action_invocation_id": "a", "error_code": "some_other_code"
        })))
        .await;
        assert_eq!(result_of(&odd.uri()).await, "unexpected_error_code");
        // The log line still names the action and what the user server said.
        let client = UserServerClient::new(&odd.uri(), Duration::from_millis(300)).expect("client");
        let error = client
            .get_user("u1")
            .await
            .expect_err("an unexpected code fails");
        assert_eq!(
            error.to_string(),
            r#"user server failure: get_user: user server answered error "some_other_code""#
        );
    }

    #[tokio::test]
    async fn an_email_failure_is_classified_too() {
        let slow = answering(ResponseTemplate::new(200).set_delay(Duration::from_secs(5))).await;
        let client =
            UserServerClient::new(&slow.uri(), Duration::from_millis(300)).expect("client");
        let email = Email::SignupVerification {
            email_address: "a@example.com".to_owned(),
            code: "12345678".to_owned(),
        };
        let Err(EmailError(failure)) = client.send(&email).await else {
            panic!("the slow delivery fails");
        };
        assert_eq!(failure_label(&failure), "timeout");
        assert_eq!(
            EmailError(failure).to_string(),
            "e-mail not sent: signup_verification: no answer within 300ms"
        );
    }
}
