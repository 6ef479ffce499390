//! Signin (docs/protocol.md §4.2).

use serde_json::{json, Value};

use super::super::model::*;
use super::checks::{Names, Shown};
use super::{unit, Email, Fail, Guess, Run, Tok};

impl Shown for Signin {
    const NAMES: Names = Names {
        record: "signin",
        token: "signin_token",
        members: &[
            "id",
            "user_id",
            "user_first_factor_verified",
            "created_at",
            "expires_at",
        ],
        get: "get_signin",
        delete: "delete_signin",
    };

    fn shown(&self, _: &Model) -> Vec<(&'static str, Value)> {
        vec![("user_first_factor_verified", json!(self.verified))]
    }
}

impl Run<'_> {
    pub(super) async fn create_signin(&mut self, email: &Email) -> Result<bool, Fail> {
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
        self.created::<Signin>(&values)
    }

    pub(super) async fn verify_signin_password(
        &mut self,
        tok: &Tok,
        guess: &Guess,
    ) -> Result<bool, Fail> {
        let token = self.token(Kind::Signin, tok);
        let user = self.picked::<Signin, _>(tok, |record| record.user);
        let password = self.guess(user, guess);
        let expected = unit(self.model.verify_signin_password(&token, &password));
        self.act(
            "verify_signin_user_password",
            &[("signin_token", &token), ("password", &password)],
            expected,
        )
        .await
    }

    pub(super) async fn complete_signin(&mut self, tok: &Tok) -> Result<bool, Fail> {
        let token = self.token(Kind::Signin, tok);
        let expected = self.model.complete_signin(&token);
        let values = self
            .call(
                "complete_signin",
                &[("signin_token", &token)],
                unit(expected),
            )
            .await?;
        self.signed_in(values, expected)
    }
}
