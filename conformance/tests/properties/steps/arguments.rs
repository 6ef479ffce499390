//! The arguments of steps, and how the runner resolves each against the records
//! issued so far.

use std::fmt;

use super::super::model::*;
use super::Run;

/// An e-mail address argument (printed as the address).
#[derive(Clone, PartialEq, Eq)]
pub struct Email(pub String);

impl fmt::Debug for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.0)
    }
}

/// A password argument (printed as the password).
#[derive(Clone, PartialEq, Eq)]
pub struct Password(pub String);

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.0)
    }
}

/// Which issued record of a kind.
#[derive(Debug, Clone, Copy)]
pub enum Pick {
    Latest,
    /// The n-th record ever issued of the kind (modulo their number), live or not.
    Nth(u8),
    /// The newest record of the kind when the last [`super::Step::Pin`] ran (the
    /// newest now if none has, or none of the kind existed then).
    Pinned,
}

/// A token argument.
#[derive(Debug, Clone)]
pub enum Tok {
    /// The token the server issued for the picked record (stale if it is gone).
    Issued(Pick),
    /// The picked record's id with another, well-shaped secret.
    WrongSecret(Pick),
    /// The newest token of another kind (e.g. a session token as a signup token).
    OtherKind,
    /// Not a token at all.
    Malformed(Malformed),
}

#[derive(Debug, Clone, Copy)]
pub enum Malformed {
    Empty,
    NoDot,
    TwoDots,
    Garbage,
}

/// The session token argument of a session-bound action.
#[derive(Debug, Clone)]
pub enum SessionTok {
    /// The session the record was created with.
    OfRecord,
    /// Another session than the record's: the newest valid one of the record's user,
    /// else the newest valid one of any user, else the record's.
    Sibling,
    Other(Tok),
}

/// A verification code or temporary password argument.
#[derive(Debug, Clone, Copy)]
pub enum CodeGuess {
    /// What the server e-mailed.
    Sent,
    /// Well-shaped but different.
    Wrong,
    /// What the server e-mailed, lowercased (codes are case-sensitive).
    Lowercased,
}

/// A password to verify against the user's.
#[derive(Debug, Clone)]
pub enum Guess {
    /// The user's current password.
    Current,
    Other(Password),
}

/// A well-shaped token no record has.
const UNKNOWN_TOKEN: &str = "abcdefghijkmnpqrstuvwxyz.abcdefghijkmnpqrstuvwxyz";

fn other_secret(token: &str) -> String {
    let (id, secret) = token.split_once('.').unwrap_or((token, ""));
    let mut chars: Vec<char> = secret.chars().collect();
    match chars.first_mut() {
        Some(first) => *first = if *first == 'a' { 'b' } else { 'a' },
        None => chars.push('a'),
    }
    format!("{id}.{}", chars.into_iter().collect::<String>())
}

fn other_code(code: &str) -> String {
    let mut chars: Vec<char> = code.chars().collect();
    match chars.first_mut() {
        Some(first) => *first = if *first == 'A' { 'B' } else { 'A' },
        None => chars.push('A'),
    }
    chars.into_iter().collect()
}

