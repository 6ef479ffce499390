//! Reading `/invoke` answers (docs/protocol.md §10.2, §10.4) straight into typed values.
//!
//! The rules are those of reading the answer as a JSON document: a member named twice
//! counts with its last value, members not named here are ignored, and the member that
//! does not apply (`values` of a failure, `error_code` of a success) may hold any JSON.
//! No tree of JSON values is built: `values` is read as it arrives once `ok` was `true`
//! (the order user servers write), else kept as the borrowed slice of the answer that
//! spells it and read once `ok` is known; the user is read field by field. (So a
//! `values` after `"ok": true` must be readable even if a repeated `ok` later says
//! `false`.) Skipped members are checked against JSON's grammar but not decoded, so a
//! lone surrogate escape (`"\uDAAE"`) or a number past f64's range there, both of
//! which the grammar allows, is accepted.

use std::fmt;
use std::marker::PhantomData;

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use serde::de::{
    self, Deserialize, DeserializeOwned, Deserializer, IgnoredAny, MapAccess, Visitor,
};
use serde_json::value::RawValue;

use crate::faroe::unique_members::Name;
use crate::faroe::user::{PasswordHash, User};

/// What `/invoke` answered: the action's values or its error code.
pub(super) enum Answer<V> {
    Values(V),
    Error(String),
}

/// `values` of an action answering a user: `values.user`, read strictly.
pub(super) struct UserValues(pub User);

/// `values` of an action without values: any object.
pub(super) struct AnyValues;

/// Reads an `/invoke` answer: an object with a boolean `ok` and a string
/// `action_invocation_id`, then an `error_code` string or a `values` object read as `V`.
pub(super) fn read<V: DeserializeOwned>(body: &[u8]) -> Result<Answer<V>, String> {
    // Checked once here, so that the reads below need not check it again.
    let text = std::str::from_utf8(body).map_err(|_| "the answer is not JSON".to_owned())?;
    let envelope: Envelope<'_, V> = serde_json::from_str(text).map_err(|error| {
        if error.is_data() {
            format!("unreadable answer: {error}")
        } else {
            "the answer is not JSON".to_owned()
        }
    })?;
    let ok = match envelope.ok.map(RawValue::get) {
        Some("true") => true,
        Some("false") => false,
        _ => return Err("the answer has no boolean \"ok\"".to_owned()),
    };
    if !envelope.action_invocation_id.is_some_and(is_string) {
        return Err("the answer has no string \"action_invocation_id\"".to_owned());
    }
    if ok {
        match envelope.values {
            Some(Values::Read(values)) => Ok(Answer::Values(values)),
            Some(Values::Spelled(values)) if values.get().starts_with('{') => {
                serde_json::from_str(values.get())
                    .map(Answer::Values)
                    .map_err(|error| error.to_string())
            }
            _ => Err("the answer has no object \"values\"".to_owned()),
        }
    } else {
        match envelope.error_code {
            Some(code) if is_string(code) => serde_json::from_str(code.get())
                .map(Answer::Error)
                .map_err(|error| error.to_string()),
            _ => Err("the answer has no string \"error_code\"".to_owned()),
        }
    }
}

fn is_string(raw: &RawValue) -> bool {
    raw.get().starts_with('"')
}

/// The envelope's members, each the slice of the answer that spells it, but `values`
/// read as `V` when it came after `"ok": true`.
struct Envelope<'a, V> {
    ok: Option<&'a RawValue>,
    action_invocation_id: Option<&'a RawValue>,
    values: Option<Values<'a, V>>,
    error_code: Option<&'a RawValue>,
}

enum Values<'a, V> {
    Read(V),
    Spelled(&'a RawValue),
}

impl<'de, V: Deserialize<'de>> Deserialize<'de> for Envelope<'de, V> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(EnvelopeVisitor(PhantomData))
    }
}

struct EnvelopeVisitor<V>(PhantomData<V>);

impl<'de, V: Deserialize<'de>> Visitor<'de> for EnvelopeVisitor<V> {
    type Value = Envelope<'de, V>;

    fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
        formatter.write_str("an answer object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut members: A) -> Result<Envelope<'de, V>, A::Error> {
        let mut envelope = Envelope {
            ok: None,
            action_invocation_id: None,
            values: None,
            error_code: None,
        };
        while let Some(name) = members.next_key::<Name<'de>>()? {
            let slot = match name.0.as_ref() {
                "ok" => &mut envelope.ok,
                "action_invocation_id" => &mut envelope.action_invocation_id,
                "error_code" => &mut envelope.error_code,
                "values" => {
                    let succeeded = envelope.ok.map(RawValue::get) == Some("true");
                    envelope.values = Some(if succeeded {
                        Values::Read(members.next_value::<V>()?)
                    } else {
                        Values::Spelled(members.next_value::<&RawValue>()?)
                    });
                    continue;
                }
                _ => {
                    members.next_value::<IgnoredAny>()?;
                    continue;
                }
            };
            *slot = Some(members.next_value::<&RawValue>()?);
        }
        Ok(envelope)
    }
}

impl<'de> Deserialize<'de> for AnyValues {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(AnyValuesVisitor)
    }
}

struct AnyValuesVisitor;

impl<'de> Visitor<'de> for AnyValuesVisitor {
    type Value = AnyValues;

    fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
        formatter.write_str("an object \"values\"")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut members: A) -> Result<AnyValues, A::Error> {
        while members.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(AnyValues)
    }
}

