//! Ids, secrets, tokens, verification codes and temporary passwords.
//!
//! Secrets are stored as their SHA-256 digest and compared in constant time, so a
//! copy of the storage does not hand out working tokens.

use rand::RngCore;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// Ids and secrets: 32 lowercase symbols, without `l`, `o`, `0` and `1`.
pub const LOWERCASE_ALPHABET: &[u8; 32] = b"abcdefghijkmnpqrstuvwxyz23456789";
/// Verification codes and temporary passwords: 32 uppercase symbols, without `I`, `O`, `0` and `1`.
pub const UPPERCASE_ALPHABET: &[u8; 32] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";

pub const ID_LENGTH: usize = 24;
pub const SECRET_LENGTH: usize = 24;
pub const VERIFICATION_CODE_LENGTH: usize = 8;
pub const TEMPORARY_PASSWORD_LENGTH: usize = 12;

fn random_string(alphabet: &[u8; 32], length: usize) -> String {
    let mut bytes = vec![0u8; length];
    rand::rng().fill_bytes(&mut bytes);
    // Each byte's top five bits pick one of the 32 symbols, so every symbol is equally likely.
    for byte in &mut bytes {
        *byte = alphabet[usize::from(*byte >> 3)];
    }
    // The alphabets are ASCII, so this is the one allocation, turned into a String.
    String::from_utf8(bytes)
        .unwrap_or_else(|error| String::from_utf8_lossy(error.as_bytes()).into_owned())
}

/// A record or action invocation id.
pub fn generate_id() -> String {
    random_string(LOWERCASE_ALPHABET, ID_LENGTH)
}

/// The secret half of a token.
pub fn generate_secret() -> String {
    random_string(LOWERCASE_ALPHABET, SECRET_LENGTH)
}

/// An 8-symbol e-mail address verification code (40 bits).
pub fn generate_verification_code() -> String {
    random_string(UPPERCASE_ALPHABET, VERIFICATION_CODE_LENGTH)
}

/// A 12-symbol temporary password for password resets (60 bits).
pub fn generate_temporary_password() -> String {
    random_string(UPPERCASE_ALPHABET, TEMPORARY_PASSWORD_LENGTH)
}

/// `<id>.<secret>`, as handed to clients.
pub fn format_token(id: &str, secret: &str) -> String {
    format!("{id}.{secret}")
}

/// Splits a token at its one `.`; anything else is not a token. Empty halves are
/// allowed: they simply match nothing.
pub fn parse_token(token: &str) -> Option<(&str, &str)> {
    let (id, secret) = token.split_once('.')?;
    (!secret.contains('.')).then_some((id, secret))
}

/// The stored form of a secret: its SHA-256 digest.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecretHash([u8; 32]);

impl SecretHash {
    pub fn of(secret: &str) -> Self {
        SecretHash(Sha256::digest(secret.as_bytes()).into())
    }

    /// Constant-time comparison with the digest of `candidate`.
    pub fn matches(&self, candidate: &str) -> bool {
        let digest: [u8; 32] = Sha256::digest(candidate.as_bytes()).into();
        bool::from(self.0.ct_eq(&digest))
    }
}

impl std::fmt::Debug for SecretHash {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretHash(..)")
    }
}

/// Constant-time string equality (verification codes).
pub fn constant_time_eq(a: &str, b: &str) -> bool {
    bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_shape(value: &str, alphabet: &[u8; 32], length: usize) {
        assert_eq!(value.len(), length, "{value:?}");
        assert!(value.bytes().all(|b| alphabet.contains(&b)), "{value:?}");
    }

    #[test]
    fn generated_values_have_their_documented_shape() {
        for _ in 0..100 {
            assert_shape(&generate_id(), LOWERCASE_ALPHABET, 24);
            assert_shape(&generate_secret(), LOWERCASE_ALPHABET, 24);
            assert_shape(&generate_verification_code(), UPPERCASE_ALPHABET, 8);
            assert_shape(&generate_temporary_password(), UPPERCASE_ALPHABET, 12);
        }
    }

    #[test]
    fn alphabets_leave_out_lookalike_symbols() {
        for symbol in [b'l', b'o', b'0', b'1'] {
            assert!(!LOWERCASE_ALPHABET.contains(&symbol));
        }
        for symbol in [b'I', b'O', b'0', b'1'] {
            assert!(!UPPERCASE_ALPHABET.contains(&symbol));
        }
    }

    #[test]
    fn generated_values_differ() {
        assert_ne!(generate_id(), generate_id());
        assert_ne!(generate_secret(), generate_secret());
    }

    #[test]
    fn tokens_have_exactly_one_dot() {
        assert_eq!(parse_token("abc.def"), Some(("abc", "def")));
        assert_eq!(parse_token(".def"), Some(("", "def")));
        assert_eq!(parse_token("abc."), Some(("abc", "")));
        assert_eq!(parse_token("abc"), None);
        assert_eq!(parse_token("a.b.c"), None);
        assert_eq!(parse_token(&format_token("i", "s")), Some(("i", "s")));
    }

    #[test]
    fn secret_hash_is_the_sha256_digest() {
        let hash = SecretHash::of("secret");
        assert!(hash.matches("secret"));
        assert!(!hash.matches("secreT"));
        assert!(!hash.matches(""));
        // SHA-256("abc"), FIPS 180-2 test vector.
        let expected =
            hex::decode("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
                .expect("hex");
        assert_eq!(SecretHash::of("abc").0.to_vec(), expected);
        assert_eq!(format!("{hash:?}"), "SecretHash(..)");
    }
}
