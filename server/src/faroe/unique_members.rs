//! Rejects JSON documents in which an object names a member twice.
//!
//! JSON parsers disagree on which of two same-named members wins, so a request that
//! relies on either reading is refused outright, as the protocol always has.

use std::borrow::Cow;
use std::collections::HashSet;
use std::fmt;

use serde::de::{Deserialize, Deserializer, Error, MapAccess, SeqAccess, Visitor};
use smallvec::SmallVec;

/// Why a document is refused.
pub(crate) const REPEATED_MEMBER: &str = "an object names a member twice";

/// Any JSON value in which no object names a member twice: reading one fails on the
/// first repeated name.
pub(crate) struct UniqueMembers;

impl<'de> Deserialize<'de> for UniqueMembers {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(UniqueMembersVisitor)
    }
}

pub(crate) struct UniqueMembersVisitor;

impl<'de> Visitor<'de> for UniqueMembersVisitor {
    type Value = UniqueMembers;

    fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
        formatter.write_str("a JSON value")
    }

    fn visit_bool<E: Error>(self, _: bool) -> Result<UniqueMembers, E> {
        Ok(UniqueMembers)
    }
    fn visit_i64<E: Error>(self, _: i64) -> Result<UniqueMembers, E> {
        Ok(UniqueMembers)
    }
    fn visit_u64<E: Error>(self, _: u64) -> Result<UniqueMembers, E> {
        Ok(UniqueMembers)
    }
    fn visit_f64<E: Error>(self, _: f64) -> Result<UniqueMembers, E> {
        Ok(UniqueMembers)
    }
    fn visit_str<E: Error>(self, _: &str) -> Result<UniqueMembers, E> {
        Ok(UniqueMembers)
    }
    fn visit_unit<E: Error>(self) -> Result<UniqueMembers, E> {
        Ok(UniqueMembers)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut items: A) -> Result<UniqueMembers, A::Error> {
        while items.next_element::<UniqueMembers>()?.is_some() {}
        Ok(UniqueMembers)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut members: A) -> Result<UniqueMembers, A::Error> {
        let mut seen = SeenNames::default();
        while let Some(Name(name)) = members.next_key::<Name<'de>>()? {
            if !seen.insert(name) {
                return Err(A::Error::custom(REPEATED_MEMBER));
            }
            members.next_value::<UniqueMembers>()?;
        }
        Ok(UniqueMembers)
    }
}

/// Objects up to this many members are checked by comparing names in a list: for the
/// few members of a request that costs less than hashing them.
const LISTED_NAMES: usize = 16;

/// The names an object has named so far; a request's few fit on the stack.
#[derive(Default)]
pub(crate) struct SeenNames<'a> {
    listed: SmallVec<[Cow<'a, str>; LISTED_NAMES]>,
    hashed: HashSet<Cow<'a, str>>,
}

impl<'a> SeenNames<'a> {
    /// Adds `name`; false when it was there already.
    pub(crate) fn insert(&mut self, name: Cow<'a, str>) -> bool {
        if self.hashed.is_empty() {
            if self.listed.contains(&name) {
                return false;
            }
            if self.listed.len() < LISTED_NAMES {
                self.listed.push(name);
                return true;
            }
            self.hashed.extend(self.listed.drain(..));
        }
        self.hashed.insert(name)
    }
}

/// A member name (or any string), borrowed from the document unless it holds escapes.
pub(crate) struct Name<'a>(pub(crate) Cow<'a, str>);

impl<'de: 'a, 'a> Deserialize<'de> for Name<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_str(NameVisitor)
    }
}

struct NameVisitor;

impl<'de> Visitor<'de> for NameVisitor {
    type Value = Name<'de>;

    fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
        formatter.write_str("a member name")
    }

    fn visit_borrowed_str<E: Error>(self, name: &'de str) -> Result<Name<'de>, E> {
        Ok(Name(Cow::Borrowed(name)))
    }

    fn visit_str<E: Error>(self, name: &str) -> Result<Name<'de>, E> {
        Ok(Name(Cow::Owned(name.to_owned())))
    }
}

#[cfg(test)]
mod tests {
    use super::UniqueMembers;

    fn check(body: &[u8]) -> Result<UniqueMembers, serde_json::Error> {
        serde_json::from_slice(body)
    }

    #[test]
    fn repeated_names_are_refused_at_any_depth() {
        for body in [
            r#"{"a":1,"a":2}"#,
            r#"{"x":{"b":"1","b":"2"}}"#,
            r#"{"x":[{"c":null,"c":null}]}"#,
            r#"{"a":1,"\u0061":2}"#,
        ] {
            assert!(check(body.as_bytes()).is_err(), "{body}");
        }
    }

    #[test]
    fn repeated_names_are_found_in_large_objects_too() {
        let members: Vec<String> = (0..40).map(|n| format!("\"m{n}\":{n}")).collect();
        let distinct = format!("{{{}}}", members.join(","));
        assert!(check(distinct.as_bytes()).is_ok(), "{distinct}");
        for repeated in ["m0", "m15", "m16", "m39"] {
            let body = format!("{{{},\"{repeated}\":null}}", members.join(","));
            assert!(check(body.as_bytes()).is_err(), "{repeated}");
        }
    }

    #[test]
    fn distinct_names_and_any_values_pass() {
        for body in [
            r#"{"a":1,"b":{"a":1},"c":[{"a":1},{"a":2}],"d":-1.5e3,"e":null,"f":true}"#,
            "[]",
            r#""text""#,
        ] {
            assert!(check(body.as_bytes()).is_ok(), "{body}");
        }
    }
}
