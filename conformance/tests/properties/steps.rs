//! Steps of a generated flow, how each picks its inputs, and how the runner plays one
//! against the server and the model side by side.

use std::collections::HashSet;
use std::fmt;

use conformance::redact::{is_id, is_temporary_password, is_token, is_verification_code};
use conformance::runner::CLOCK_START;
use conformance::target::Target;
use serde_json::{json, Value};

use super::model::*;
use crate::support::{invoke, outcome, read_code};

/// An e-mail address argument (printed as the address).
#[derive(Clone, PartialEq, Eq)]
pub struct Email(pub String);

impl fmt::Debug for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.0)
    }
}

/// A password argument (printed as the password).
#[derive(Clone, PartialEq, Eq)]
pub struct Password(pub String);

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.0)
    }
}

/// Which issued record of a kind.
#[derive(Debug, Clone, Copy)]
pub enum Pick {
    Latest,
    /// The n-th record ever issued of the kind (modulo their number), live or not.
    Nth(u8),
}

/// A token argument.
#[derive(Debug, Clone)]
pub enum Tok {
    /// The token the server issued for the picked record (stale if it is gone).
    Issued(Pick),
    /// The picked record's id with another, well-shaped secret.
    WrongSecret(Pick),
    /// The newest token of another kind (e.g. a session token as a signup token).
    OtherKind,
    /// Not a token at all.
    Malformed(Malformed),
}

#[derive(Debug, Clone, Copy)]
pub enum Malformed {
    Empty,
    NoDot,
    TwoDots,
    Garbage,
}

/// The session token argument of a session-bound action.
#[derive(Debug, Clone)]
pub enum SessionTok {
    /// The session the record was created with.
    OfRecord,
    Other(Tok),
}

/// A verification code or temporary password argument.
#[derive(Debug, Clone, Copy)]
pub enum CodeGuess {
    /// What the server e-mailed.
    Sent,
    /// Well-shaped but different.
    Wrong,
    /// What the server e-mailed, lowercased (codes are case-sensitive).
    Lowercased,
}

/// A password to verify against the user's.
#[derive(Debug, Clone)]
pub enum Guess {
    /// The user's current password.
    Current,
    Other(Password),
}

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

/// A well-shaped token no record has.
const UNKNOWN_TOKEN: &str = "abcdefghijkmnpqrstuvwxyz.abcdefghijkmnpqrstuvwxyz";

/// How `created_at` must relate to the clock.
#[derive(Debug, Clone, Copy)]
pub enum Clock {
    /// The in-process manual clock, started at [`CLOCK_START`]: exact.
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
    /// One line per action, for failure messages.
    pub log: Vec<String>,
    /// (action, `ok` or error code) of each action not yet collected.
    pub outcomes: Vec<(String, String)>,
}

type Fail = String;

fn unit<T>(result: Result<T, Code>) -> Result<(), Code> {
    result.map(|_| ())
}

fn token_id(token: &str) -> &str {
    token.split_once('.').map_or(token, |(id, _)| id)
}

fn other_secret(token: &str) -> String {
    let (id, secret) = token.split_once('.').unwrap_or((token, ""));
    let mut chars: Vec<char> = secret.chars().collect();
    match chars.first_mut() {
        Some(first) => *first = if *first == 'a' { 'b' } else { 'a' },
        None => chars.push('a'),
    }
    format!("{id}.{}", chars.into_iter().collect::<String>())
}

fn other_code(code: &str) -> String {
    let mut chars: Vec<char> = code.chars().collect();
    match chars.first_mut() {
        Some(first) => *first = if *first == 'A' { 'B' } else { 'A' },
        None => chars.push('A'),
    }
    chars.into_iter().collect()
}

impl<'a> Run<'a> {
    pub fn new(target: &'a Target, clock: Clock) -> Self {
        Run {
            target,
            model: Model::default(),
            clock,
            ids: HashSet::new(),
            log: Vec::new(),
            outcomes: Vec::new(),
        }
    }

    // Resolving arguments.

    fn tokens(&self, kind: Kind) -> Vec<&str> {
        let model = &self.model;
        match kind {
            Kind::Signup => model.signups.iter().map(|r| r.token.as_str()).collect(),
            Kind::Signin => model.signins.iter().map(|r| r.token.as_str()).collect(),
            Kind::Session => model.sessions.iter().map(|r| r.token.as_str()).collect(),
            Kind::EmailUpdate => model
                .email_updates
                .iter()
                .map(|r| r.token.as_str())
                .collect(),
            Kind::PasswordUpdate => model
                .password_updates
                .iter()
                .map(|r| r.token.as_str())
                .collect(),
            Kind::Deletion => model.deletions.iter().map(|r| r.token.as_str()).collect(),
            Kind::Reset => model.resets.iter().map(|r| r.token.as_str()).collect(),
        }
    }

    fn index(&self, kind: Kind, pick: Pick) -> Option<usize> {
        let count = self.tokens(kind).len();
        match (count, pick) {
            (0, _) => None,
            (n, Pick::Latest) => Some(n - 1),
            (n, Pick::Nth(k)) => Some(usize::from(k) % n),
        }
    }

    /// The record a token argument refers to, if any.
    fn record(&self, kind: Kind, tok: &Tok) -> Option<usize> {
        match tok {
            Tok::Issued(pick) | Tok::WrongSecret(pick) => self.index(kind, *pick),
            Tok::OtherKind | Tok::Malformed(_) => None,
        }
    }

