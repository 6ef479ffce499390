//! Password reset (docs/protocol.md §4.7 with §15 #1, #10).

use super::*;

impl Model {
    // Password reset (docs/protocol.md §4.7 with §15 #1, #10).

    /// The user's index.
    pub fn create_reset(&mut self, email: &str) -> Result<usize, Code> {
        if !valid_email(email) {
            return Err("invalid_email_address");
        }
        let user = self.user_by_email(email).ok_or("user_not_found")?;
        if self.users[user].disabled {
            return Err("user_disabled");
        }
        self.check(Bucket::Temporary, &user_key(user))?;
        self.take(Bucket::Mail, email)?;
        Ok(user)
    }

    pub fn verify_reset_temporary_password(
        &mut self,
        token: &str,
        temporary_password: &str,
    ) -> Result<usize, Code> {
        let i = self.validate::<Reset>(token)?;
        if self.resets[i].verified {
            return Err("user_first_factor_already_verified");
        }
        let user = self.resets[i].user;
        self.take(Bucket::Temporary, &user_key(user))?;
        if self.resets[i].temporary_password != temporary_password {
            return Err("incorrect_temporary_password");
        }
        self.resets[i].verified = true;
        Ok(i)
    }

    pub fn set_reset_new_password(&mut self, token: &str, password: &str) -> Result<usize, Code> {
        let i = self.validate::<Reset>(token)?;
        if !self.resets[i].verified {
            return Err("user_first_factor_not_verified");
        }
        set_once(
            &mut self.resets[i].new_password,
            password,
            "new_password_already_set",
        )?;
        Ok(i)
    }

    /// The user's index.
    pub fn complete_reset(&mut self, token: &str) -> Result<usize, Code> {
        let i = self.validate::<Reset>(token)?;
        if !self.resets[i].verified {
            return Err("user_first_factor_not_verified");
        }
        let Some(password) = self.resets[i].new_password.clone() else {
            return Err("new_password_not_set");
        };
        self.resets[i].alive = false;
        let user = &mut self.users[self.resets[i].user];
        user.password = password;
        user.counters.password += 1;
        // Every earlier session ends; only the reset's own session is valid
        // (difference 24).
        user.counters.sessions += 1;
        Ok(self.resets[i].user)
    }
}
