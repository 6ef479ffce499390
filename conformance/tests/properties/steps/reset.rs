//! Password reset (docs/protocol.md §4.7).

use serde_json::{json, Value};

use super::super::model::*;
use super::checks::{Names, Shown};
use super::{unit, CodeGuess, Email, Fail, Password, Run, Tok};

impl Shown for Reset {
    const NAMES: Names = Names {
        record: "user_password_reset",
        token: "user_password_reset_token",
        members: &[
            "id",
            "user_id",
            "user_first_factor_verified",
            "new_password_set",
            "created_at",
            "expires_at",
        ],
        get: "get_user_password_reset",
        delete: "delete_user_password_reset",
    };

    fn shown(&self, _: &Model) -> Vec<(&'static str, Value)> {
        vec![
            ("user_first_factor_verified", json!(self.verified)),
            ("new_password_set", json!(self.new_password.is_some())),
        ]
    }
}

impl Run<'_> {
    pub(super) async fn create_reset(&mut self, email: &Email) -> Result<bool, Fail> {
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
        self.created::<Reset>(&values)
    }

    pub(super) async fn verify_reset_temporary_password(
        &mut self,
        tok: &Tok,
        guess: CodeGuess,
    ) -> Result<bool, Fail> {
        let token = self.token(Kind::Reset, tok);
        let sent = self.picked::<Reset, _>(tok, |record| record.temporary_password.clone());
        let temporary = self.code(sent.as_deref(), guess);
        let expected = unit(
            self.model
                .verify_reset_temporary_password(&token, &temporary),
        );
        self.act(
            "verify_user_password_reset_temporary_password",
            &[
                ("user_password_reset_token", &token),
                ("temporary_password", &temporary),
            ],
            expected,
        )
        .await
    }

    pub(super) async fn set_reset_new_password(
        &mut self,
        tok: &Tok,
        password: &Password,
    ) -> Result<bool, Fail> {
        let token = self.token(Kind::Reset, tok);
        let expected = unit(self.model.set_reset_new_password(&token, &password.0));
        self.act(
            "set_user_password_reset_new_password",
            &[
                ("user_password_reset_token", &token),
                ("password", &password.0),
            ],
            expected,
        )
        .await
    }

    pub(super) async fn complete_reset(&mut self, tok: &Tok) -> Result<bool, Fail> {
        let token = self.token(Kind::Reset, tok);
        let expected = self.model.complete_reset(&token);
        let values = self
            .call(
                "complete_user_password_reset",
                &[("user_password_reset_token", &token)],
                unit(expected),
            )
            .await?;
        self.signed_in(values, expected)
    }
}
