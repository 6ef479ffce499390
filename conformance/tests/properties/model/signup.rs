//! Signup (docs/protocol.md §4.1).

use super::*;

impl Model {
    // Signup (docs/protocol.md §4.1).

    pub fn create_signup(&mut self, email: &str) -> Result<(), Code> {
        if !valid_email(email) {
            return Err("invalid_email_address");
        }
        if self.email_in_use(email) {
            return Err("email_address_already_used");
        }
        self.mail_code(email)
    }

    pub fn send_signup_code(&mut self, token: &str) -> Result<usize, Code> {
        let i = self.validate::<Signup>(token)?;
        if self.signups[i].verified {
            return Err("email_address_already_verified");
        }
        let email = self.signups[i].email.clone();
        self.mail_code(&email)?;
        Ok(i)
    }

    pub fn verify_signup_code(&mut self, token: &str, code: &str) -> Result<usize, Code> {
        let i = self.validate::<Signup>(token)?;
        let record = &self.signups[i];
        if record.verified {
            return Err("email_address_already_verified");
        }
        let (email, sent) = (record.email.clone(), record.code.clone());
        self.check_code(&email, &sent, code)?;
        self.signups[i].verified = true;
        Ok(i)
    }

    pub fn set_signup_password(&mut self, token: &str, password: &str) -> Result<usize, Code> {
        let i = self.validate::<Signup>(token)?;
        if !self.signups[i].verified {
            return Err("email_address_not_verified");
        }
        set_once(
            &mut self.signups[i].password,
            password,
            "password_already_set",
        )?;
        Ok(i)
    }

    /// The new user's index.
    pub fn complete_signup(&mut self, token: &str) -> Result<usize, Code> {
        let i = self.validate::<Signup>(token)?;
        if !self.signups[i].verified {
            return Err("email_address_not_verified");
        }
        let Some(password) = self.signups[i].password.clone() else {
            return Err("password_not_set");
        };
        self.signups[i].alive = false;
        let email = self.signups[i].email.clone();
        if self.email_in_use(&email) {
            return Err(SIGNUP);
        }
        self.users.push(User {
            email,
            password,
            id: None,
            disabled: false,
            deleted: false,
            counters: Counters::default(),
        });
        Ok(self.users.len() - 1)
    }
}
