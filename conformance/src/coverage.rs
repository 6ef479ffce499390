//! The (action, error_code) pairs the fixtures must produce, kept as data in
//! `fixtures/coverage.json`, and the table that shows how many they do.

use std::collections::BTreeSet;
use std::fmt::Write;
use std::path::Path;

use serde::Deserialize;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CoverageTable {
    /// Pairs some fixture must produce.
    pub pairs: Vec<Pair>,
    /// Pairs of the contract that the fixtures cannot produce here, each with why.
    pub excluded: Vec<Exclusion>,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Pair {
    pub action: String,
    pub error_code: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Exclusion {
    pub action: String,
    pub error_code: String,
    pub reason: String,
}

impl CoverageTable {
    pub fn load(path: &Path) -> anyhow::Result<Self> {
        let text = std::fs::read_to_string(path)?;
        serde_json::from_str(&text).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))
    }

    /// Every pair the table names: the listed ones and the excluded ones.
    pub fn named_pairs(&self) -> BTreeSet<(String, String)> {
        let listed = self.pairs.iter().map(|p| (&p.action, &p.error_code));
        let excluded = self.excluded.iter().map(|e| (&e.action, &e.error_code));
        listed
            .chain(excluded)
            .map(|(action, code)| (action.clone(), code.clone()))
            .collect()
    }

    /// Whether the table lists or excludes the pair.
    pub fn names(&self, action: &str, error_code: &str) -> bool {
        let listed = self.pairs.iter().map(|p| (&p.action, &p.error_code));
        let excluded = self.excluded.iter().map(|e| (&e.action, &e.error_code));
        listed
            .chain(excluded)
            .any(|(a, c)| a == action && c == error_code)
    }

    /// The listed pairs no fixture produced.
    pub fn missing(&self, produced: &BTreeSet<(String, String)>) -> Vec<&Pair> {
        self.pairs
            .iter()
            .filter(|p| !produced.contains(&(p.action.clone(), p.error_code.clone())))
            .collect()
    }

    /// One line per action: pairs covered / listed, and what is missing.
    pub fn render(&self, produced: &BTreeSet<(String, String)>) -> String {
        let mut actions: Vec<&str> = Vec::new();
        for pair in &self.pairs {
            if !actions.contains(&pair.action.as_str()) {
                actions.push(&pair.action);
            }
        }
        let mut out = String::from("coverage of (action, error_code) pairs\n");
        let mut covered_total = 0;
        for action in actions {
            let listed: Vec<&Pair> = self.pairs.iter().filter(|p| p.action == action).collect();
            let missing: Vec<&str> = listed
                .iter()
                .filter(|p| !produced.contains(&(p.action.clone(), p.error_code.clone())))
                .map(|p| p.error_code.as_str())
                .collect();
            let covered = listed.len() - missing.len();
            covered_total += covered;
            let _ = write!(out, "  {action:<66} {covered:>2}/{:<2}", listed.len());
            if !missing.is_empty() {
                let _ = write!(out, "  missing: {}", missing.join(", "));
            }
            out.push('\n');
        }
        let total = self.pairs.len();
        let percent = if total == 0 {
            100.0
        } else {
            100.0 * covered_total as f64 / total as f64
        };
        let _ = writeln!(
            out,
            "  total {covered_total}/{total} ({percent:.1} %); {} excluded pairs",
            self.excluded.len()
        );
        out
    }
}

/// The (action, error_code) pairs of the per-action table in `docs/protocol.md` §4.9:
/// the rows from the section's heading to the next heading whose first cell is an
/// action in backticks; every backticked word of the second cell is one of its codes.
pub fn protocol_table_pairs(markdown: &str) -> anyhow::Result<BTreeSet<(String, String)>> {
    let section = markdown
        .split("\n### ")
        .find(|section| section.starts_with("4.9 "))
        .ok_or_else(|| anyhow::anyhow!("no section 4.9 in docs/protocol.md"))?;
    let mut pairs = BTreeSet::new();
    for row in section.lines().filter(|line| line.starts_with("| `")) {
        let cells: Vec<&str> = row.split('|').map(str::trim).collect();
        let [_, action, codes, ..] = cells.as_slice() else {
            anyhow::bail!("not a table row: {row}");
        };
        let action = action.trim_matches('`');
        let codes: Vec<&str> = codes.split('`').skip(1).step_by(2).collect();
        anyhow::ensure!(!codes.is_empty(), "no codes for {action}");
        for code in codes {
            anyhow::ensure!(
                pairs.insert((action.to_owned(), code.to_owned())),
                "{action} lists {code} twice"
            );
        }
    }
    Ok(pairs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_rows_of_section_4_9_are_read() {
        let markdown = "## 4\n\n### 4.8 Races\n\n| `x` | `not_this` |\n\n### 4.9 Codes\n\n\
            | Action | Error codes |\n|---|---|\n| `get_signup` | `invalid_signup_token` `internal_error` |\n\
            | `get_session` | `invalid_session_token` |\n\n### 4.10 Next\n\n| `y` | `nor_this` |\n";
        let pairs = protocol_table_pairs(markdown).expect("parses");
        let expected: BTreeSet<(String, String)> = [
            ("get_signup", "invalid_signup_token"),
            ("get_signup", "internal_error"),
            ("get_session", "invalid_session_token"),
        ]
        .iter()
        .map(|(a, c)| ((*a).to_owned(), (*c).to_owned()))
        .collect();
        assert_eq!(pairs, expected);
    }
}
