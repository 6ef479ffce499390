//! The models actions answer with; member order is part of the contract.

use serde::ser::SerializeMap;
use serde::{Serialize, Serializer};

use super::clock::Timestamp;
use super::records::{
    FlowRecord, SessionRecord, SigninRecord, SignupRecord, TokenRecord, UserDeletionRecord,
    UserEmailAddressUpdateRecord, UserPasswordResetRecord, UserPasswordUpdateRecord,
};

/// Values of actions that answer none: `{}`.
#[derive(Debug, Serialize)]
pub struct NoValues {}

/// Values of the actions that create a record: `{"<member>": model, "<member>_token": token}`.
pub struct Created<R: TokenRecord> {
    pub model: R::Model,
    pub token: String,
}

impl<R: TokenRecord> Serialize for Created<R> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(2))?;
        map.serialize_entry(R::MEMBER, &self.model)?;
        map.serialize_entry(R::TOKEN_MEMBER, &self.token)?;
        map.end()
    }
}

impl<R: TokenRecord> std::fmt::Debug for Created<R> {
    // The token carries a secret: only the record kind is shown.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Created")
            .field("kind", &R::MEMBER)
            .finish_non_exhaustive()
    }
}

/// Values of the actions that read a record: `{"<member>": model}`.
pub struct Values<R: TokenRecord> {
    pub model: R::Model,
}

impl<R: FlowRecord> Values<R> {
    pub fn of(record: &R) -> Self {
        Values {
            model: record.model(),
        }
    }
}

impl<R: TokenRecord> Serialize for Values<R> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(1))?;
        map.serialize_entry(R::MEMBER, &self.model)?;
        map.end()
    }
}

#[derive(Debug, Serialize)]
pub struct Signup {
    pub id: String,
    /// Part of the wire format but never filled in.
    pub unregistered_user_id: &'static str,
    pub email_address: String,
    pub email_address_verified: bool,
    pub password_set: bool,
    pub created_at: i64,
    pub expires_at: i64,
}

impl From<&SignupRecord> for Signup {
    fn from(record: &SignupRecord) -> Self {
        Signup {
            id: record.id.clone(),
            unregistered_user_id: "",
            email_address: record.email_address.clone(),
            email_address_verified: record.email_address_verified,
            password_set: record.password.is_some(),
            created_at: record.created_at,
            expires_at: record.expires_at().unix_seconds(),
        }
    }
}

#[derive(Debug, Serialize)]
pub struct Signin {
    pub id: String,
    pub user_id: String,
    pub user_first_factor_verified: bool,
    pub created_at: i64,
    pub expires_at: i64,
}

impl From<&SigninRecord> for Signin {
    fn from(record: &SigninRecord) -> Self {
        Signin {
            id: record.id.clone(),
            user_id: record.user_id.clone(),
            user_first_factor_verified: record.user_first_factor_verified,
            created_at: record.created_at,
            expires_at: record.expires_at().unix_seconds(),
        }
    }
}

#[derive(Debug, Serialize)]
pub struct Session {
    pub id: String,
    pub user_id: String,
    pub created_at: i64,
    /// `null` when sessions have no absolute expiration.
    pub expires_at: Option<i64>,
}

impl Session {
    /// `created` is the creation instant: the exact one for a new session, the stored
    /// whole second for a loaded one.
    pub fn new(
        record: &SessionRecord,
        created: Timestamp,
        expiration: Option<std::time::Duration>,
    ) -> Self {
        Session {
            id: record.id.clone(),
            user_id: record.user_id.clone(),
            created_at: record.created_at,
            expires_at: expiration.map(|lifetime| (created + lifetime).unix_seconds()),
        }
    }
}

#[derive(Debug, Serialize)]
pub struct UserEmailAddressUpdate {
    pub id: String,
    pub user_id: String,
    pub session_id: String,
    pub new_email_address: String,
    pub new_email_address_verified: bool,
    pub user_identity_verified: bool,
    pub created_at: i64,
    pub expires_at: i64,
}

impl From<&UserEmailAddressUpdateRecord> for UserEmailAddressUpdate {
    fn from(record: &UserEmailAddressUpdateRecord) -> Self {
        UserEmailAddressUpdate {
            id: record.id.clone(),
            user_id: record.user_id.clone(),
            session_id: record.session_id.clone(),
            new_email_address: record.new_email_address.clone(),
            new_email_address_verified: record.new_email_address_verified,
            user_identity_verified: record.user_identity_verified,
            created_at: record.created_at,
            expires_at: record.expires_at().unix_seconds(),
        }
    }
}

#[derive(Debug, Serialize)]
pub struct UserPasswordUpdate {
    pub id: String,
    pub user_id: String,
    pub session_id: String,
    pub user_identity_verified: bool,
    pub new_password_set: bool,
    pub created_at: i64,
    pub expires_at: i64,
}

impl From<&UserPasswordUpdateRecord> for UserPasswordUpdate {
    fn from(record: &UserPasswordUpdateRecord) -> Self {
        UserPasswordUpdate {
            id: record.id.clone(),
            user_id: record.user_id.clone(),
            session_id: record.session_id.clone(),
            user_identity_verified: record.user_identity_verified,
            new_password_set: record.new_password.is_some(),
            created_at: record.created_at,
            expires_at: record.expires_at().unix_seconds(),
        }
    }
}

#[derive(Debug, Serialize)]
pub struct UserDeletion {
    pub id: String,
    pub user_id: String,
    pub session_id: String,
    pub user_identity_verified: bool,
    pub created_at: i64,
    pub expires_at: i64,
}

impl From<&UserDeletionRecord> for UserDeletion {
    fn from(record: &UserDeletionRecord) -> Self {
        UserDeletion {
            id: record.id.clone(),
            user_id: record.user_id.clone(),
            session_id: record.session_id.clone(),
            user_identity_verified: record.user_identity_verified,
            created_at: record.created_at,
            expires_at: record.expires_at().unix_seconds(),
        }
    }
}

#[derive(Debug, Serialize)]
pub struct UserPasswordReset {
    pub id: String,
    pub user_id: String,
    pub user_first_factor_verified: bool,
    pub new_password_set: bool,
    pub created_at: i64,
    pub expires_at: i64,
}

impl From<&UserPasswordResetRecord> for UserPasswordReset {
    fn from(record: &UserPasswordResetRecord) -> Self {
        UserPasswordReset {
            id: record.id.clone(),
            user_id: record.user_id.clone(),
            user_first_factor_verified: record.user_first_factor_verified,
            new_password_set: record.new_password.is_some(),
            created_at: record.created_at,
            expires_at: record.expires_at().unix_seconds(),
        }
    }
}
