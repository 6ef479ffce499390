//! Validating records (docs/protocol.md §4.0), and the checks that flows share.

use super::*;

impl Model {
    // Validation (docs/protocol.md §4.0 with §15 #1, #9, #10).

    /// The live record of kind `R` whose token is exactly `token` (same id and same
    /// secret), if it is still valid. A valid token of a record that has expired, whose
    /// user is gone or disabled, or whose watched counters have moved ends the record.
    pub fn validate<R: Record>(&mut self, token: &str) -> Result<usize, Code> {
        let invalid = R::VALIDITY.invalid;
        let i = R::all(self)
            .iter()
            .position(|record| record.alive() && record.token() == token)
            .ok_or(invalid)?;
        if let Some(cause) = self.ended_by::<R>(i) {
            self.ended.push((R::KIND, cause));
            R::all_mut(self)[i].end();
            return Err(invalid);
        }
        Ok(i)
    }

    /// What makes record `i` of kind `R` no longer valid, if anything: its lifetime
    /// over, its user deleted or disabled, or one of the user's counters it watches
    /// moved since its creation. (Says nothing of a record already ended.)
    pub fn ended_by<R: Record>(&self, i: usize) -> Option<&'static str> {
        let validity = R::VALIDITY;
        let record = &R::all(self)[i];
        let age = self.now - record.created();
        let in_lifetime = if validity.valid_at_lifetime {
            age <= validity.lifetime
        } else {
            age < validity.lifetime
        };
        if !in_lifetime {
            return Some("expiry");
        }
        let (user, snapshot) = record.owner()?;
        if !self.user_ok(user) {
            return Some(if self.users[user].deleted {
                "user deletion"
            } else {
                "disabling"
            });
        }
        let user = &self.users[user];
        validity
            .watched
            .iter()
            .find(|&&counter| snapshot.get(counter) != user.counters.get(counter))
            .map(|counter| counter.moved_by())
    }

    pub fn get<R: Record>(&mut self, token: &str) -> Result<usize, Code> {
        self.validate::<R>(token)
    }

    pub fn delete<R: Record>(&mut self, token: &str) -> Result<usize, Code> {
        let i = self.validate::<R>(token)?;
        R::all_mut(self)[i].end();
        Ok(i)
    }

    /// A valid session-bound record, on a valid session: the one it was created with.
    pub(super) fn bound<R: Bound>(&mut self, session: &str, token: &str) -> Result<usize, Code> {
        let s = self.validate::<Session>(session)?;
        let i = self.validate::<R>(token)?;
        if R::all(self)[i].session() != s {
            return Err("session_mismatch");
        }
        Ok(i)
    }

    pub fn get_bound<R: Bound>(&mut self, session: &str, token: &str) -> Result<usize, Code> {
        self.bound::<R>(session, token)
    }

    pub fn delete_bound<R: Bound>(&mut self, session: &str, token: &str) -> Result<usize, Code> {
        let i = self.bound::<R>(session, token)?;
        R::all_mut(self)[i].end();
        Ok(i)
    }

    /// Verifies the user's identity on a session-bound record with their password.
    pub(super) fn verify_identity<R: Bound>(
        &mut self,
        i: usize,
        password: &str,
    ) -> Result<usize, Code> {
        let record = &R::all(self)[i];
        if record.identity_verified() {
            return Err("user_identity_already_verified");
        }
        let user = record.user();
        self.check_password(user, password)?;
        R::all_mut(self)[i].verify_identity();
        Ok(i)
    }

    pub(super) fn identified<R: Bound>(&self, i: usize) -> Result<(), Code> {
        if !R::all(self)[i].identity_verified() {
            return Err("user_identity_not_verified");
        }
        Ok(())
    }

    /// Spends one of the user's password attempts (B_PW) and compares the password.
    pub(super) fn check_password(&mut self, user: usize, password: &str) -> Result<(), Code> {
        self.take(Bucket::Password, &user_key(user))?;
        if self.users[user].password != password {
            return Err("incorrect_password");
        }
        Ok(())
    }

    /// What e-mailing a verification code to `email` takes (B_CODE checked, B_MAIL spent).
    pub(super) fn mail_code(&mut self, email: &str) -> Result<(), Code> {
        self.check(Bucket::Code, email)?;
        self.take(Bucket::Mail, email)
    }

    /// Spends an attempt at the code sent to `email` (B_CODE) and compares it.
    pub(super) fn check_code(&mut self, email: &str, sent: &str, code: &str) -> Result<(), Code> {
        self.take(Bucket::Code, email)?;
        if sent != code {
            return Err("incorrect_email_address_verification_code");
        }
        Ok(())
    }
}
