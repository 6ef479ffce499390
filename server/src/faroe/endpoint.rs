//! The action envelope: request JSON in, response JSON out.
//!
//! A request is `{"action": <name>, "arguments": {<name>: <string>, ...}}`. Anything
//! that is not such a request for a known action with all its arguments as strings
//! is rejected before an action runs (the HTTP layer answers 400). Otherwise the
//! answer is `{"ok":true,"action_invocation_id":…,"values":{…}}` or
//! `{"ok":false,"action_invocation_id":…,"error_code":…}`.

use serde::{Deserialize, Serialize};
use tracing::Instrument;

use super::credentials::generate_id;
use super::error::{ActionError, ActionResult, InternalError};
use super::records::{
    SigninRecord, SignupRecord, UserDeletionRecord, UserEmailAddressUpdateRecord,
    UserPasswordResetRecord, UserPasswordUpdateRecord,
};
use super::Faroe;
use crate::metrics::{recording, seconds_since, ACTIONS, ACTION_DURATION, UNKNOWN_ACTION};

/// Why a request body is not an action invocation.
#[derive(Debug, thiserror::Error)]
#[error("rejected action invocation: {0}")]
pub struct RejectedEnvelope(String);

/// Calls an action's method with the arguments of its invocation. A method generic
/// over a flow's record (`get_flow::<R>`, `delete_flow::<R>`, `verify_identity::<R>`)
/// takes the flow's tokens as one value: the token, or `(session token, flow token)`;
/// the arguments after a `;` (a password) follow it one by one.
macro_rules! call {
    ($faroe:ident . $method:ident::<$record:ty>($($arg:ident),+ $(; $extra:ident)*)) => {
        $faroe.$method::<$record>(($($arg.as_str()),+) $(, &$extra)*)
    };
    ($faroe:ident . $method:ident($($arg:ident),+)) => {
        $faroe.$method($(&$arg),+)
    };
}

macro_rules! actions {
    ($(
        $variant:ident $name:literal
            => $method:ident $(::<$record:ty>)? ($($arg:ident),+ $(; $extra:ident)*)
    ),+ $(,)?) => {
        /// A parsed invocation: the action and its arguments.
        #[derive(Deserialize)]
        #[serde(tag = "action", content = "arguments")]
        enum Invocation {
            $(
                #[serde(rename = $name)]
                $variant { $($arg: String,)+ $($extra: String,)* },
            )+
        }

        /// Every action name, in protocol order.
        pub const ACTION_NAMES: &[&str] = &[$($name),+];

        impl Invocation {
            fn name(&self) -> &'static str {
                match self {
                    $(Invocation::$variant { .. } => $name,)+
                }
            }
        }

        impl Faroe {
            async fn execute(
                &self,
                invocation: Invocation,
                action_invocation_id: &str,
            ) -> ActionResult<String> {
                match invocation {
                    $(Invocation::$variant { $($arg,)+ $($extra,)* } => {
                        let values =
                            call!(self.$method $(::<$record>)? ($($arg),+ $(; $extra)*)).await;
                        success(action_invocation_id, values)
                    })+
                }
            }
        }
    };
}

