//! Sessions (docs/protocol.md §4.3, §5): the new sessions that completed signups, signins and
//! password resets return, and deleting all of a user's sessions.

use serde_json::Value;

use super::super::model::*;
use super::checks::{Names, Shown};
use super::{unit, Fail, Run, Tok};

impl Shown for Session {
    const NAMES: Names = Names {
        record: "session",
        token: "session_token",
        members: &["id", "user_id", "created_at", "expires_at"],
        get: "get_session",
        delete: "delete_session",
    };

    fn shown(&self, _: &Model) -> Vec<(&'static str, Value)> {
        Vec::new()
    }
}

impl Run<'_> {
    /// After an action that signs `user` in (`expected` is the user's index): adds
    /// and checks the new session.
    pub(super) fn signed_in(
        &mut self,
        values: Option<Value>,
        expected: Result<usize, Code>,
    ) -> Result<bool, Fail> {
        let (Some(values), Ok(user)) = (values, expected) else {
            return Ok(false);
        };
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
        self.created::<Session>(&values)
    }

    pub(super) async fn delete_all_sessions(&mut self, tok: &Tok) -> Result<bool, Fail> {
        let token = self.token(Kind::Session, tok);
        let expected = unit(self.model.delete_all_sessions(&token));
        self.act(
            "delete_all_sessions",
            &[("session_token", &token)],
            expected,
        )
        .await
    }
}
