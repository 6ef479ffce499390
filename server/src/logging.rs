//! Log output of the binaries on stderr: plain text (coloured only on a terminal) or
//! one JSON object per line. Both carry the action name and invocation id of the
//! span an event happens in.

use std::io::IsTerminal as _;

use tracing_subscriber::EnvFilter;

/// How log lines are written (`FAROE_LOG_FORMAT`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum LogFormat {
    #[default]
    Text,
    /// One JSON object per line: `timestamp`, `level`, `target`, `fields.message`,
    /// the event's other fields, and the enclosing `span` (action, invocation id).
    Json,
}

impl LogFormat {
    pub fn parse(value: &str) -> Option<LogFormat> {
        match value.to_ascii_lowercase().as_str() {
            "text" => Some(LogFormat::Text),
            "json" => Some(LogFormat::Json),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            LogFormat::Text => "text",
            LogFormat::Json => "json",
        }
    }
}

/// Installs the global subscriber with `filter` (e.g. `info`, `tiauth_faroe=debug`).
pub fn init(filter: &str, format: LogFormat) {
    let builder = tracing_subscriber::fmt()
        .with_env_filter(EnvFilter::new(filter))
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Text => builder.with_ansi(std::io::stderr().is_terminal()).init(),
        LogFormat::Json => builder
            .json()
            .with_current_span(true)
            .with_span_list(false)
            .init(),
    }
}
