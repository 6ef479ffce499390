//! The session-bound flows (docs/protocol.md §4.4–§4.6): e-mail address update, password update and
//! user deletion. Their records are created on a session and used with it; getting,
//! deleting, verifying the user's password and completing are the same for all three,
//! written once over [`SessionBound`].

use serde_json::{json, Value};

use super::super::model::*;
use super::checks::{token_id, Names, Shown};
use super::{unit, CodeGuess, Email, Fail, Guess, Password, Run, SessionTok, Tok};

/// A session-bound flow's own actions, and the model's predictions for the ones that
/// differ by flow.
pub struct BoundActions {
    pub create: &'static str,
    pub verify_password: &'static str,
    pub complete: &'static str,
    pub expect_verify_password: fn(&mut Model, &str, &str, &str) -> Result<usize, Code>,
    pub expect_complete: fn(&mut Model, &str, &str) -> Result<usize, Code>,
}

pub trait SessionBound: Shown + Bound {
    const ACTIONS: BoundActions;
}

/// What a new session-bound record starts with.
struct Opened {
    token: String,
    user: usize,
    session: usize,
    snapshot: Counters,
    created: i64,
}

/// The `session_id` member of a session-bound record model.
fn session_id(model: &Model, session: usize) -> (&'static str, Value) {
    (
        "session_id",
        json!(token_id(&model.sessions[session].token)),
    )
}

impl Shown for EmailUpdate {
    const NAMES: Names = Names {
        record: "user_email_address_update",
        token: "user_email_address_update_token",
        members: &[
            "id",
            "user_id",
            "session_id",
            "new_email_address",
            "new_email_address_verified",
            "user_identity_verified",
            "created_at",
            "expires_at",
        ],
        get: "get_user_email_address_update",
        delete: "delete_user_email_address_update",
    };

    fn shown(&self, model: &Model) -> Vec<(&'static str, Value)> {
        vec![
            session_id(model, self.session),
            ("new_email_address", json!(self.email)),
            ("new_email_address_verified", json!(self.verified)),
            ("user_identity_verified", json!(self.identity_verified)),
        ]
    }
}

impl SessionBound for EmailUpdate {
    const ACTIONS: BoundActions = BoundActions {
        create: "create_user_email_address_update",
        verify_password: "verify_user_email_address_update_user_password",
        complete: "complete_user_email_address_update",
        expect_verify_password: Model::verify_email_update_password,
        expect_complete: Model::complete_email_update,
    };
}

impl Shown for PasswordUpdate {
    const NAMES: Names = Names {
        record: "user_password_update",
        token: "user_password_update_token",
        members: &[
            "id",
            "user_id",
            "session_id",
            "user_identity_verified",
            "new_password_set",
            "created_at",
            "expires_at",
        ],
        get: "get_user_password_update",
        delete: "delete_user_password_update",
    };

    fn shown(&self, model: &Model) -> Vec<(&'static str, Value)> {
        vec![
            session_id(model, self.session),
            ("user_identity_verified", json!(self.identity_verified)),
            ("new_password_set", json!(self.new_password.is_some())),
        ]
    }
}

impl SessionBound for PasswordUpdate {
    const ACTIONS: BoundActions = BoundActions {
        create: "create_user_password_update",
        verify_password: "verify_user_password_update_user_password",
        complete: "complete_user_password_update",
        expect_verify_password: Model::verify_password_update_password,
        expect_complete: Model::complete_password_update,
    };
}

impl Shown for Deletion {
    const NAMES: Names = Names {
        record: "user_deletion",
        token: "user_deletion_token",
        members: &[
            "id",
            "user_id",
            "session_id",
            "user_identity_verified",
            "created_at",
            "expires_at",
        ],
        get: "get_user_deletion",
        delete: "delete_user_deletion",
    };

    fn shown(&self, model: &Model) -> Vec<(&'static str, Value)> {
        vec![
            session_id(model, self.session),
            ("user_identity_verified", json!(self.identity_verified)),
        ]
    }
}

