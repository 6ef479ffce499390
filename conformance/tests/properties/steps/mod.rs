//! Steps of a generated flow, and how the runner plays one against the server and the
//! model side by side: the arguments (arguments.rs), the checks on what the server
//! returns (checks.rs), and the actions of each flow family (the other files).

mod arguments;
mod checks;
mod reset;
mod session;
mod session_bound;
mod signin;
mod signup;

use std::collections::HashSet;

use conformance::target::Target;
use serde_json::{json, Value};

use super::model::*;
use crate::support::{invoke, outcome};
pub use arguments::*;
use checks::Shown;

#[derive(Debug, Clone)]
pub enum Step {
    // Whole flows on the newest records, stopping at the first error.
    /// create_signup, verify code (sent), set password, complete.
    Register {
        email: Email,
        password: Password,
    },
    /// create_signin, verify password, complete.
    SignIn {
        email: Email,
        password: Guess,
    },
    /// On the newest session: create, verify code, verify password, complete.
    UpdateEmail {
        email: Email,
        code: CodeGuess,
        password: Guess,
    },
    /// On the newest session: create, verify password, set new password, complete.
    UpdatePassword {
        password: Guess,
        new: Password,
    },
    /// On the newest session: create, verify password, complete.
    DeleteAccount {
        password: Guess,
    },
    /// create, verify temporary password, set new password, complete.
    ResetPassword {
        email: Email,
        temporary: CodeGuess,
        new: Password,
    },

    // Single actions.
    CreateSignup(Email),
    GetSignup(Tok),
    DeleteSignup(Tok),
    SendSignupCode(Tok),
    VerifySignupCode(Tok, CodeGuess),
    SetSignupPassword(Tok, Password),
    CompleteSignup(Tok),
    CreateSignin(Email),
    GetSignin(Tok),
    DeleteSignin(Tok),
    VerifySigninPassword(Tok, Guess),
    CompleteSignin(Tok),
    GetSession(Tok),
    DeleteSession(Tok),
    DeleteAllSessions(Tok),
    CreateEmailUpdate(Tok, Email),
    GetEmailUpdate(SessionTok, Tok),
    DeleteEmailUpdate(SessionTok, Tok),
    SendEmailUpdateCode(SessionTok, Tok),
    VerifyEmailUpdateCode(SessionTok, Tok, CodeGuess),
    VerifyEmailUpdatePassword(SessionTok, Tok, Guess),
    CompleteEmailUpdate(SessionTok, Tok),
    CreatePasswordUpdate(Tok),
    GetPasswordUpdate(SessionTok, Tok),
    DeletePasswordUpdate(SessionTok, Tok),
    VerifyPasswordUpdatePassword(SessionTok, Tok, Guess),
    SetPasswordUpdateNewPassword(SessionTok, Tok, Password),
    CompletePasswordUpdate(SessionTok, Tok),
    CreateDeletion(Tok),
    GetDeletion(SessionTok, Tok),
    DeleteDeletion(SessionTok, Tok),
    VerifyDeletionPassword(SessionTok, Tok, Guess),
    CompleteDeletion(SessionTok, Tok),
    CreateReset(Email),
    GetReset(Tok),
    DeleteReset(Tok),
    VerifyResetTemporaryPassword(Tok, CodeGuess),
    SetResetNewPassword(Tok, Password),
    CompleteReset(Tok),

    /// The same single-action step several times over (to drain rate limits).
    Repeat {
        times: u8,
        step: Box<Step>,
    },
    /// Steps one after the other, each played whatever the one before did.
    Seq(Vec<Step>),
    /// The step with its addresses of existing users (the signin, reset, signup and
    /// disabling addresses) replaced by the current address of the newest session's
    /// user, if there is a session.
    OfUser(Box<Step>),
    /// Pins the newest record of each kind for [`Pick::Pinned`].
    Pin,
    /// Nothing if the newest session is still valid; else signs in (with their
    /// password) the newest user who can sign in, or if there is none, registers the
    /// first of `emails` no user has, with `password`: for the steps after it that act
    /// on the newest session.
    EnsureSession {
        emails: [Email; 2],
        password: Password,
    },

    // Outside the protocol.
    /// The user server's `update_user` on the user with this address (if any).
    SetDisabled {
        email: Email,
        disabled: bool,
    },
    /// Moves the server's clock.
    Advance {
        seconds: i64,
    },
}

