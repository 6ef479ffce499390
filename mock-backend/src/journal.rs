//! What the backend has received: e-mails, user-action calls, and the codes the e-mails carried.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use serde_json::{json, Value};

/// One `/invoke` call as received: any JSON object body counts.
#[derive(Debug, Clone, PartialEq)]
pub struct UserActionCall {
    /// The `action` member as received (`null` when missing).
    pub action: Value,
    /// The `arguments` member as received (`null` when missing).
    pub arguments: Value,
}

impl UserActionCall {
    pub fn to_json(&self) -> Value {
        json!({"action": self.action, "arguments": self.arguments})
    }
}

#[derive(Debug, Default)]
struct Entries {
    emails: Vec<Value>,
    calls: Vec<UserActionCall>,
    /// Codes keyed by (e-mail type, recipient); a later e-mail overwrites an earlier one.
    tokens: HashMap<(String, String), String>,
}

/// The journal and token store. Cloning shares it.
#[derive(Debug, Clone, Default)]
pub struct Journal {
    entries: Arc<Mutex<Entries>>,
}

impl Journal {
    /// Records an `/email` body exactly as received.
    pub fn record_email(&self, body: Value) {
        self.lock().emails.push(body);
    }

    /// Records an `/invoke` call.
    pub fn record_call(&self, call: UserActionCall) {
        self.lock().calls.push(call);
    }

    /// Stores the code of an e-mail, replacing any earlier one of the same type to the same
    /// recipient.
    pub fn store_token(&self, kind: &str, email: &str, code: &str) {
        self.lock()
            .tokens
            .insert((kind.to_owned(), email.to_owned()), code.to_owned());
    }

    /// Removes and returns the stored code, so each code can be read once.
    pub fn take_token(&self, kind: &str, email: &str) -> Option<String> {
        self.lock()
            .tokens
            .remove(&(kind.to_owned(), email.to_owned()))
    }

    pub fn clear_tokens(&self) {
        self.lock().tokens.clear();
    }

    /// Every e-mail body received, in arrival order.
    pub fn emails(&self) -> Vec<Value> {
        self.lock().emails.clone()
    }

    /// Every user-action call received, in arrival order.
    pub fn calls(&self) -> Vec<UserActionCall> {
        self.lock().calls.clone()
    }

    /// Forgets e-mails, calls and tokens.
    pub fn clear(&self) {
        let mut entries = self.lock();
        entries.emails.clear();
        entries.calls.clear();
        entries.tokens.clear();
    }

    fn lock(&self) -> MutexGuard<'_, Entries> {
        self.entries
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_pop_and_overwrite() {
        let journal = Journal::default();
        journal.store_token("signup_verification", "a@b.c", "AAAA");
        journal.store_token("signup_verification", "a@b.c", "BBBB");
        journal.store_token("password_reset", "a@b.c", "CCCC");
        assert_eq!(
            journal
                .take_token("signup_verification", "a@b.c")
                .as_deref(),
            Some("BBBB")
        );
        assert_eq!(journal.take_token("signup_verification", "a@b.c"), None);
        assert_eq!(
            journal.take_token("password_reset", "a@b.c").as_deref(),
            Some("CCCC")
        );
    }
}