impl SessionBound for Deletion {
    const ACTIONS: BoundActions = BoundActions {
        create: "create_user_deletion",
        verify_password: "verify_user_deletion_user_password",
        complete: "complete_user_deletion",
        expect_verify_password: Model::verify_deletion_password,
        expect_complete: Model::complete_deletion,
    };
}

impl Run<'_> {
    // The actions all three flows have.

    /// create_* on the session `session` names, with `extra` arguments; `expected`:
    /// the model's prediction (the session's index). What the new record starts
    /// with, once it is issued.
    async fn open<R: SessionBound>(
        &mut self,
        session: &str,
        extra: &[(&str, &str)],
        expected: Result<usize, Code>,
    ) -> Result<Option<(Value, Opened)>, Fail> {
        let arguments: Vec<(&str, &str)> = [("session_token", session)]
            .into_iter()
            .chain(extra.iter().copied())
            .collect();
        let values = self
            .call(R::ACTIONS.create, &arguments, unit(expected))
            .await?;
        let (Some(values), Ok(s)) = (values, expected) else {
            return Ok(None);
        };
        let token = values[R::NAMES.token]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        self.model.issue(R::KIND, &token);
        let user = self.model.sessions[s].user;
        let opened = Opened {
            token,
            user,
            session: s,
            snapshot: self.model.users[user].counters,
            created: self.model.now,
        };
        Ok(Some((values, opened)))
    }

    /// A session-bound action without values, on the session and record the step
    /// names, with `extra` arguments.
    async fn act_bound<R: SessionBound>(
        &mut self,
        action: &str,
        (session, token): (&str, &str),
        extra: Option<(&str, &str)>,
        expected: Result<(), Code>,
    ) -> Result<bool, Fail> {
        let arguments: Vec<(&str, &str)> = [("session_token", session), (R::NAMES.token, token)]
            .into_iter()
            .chain(extra)
            .collect();
        self.act(action, &arguments, expected).await
    }

    pub(super) async fn get_bound<R: SessionBound>(
        &mut self,
        session: &SessionTok,
        tok: &Tok,
    ) -> Result<bool, Fail> {
        let (session, token) = self.bound::<R>(session, tok);
        let expected = self.model.get_bound::<R>(&session, &token);
        let values = self
            .call(
                R::NAMES.get,
                &[("session_token", &session), (R::NAMES.token, &token)],
                unit(expected),
            )
            .await?;
        self.got::<R>(values, expected)
    }

    pub(super) async fn delete_bound<R: SessionBound>(
        &mut self,
        session: &SessionTok,
        tok: &Tok,
    ) -> Result<bool, Fail> {
        let (session, token) = self.bound::<R>(session, tok);
        let expected = unit(self.model.delete_bound::<R>(&session, &token));
        self.act_bound::<R>(R::NAMES.delete, (&session, &token), None, expected)
            .await
    }

    pub(super) async fn verify_bound_password<R: SessionBound>(
        &mut self,
        session: &SessionTok,
        tok: &Tok,
        guess: &Guess,
    ) -> Result<bool, Fail> {
        let (session, token) = self.bound::<R>(session, tok);
        let user = self.picked::<R, _>(tok, |record| record.user());
        let password = self.guess(user, guess);
        let expect = R::ACTIONS.expect_verify_password;
        let expected = unit(expect(&mut self.model, &session, &token, &password));
        self.act_bound::<R>(
            R::ACTIONS.verify_password,
            (&session, &token),
            Some(("password", &password)),
            expected,
        )
        .await
    }

    pub(super) async fn complete_bound<R: SessionBound>(
        &mut self,
        session: &SessionTok,
        tok: &Tok,
    ) -> Result<bool, Fail> {
        let (session, token) = self.bound::<R>(session, tok);
        let expect = R::ACTIONS.expect_complete;
        let expected = unit(expect(&mut self.model, &session, &token));
        self.act_bound::<R>(R::ACTIONS.complete, (&session, &token), None, expected)
            .await
    }

    // E-mail address update.

    pub(super) async fn create_email_update(
        &mut self,
        tok: &Tok,
        email: &Email,
    ) -> Result<bool, Fail> {
        let session = self.token(Kind::Session, tok);
        let expected = self.model.create_email_update(&session, &email.0);
        let extra = [("new_email_address", email.0.as_str())];
        let Some((values, opened)) = self.open::<EmailUpdate>(&session, &extra, expected).await?
        else {
            return Ok(false);
        };
        let code = self
            .code_sent("email_update_verification", &email.0)
            .await?;
        self.model.email_updates.push(EmailUpdate {
            token: opened.token,
            user: opened.user,
            session: opened.session,
            email: email.0.clone(),
            code,
            verified: false,
            identity_verified: false,
            snapshot: opened.snapshot,
            created: opened.created,
            alive: true,
        });
        self.created::<EmailUpdate>(&values)
    }

    pub(super) async fn send_email_update_code(
        &mut self,
        session: &SessionTok,
        tok: &Tok,
    ) -> Result<bool, Fail> {
        let (session, token) = self.bound::<EmailUpdate>(session, tok);
        let expected = self.model.send_email_update_code(&session, &token);
        let ok = self
            .act_bound::<EmailUpdate>(
                "send_user_email_address_update_email_address_verification_code",
                (&session, &token),
                None,
                unit(expected),
            )
            .await?;
        if let (true, Ok(i)) = (ok, expected) {
            let record = &self.model.email_updates[i];
            let (email, code) = (record.email.clone(), record.code.clone());
            self.check_resent("e-mail-update", "email_update_verification", &email, &code)
                .await?;
        }
        Ok(ok)
    }

    pub(super) async fn verify_email_update_code(
        &mut self,
        session: &SessionTok,
        tok: &Tok,
        guess: CodeGuess,
    ) -> Result<bool, Fail> {
        let (session, token) = self.bound::<EmailUpdate>(session, tok);
        let sent = self.picked::<EmailUpdate, _>(tok, |record| record.code.clone());
        let code = self.code(sent.as_deref(), guess);
        let expected = unit(self.model.verify_email_update_code(&session, &token, &code));
        self.act_bound::<EmailUpdate>(
            "verify_user_email_address_update_email_address_verification_code",
            (&session, &token),
            Some(("email_address_verification_code", &code)),
            expected,
        )
        .await
    }

    // Password update.

    pub(super) async fn create_password_update(&mut self, tok: &Tok) -> Result<bool, Fail> {
        let session = self.token(Kind::Session, tok);
        let expected = self.model.create_password_update(&session);
        let Some((values, opened)) = self.open::<PasswordUpdate>(&session, &[], expected).await?
        else {
            return Ok(false);
        };
        self.model.password_updates.push(PasswordUpdate {
            token: opened.token,
            user: opened.user,
            session: opened.session,
            identity_verified: false,
            new_password: None,
            snapshot: opened.snapshot,
            created: opened.created,
            alive: true,
        });
        self.created::<PasswordUpdate>(&values)
    }

    pub(super) async fn set_password_update_new_password(
        &mut self,
        session: &SessionTok,
        tok: &Tok,
        password: &Password,
    ) -> Result<bool, Fail> {
        let (session, token) = self.bound::<PasswordUpdate>(session, tok);
        let expected = unit(self.model.set_password_update_new_password(
            &session,
            &token,
            &password.0,
        ));
        self.act_bound::<PasswordUpdate>(
            "set_user_password_update_new_password",
            (&session, &token),
            Some(("password", &password.0)),
            expected,
        )
        .await
    }

    // User deletion.

    pub(super) async fn create_deletion(&mut self, tok: &Tok) -> Result<bool, Fail> {
        let session = self.token(Kind::Session, tok);
        let expected = self.model.create_deletion(&session);
        let Some((values, opened)) = self.open::<Deletion>(&session, &[], expected).await? else {
            return Ok(false);
        };
        self.model.deletions.push(Deletion {
            token: opened.token,
            user: opened.user,
            session: opened.session,
            identity_verified: false,
            snapshot: opened.snapshot,
            created: opened.created,
            alive: true,
        });
        self.created::<Deletion>(&values)
    }
}