actions! {
    CreateSignup "create_signup" => create_signup(email_address),
    GetSignup "get_signup" => get_flow::<SignupRecord>(signup_token),
    DeleteSignup "delete_signup" => delete_flow::<SignupRecord>(signup_token),
    SendSignupEmailAddressVerificationCode "send_signup_email_address_verification_code"
        => send_signup_email_address_verification_code(signup_token),
    VerifySignupEmailAddressVerificationCode "verify_signup_email_address_verification_code"
        => verify_signup_email_address_verification_code(signup_token, email_address_verification_code),
    SetSignupPassword "set_signup_password" => set_signup_password(signup_token, password),
    CompleteSignup "complete_signup" => complete_signup(signup_token),
    CreateSignin "create_signin" => create_signin(user_email_address),
    GetSignin "get_signin" => get_flow::<SigninRecord>(signin_token),
    DeleteSignin "delete_signin" => delete_flow::<SigninRecord>(signin_token),
    VerifySigninUserPassword "verify_signin_user_password"
        => verify_signin_user_password(signin_token, password),
    CompleteSignin "complete_signin" => complete_signin(signin_token),
    GetSession "get_session" => get_session(session_token),
    DeleteSession "delete_session" => delete_session(session_token),
    DeleteAllSessions "delete_all_sessions" => delete_all_sessions(session_token),
    CreateUserEmailAddressUpdate "create_user_email_address_update"
        => create_user_email_address_update(session_token, new_email_address),
    GetUserEmailAddressUpdate "get_user_email_address_update"
        => get_flow::<UserEmailAddressUpdateRecord>(
            session_token, user_email_address_update_token),
    DeleteUserEmailAddressUpdate "delete_user_email_address_update"
        => delete_flow::<UserEmailAddressUpdateRecord>(
            session_token, user_email_address_update_token),
    SendUserEmailAddressUpdateEmailAddressVerificationCode
        "send_user_email_address_update_email_address_verification_code"
        => send_user_email_address_update_email_address_verification_code(
            session_token, user_email_address_update_token),
    VerifyUserEmailAddressUpdateEmailAddressVerificationCode
        "verify_user_email_address_update_email_address_verification_code"
        => verify_user_email_address_update_email_address_verification_code(
            session_token, user_email_address_update_token, email_address_verification_code),
    VerifyUserEmailAddressUpdateUserPassword "verify_user_email_address_update_user_password"
        => verify_user_email_address_update_user_password(
            session_token, user_email_address_update_token, password),
    CompleteUserEmailAddressUpdate "complete_user_email_address_update"
        => complete_user_email_address_update(session_token, user_email_address_update_token),
    CreateUserPasswordUpdate "create_user_password_update"
        => create_user_password_update(session_token),
    GetUserPasswordUpdate "get_user_password_update"
        => get_flow::<UserPasswordUpdateRecord>(session_token, user_password_update_token),
    DeleteUserPasswordUpdate "delete_user_password_update"
        => delete_flow::<UserPasswordUpdateRecord>(session_token, user_password_update_token),
    VerifyUserPasswordUpdateUserPassword "verify_user_password_update_user_password"
        => verify_identity::<UserPasswordUpdateRecord>(
            session_token, user_password_update_token; password),
    SetUserPasswordUpdateNewPassword "set_user_password_update_new_password"
        => set_user_password_update_new_password(
            session_token, user_password_update_token, password),
    CompleteUserPasswordUpdate "complete_user_password_update"
        => complete_user_password_update(session_token, user_password_update_token),
    CreateUserDeletion "create_user_deletion" => create_user_deletion(session_token),
    GetUserDeletion "get_user_deletion"
        => get_flow::<UserDeletionRecord>(session_token, user_deletion_token),
    DeleteUserDeletion "delete_user_deletion"
        => delete_flow::<UserDeletionRecord>(session_token, user_deletion_token),
    VerifyUserDeletionUserPassword "verify_user_deletion_user_password"
        => verify_identity::<UserDeletionRecord>(session_token, user_deletion_token; password),
    CompleteUserDeletion "complete_user_deletion"
        => complete_user_deletion(session_token, user_deletion_token),
    CreateUserPasswordReset "create_user_password_reset"
        => create_user_password_reset(user_email_address),
    GetUserPasswordReset "get_user_password_reset"
        => get_flow::<UserPasswordResetRecord>(user_password_reset_token),
    DeleteUserPasswordReset "delete_user_password_reset"
        => delete_flow::<UserPasswordResetRecord>(user_password_reset_token),
    VerifyUserPasswordResetTemporaryPassword "verify_user_password_reset_temporary_password"
        => verify_user_password_reset_temporary_password(
            user_password_reset_token, temporary_password),
    SetUserPasswordResetNewPassword "set_user_password_reset_new_password"
        => set_user_password_reset_new_password(user_password_reset_token, password),
    CompleteUserPasswordReset "complete_user_password_reset"
        => complete_user_password_reset(user_password_reset_token),
}