    fn token(&self, kind: Kind, tok: &Tok) -> String {
        let issued = |pick| {
            self.index(kind, pick)
                .map(|i| self.tokens(kind)[i].to_owned())
        };
        match tok {
            Tok::Issued(pick) => issued(*pick).unwrap_or_else(|| UNKNOWN_TOKEN.to_owned()),
            Tok::WrongSecret(pick) => other_secret(&issued(*pick).unwrap_or_default()),
            Tok::OtherKind => self
                .model
                .issued
                .iter()
                .rev()
                .find(|(k, _)| *k != kind)
                .map_or_else(|| UNKNOWN_TOKEN.to_owned(), |(_, t)| t.clone()),
            Tok::Malformed(Malformed::Empty) => String::new(),
            Tok::Malformed(Malformed::NoDot) => "abcdefghijkmnpqrstuvwxyz".to_owned(),
            Tok::Malformed(Malformed::TwoDots) => {
                format!("{}.x", issued(Pick::Latest).unwrap_or_default())
            }
            Tok::Malformed(Malformed::Garbage) => "not a token!".to_owned(),
        }
    }

    /// The session token for a session-bound record of `kind`.
    fn session_token(&self, session: &SessionTok, kind: Kind, record: &Tok) -> String {
        match session {
            SessionTok::Other(tok) => self.token(Kind::Session, tok),
            SessionTok::OfRecord => {
                let session = self.record(kind, record).map(|i| match kind {
                    Kind::EmailUpdate => self.model.email_updates[i].session,
                    Kind::PasswordUpdate => self.model.password_updates[i].session,
                    _ => self.model.deletions[i].session,
                });
                match session {
                    Some(s) => self.model.sessions[s].token.clone(),
                    None => self.token(Kind::Session, &Tok::Issued(Pick::Latest)),
                }
            }
        }
    }

    fn code(&self, sent: Option<&str>, guess: CodeGuess) -> String {
        let sent = sent.unwrap_or("ABCDEFGH");
        match guess {
            CodeGuess::Sent => sent.to_owned(),
            CodeGuess::Wrong => other_code(sent),
            CodeGuess::Lowercased => sent.to_lowercase(),
        }
    }

    fn guess(&self, user: Option<usize>, guess: &Guess) -> String {
        match (guess, user) {
            (Guess::Current, Some(user)) => self.model.users[user].password.clone(),
            (Guess::Current, None) => "nobody's password".to_owned(),
            (Guess::Other(password), _) => password.0.clone(),
        }
    }

    // Talking to the server.

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

    fn expect_keys(values: &Value, what: &str, keys: &[&str]) -> Result<(), Fail> {
        let actual: Vec<&str> = values
            .as_object()
            .map(|m| m.keys().map(String::as_str).collect())
            .unwrap_or_default();
        if actual != keys {
            return Err(format!("{what}: members {actual:?}, expected {keys:?}"));
        }
        Ok(())
    }

    /// Checks a record model (§3.2): its members in order, id shape, timestamps,
    /// booleans, and that `token` (when given) is `<its id>.<secret>`. `fresh`: it
    /// was created just now.
    fn check_record(
        &mut self,
        what: &str,
        record: &Value,
        keys: &[&str],
        lifetime: i64,
        token: Option<&Value>,
        fresh: bool,
    ) -> Result<(), Fail> {
        Self::expect_keys(record, what, keys)?;
        let id = record["id"].as_str().unwrap_or_default();
        if !is_id(id) {
            return Err(format!("{what}.id is not a 24-symbol id: {record}"));
        }
        if let Some(token) = token {
            let token = token.as_str().unwrap_or_default();
            if !is_token(token) || token_id(token) != id {
                return Err(format!("{what} token {token:?} is not `<{id}>.<secret>`"));
            }
            if !self.ids.insert(id.to_owned()) {
                return Err(format!("{what}.id {id} was already issued in this case"));
            }
        }
        for key in keys {
            let value = &record[*key];
            let fine = match *key {
                "session_id" => value.as_str().is_some_and(is_id),
                "user_id" => value.as_str().is_some_and(|s| !s.is_empty()),
                "unregistered_user_id" => value == "",
                "email_address" | "new_email_address" => value.is_string(),
                "created_at" | "expires_at" | "id" => true,
                _ => value.is_boolean(),
            };
            if !fine {
                return Err(format!(
                    "{what}.{key} has the wrong type or shape: {record}"
                ));
            }
        }
        let created = record["created_at"].as_i64();
        let expires = record["expires_at"].as_i64();
        let (Some(created), Some(expires)) = (created, expires) else {
            return Err(format!("{what}: timestamps are not integers: {record}"));
        };
        if expires != created + lifetime {
            return Err(format!(
                "{what}: expires_at is created_at + {}, expected + {lifetime}",
                expires - created
            ));
        }
        if fresh {
            let fine = match self.clock {
                Clock::Manual => created == CLOCK_START + self.model.now,
                Clock::Wall { start } => (start - 1..=self.target.now() + 1).contains(&created),
            };
            if !fine {
                return Err(format!("{what}.created_at {created} is not now"));
            }
        }
        Ok(())
    }

    /// Records the user id the server showed, or checks it against the earlier one.
    fn check_user_id(&mut self, user: usize, record: &Value) -> Result<(), Fail> {
        let shown = record["user_id"].as_str().unwrap_or_default().to_owned();
        match &self.model.users[user].id {
            Some(known) if *known != shown => Err(format!(
                "user_id {shown:?}, but this user was {known:?} before"
            )),
            Some(_) => Ok(()),
            None => {
                self.model.users[user].id = Some(shown);
                Ok(())
            }
        }
    }

    fn check_session(&mut self, values: &Value, user: usize, fresh: bool) -> Result<(), Fail> {
        let session = &values["session"];
        let token = fresh.then(|| &values["session_token"]);
        self.check_record(
            "session",
            session,
            &["id", "user_id", "created_at", "expires_at"],
            SESSION_EXPIRATION,
            token,
            fresh,
        )?;
        self.check_user_id(user, session)
    }

