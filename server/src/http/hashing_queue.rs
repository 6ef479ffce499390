//! The bound on password actions: each waits for one Argon2id hash, so admitting at
//! most `hashing concurrency + queue` of them at once bounds the hashing queue. Past
//! it they are answered 503 at once instead of queueing without limit.

use std::sync::Arc;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// The actions that hash or verify a password (each exactly once).
pub const PASSWORD_ACTIONS: &[&str] = &[
    "set_signup_password",
    "verify_signin_user_password",
    "verify_user_email_address_update_user_password",
    "verify_user_password_update_user_password",
    "set_user_password_update_new_password",
    "verify_user_deletion_user_password",
    "create_user_password_reset",
    "verify_user_password_reset_temporary_password",
    "set_user_password_reset_new_password",
];

/// Places for password actions, shared by every connection.
#[derive(Debug, Clone)]
pub struct HashingQueue {
    places: Arc<Semaphore>,
}

/// The queue is full.
#[derive(Debug, PartialEq, Eq)]
pub struct Full;

impl HashingQueue {
    /// `hashing` actions hashing at once and `queue` more waiting.
    pub fn new(hashing: usize, queue: usize) -> Self {
        HashingQueue {
            places: Arc::new(Semaphore::new(hashing.max(1).saturating_add(queue))),
        }
    }

    /// A place for `action` if it is a password action (held until the permit is
    /// dropped), `None` for other actions, `Full` when no place is left.
    pub fn admit(&self, action: &str) -> Result<Option<OwnedSemaphorePermit>, Full> {
        if !PASSWORD_ACTIONS.contains(&action) {
            return Ok(None);
        }
        self.places
            .clone()
            .try_acquire_owned()
            .map(Some)
            .map_err(|_| Full)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::faroe::endpoint::ACTION_NAMES;

    #[test]
    fn every_password_action_exists() {
        for name in PASSWORD_ACTIONS {
            assert!(ACTION_NAMES.contains(name), "{name}");
        }
    }

    #[test]
    fn only_password_actions_take_a_place() {
        let queue = HashingQueue::new(1, 1);
        let signin = "verify_signin_user_password";
        let first = queue.admit(signin).expect("room").expect("a place");
        let second = queue.admit(signin).expect("room").expect("a place");
        assert_eq!(queue.admit(signin).err(), Some(Full));
        for other in ["get_session", "create_signup", ""] {
            assert!(queue.admit(other).expect("never full").is_none());
        }
        drop(first);
        assert!(queue.admit(signin).expect("a place is free").is_some());
        drop(second);
    }
}