/// `{"ok":true,"action_invocation_id":…,"values":…}`: the id is of the id alphabet
/// (nothing to escape), and the values are written from the model straight into the
/// answer, with no copy in between.
fn success<T: Serialize>(
    action_invocation_id: &str,
    values: ActionResult<T>,
) -> ActionResult<String> {
    let values = values?;
    // Room for the envelope and a session's values; larger values grow it.
    let mut answer = Vec::with_capacity(256);
    answer.extend_from_slice(br#"{"ok":true,"action_invocation_id":""#);
    answer.extend_from_slice(action_invocation_id.as_bytes());
    answer.extend_from_slice(br#"","values":"#);
    serde_json::to_writer(&mut answer, &values)?;
    answer.push(b'}');
    String::from_utf8(answer).map_err(|_| {
        InternalError::Invariant("serde_json wrote an answer that is not UTF-8").into()
    })
}

/// `{"ok":false,"action_invocation_id":…,"error_code":…}`; error codes are fixed
/// identifiers, so nothing needs escaping here either.
fn failure(action_invocation_id: &str, error_code: &str) -> String {
    [
        r#"{"ok":false,"action_invocation_id":""#,
        action_invocation_id,
        r#"","error_code":""#,
        error_code,
        r#""}"#,
    ]
    .concat()
}

/// Counts a rejected invocation under its action's name when it is one of the
/// protocol's, else under one shared label value: clients choose the names.
fn count_rejected(body: &[u8]) {
    #[derive(Deserialize)]
    struct Named<'a> {
        #[serde(borrow)]
        action: std::borrow::Cow<'a, str>,
    }
    let action = serde_json::from_slice::<Named>(body)
        .ok()
        .and_then(|named| ACTION_NAMES.iter().find(|name| **name == named.action))
        .copied()
        .unwrap_or(UNKNOWN_ACTION);
    metrics::counter!(ACTIONS, "action" => action, "outcome" => "rejected").increment(1);
}

fn parse(body: &[u8]) -> Result<Invocation, RejectedEnvelope> {
    // Checked once for the whole body, so no string is checked again as it is read.
    let body = std::str::from_utf8(body)
        .map_err(|error| RejectedEnvelope(format!("the body is not UTF-8: {error}")))?;
    super::envelope::read(body).map_err(|error| RejectedEnvelope(error.to_string()))
}

/// A request body that passed every envelope rule: an action and its arguments.
pub struct ActionRequest(Invocation);

impl ActionRequest {
    /// Reads a request body. A rejected one is counted under the action it names.
    pub fn parse(body: &[u8]) -> Result<ActionRequest, RejectedEnvelope> {
        parse(body)
            .map(ActionRequest)
            .inspect_err(|_| count_rejected(body))
    }

    /// The protocol name of the action.
    pub fn action(&self) -> &'static str {
        self.0.name()
    }
}

impl Faroe {
    /// Runs the action a request body names and answers with the response body.
    pub async fn invoke(&self, body: &[u8]) -> Result<String, RejectedEnvelope> {
        Ok(self.run(ActionRequest::parse(body)?).await)
    }

    /// Runs a parsed request's action and answers with the response body.
    pub async fn run(&self, request: ActionRequest) -> String {
        let ActionRequest(invocation) = request;
        let action = invocation.name();
        let action_invocation_id = generate_id();
        let span =
            tracing::info_span!("action", action, action_invocation_id = %action_invocation_id);
        let start = recording().then(std::time::Instant::now);
        let result = self
            .execute(invocation, &action_invocation_id)
            .instrument(span)
            .await;
        if let Some(start) = start {
            let outcome = match &result {
                Ok(_) => "ok",
                Err(error) => error.code().as_str(),
            };
            metrics::counter!(ACTIONS, "action" => action, "outcome" => outcome).increment(1);
            metrics::histogram!(ACTION_DURATION, "action" => action).record(seconds_since(start));
        }
        match result {
            Ok(answer) => answer,
            Err(error) => {
                if let ActionError::Internal(cause) = &error {
                    // Named on the event itself, not only through the span, so the one
                    // line that explains an internal_error always carries them.
                    tracing::error!(
                        action,
                        action_invocation_id = %action_invocation_id,
                        source = cause.source_kind(),
                        error = %cause.chain(),
                        "internal_error"
                    );
                }
                failure(&action_invocation_id, error.code().as_str())
            }
        }
    }
}