    fn new_session(&mut self, values: &Value, user: usize) -> Result<(), Fail> {
        Self::expect_keys(values, "values", &["session", "session_token"])?;
        self.check_session(values, user, true)?;
        let token = values["session_token"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        self.model.issue(Kind::Session, &token);
        let snapshot = self.model.users[user].counters;
        self.model.sessions.push(Session {
            token,
            user,
            snapshot,
            created: self.model.now,
            alive: true,
        });
        Ok(())
    }

    fn no_values(values: &Option<Value>) -> Result<(), Fail> {
        match values {
            Some(values) => Self::expect_keys(values, "values", &[]),
            None => Ok(()),
        }
    }

    async fn code_sent(&self, kind: &str, email: &str) -> Result<String, Fail> {
        let code = read_code(self.target, kind, email)
            .await
            .map_err(|e| format!("{e:#}"))?;
        let shaped = if kind == "password_reset" {
            is_temporary_password(&code)
        } else {
            is_verification_code(&code)
        };
        if !shaped {
            return Err(format!(
                "the {kind} e-mail to {email} carries {code:?}, not of the documented shape"
            ));
        }
        Ok(code)
    }

    // The steps.

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
                        .verify_email_update_password(&own, &latest, password)
                        .await?
                    && self.complete_email_update(&own, &latest).await?
            }
            UpdatePassword { password, new } => {
                self.create_password_update(&latest).await?
                    && self
                        .verify_password_update_password(&own, &latest, password)
                        .await?
                    && self
                        .set_password_update_new_password(&own, &latest, new)
                        .await?
                    && self.complete_password_update(&own, &latest).await?
            }
            DeleteAccount { password } => {
                self.create_deletion(&latest).await?
                    && self
                        .verify_deletion_password(&own, &latest, password)
                        .await?
                    && self.complete_deletion(&own, &latest).await?
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
            GetSignup(tok) => self.get_signup(tok).await?,
            DeleteSignup(tok) => {
                let token = self.token(Kind::Signup, tok);
                let expected = unit(self.model.delete::<Signup>(&token));
                let values = self
                    .call("delete_signup", &[("signup_token", &token)], expected)
                    .await?;
                Self::no_values(&values)?;
                values.is_some()
            }
            SendSignupCode(tok) => self.send_signup_code(tok).await?,
            VerifySignupCode(tok, guess) => self.verify_signup_code(tok, *guess).await?,
            SetSignupPassword(tok, password) => self.set_signup_password(tok, password).await?,
            CompleteSignup(tok) => self.complete_signup(tok).await?,
            CreateSignin(email) => self.create_signin(email).await?,
            GetSignin(tok) => self.get_signin(tok).await?,
            DeleteSignin(tok) => {
                let token = self.token(Kind::Signin, tok);
                let expected = unit(self.model.delete::<Signin>(&token));
                let values = self
                    .call("delete_signin", &[("signin_token", &token)], expected)
                    .await?;
                Self::no_values(&values)?;
                values.is_some()
            }
            VerifySigninPassword(tok, guess) => self.verify_signin_password(tok, guess).await?,
            CompleteSignin(tok) => self.complete_signin(tok).await?,
            GetSession(tok) => {
                let token = self.token(Kind::Session, tok);
                let expected = self.model.get::<Session>(&token);
                let values = self
                    .call("get_session", &[("session_token", &token)], unit(expected))
                    .await?;
                if let (Some(values), Ok(i)) = (&values, expected) {
                    Self::expect_keys(values, "values", &["session"])?;
                    let user = self.model.sessions[i].user;
                    self.check_session(values, user, false)?;
                }
                values.is_some()
            }
            DeleteSession(tok) => {
                let token = self.token(Kind::Session, tok);
                let expected = unit(self.model.delete::<Session>(&token));
                let values = self
                    .call("delete_session", &[("session_token", &token)], expected)
                    .await?;
                Self::no_values(&values)?;
                values.is_some()
            }
            DeleteAllSessions(tok) => {
                let token = self.token(Kind::Session, tok);
                let expected = unit(self.model.delete_all_sessions(&token));
                let values = self
                    .call(
                        "delete_all_sessions",
                        &[("session_token", &token)],
                        expected,
                    )
                    .await?;
                Self::no_values(&values)?;
                values.is_some()
            }
            CreateEmailUpdate(tok, email) => self.create_email_update(tok, email).await?,
            GetEmailUpdate(session, tok) => {
                let (session, token) = self.bound(session, Kind::EmailUpdate, tok);
                let expected = self.model.get_bound::<EmailUpdate>(&session, &token);
                let values = self
                    .call(
                        "get_user_email_address_update",
                        &[
                            ("session_token", &session),
                            ("user_email_address_update_token", &token),
                        ],
                        unit(expected),
                    )
                    .await?;
                if let (Some(values), Ok(i)) = (&values, expected) {
                    self.check_email_update(values, i, false)?;
                }
                values.is_some()
            }
            DeleteEmailUpdate(session, tok) => {
                let (session, token) = self.bound(session, Kind::EmailUpdate, tok);
                let expected = unit(self.model.delete_bound::<EmailUpdate>(&session, &token));
                self.bound_call(
                    "delete_user_email_address_update",
                    "user_email_address_update_token",
                    &session,
                    &token,
                    expected,
                )
                .await?
            }
            SendEmailUpdateCode(session, tok) => {
                let (session, token) = self.bound(session, Kind::EmailUpdate, tok);
                let expected = self.model.send_email_update_code(&session, &token);
                let ok = self
                    .bound_call(
                        "send_user_email_address_update_email_address_verification_code",
                        "user_email_address_update_token",
                        &session,
                        &token,
                        unit(expected),
                    )
                    .await?;
                if let (true, Ok(i)) = (ok, expected) {
                    let record = &self.model.email_updates[i];
                    let (email, code) = (record.email.clone(), record.code.clone());
                    let resent = self.code_sent("email_update_verification", &email).await?;
                    if resent != code {
                        return Err(format!(
                            "the resent e-mail-update code {resent} differs from the first, {code}"
                        ));
                    }
                }
                ok
            }
            VerifyEmailUpdateCode(session, tok, guess) => {
                self.verify_email_update_code(session, tok, *guess).await?
            }
            VerifyEmailUpdatePassword(session, tok, guess) => {
                self.verify_email_update_password(session, tok, guess)
                    .await?
            }
            CompleteEmailUpdate(session, tok) => self.complete_email_update(session, tok).await?,
            CreatePasswordUpdate(tok) => self.create_password_update(tok).await?,
            GetPasswordUpdate(session, tok) => {
                let (session, token) = self.bound(session, Kind::PasswordUpdate, tok);
                let expected = self.model.get_bound::<PasswordUpdate>(&session, &token);
                let values = self
                    .call(
                        "get_user_password_update",
                        &[
                            ("session_token", &session),
                            ("user_password_update_token", &token),
                        ],
                        unit(expected),
                    )
                    .await?;
                if let (Some(values), Ok(i)) = (&values, expected) {
                    self.check_password_update(values, i, false)?;
                }
                values.is_some()
            }
            DeletePasswordUpdate(session, tok) => {
                let (session, token) = self.bound(session, Kind::PasswordUpdate, tok);
                let expected = unit(self.model.delete_bound::<PasswordUpdate>(&session, &token));
                self.bound_call(
                    "delete_user_password_update",
                    "user_password_update_token",
                    &session,
                    &token,
                    expected,
                )
                .await?
            }
            VerifyPasswordUpdatePassword(session, tok, guess) => {
                self.verify_password_update_password(session, tok, guess)
                    .await?
            }
            SetPasswordUpdateNewPassword(session, tok, password) => {
                self.set_password_update_new_password(session, tok, password)
                    .await?
            }
            CompletePasswordUpdate(session, tok) => {
                self.complete_password_update(session, tok).await?
            }
            CreateDeletion(tok) => self.create_deletion(tok).await?,
            GetDeletion(session, tok) => {
                let (session, token) = self.bound(session, Kind::Deletion, tok);
                let expected = self.model.get_bound::<Deletion>(&session, &token);
                let values = self
                    .call(
                        "get_user_deletion",
                        &[("session_token", &session), ("user_deletion_token", &token)],
                        unit(expected),
                    )
                    .await?;
                if let (Some(values), Ok(i)) = (&values, expected) {
                    self.check_deletion(values, i, false)?;
                }
                values.is_some()
            }
            DeleteDeletion(session, tok) => {
                let (session, token) = self.bound(session, Kind::Deletion, tok);
                let expected = unit(self.model.delete_bound::<Deletion>(&session, &token));
                self.bound_call(
                    "delete_user_deletion",
                    "user_deletion_token",
                    &session,
                    &token,
                    expected,
                )
                .await?
            }
            VerifyDeletionPassword(session, tok, guess) => {
                self.verify_deletion_password(session, tok, guess).await?
            }
            CompleteDeletion(session, tok) => self.complete_deletion(session, tok).await?,
            CreateReset(email) => self.create_reset(email).await?,
            GetReset(tok) => {
                let token = self.token(Kind::Reset, tok);
                let expected = self.model.get::<Reset>(&token);
                let values = self
                    .call(
                        "get_user_password_reset",
                        &[("user_password_reset_token", &token)],
                        unit(expected),
                    )
                    .await?;
                if let (Some(values), Ok(i)) = (&values, expected) {
                    self.check_reset(values, i, false)?;
                }
                values.is_some()
            }
            DeleteReset(tok) => {
                let token = self.token(Kind::Reset, tok);
                let expected = unit(self.model.delete::<Reset>(&token));
                let values = self
                    .call(
                        "delete_user_password_reset",
                        &[("user_password_reset_token", &token)],
                        expected,
                    )
                    .await?;
                Self::no_values(&values)?;
                values.is_some()
            }
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
                self.target.advance(by).map_err(|e| format!("{e:#}"))?;
                self.model.now += seconds;
                self.log.push(format!("clock + {seconds} s"));
                true
            }
        })
    }

    fn bound(&self, session: &SessionTok, kind: Kind, tok: &Tok) -> (String, String) {
        (
            self.session_token(session, kind, tok),
            self.token(kind, tok),
        )
    }

    /// A session-bound action without values.
    async fn bound_call(
        &mut self,
        action: &str,
        token_name: &str,
        session: &str,
        token: &str,
        expected: Result<(), Code>,
    ) -> Result<bool, Fail> {
        let values = self
            .call(
                action,
                &[("session_token", session), (token_name, token)],
                expected,
            )
            .await?;
        Self::no_values(&values)?;
        Ok(values.is_some())
    }

    async fn bound_call_with(
        &mut self,
        action: &str,
        token_name: &str,
        session: &str,
        token: &str,
        extra: (&str, &str),
        expected: Result<(), Code>,
    ) -> Result<bool, Fail> {
        let values = self
            .call(
                action,
                &[("session_token", session), (token_name, token), extra],
                expected,
            )
            .await?;
        Self::no_values(&values)?;
        Ok(values.is_some())
    }

    // Signup.

    async fn create_signup(&mut self, email: &Email) -> Result<bool, Fail> {
        let expected = self.model.create_signup(&email.0);
        let Some(values) = self
            .call("create_signup", &[("email_address", &email.0)], expected)
            .await?
        else {
            return Ok(false);
        };
        Self::expect_keys(&values, "values", &["signup", "signup_token"])?;
        self.check_signup_values(
            &values["signup"],
            Some(&values["signup_token"]),
            &email.0,
            false,
            false,
        )?;
        let code = self.code_sent("signup_verification", &email.0).await?;
        let token = values["signup_token"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        self.model.issue(Kind::Signup, &token);
        self.model.signups.push(Signup {
            token,
            email: email.0.clone(),
            code,
            verified: false,
            password: None,
            created: self.model.now,
            alive: true,
        });
        Ok(true)
    }

    fn check_signup_values(
        &mut self,
        signup: &Value,
        token: Option<&Value>,
        email: &str,
        verified: bool,
        password_set: bool,
    ) -> Result<(), Fail> {
        self.check_record(
            "signup",
            signup,
            &[
                "id",
                "unregistered_user_id",
                "email_address",
                "email_address_verified",
                "password_set",
                "created_at",
                "expires_at",
            ],
            SIGNUP_LIFETIME,
            token,
            token.is_some(),
        )?;
        let shown = (
            signup["email_address"].as_str(),
            signup["email_address_verified"].as_bool(),
            signup["password_set"].as_bool(),
        );
        if shown != (Some(email), Some(verified), Some(password_set)) {
            return Err(format!(
                "signup shows (email, verified, password set) {shown:?}, the model has {:?}",
                (email, verified, password_set)
            ));
        }
        Ok(())
    }

    async fn get_signup(&mut self, tok: &Tok) -> Result<bool, Fail> {
        let token = self.token(Kind::Signup, tok);
        let expected = self.model.get::<Signup>(&token);
        let values = self
            .call("get_signup", &[("signup_token", &token)], unit(expected))
            .await?;
        if let (Some(values), Ok(i)) = (&values, expected) {
            Self::expect_keys(values, "values", &["signup"])?;
            let record = &self.model.signups[i];
            let (email, verified, set) = (
                record.email.clone(),
                record.verified,
                record.password.is_some(),
            );
            self.check_signup_values(&values["signup"], None, &email, verified, set)?;
        }
        Ok(values.is_some())
    }

    async fn send_signup_code(&mut self, tok: &Tok) -> Result<bool, Fail> {
        let token = self.token(Kind::Signup, tok);
        let expected = self.model.send_signup_code(&token);
        let values = self
            .call(
                "send_signup_email_address_verification_code",
                &[("signup_token", &token)],
                unit(expected),
            )
            .await?;
        Self::no_values(&values)?;
        if let (Some(_), Ok(i)) = (&values, expected) {
            let record = &self.model.signups[i];
            let (email, code) = (record.email.clone(), record.code.clone());
            let resent = self.code_sent("signup_verification", &email).await?;
            if resent != code {
                return Err(format!(
                    "the resent signup code {resent} differs from the first, {code}"
                ));
            }
        }
        Ok(values.is_some())
    }

    async fn verify_signup_code(&mut self, tok: &Tok, guess: CodeGuess) -> Result<bool, Fail> {
        let token = self.token(Kind::Signup, tok);
        let sent = self
            .record(Kind::Signup, tok)
            .map(|i| self.model.signups[i].code.clone());
        let code = self.code(sent.as_deref(), guess);
        let expected = unit(self.model.verify_signup_code(&token, &code));
        let values = self
            .call(
                "verify_signup_email_address_verification_code",
                &[
                    ("signup_token", &token),
                    ("email_address_verification_code", &code),
                ],
                expected,
            )
            .await?;
        Self::no_values(&values)?;
        Ok(values.is_some())
    }

    async fn set_signup_password(&mut self, tok: &Tok, password: &Password) -> Result<bool, Fail> {
        let token = self.token(Kind::Signup, tok);
        let expected = unit(self.model.set_signup_password(&token, &password.0));
        let values = self
            .call(
                "set_signup_password",
                &[("signup_token", &token), ("password", &password.0)],
                expected,
            )
            .await?;
        Self::no_values(&values)?;
        Ok(values.is_some())
    }

    async fn complete_signup(&mut self, tok: &Tok) -> Result<bool, Fail> {
        let token = self.token(Kind::Signup, tok);
        let expected = self.model.complete_signup(&token);
        let values = self
            .call(
                "complete_signup",
                &[("signup_token", &token)],
                unit(expected),
            )
            .await?;
        if let (Some(values), Ok(user)) = (&values, expected) {
            self.new_session(values, user)?;
        }
        Ok(values.is_some())
    }

    // Signin.

    async fn create_signin(&mut self, email: &Email) -> Result<bool, Fail> {
        let expected = self.model.create_signin(&email.0);
        let values = self
            .call(
                "create_signin",
                &[("user_email_address", &email.0)],
                unit(expected),
            )
            .await?;
        let (Some(values), Ok(user)) = (values, expected) else {
            return Ok(false);
        };
        Self::expect_keys(&values, "values", &["signin", "signin_token"])?;
        self.check_signin_values(
            &values["signin"],
            Some(&values["signin_token"]),
            user,
            false,
        )?;
        let token = values["signin_token"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        self.model.issue(Kind::Signin, &token);
        let snapshot = self.model.users[user].counters;
        self.model.signins.push(Signin {
            token,
            user,
            verified: false,
            snapshot,
            created: self.model.now,
            alive: true,
        });
        Ok(true)
    }

    fn check_signin_values(
        &mut self,
        signin: &Value,
        token: Option<&Value>,
        user: usize,
        verified: bool,
    ) -> Result<(), Fail> {
        self.check_record(
            "signin",
            signin,
            &[
                "id",
                "user_id",
                "user_first_factor_verified",
                "created_at",
                "expires_at",
            ],
            SIGNIN_LIFETIME,
            token,
            token.is_some(),
        )?;
        self.check_user_id(user, signin)?;
        if signin["user_first_factor_verified"] != verified {
            return Err(format!(
                "signin shows {signin}, the model has verified = {verified}"
            ));
        }
        Ok(())
    }

    async fn get_signin(&mut self, tok: &Tok) -> Result<bool, Fail> {
        let token = self.token(Kind::Signin, tok);
        let expected = self.model.get::<Signin>(&token);
        let values = self
            .call("get_signin", &[("signin_token", &token)], unit(expected))
            .await?;
        if let (Some(values), Ok(i)) = (&values, expected) {
            Self::expect_keys(values, "values", &["signin"])?;
            let (user, verified) = (self.model.signins[i].user, self.model.signins[i].verified);
            self.check_signin_values(&values["signin"], None, user, verified)?;
        }
        Ok(values.is_some())
    }

    async fn verify_signin_password(&mut self, tok: &Tok, guess: &Guess) -> Result<bool, Fail> {
        let token = self.token(Kind::Signin, tok);
        let user = self
            .record(Kind::Signin, tok)
            .map(|i| self.model.signins[i].user);
        let password = self.guess(user, guess);
        let expected = unit(self.model.verify_signin_password(&token, &password));
        let values = self
            .call(
                "verify_signin_user_password",
                &[("signin_token", &token), ("password", &password)],
                expected,
            )
            .await?;
        Self::no_values(&values)?;
        Ok(values.is_some())
    }

    async fn complete_signin(&mut self, tok: &Tok) -> Result<bool, Fail> {
        let token = self.token(Kind::Signin, tok);
        let expected = self.model.complete_signin(&token);
        let values = self
            .call(
                "complete_signin",
                &[("signin_token", &token)],
                unit(expected),
            )
            .await?;
        if let (Some(values), Ok(user)) = (&values, expected) {
            self.new_session(values, user)?;
        }
        Ok(values.is_some())
    }

    // E-mail address update.

    fn check_email_update(&mut self, values: &Value, i: usize, fresh: bool) -> Result<(), Fail> {
        let record = &self.model.email_updates[i];
        let (user, email, verified, identity, session) = (
            record.user,
            record.email.clone(),
            record.verified,
            record.identity_verified,
            record.session,
        );
        let update = &values["user_email_address_update"];
        if fresh {
            Self::expect_keys(
                values,
                "values",
                &[
                    "user_email_address_update",
                    "user_email_address_update_token",
                ],
            )?;
        } else {
            Self::expect_keys(values, "values", &["user_email_address_update"])?;
        }
        self.check_record(
            "user_email_address_update",
            update,
            &[
                "id",
                "user_id",
                "session_id",
                "new_email_address",
                "new_email_address_verified",
                "user_identity_verified",
                "created_at",
                "expires_at",
            ],
            EMAIL_UPDATE_LIFETIME,
            fresh.then(|| &values["user_email_address_update_token"]),
            fresh,
        )?;
        self.check_user_id(user, update)?;
        let session_id = token_id(&self.model.sessions[session].token).to_owned();
        let shown = (
            update["session_id"].as_str(),
            update["new_email_address"].as_str(),
            update["new_email_address_verified"].as_bool(),
            update["user_identity_verified"].as_bool(),
        );
        let model = (
            Some(session_id.as_str()),
            Some(email.as_str()),
            Some(verified),
            Some(identity),
        );
        if shown != model {
            return Err(format!(
                "user_email_address_update shows {shown:?}, the model has {model:?}"
            ));
        }
        Ok(())
    }

    async fn create_email_update(&mut self, tok: &Tok, email: &Email) -> Result<bool, Fail> {
        let session = self.token(Kind::Session, tok);
        let expected = self.model.create_email_update(&session, &email.0);
        let values = self
            .call(
                "create_user_email_address_update",
                &[("session_token", &session), ("new_email_address", &email.0)],
                unit(expected),
            )
            .await?;
        let (Some(values), Ok(s)) = (values, expected) else {
            return Ok(false);
        };
        let code = self
            .code_sent("email_update_verification", &email.0)
            .await?;
        let token = values["user_email_address_update_token"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        self.model.issue(Kind::EmailUpdate, &token);
        let user = self.model.sessions[s].user;
        let snapshot = self.model.users[user].counters;
        self.model.email_updates.push(EmailUpdate {
            token,
            user,
            session: s,
            email: email.0.clone(),
            code,
            verified: false,
            identity_verified: false,
            snapshot,
            created: self.model.now,
            alive: true,
        });
        self.check_email_update(&values, self.model.email_updates.len() - 1, true)?;
        Ok(true)
    }

    async fn verify_email_update_code(
        &mut self,
        session: &SessionTok,
        tok: &Tok,
        guess: CodeGuess,
    ) -> Result<bool, Fail> {
        let (session, token) = self.bound(session, Kind::EmailUpdate, tok);
        let sent = self
            .record(Kind::EmailUpdate, tok)
            .map(|i| self.model.email_updates[i].code.clone());
        let code = self.code(sent.as_deref(), guess);
        let expected = unit(self.model.verify_email_update_code(&session, &token, &code));
        self.bound_call_with(
            "verify_user_email_address_update_email_address_verification_code",
            "user_email_address_update_token",
            &session,
            &token,
            ("email_address_verification_code", &code),
            expected,
        )
        .await
    }

    async fn verify_email_update_password(
        &mut self,
        session: &SessionTok,
        tok: &Tok,
        guess: &Guess,
    ) -> Result<bool, Fail> {
        let (session, token) = self.bound(session, Kind::EmailUpdate, tok);
        let user = self
            .record(Kind::EmailUpdate, tok)
            .map(|i| self.model.email_updates[i].user);
        let password = self.guess(user, guess);
        let expected = unit(
            self.model
                .verify_email_update_password(&session, &token, &password),
        );
        self.bound_call_with(
            "verify_user_email_address_update_user_password",
            "user_email_address_update_token",
            &session,
            &token,
            ("password", &password),
            expected,
        )
        .await
    }

    async fn complete_email_update(
        &mut self,
        session: &SessionTok,
        tok: &Tok,
    ) -> Result<bool, Fail> {
        let (session, token) = self.bound(session, Kind::EmailUpdate, tok);
        let expected = unit(self.model.complete_email_update(&session, &token));
        self.bound_call(
            "complete_user_email_address_update",
            "user_email_address_update_token",
            &session,
            &token,
            expected,
        )
        .await
    }

    // Password update.

    fn check_password_update(&mut self, values: &Value, i: usize, fresh: bool) -> Result<(), Fail> {
        let record = &self.model.password_updates[i];
        let (user, identity, new_set, session) = (
            record.user,
            record.identity_verified,
            record.new_password.is_some(),
            record.session,
        );
        if fresh {
            Self::expect_keys(
                values,
                "values",
                &["user_password_update", "user_password_update_token"],
            )?;
        } else {
            Self::expect_keys(values, "values", &["user_password_update"])?;
        }
        let update = &values["user_password_update"];
        self.check_record(
            "user_password_update",
            update,
            &[
                "id",
                "user_id",
                "session_id",
                "user_identity_verified",
                "new_password_set",
                "created_at",
                "expires_at",
            ],
            PASSWORD_UPDATE_LIFETIME,
            fresh.then(|| &values["user_password_update_token"]),
            fresh,
        )?;
        self.check_user_id(user, update)?;
        let session_id = token_id(&self.model.sessions[session].token).to_owned();
        let shown = (
            update["session_id"].as_str(),
            update["user_identity_verified"].as_bool(),
            update["new_password_set"].as_bool(),
        );
        let model = (Some(session_id.as_str()), Some(identity), Some(new_set));
        if shown != model {
            return Err(format!(
                "user_password_update shows {shown:?}, the model has {model:?}"
            ));
        }
        Ok(())
    }

    async fn create_password_update(&mut self, tok: &Tok) -> Result<bool, Fail> {
        let session = self.token(Kind::Session, tok);
        let expected = self.model.create_password_update(&session);
        let values = self
            .call(
                "create_user_password_update",
                &[("session_token", &session)],
                unit(expected),
            )
            .await?;
        let (Some(values), Ok(s)) = (values, expected) else {
            return Ok(false);
        };
        let token = values["user_password_update_token"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        self.model.issue(Kind::PasswordUpdate, &token);
        let user = self.model.sessions[s].user;
        let snapshot = self.model.users[user].counters;
        self.model.password_updates.push(PasswordUpdate {
            token,
            user,
            session: s,
            identity_verified: false,
            new_password: None,
            snapshot,
            created: self.model.now,
            alive: true,
        });
        self.check_password_update(&values, self.model.password_updates.len() - 1, true)?;
        Ok(true)
    }

    async fn verify_password_update_password(
        &mut self,
        session: &SessionTok,
        tok: &Tok,
        guess: &Guess,
    ) -> Result<bool, Fail> {
        let (session, token) = self.bound(session, Kind::PasswordUpdate, tok);
        let user = self
            .record(Kind::PasswordUpdate, tok)
            .map(|i| self.model.password_updates[i].user);
        let password = self.guess(user, guess);
        let expected = unit(
            self.model
                .verify_password_update_password(&session, &token, &password),
        );
        self.bound_call_with(
            "verify_user_password_update_user_password",
            "user_password_update_token",
            &session,
            &token,
            ("password", &password),
            expected,
        )
        .await
    }

    async fn set_password_update_new_password(
        &mut self,
        session: &SessionTok,
        tok: &Tok,
        password: &Password,
    ) -> Result<bool, Fail> {
        let (session, token) = self.bound(session, Kind::PasswordUpdate, tok);
        let expected = unit(self.model.set_password_update_new_password(
            &session,
            &token,
            &password.0,
        ));
        self.bound_call_with(
            "set_user_password_update_new_password",
            "user_password_update_token",
            &session,
            &token,
            ("password", &password.0),
            expected,
        )
        .await
    }

    async fn complete_password_update(
        &mut self,
        session: &SessionTok,
        tok: &Tok,
    ) -> Result<bool, Fail> {
        let (session, token) = self.bound(session, Kind::PasswordUpdate, tok);
        let expected = unit(self.model.complete_password_update(&session, &token));
        self.bound_call(
            "complete_user_password_update",
            "user_password_update_token",
            &session,
            &token,
            expected,
        )
        .await
    }

    // User deletion.

    fn check_deletion(&mut self, values: &Value, i: usize, fresh: bool) -> Result<(), Fail> {
        let record = &self.model.deletions[i];
        let (user, identity, session) = (record.user, record.identity_verified, record.session);
        if fresh {
            Self::expect_keys(values, "values", &["user_deletion", "user_deletion_token"])?;
        } else {
            Self::expect_keys(values, "values", &["user_deletion"])?;
        }
        let deletion = &values["user_deletion"];
        self.check_record(
            "user_deletion",
            deletion,
            &[
                "id",
                "user_id",
                "session_id",
                "user_identity_verified",
                "created_at",
                "expires_at",
            ],
            DELETION_LIFETIME,
            fresh.then(|| &values["user_deletion_token"]),
            fresh,
        )?;
        self.check_user_id(user, deletion)?;
        let session_id = token_id(&self.model.sessions[session].token).to_owned();
        let shown = (
            deletion["session_id"].as_str(),
            deletion["user_identity_verified"].as_bool(),
        );
        let model = (Some(session_id.as_str()), Some(identity));
        if shown != model {
            return Err(format!(
                "user_deletion shows {shown:?}, the model has {model:?}"
            ));
        }
        Ok(())
    }

    async fn create_deletion(&mut self, tok: &Tok) -> Result<bool, Fail> {
        let session = self.token(Kind::Session, tok);
        let expected = self.model.create_deletion(&session);
        let values = self
            .call(
                "create_user_deletion",
                &[("session_token", &session)],
                unit(expected),
            )
            .await?;
        let (Some(values), Ok(s)) = (values, expected) else {
            return Ok(false);
        };
        let token = values["user_deletion_token"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        self.model.issue(Kind::Deletion, &token);
        let user = self.model.sessions[s].user;
        let snapshot = self.model.users[user].counters;
        self.model.deletions.push(Deletion {
            token,
            user,
            session: s,
            identity_verified: false,
            snapshot,
            created: self.model.now,
            alive: true,
        });
        self.check_deletion(&values, self.model.deletions.len() - 1, true)?;
        Ok(true)
    }

    async fn verify_deletion_password(
        &mut self,
        session: &SessionTok,
        tok: &Tok,
        guess: &Guess,
    ) -> Result<bool, Fail> {
        let (session, token) = self.bound(session, Kind::Deletion, tok);
        let user = self
            .record(Kind::Deletion, tok)
            .map(|i| self.model.deletions[i].user);
        let password = self.guess(user, guess);
        let expected = unit(
            self.model
                .verify_deletion_password(&session, &token, &password),
        );
        self.bound_call_with(
            "verify_user_deletion_user_password",
            "user_deletion_token",
            &session,
            &token,
            ("password", &password),
            expected,
        )
        .await
    }

    async fn complete_deletion(&mut self, session: &SessionTok, tok: &Tok) -> Result<bool, Fail> {
        let (session, token) = self.bound(session, Kind::Deletion, tok);
        let expected = unit(self.model.complete_deletion(&session, &token));
        self.bound_call(
            "complete_user_deletion",
            "user_deletion_token",
            &session,
            &token,
            expected,
        )
        .await
    }

    // Password reset.

    fn check_reset(&mut self, values: &Value, i: usize, fresh: bool) -> Result<(), Fail> {
        let record = &self.model.resets[i];
        let (user, verified, new_set) =
            (record.user, record.verified, record.new_password.is_some());
        if fresh {
            Self::expect_keys(
                values,
                "values",
                &["user_password_reset", "user_password_reset_token"],
            )?;
        } else {
            Self::expect_keys(values, "values", &["user_password_reset"])?;
        }
        let reset = &values["user_password_reset"];
        self.check_record(
            "user_password_reset",
            reset,
            &[
                "id",
                "user_id",
                "user_first_factor_verified",
                "new_password_set",
                "created_at",
                "expires_at",
            ],
            RESET_LIFETIME,
            fresh.then(|| &values["user_password_reset_token"]),
            fresh,
        )?;
        self.check_user_id(user, reset)?;
        let shown = (
            reset["user_first_factor_verified"].as_bool(),
            reset["new_password_set"].as_bool(),
        );
        if shown != (Some(verified), Some(new_set)) {
            return Err(format!(
                "user_password_reset shows {shown:?}, the model has {:?}",
                (verified, new_set)
            ));
        }
        Ok(())
    }

    async fn create_reset(&mut self, email: &Email) -> Result<bool, Fail> {
        let expected = self.model.create_reset(&email.0);
        let values = self
            .call(
                "create_user_password_reset",
                &[("user_email_address", &email.0)],
                unit(expected),
            )
            .await?;
        let (Some(values), Ok(user)) = (values, expected) else {
            return Ok(false);
        };
        let temporary_password = self.code_sent("password_reset", &email.0).await?;
        let token = values["user_password_reset_token"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        self.model.issue(Kind::Reset, &token);
        let snapshot = self.model.users[user].counters;
        self.model.resets.push(Reset {
            token,
            user,
            temporary_password,
            verified: false,
            new_password: None,
            snapshot,
            created: self.model.now,
            alive: true,
        });
        self.check_reset(&values, self.model.resets.len() - 1, true)?;
        Ok(true)
    }

    async fn verify_reset_temporary_password(
        &mut self,
        tok: &Tok,
        guess: CodeGuess,
    ) -> Result<bool, Fail> {
        let token = self.token(Kind::Reset, tok);
        let sent = self
            .record(Kind::Reset, tok)
            .map(|i| self.model.resets[i].temporary_password.clone());
        let temporary = self.code(sent.as_deref(), guess);
        let expected = unit(
            self.model
                .verify_reset_temporary_password(&token, &temporary),
        );
        let values = self
            .call(
                "verify_user_password_reset_temporary_password",
                &[
                    ("user_password_reset_token", &token),
                    ("temporary_password", &temporary),
                ],
                expected,
            )
            .await?;
        Self::no_values(&values)?;
        Ok(values.is_some())
    }

    async fn set_reset_new_password(
        &mut self,
        tok: &Tok,
        password: &Password,
    ) -> Result<bool, Fail> {
        let token = self.token(Kind::Reset, tok);
        let expected = unit(self.model.set_reset_new_password(&token, &password.0));
        let values = self
            .call(
                "set_user_password_reset_new_password",
                &[
                    ("user_password_reset_token", &token),
                    ("password", &password.0),
                ],
                expected,
            )
            .await?;
        Self::no_values(&values)?;
        Ok(values.is_some())
    }

    async fn complete_reset(&mut self, tok: &Tok) -> Result<bool, Fail> {
        let token = self.token(Kind::Reset, tok);
        let expected = self.model.complete_reset(&token);
        let values = self
            .call(
                "complete_user_password_reset",
                &[("user_password_reset_token", &token)],
                unit(expected),
            )
            .await?;
        if let (Some(values), Ok(user)) = (&values, expected) {
            self.new_session(values, user)?;
        }
        Ok(values.is_some())
    }
}
