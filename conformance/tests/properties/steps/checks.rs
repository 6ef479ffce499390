//! Checks on what the server returns: record models (docs/protocol.md §3.2) against the model's
//! records, and e-mailed codes.

use conformance::redact::{is_id, is_temporary_password, is_token, is_verification_code};
use conformance::runner::CLOCK_START;
use serde_json::Value;

use super::super::model::*;
use super::{Clock, Fail, Run};
use crate::support::read_code;

/// How the protocol names a kind of record and its actions.
pub struct Names {
    /// The member of `values` holding the record (and its name in messages).
    pub record: &'static str,
    /// The token argument, and the member of `values` holding a new token.
    pub token: &'static str,
    /// The members of the record model, in order.
    pub members: &'static [&'static str],
    pub get: &'static str,
    pub delete: &'static str,
}

/// A kind of record as the server shows it.
pub trait Shown: Record {
    const NAMES: Names;
    /// The members of its record model the model predicts, beyond its id, user id,
    /// and timestamps.
    fn shown(&self, model: &Model) -> Vec<(&'static str, Value)>;
}

pub fn token_id(token: &str) -> &str {
    token.split_once('.').map_or(token, |(id, _)| id)
}

impl Run<'_> {
    pub(super) fn expect_keys(values: &Value, what: &str, keys: &[&str]) -> Result<(), Fail> {
        let actual: Vec<&str> = values
            .as_object()
            .map(|m| m.keys().map(String::as_str).collect())
            .unwrap_or_default();
        if actual != keys {
            return Err(format!("{what}: members {actual:?}, expected {keys:?}"));
        }
        Ok(())
    }

    pub(super) fn no_values(values: &Option<Value>) -> Result<(), Fail> {
        match values {
            Some(values) => Self::expect_keys(values, "values", &[]),
            None => Ok(()),
        }
    }

    /// Checks the values that show record `i` of kind `R`: its record model, and its
    /// new token when `fresh` (created just now).
    pub(super) fn check<R: Shown>(
        &mut self,
        values: &Value,
        i: usize,
        fresh: bool,
    ) -> Result<(), Fail> {
        let names = &R::NAMES;
        if fresh {
            Self::expect_keys(values, "values", &[names.record, names.token])?;
        } else {
            Self::expect_keys(values, "values", &[names.record])?;
        }
        let record = &values[names.record];
        self.check_record(
            names.record,
            record,
            names.members,
            R::VALIDITY.lifetime,
            fresh.then(|| &values[names.token]),
            fresh,
        )?;
        let modelled = &R::all(&self.model)[i];
        let (owner, expected) = (modelled.owner(), modelled.shown(&self.model));
        if let Some((user, _)) = owner {
            self.check_user_id(user, record)?;
        }
        let shown: Vec<(&str, Value)> = expected
            .iter()
            .map(|(member, _)| (*member, record[*member].clone()))
            .collect();
        if shown != expected {
            return Err(format!(
                "{} shows {shown:?}, the model has {expected:?}",
                names.record
            ));
        }
        Ok(())
    }

    /// Checks a record model (docs/protocol.md §3.2): its members in order, id shape, timestamps,
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

    /// The code (or temporary password) the last `kind` e-mail to `email` carries.
    pub(super) async fn code_sent(&self, kind: &str, email: &str) -> Result<String, Fail> {
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

    /// After a resend: the code e-mailed again must be the first one.
    pub(super) async fn check_resent(
        &self,
        what: &str,
        kind: &str,
        email: &str,
        code: &str,
    ) -> Result<(), Fail> {
        let resent = self.code_sent(kind, email).await?;
        if resent != code {
            return Err(format!(
                "the resent {what} code {resent} differs from the first, {code}"
            ));
        }
        Ok(())
    }
}
