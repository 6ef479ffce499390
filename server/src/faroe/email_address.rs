//! The e-mail address rule: what `create_signup`, `create_signin`,
//! `create_user_password_reset` and `create_user_email_address_update` accept.
//!
//! Deliberately loose (no dot placement or TLD rules) and byte-exact: addresses are
//! never normalised, so `Alice@x.y` and `alice@x.y` are different addresses — except
//! in the rate limits' keys (`rate_limit_form`).

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

/// The form of an address that rate limits are keyed on: ASCII lower case, the
/// domain's trailing dots removed. Every variant a mail system delivers to the same
/// mailbox (`Victim@Example.com.`) then shares one bucket, so case and dot variants do
/// not multiply the e-mails one mailbox can be sent. Only the buckets use it: the
/// address itself is still passed on byte for byte.
pub fn rate_limit_form(address: &str) -> String {
    let lower = address.to_ascii_lowercase();
    match lower.rsplit_once('@') {
        Some((local, domain)) => format!("{local}@{}", domain.trim_end_matches('.')),
        None => lower,
    }
}

#[cfg(test)]
mod tests {
    use super::is_valid_email_address as valid;
    use super::rate_limit_form;

    #[test]
    fn rate_limits_fold_case_and_trailing_dots() {
        for variant in [
            "victim@example.com",
            "Victim@example.com",
            "victim@Example.COM",
            "VICTIM@EXAMPLE.COM.",
            "victim@example.com..",
        ] {
            assert_eq!(rate_limit_form(variant), "victim@example.com", "{variant}");
        }
        assert_ne!(
            rate_limit_form("victim@example.com"),
            rate_limit_form("victim2@example.com")
        );
        assert_eq!(rate_limit_form("a.@b"), "a.@b");
    }

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
