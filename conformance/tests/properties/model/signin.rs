//! Signin (docs/protocol.md §4.2) and sessions (§4.3, §5).

use super::*;

impl Model {
    // Signin (docs/protocol.md §4.2).

    /// The user's index.
    pub fn create_signin(&mut self, email: &str) -> Result<usize, Code> {
        if !valid_email(email) {
            return Err("invalid_email_address");
        }
        let user = self.user_by_email(email).ok_or("user_not_found")?;
        if self.users[user].disabled {
            return Err("user_disabled");
        }
        Ok(user)
    }

    pub fn verify_signin_password(&mut self, token: &str, password: &str) -> Result<usize, Code> {
        let i = self.validate::<Signin>(token)?;
        if self.signins[i].verified {
            return Err("user_first_factor_already_verified");
        }
        self.check_password(self.signins[i].user, password)?;
        self.signins[i].verified = true;
        Ok(i)
    }

    /// The user's index.
    pub fn complete_signin(&mut self, token: &str) -> Result<usize, Code> {
        let i = self.validate::<Signin>(token)?;
        if !self.signins[i].verified {
            return Err("user_first_factor_not_verified");
        }
        self.signins[i].alive = false;
        Ok(self.signins[i].user)
    }

    // Sessions (docs/protocol.md §4.3, §5).

    pub fn delete_all_sessions(&mut self, token: &str) -> Result<usize, Code> {
        let i = self.validate::<Session>(token)?;
        let user = self.sessions[i].user;
        self.users[user].counters.sessions += 1;
        Ok(i)
    }
}
