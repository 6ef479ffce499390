//! Reading a request body in one pass: the action's name and its arguments, with
//! every object of the document checked for repeated member names on the way
//! (docs/protocol.md §2.2). The invocation is then read from what was kept, without
//! going over the body again.

use std::borrow::Cow;
use std::fmt;

use serde::de::value::{BorrowedStrDeserializer, MapDeserializer};
use serde::de::{
    self, Deserialize, Deserializer, Error as _, IntoDeserializer, MapAccess, SeqAccess,
    Unexpected, Visitor,
};
use smallvec::SmallVec;

use super::unique_members::{
    Name, SeenNames, UniqueMembers, UniqueMembersVisitor, REPEATED_MEMBER,
};

/// Reads `body` as an envelope and `T` from its action (the tag) and arguments (the
/// content): `T` is an enum tagged `action` with content `arguments`.
pub(super) fn read<T: de::DeserializeOwned>(body: &str) -> Result<T, serde_json::Error> {
    let envelope: Envelope<'_> = serde_json::from_str(body)?;
    let members = [
        ("action", Member::Action(&envelope.action)),
        ("arguments", Member::Arguments(&envelope.arguments)),
    ];
    // Bound before it is returned: the deserializer, a temporary, borrows `envelope`
    // and must be dropped first.
    let invocation = T::deserialize(MapDeserializer::new(members.into_iter()));
    invocation
}

/// What a request body says, borrowed from it unless escaped.
struct Envelope<'a> {
    action: Cow<'a, str>,
    arguments: Arguments<'a>,
}

/// The members of `arguments`, borrowed from the body unless escaped. A value that is
/// not a string is kept only as such: an action may not read it, but may ignore it.
struct Arguments<'a>(SmallVec<[(Cow<'a, str>, Argument<'a>); 4]>);

enum Argument<'a> {
    Text(Cow<'a, str>),
    NotText,
}

impl<'de> Deserialize<'de> for Envelope<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(EnvelopeVisitor)
    }
}

struct EnvelopeVisitor;

impl<'de> Visitor<'de> for EnvelopeVisitor {
    type Value = Envelope<'de>;

    fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
        formatter.write_str("an object with `action` and `arguments`")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut members: A) -> Result<Envelope<'de>, A::Error> {
        let mut seen = SeenNames::default();
        let (mut action, mut arguments) = (None, None);
        while let Some(Name(name)) = members.next_key()? {
            match &*name {
                "action" => action = Some(members.next_value::<Name>()?.0),
                "arguments" => arguments = Some(members.next_value::<Arguments>()?),
                _ => {
                    members.next_value::<UniqueMembers>()?;
                }
            }
            if !seen.insert(name) {
                return Err(A::Error::custom(REPEATED_MEMBER));
            }
        }
        Ok(Envelope {
            action: action.ok_or_else(|| A::Error::missing_field("action"))?,
            arguments: arguments.ok_or_else(|| A::Error::missing_field("arguments"))?,
        })
    }
}

impl<'de> Deserialize<'de> for Arguments<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(ArgumentsVisitor)
    }
}

struct ArgumentsVisitor;

impl<'de> Visitor<'de> for ArgumentsVisitor {
    type Value = Arguments<'de>;

    fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
        formatter.write_str("an object of arguments")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut members: A) -> Result<Arguments<'de>, A::Error> {
        let mut arguments = SmallVec::new();
        let mut seen = SeenNames::default();
        while let Some(Name(name)) = members.next_key()? {
            let value = members.next_value::<Argument>()?;
            if !seen.insert(name.clone()) {
                return Err(A::Error::custom(REPEATED_MEMBER));
            }
            arguments.push((name, value));
        }
        Ok(Arguments(arguments))
    }
}

impl<'de> Deserialize<'de> for Argument<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(ArgumentVisitor)
    }
}

struct ArgumentVisitor;