impl Run<'_> {
    fn tokens(&self, kind: Kind) -> Vec<&str> {
        fn of<R: Record>(model: &Model) -> Vec<&str> {
            R::all(model).iter().map(R::token).collect()
        }
        let model = &self.model;
        match kind {
            Kind::Signup => of::<Signup>(model),
            Kind::Signin => of::<Signin>(model),
            Kind::Session => of::<Session>(model),
            Kind::EmailUpdate => of::<EmailUpdate>(model),
            Kind::PasswordUpdate => of::<PasswordUpdate>(model),
            Kind::Deletion => of::<Deletion>(model),
            Kind::Reset => of::<Reset>(model),
        }
    }

    fn index(&self, kind: Kind, pick: Pick) -> Option<usize> {
        let count = self.tokens(kind).len();
        match (count, pick) {
            (0, _) => None,
            (n, Pick::Latest) => Some(n - 1),
            (n, Pick::Nth(k)) => Some(usize::from(k) % n),
            (n, Pick::Pinned) => Some(
                self.pinned
                    .iter()
                    .find(|(pinned, _)| *pinned == kind)
                    .map_or(n - 1, |&(_, i)| i),
            ),
        }
    }

    /// What the model has for the record of kind `R` a token argument refers to, if any.
    pub(super) fn picked<R: Record, T>(&self, tok: &Tok, what: impl FnOnce(&R) -> T) -> Option<T> {
        let i = match tok {
            Tok::Issued(pick) | Tok::WrongSecret(pick) => self.index(R::KIND, *pick),
            Tok::OtherKind | Tok::Malformed(_) => None,
        };
        i.map(|i| what(&R::all(&self.model)[i]))
    }

    pub(super) fn token(&self, kind: Kind, tok: &Tok) -> String {
        let issued = |pick| {
            self.index(kind, pick)
                .map(|i| self.tokens(kind)[i].to_owned())
        };
        match tok {
            Tok::Issued(pick) => issued(*pick).unwrap_or_else(|| UNKNOWN_TOKEN.to_owned()),
            Tok::WrongSecret(pick) => other_secret(&issued(*pick).unwrap_or_default()),
            Tok::OtherKind => self
                .model
                .issued
                .iter()
                .rev()
                .find(|(k, _)| *k != kind)
                .map_or_else(|| UNKNOWN_TOKEN.to_owned(), |(_, t)| t.clone()),
            Tok::Malformed(Malformed::Empty) => String::new(),
            Tok::Malformed(Malformed::NoDot) => "abcdefghijkmnpqrstuvwxyz".to_owned(),
            Tok::Malformed(Malformed::TwoDots) => {
                format!("{}.x", issued(Pick::Latest).unwrap_or_default())
            }
            Tok::Malformed(Malformed::Garbage) => "not a token!".to_owned(),
        }
    }

    /// The session token and the record's token for a session-bound record of kind `R`.
    pub(super) fn bound<R: Bound>(&self, session: &SessionTok, tok: &Tok) -> (String, String) {
        let session = match session {
            SessionTok::Other(session) => self.token(Kind::Session, session),
            SessionTok::OfRecord => match self.picked::<R, _>(tok, |record| record.session()) {
                Some(s) => self.model.sessions[s].token.clone(),
                None => self.token(Kind::Session, &Tok::Issued(Pick::Latest)),
            },
            SessionTok::Sibling => match self.picked::<R, _>(tok, |record| record.session()) {
                Some(s) => self.sibling(s),
                None => self.token(Kind::Session, &Tok::Issued(Pick::Latest)),
            },
        };
        (session, self.token(R::KIND, tok))
    }

    /// The token of another session than `s`, as [`SessionTok::Sibling`] says.
    fn sibling(&self, s: usize) -> String {
        let sessions = &self.model.sessions;
        let user = sessions[s].user;
        let newest = |same_user: bool| {
            sessions
                .iter()
                .enumerate()
                .rev()
                .find(|&(i, other)| {
                    i != s
                        && (!same_user || other.user == user)
                        && other.alive
                        && self.model.ended_by::<Session>(i).is_none()
                })
                .map(|(_, other)| other.token.clone())
        };
        newest(true)
            .or_else(|| newest(false))
            .unwrap_or_else(|| sessions[s].token.clone())
    }

    /// The records [`Pick::Pinned`] refers to from now on: the newest of each kind.
    pub(super) fn pin(&mut self) {
        let kinds = [
            Kind::Signup,
            Kind::Signin,
            Kind::Session,
            Kind::EmailUpdate,
            Kind::PasswordUpdate,
            Kind::Deletion,
            Kind::Reset,
        ];
        self.pinned = kinds
            .into_iter()
            .filter_map(|kind| Some((kind, self.tokens(kind).len().checked_sub(1)?)))
            .collect();
    }

    pub(super) fn code(&self, sent: Option<&str>, guess: CodeGuess) -> String {
        let sent = sent.unwrap_or("ABCDEFGH");
        match guess {
            CodeGuess::Sent => sent.to_owned(),
            CodeGuess::Wrong => other_code(sent),
            CodeGuess::Lowercased => sent.to_lowercase(),
        }
    }

    pub(super) fn guess(&self, user: Option<usize>, guess: &Guess) -> String {
        match (guess, user) {
            (Guess::Current, Some(user)) => self.model.users[user].password.clone(),
            (Guess::Current, None) => "nobody's password".to_owned(),
            (Guess::Other(password), _) => password.0.clone(),
        }
    }
}
