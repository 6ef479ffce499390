//! Signup (docs/protocol.md §4.1).

use serde_json::{json, Value};

use super::super::model::*;
use super::checks::{Names, Shown};
use super::{unit, CodeGuess, Email, Fail, Password, Run, Tok};

impl Shown for Signup {
    const NAMES: Names = Names {
        record: "signup",
        token: "signup_token",
        members: &[
            "id",
            "unregistered_user_id",
            "email_address",
            "email_address_verified",
            "password_set",
            "created_at",
            "expires_at",
        ],
        get: "get_signup",
        delete: "delete_signup",
    };

    fn shown(&self, _: &Model) -> Vec<(&'static str, Value)> {
        vec![
            ("email_address", json!(self.email)),
            ("email_address_verified", json!(self.verified)),
            ("password_set", json!(self.password.is_some())),
        ]
    }
}

impl Run<'_> {
    pub(super) async fn create_signup(&mut self, email: &Email) -> Result<bool, Fail> {
        let expected = self.model.create_signup(&email.0);
        let Some(values) = self
            .call("create_signup", &[("email_address", &email.0)], expected)
            .await?
        else {
            return Ok(false);
        };
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
        self.created::<Signup>(&values)
    }

    pub(super) async fn send_signup_code(&mut self, tok: &Tok) -> Result<bool, Fail> {
        let token = self.token(Kind::Signup, tok);
        let expected = self.model.send_signup_code(&token);
        let ok = self
            .act(
                "send_signup_email_address_verification_code",
                &[("signup_token", &token)],
                unit(expected),
            )
            .await?;
        if let (true, Ok(i)) = (ok, expected) {
            let record = &self.model.signups[i];
            let (email, code) = (record.email.clone(), record.code.clone());
            self.check_resent("signup", "signup_verification", &email, &code)
                .await?;
        }
        Ok(ok)
    }

    pub(super) async fn verify_signup_code(
        &mut self,
        tok: &Tok,
        guess: CodeGuess,
    ) -> Result<bool, Fail> {
        let token = self.token(Kind::Signup, tok);
        let sent = self.picked::<Signup, _>(tok, |record| record.code.clone());
        let code = self.code(sent.as_deref(), guess);
        let expected = unit(self.model.verify_signup_code(&token, &code));
        self.act(
            "verify_signup_email_address_verification_code",
            &[
                ("signup_token", &token),
                ("email_address_verification_code", &code),
            ],
            expected,
        )
        .await
    }

    pub(super) async fn set_signup_password(
        &mut self,
        tok: &Tok,
        password: &Password,
    ) -> Result<bool, Fail> {
        let token = self.token(Kind::Signup, tok);
        let expected = unit(self.model.set_signup_password(&token, &password.0));
        self.act(
            "set_signup_password",
            &[("signup_token", &token), ("password", &password.0)],
            expected,
        )
        .await
    }

    pub(super) async fn complete_signup(&mut self, tok: &Tok) -> Result<bool, Fail> {
        let token = self.token(Kind::Signup, tok);
        let expected = self.model.complete_signup(&token);
        let values = self
            .call(
                "complete_signup",
                &[("signup_token", &token)],
                unit(expected),
            )
            .await?;
        self.signed_in(values, expected)
    }
}