impl<'de> Deserialize<'de> for UserValues {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(UserValuesVisitor)
    }
}

struct UserValuesVisitor;

impl<'de> Visitor<'de> for UserValuesVisitor {
    type Value = UserValues;

    fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
        formatter.write_str("an object \"values\"")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut members: A) -> Result<UserValues, A::Error> {
        let mut user = None;
        while let Some(name) = members.next_key::<Name<'de>>()? {
            if name.0 == "user" {
                user = Some(members.next_value::<UserFields<'de>>()?);
            } else {
                members.next_value::<IgnoredAny>()?;
            }
        }
        let user =
            user.ok_or_else(|| de::Error::custom("the answer has no object \"values.user\""))?;
        user.into_user().map(UserValues).map_err(de::Error::custom)
    }
}

/// The members of `values.user` as spelled; checked and decoded once all are read,
/// so that only the last of a repeated member counts.
#[derive(Default)]
struct UserFields<'a> {
    id: Option<String>,
    email_address: Option<String>,
    password_hash: Option<Name<'a>>,
    password_hash_algorithm_id: Option<String>,
    password_salt: Option<Name<'a>>,
    display_name: Option<String>,
    disabled: Option<bool>,
    email_address_counter: Option<i32>,
    password_hash_counter: Option<i32>,
    disabled_counter: Option<i32>,
    sessions_counter: Option<i32>,
}

impl<'de: 'a, 'a> Deserialize<'de> for UserFields<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(UserFieldsVisitor)
    }
}

struct UserFieldsVisitor;

fn not_a_string<E: de::Error>(field: &str) -> impl FnOnce(E) -> E + '_ {
    move |_| E::custom(format!("user field \"{field}\" is not a string"))
}

fn not_a_counter<E: de::Error>(field: &str) -> impl FnOnce(E) -> E + '_ {
    move |_| {
        E::custom(format!(
            "user field \"{field}\" is not an integer within the i32 range"
        ))
    }
}

impl<'de> Visitor<'de> for UserFieldsVisitor {
    type Value = UserFields<'de>;

    fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
        formatter.write_str("an object \"values.user\"")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut members: A) -> Result<UserFields<'de>, A::Error> {
        let mut user = UserFields::default();
        while let Some(name) = members.next_key::<Name<'de>>()? {
            let field = name.0.as_ref();
            match field {
                "id" | "email_address" | "password_hash_algorithm_id" | "display_name" => {
                    let text = members
                        .next_value::<String>()
                        .map_err(not_a_string(field))?;
                    let slot = match field {
                        "id" => &mut user.id,
                        "email_address" => &mut user.email_address,
                        "password_hash_algorithm_id" => &mut user.password_hash_algorithm_id,
                        _ => &mut user.display_name,
                    };
                    *slot = Some(text);
                }
                "password_hash" | "password_salt" => {
                    let text = members
                        .next_value::<Name<'de>>()
                        .map_err(not_a_string(field))?;
                    if field == "password_hash" {
                        user.password_hash = Some(text);
                    } else {
                        user.password_salt = Some(text);
                    }
                }
                "disabled" => {
                    let flag = members.next_value::<bool>().map_err(|_| {
                        de::Error::custom("user field \"disabled\" is not a boolean")
                    })?;
                    user.disabled = Some(flag);
                }
                "email_address_counter"
                | "password_hash_counter"
                | "disabled_counter"
                | "sessions_counter" => {
                    let counter = members.next_value::<i32>().map_err(not_a_counter(field))?;
                    let slot = match field {
                        "email_address_counter" => &mut user.email_address_counter,
                        "password_hash_counter" => &mut user.password_hash_counter,
                        "disabled_counter" => &mut user.disabled_counter,
                        _ => &mut user.sessions_counter,
                    };
                    *slot = Some(counter);
                }
                _ => {
                    members.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(user)
    }
}

impl UserFields<'_> {
    /// The user, once every member is known to be there; hash and salt decoded from
    /// canonical padded base64.
    fn into_user(self) -> Result<User, String> {
        let string = |value: Option<String>, field: &str| {
            value.ok_or_else(|| format!("user field \"{field}\" is not a string"))
        };
        let counter = |value: Option<i32>, field: &str| {
            value.ok_or_else(|| {
                format!("user field \"{field}\" is not an integer within the i32 range")
            })
        };
        let bytes = |value: Option<Name<'_>>, field: &str| match value {
            Some(text) => BASE64
                .decode(text.0.as_bytes())
                .map_err(|_| format!("user field \"{field}\" is not padded standard base64")),
            None => Err(format!("user field \"{field}\" is not a string")),
        };
        Ok(User {
            id: string(self.id, "id")?,
            email_address: string(self.email_address, "email_address")?,
            password_hash: PasswordHash {
                hash: bytes(self.password_hash, "password_hash")?,
                algorithm_id: string(
                    self.password_hash_algorithm_id,
                    "password_hash_algorithm_id",
                )?,
                salt: bytes(self.password_salt, "password_salt")?,
            },
            display_name: string(self.display_name, "display_name")?,
            disabled: self
                .disabled
                .ok_or("user field \"disabled\" is not a boolean")?,
            email_address_counter: counter(self.email_address_counter, "email_address_counter")?,
            password_hash_counter: counter(self.password_hash_counter, "password_hash_counter")?,
            disabled_counter: counter(self.disabled_counter, "disabled_counter")?,
            sessions_counter: counter(self.sessions_counter, "sessions_counter")?,
        })
    }
}
