//! What the backend has received: e-mails, user-action calls, and the codes the e-mails carried.

use std::collections::{HashMap, VecDeque};
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

/// How many e-mails and how many calls the journal keeps: a long-running backend (the dev
/// stack, a benchmark) must not grow without bound; tests read far fewer.
pub const JOURNAL_LIMIT: usize = 10_000;

#[derive(Debug, Default)]
struct Entries {
    emails: VecDeque<Value>,
    calls: VecDeque<UserActionCall>,
    /// Codes keyed by (e-mail type, recipient); a later e-mail overwrites an earlier one.
    tokens: HashMap<(String, String), String>,
}

/// The journal and token store. Cloning shares it.
#[derive(Debug, Clone)]
pub struct Journal {
    entries: Arc<Mutex<Entries>>,
    limit: usize,
}

impl Default for Journal {
    fn default() -> Self {
        Journal::with_limit(JOURNAL_LIMIT)
    }
}

/// Appends `item`, dropping the oldest entries past `limit`.
fn push_bounded<T>(queue: &mut VecDeque<T>, item: T, limit: usize) {
    queue.push_back(item);
    while queue.len() > limit {
        queue.pop_front();
    }
}

impl Journal {
    /// A journal keeping the latest `limit` e-mails and `limit` calls.
    pub fn with_limit(limit: usize) -> Self {
        Journal {
            entries: Arc::default(),
            limit,
        }
    }

    /// Records an `/email` body exactly as received.
    pub fn record_email(&self, body: Value) {
        push_bounded(&mut self.lock().emails, body, self.limit);
    }

    /// Records an `/invoke` call.
    pub fn record_call(&self, call: UserActionCall) {
        push_bounded(&mut self.lock().calls, call, self.limit);
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

    /// The e-mail bodies received (the latest `JOURNAL_LIMIT`), in arrival order.
    pub fn emails(&self) -> Vec<Value> {
        self.lock().emails.iter().cloned().collect()
    }

    /// The user-action calls received (the latest `JOURNAL_LIMIT`), in arrival order.
    pub fn calls(&self) -> Vec<UserActionCall> {
        self.lock().calls.iter().cloned().collect()
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

    #[test]
    fn only_the_latest_entries_are_kept() {
        let journal = Journal::with_limit(3);
        for n in 0..5 {
            journal.record_email(json!({ "n": n }));
            journal.record_call(UserActionCall {
                action: json!("get_user"),
                arguments: json!({ "n": n }),
            });
        }
        assert_eq!(
            journal.emails(),
            vec![json!({"n": 2}), json!({"n": 3}), json!({"n": 4})]
        );
        let kept: Vec<Value> = journal
            .calls()
            .iter()
            .map(|c| c.arguments.clone())
            .collect();
        assert_eq!(
            kept,
            vec![json!({"n": 2}), json!({"n": 3}), json!({"n": 4})]
        );
    }
}