impl<'de> Visitor<'de> for ArgumentVisitor {
    type Value = Argument<'de>;

    fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
        formatter.write_str("a JSON value")
    }

    fn visit_borrowed_str<E: de::Error>(self, text: &'de str) -> Result<Argument<'de>, E> {
        Ok(Argument::Text(Cow::Borrowed(text)))
    }
    fn visit_str<E: de::Error>(self, text: &str) -> Result<Argument<'de>, E> {
        Ok(Argument::Text(Cow::Owned(text.to_owned())))
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Argument<'de>, E> {
        Ok(Argument::NotText)
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Argument<'de>, E> {
        Ok(Argument::NotText)
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Argument<'de>, E> {
        Ok(Argument::NotText)
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Argument<'de>, E> {
        Ok(Argument::NotText)
    }
    fn visit_unit<E: de::Error>(self) -> Result<Argument<'de>, E> {
        Ok(Argument::NotText)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, items: A) -> Result<Argument<'de>, A::Error> {
        UniqueMembersVisitor
            .visit_seq(items)
            .map(|_| Argument::NotText)
    }
    fn visit_map<A: MapAccess<'de>>(self, members: A) -> Result<Argument<'de>, A::Error> {
        UniqueMembersVisitor
            .visit_map(members)
            .map(|_| Argument::NotText)
    }
}

impl<'b> Arguments<'b> {
    /// Gives the arguments to `visitor` as a map of names to [`ArgumentValue`]s.
    fn visit<'de, V: Visitor<'de>>(&'de self, visitor: V) -> Result<V::Value, serde_json::Error>
    where
        'b: 'de,
    {
        let members = self
            .0
            .iter()
            .map(|(name, value)| (BorrowedStrDeserializer::new(name), ArgumentValue(value)));
        visitor.visit_map(MapDeserializer::new(members))
    }
}

/// An argument as the action's fields read it: a string, or nothing to read.
struct ArgumentValue<'a, 'b>(&'a Argument<'b>);

impl<'de, 'b: 'de> IntoDeserializer<'de, serde_json::Error> for ArgumentValue<'de, 'b> {
    type Deserializer = Self;

    fn into_deserializer(self) -> Self {
        self
    }
}

impl<'de, 'b: 'de> Deserializer<'de> for ArgumentValue<'de, 'b> {
    type Error = serde_json::Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        match self.0 {
            Argument::Text(text) => visitor.visit_borrowed_str(text),
            Argument::NotText => Err(de::Error::invalid_type(
                Unexpected::Other("a value that is not a string"),
                &visitor,
            )),
        }
    }

    /// Arguments the action does not take may hold anything.
    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        visitor.visit_unit()
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf option unit unit_struct newtype_struct seq tuple
        tuple_struct map struct enum identifier
    }
}

/// A member of the envelope as the tagged [`Invocation`] reads it: the action's name,
/// or its arguments (`'b` is the body's lifetime).
enum Member<'a, 'b> {
    Action(&'a str),
    Arguments(&'a Arguments<'b>),
}

impl<'de, 'b: 'de> IntoDeserializer<'de, serde_json::Error> for Member<'de, 'b> {
    type Deserializer = Self;

    fn into_deserializer(self) -> Self {
        self
    }
}

impl<'de, 'b: 'de> Deserializer<'de> for Member<'de, 'b> {
    type Error = serde_json::Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        match self {
            Member::Action(name) => visitor.visit_borrowed_str(name),
            Member::Arguments(arguments) => arguments.visit(visitor),
        }
    }

    /// The tag is read as an enum's variant name.
    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Self::Error> {
        match self {
            Member::Action(name) => visitor.visit_enum(BorrowedStrDeserializer::new(name)),
            Member::Arguments(arguments) => arguments.visit(visitor),
        }
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf option unit unit_struct newtype_struct seq tuple
        tuple_struct map struct identifier ignored_any
    }
}
