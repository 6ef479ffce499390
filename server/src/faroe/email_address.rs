//! The e-mail address rule: what `create_signup`, `create_signin`,
//! `create_user_password_reset` and `create_user_email_address_update` accept.
//!
//! Deliberately loose (no dot placement or TLD rules) and byte-exact: addresses are
//! never normalised, so `Alice@x.y` and `alice@x.y` are different addresses.

const MAX_LENGTH: usize = 100;
const LOCAL_PART_SYMBOLS: &str = "!#%&'*+-/=?^_{|}~.";

pub fn is_valid_email_address(address: &str) -> bool {
    if address.len() > MAX_LENGTH {
        return false;
    }
    let Some((local, domain)) = address.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && !domain.is_empty()
        && local
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || LOCAL_PART_SYMBOLS.contains(c))
        && domain
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-')
}

#[cfg(test)]
mod tests {
    use super::is_valid_email_address as valid;

    #[test]
    fn accepts_the_documented_shapes() {
        assert!(valid("user@example.com"));
        assert!(valid("User.Name+tag@Example-1.COM"));
        assert!(valid("a@b"));
        assert!(valid(".a..b.@.c."));
        assert!(valid("!#%&'*+-/=?^_{|}~.@x"));
    }

    #[test]
    fn rejects_everything_else() {
        for address in [
            "",
            "user",
            "@example.com",
            "user@",
            "a@b@c",
            "us$er@x.y",
            "us`er@x.y",
            "us er@x.y",
            "user@ex_ample.com",
            "usér@x.y",
            "user@x.y ",
        ] {
            assert!(!valid(address), "{address:?}");
        }
    }

    #[test]
    fn length_limit_is_100_bytes() {
        let local = "a".repeat(96);
        assert!(valid(&format!("{local}@b.c")));
        assert!(!valid(&format!("{local}a@b.c")));
    }
}