impl Step {
    /// This step with the addresses that name an existing user replaced by `address`.
    fn with_email(&self, address: &str) -> Step {
        use Step::*;
        let email = Email(address.to_owned());
        match self.clone() {
            Register { password, .. } => Register { email, password },
            SignIn { password, .. } => SignIn { email, password },
            ResetPassword { temporary, new, .. } => ResetPassword {
                email,
                temporary,
                new,
            },
            CreateSignup(_) => CreateSignup(email),
            CreateSignin(_) => CreateSignin(email),
            CreateReset(_) => CreateReset(email),
            SetDisabled { disabled, .. } => SetDisabled { email, disabled },
            Repeat { times, step } => Repeat {
                times,
                step: Box::new(step.with_email(address)),
            },
            Seq(steps) => Seq(steps.iter().map(|step| step.with_email(address)).collect()),
            other => other,
        }
    }
}

/// How `created_at` must relate to the clock.
#[derive(Debug, Clone, Copy)]
pub enum Clock {
    /// The in-process manual clock, started at [`conformance::runner::CLOCK_START`]: exact.
    Manual,
    /// An external server's wall clock: within the run.
    Wall { start: i64 },
}

/// Plays steps against the server and the model.
pub struct Run<'a> {
    pub target: &'a Target,
    pub model: Model,
    pub clock: Clock,
    /// Every record id the server returned this case.
    ids: HashSet<String>,
    /// The record of each kind [`Pick::Pinned`] picks.
    pinned: Vec<(Kind, usize)>,
    /// One line per action, for failure messages.
    pub log: Vec<String>,
    /// (action, `ok` or error code) of each action not yet collected.
    pub outcomes: Vec<(String, String)>,
}

type Fail = String;

fn unit<T>(result: Result<T, Code>) -> Result<(), Code> {
    result.map(|_| ())
}

impl<'a> Run<'a> {
    pub fn new(target: &'a Target, clock: Clock) -> Self {
        Run {
            target,
            model: Model::default(),
            clock,
            ids: HashSet::new(),
            pinned: Vec::new(),
            log: Vec::new(),
            outcomes: Vec::new(),
        }
    }

    /// Invokes `action`, compares its outcome with the model's and returns its values.
    async fn call(
        &mut self,
        action: &str,
        arguments: &[(&str, &str)],
        expected: Result<(), Code>,
    ) -> Result<Option<Value>, Fail> {
        let result = invoke(self.target, action, arguments)
            .await
            .map_err(|e| format!("{e:#}"))?;
        let actual = outcome(&result);
        let shown = match &actual {
            Ok(()) => "ok".to_owned(),
            Err(code) => code.clone(),
        };
        self.log.push(format!("{action} {arguments:?} -> {shown}"));
        self.outcomes.push((action.to_owned(), shown));
        if actual.as_ref().map(|_| ()).map_err(String::as_str) != expected {
            return Err(format!(
                "{action} {arguments:?}: the model expects {expected:?}, the server answered {result}"
            ));
        }
        Ok(actual.is_ok().then(|| result["values"].clone()))
    }

    /// Invokes an action without values: whether it succeeded.
    async fn act(
        &mut self,
        action: &str,
        arguments: &[(&str, &str)],
        expected: Result<(), Code>,
    ) -> Result<bool, Fail> {
        let values = self.call(action, arguments, expected).await?;
        Self::no_values(&values)?;
        Ok(values.is_some())
    }

    /// After a get_* action: checks the record it showed, if any.
    fn got<R: Shown>(
        &mut self,
        values: Option<Value>,
        expected: Result<usize, Code>,
    ) -> Result<bool, Fail> {
        if let (Some(values), Ok(i)) = (&values, expected) {
            self.check::<R>(values, i, false)?;
        }
        Ok(values.is_some())
    }

    /// After a create_* action: checks the values that show the record just added.
    fn created<R: Shown>(&mut self, values: &Value) -> Result<bool, Fail> {
        let i = R::all(&self.model).len() - 1;
        self.check::<R>(values, i, true)?;
        Ok(true)
    }

    /// get_* of a record not bound to a session.
    async fn get<R: Shown>(&mut self, tok: &Tok) -> Result<bool, Fail> {
        let token = self.token(R::KIND, tok);
        let expected = self.model.get::<R>(&token);
        let values = self
            .call(R::NAMES.get, &[(R::NAMES.token, &token)], unit(expected))
            .await?;
        self.got::<R>(values, expected)
    }

