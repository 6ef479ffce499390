//! The session-bound flows: e-mail address update (docs/protocol.md §4.4), password update (§4.5), user deletion (§4.6).

use super::*;

impl Model {
    // E-mail address update (docs/protocol.md §4.4).

    /// The session's index.
    pub fn create_email_update(&mut self, session: &str, email: &str) -> Result<usize, Code> {
        if !valid_email(email) {
            return Err("invalid_email_address");
        }
        let s = self.validate::<Session>(session)?;
        if self.email_in_use(email) {
            return Err("email_address_already_used");
        }
        self.mail_code(email)?;
        Ok(s)
    }

    pub fn send_email_update_code(&mut self, session: &str, token: &str) -> Result<usize, Code> {
        let i = self.bound::<EmailUpdate>(session, token)?;
        if self.email_updates[i].verified {
            return Err("email_address_already_verified");
        }
        let email = self.email_updates[i].email.clone();
        self.mail_code(&email)?;
        Ok(i)
    }

    pub fn verify_email_update_code(
        &mut self,
        session: &str,
        token: &str,
        code: &str,
    ) -> Result<usize, Code> {
        let i = self.bound::<EmailUpdate>(session, token)?;
        let record = &self.email_updates[i];
        if record.verified {
            return Err("email_address_already_verified");
        }
        let (email, sent) = (record.email.clone(), record.code.clone());
        self.check_code(&email, &sent, code)?;
        self.email_updates[i].verified = true;
        Ok(i)
    }

    pub(super) fn new_address_verified(&self, i: usize) -> Result<(), Code> {
        if !self.email_updates[i].verified {
            return Err("email_address_not_verified");
        }
        Ok(())
    }

    pub fn verify_email_update_password(
        &mut self,
        session: &str,
        token: &str,
        password: &str,
    ) -> Result<usize, Code> {
        let i = self.bound::<EmailUpdate>(session, token)?;
        self.new_address_verified(i)?;
        self.verify_identity::<EmailUpdate>(i, password)
    }

    pub fn complete_email_update(&mut self, session: &str, token: &str) -> Result<usize, Code> {
        let i = self.bound::<EmailUpdate>(session, token)?;
        self.new_address_verified(i)?;
        self.identified::<EmailUpdate>(i)?;
        self.email_updates[i].alive = false;
        let email = self.email_updates[i].email.clone();
        if self.email_in_use(&email) {
            return Err(EMAIL_UPDATE);
        }
        let user = &mut self.users[self.email_updates[i].user];
        user.email = email;
        user.counters.email += 1;
        Ok(i)
    }

    // Password update (docs/protocol.md §4.5 with §15 #3, #7).

    /// The session's index.
    pub fn create_password_update(&mut self, session: &str) -> Result<usize, Code> {
        self.validate::<Session>(session)
    }

    pub fn verify_password_update_password(
        &mut self,
        session: &str,
        token: &str,
        password: &str,
    ) -> Result<usize, Code> {
        let i = self.bound::<PasswordUpdate>(session, token)?;
        self.verify_identity::<PasswordUpdate>(i, password)
    }

    pub fn set_password_update_new_password(
        &mut self,
        session: &str,
        token: &str,
        password: &str,
    ) -> Result<usize, Code> {
        let i = self.bound::<PasswordUpdate>(session, token)?;
        self.identified::<PasswordUpdate>(i)?;
        set_once(
            &mut self.password_updates[i].new_password,
            password,
            "new_password_already_set",
        )?;
        Ok(i)
    }

    pub fn complete_password_update(&mut self, session: &str, token: &str) -> Result<usize, Code> {
        let i = self.bound::<PasswordUpdate>(session, token)?;
        self.identified::<PasswordUpdate>(i)?;
        let Some(password) = self.password_updates[i].new_password.clone() else {
            return Err("new_password_not_set");
        };
        self.password_updates[i].alive = false;
        let user = &mut self.users[self.password_updates[i].user];
        user.password = password;
        user.counters.password += 1;
        Ok(i)
    }

    // User deletion (docs/protocol.md §4.6).

    /// The session's index.
    pub fn create_deletion(&mut self, session: &str) -> Result<usize, Code> {
        self.validate::<Session>(session)
    }

    pub fn verify_deletion_password(
        &mut self,
        session: &str,
        token: &str,
        password: &str,
    ) -> Result<usize, Code> {
        let i = self.bound::<Deletion>(session, token)?;
        self.verify_identity::<Deletion>(i, password)
    }

    pub fn complete_deletion(&mut self, session: &str, token: &str) -> Result<usize, Code> {
        let i = self.bound::<Deletion>(session, token)?;
        self.identified::<Deletion>(i)?;
        self.deletions[i].alive = false;
        let user = self.deletions[i].user;
        self.users[user].deleted = true;
        Ok(i)
    }
}