    /// delete_* of a record not bound to a session.
    async fn delete<R: Shown>(&mut self, tok: &Tok) -> Result<bool, Fail> {
        let token = self.token(R::KIND, tok);
        let expected = unit(self.model.delete::<R>(&token));
        self.act(R::NAMES.delete, &[(R::NAMES.token, &token)], expected)
            .await
    }

    /// Plays one step; `Ok(true)` when its (last) action succeeded.
    pub async fn step(&mut self, step: &Step) -> Result<bool, Fail> {
        use Step::*;
        let latest = Tok::Issued(Pick::Latest);
        let own = SessionTok::OfRecord;
        Ok(match step {
            Register { email, password } => {
                self.create_signup(email).await?
                    && self.verify_signup_code(&latest, CodeGuess::Sent).await?
                    && self.set_signup_password(&latest, password).await?
                    && self.complete_signup(&latest).await?
            }
            SignIn { email, password } => {
                self.create_signin(email).await?
                    && self.verify_signin_password(&latest, password).await?
                    && self.complete_signin(&latest).await?
            }
            UpdateEmail {
                email,
                code,
                password,
            } => {
                self.create_email_update(&latest, email).await?
                    && self.verify_email_update_code(&own, &latest, *code).await?
                    && self
                        .verify_bound_password::<EmailUpdate>(&own, &latest, password)
                        .await?
                    && self.complete_bound::<EmailUpdate>(&own, &latest).await?
            }
            UpdatePassword { password, new } => {
                self.create_password_update(&latest).await?
                    && self
                        .verify_bound_password::<PasswordUpdate>(&own, &latest, password)
                        .await?
                    && self
                        .set_password_update_new_password(&own, &latest, new)
                        .await?
                    && self.complete_bound::<PasswordUpdate>(&own, &latest).await?
            }
            DeleteAccount { password } => {
                self.create_deletion(&latest).await?
                    && self
                        .verify_bound_password::<Deletion>(&own, &latest, password)
                        .await?
                    && self.complete_bound::<Deletion>(&own, &latest).await?
            }
            ResetPassword {
                email,
                temporary,
                new,
            } => {
                self.create_reset(email).await?
                    && self
                        .verify_reset_temporary_password(&latest, *temporary)
                        .await?
                    && self.set_reset_new_password(&latest, new).await?
                    && self.complete_reset(&latest).await?
            }
            CreateSignup(email) => self.create_signup(email).await?,
            GetSignup(tok) => self.get::<Signup>(tok).await?,
            DeleteSignup(tok) => self.delete::<Signup>(tok).await?,
            SendSignupCode(tok) => self.send_signup_code(tok).await?,
            VerifySignupCode(tok, guess) => self.verify_signup_code(tok, *guess).await?,
            SetSignupPassword(tok, password) => self.set_signup_password(tok, password).await?,
            CompleteSignup(tok) => self.complete_signup(tok).await?,
            CreateSignin(email) => self.create_signin(email).await?,
            GetSignin(tok) => self.get::<Signin>(tok).await?,
            DeleteSignin(tok) => self.delete::<Signin>(tok).await?,
            VerifySigninPassword(tok, guess) => self.verify_signin_password(tok, guess).await?,
            CompleteSignin(tok) => self.complete_signin(tok).await?,
            GetSession(tok) => self.get::<Session>(tok).await?,
            DeleteSession(tok) => self.delete::<Session>(tok).await?,
            DeleteAllSessions(tok) => self.delete_all_sessions(tok).await?,
            CreateEmailUpdate(tok, email) => self.create_email_update(tok, email).await?,
            GetEmailUpdate(session, tok) => self.get_bound::<EmailUpdate>(session, tok).await?,
            DeleteEmailUpdate(session, tok) => {
                self.delete_bound::<EmailUpdate>(session, tok).await?
            }
            SendEmailUpdateCode(session, tok) => self.send_email_update_code(session, tok).await?,
            VerifyEmailUpdateCode(session, tok, guess) => {
                self.verify_email_update_code(session, tok, *guess).await?
            }
            VerifyEmailUpdatePassword(session, tok, guess) => {
                self.verify_bound_password::<EmailUpdate>(session, tok, guess)
                    .await?
            }
            CompleteEmailUpdate(session, tok) => {
                self.complete_bound::<EmailUpdate>(session, tok).await?
            }
            CreatePasswordUpdate(tok) => self.create_password_update(tok).await?,
            GetPasswordUpdate(session, tok) => {
                self.get_bound::<PasswordUpdate>(session, tok).await?
            }
            DeletePasswordUpdate(session, tok) => {
                self.delete_bound::<PasswordUpdate>(session, tok).await?
            }
            VerifyPasswordUpdatePassword(session, tok, guess) => {
                self.verify_bound_password::<PasswordUpdate>(session, tok, guess)
                    .await?
            }
            SetPasswordUpdateNewPassword(session, tok, password) => {
                self.set_password_update_new_password(session, tok, password)
                    .await?
            }
            CompletePasswordUpdate(session, tok) => {
                self.complete_bound::<PasswordUpdate>(session, tok).await?
            }
            CreateDeletion(tok) => self.create_deletion(tok).await?,
            GetDeletion(session, tok) => self.get_bound::<Deletion>(session, tok).await?,
            DeleteDeletion(session, tok) => self.delete_bound::<Deletion>(session, tok).await?,
            VerifyDeletionPassword(session, tok, guess) => {
                self.verify_bound_password::<Deletion>(session, tok, guess)
                    .await?
            }
            CompleteDeletion(session, tok) => self.complete_bound::<Deletion>(session, tok).await?,
            CreateReset(email) => self.create_reset(email).await?,
            GetReset(tok) => self.get::<Reset>(tok).await?,
            DeleteReset(tok) => self.delete::<Reset>(tok).await?,
            VerifyResetTemporaryPassword(tok, guess) => {
                self.verify_reset_temporary_password(tok, *guess).await?
            }
            SetResetNewPassword(tok, password) => {
                self.set_reset_new_password(tok, password).await?
            }
            CompleteReset(tok) => self.complete_reset(tok).await?,
            Repeat { times, step } => {
                let mut ok = false;
                for _ in 0..*times {
                    ok = Box::pin(self.step(step)).await?;
                }
                ok
            }
            Seq(steps) => {
                let mut ok = false;
                for step in steps {
                    ok = Box::pin(self.step(step)).await?;
                }
                ok
            }
            OfUser(step) => {
                let user = self.model.sessions.last().map(|session| session.user);
                let step = match user {
                    Some(user) => step.with_email(&self.model.users[user].email),
                    None => (**step).clone(),
                };
                Box::pin(self.step(&step)).await?
            }
            EnsureSession { emails, password } => {
                let model = &self.model;
                let newest = model.sessions.len().checked_sub(1);
                if newest.is_some_and(|s| {
                    model.sessions[s].alive && model.ended_by::<Session>(s).is_none()
                }) {
                    return Ok(true);
                }
                let user = (0..model.users.len())
                    .rev()
                    .find(|&user| model.user_ok(user));
                let step = match user {
                    Some(user) => SignIn {
                        email: Email(model.users[user].email.clone()),
                        password: Guess::Current,
                    },
                    None => Register {
                        email: emails
                            .iter()
                            .find(|email| model.user_by_email(&email.0).is_none())
                            .unwrap_or(&emails[0])
                            .clone(),
                        password: password.clone(),
                    },
                };
                self.log.push(format!("no valid newest session: {step:?}"));
                Box::pin(self.step(&step)).await?
            }
            Pin => {
                self.pin();
                self.log.push("pinned the newest records".to_owned());
                true
            }
            SetDisabled { email, disabled } => {
                let Some(user) = self.model.user_by_email(&email.0) else {
                    return Ok(false);
                };
                let users = crate::support::users(self.target)
                    .await
                    .map_err(|e| format!("{e:#}"))?;
                let id = users
                    .iter()
                    .find(|u| u["email_address"] == email.0.as_str())
                    .and_then(|u| u["id"].as_str())
                    .ok_or_else(|| format!("the user server has no user {:?}", email.0))?
                    .to_owned();
                self.target
                    .command(
                        json!({ "command": "update_user", "user_id": id, "disabled": disabled }),
                    )
                    .await
                    .map_err(|e| format!("{e:#}"))?;
                self.model.set_disabled(user, *disabled);
                self.log
                    .push(format!("user server: {id} disabled = {disabled}"));
                true
            }
            Advance { seconds } => {
                let by = std::time::Duration::from_secs(seconds.unsigned_abs());
                self.target
                    .advance(by)
                    .await
                    .map_err(|e| format!("{e:#}"))?;
                self.model.now += seconds;
                self.log.push(format!("clock + {seconds} s"));
                true
            }
        })
    }
}
