//! Interactive mode: commands read line by line from stdin while the server runs.
//!
//! `reset` clears the storage, `help` lists the commands, `exit` and `quit` stop the
//! process. At the end of input the shell stops and the server keeps serving.

use std::io::{BufRead, Write};

/// Why the shell stopped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ShellEnd {
    /// `exit` or `quit`: the process should stop with status 0.
    Exit,
    /// The input ended (or could not be read); the server keeps running.
    EndOfInput,
}

const BANNER: &str = "Interactive mode started.\nType 'help' for available commands.\n";
const PROMPT: &str = "> ";
const HELP: &str = "Available commands:\n  reset - Clear all data from storage\n  help  - Show this help message\n  exit  - Exit program\n";

/// Runs the shell over `input` and `output`. `reset` clears the storage and reports an
/// error as text. Lines are trimmed and matched exactly; a last line without a newline
/// is ignored.
pub fn run<R, W, F>(mut input: R, mut output: W, mut reset: F) -> ShellEnd
where
    R: BufRead,
    W: Write,
    F: FnMut() -> Result<(), String>,
{
    // Output problems (a closed stdout) must not stop the shell from obeying commands.
    let _ = write!(output, "{BANNER}{PROMPT}");
    let _ = output.flush();
    let mut line = String::new();
    loop {
        line.clear();
        match input.read_line(&mut line) {
            Ok(0) | Err(_) => return ShellEnd::EndOfInput,
            Ok(_) if !line.ends_with('\n') => return ShellEnd::EndOfInput,
            Ok(_) => {}
        }
        let reply = match line.trim() {
            "" => String::new(),
            "reset" => match reset() {
                Ok(()) => "Storage cleared successfully (auth server only)\n".to_owned(),
                Err(error) => format!("Error clearing storage: {error}\n"),
            },
            "help" => HELP.to_owned(),
            "exit" | "quit" => {
                let _ = writeln!(output, "Exiting...");
                let _ = output.flush();
                return ShellEnd::Exit;
            }
            other => format!("Unknown command: {other} (type 'help' for available commands)\n"),
        };
        let _ = write!(output, "{reply}{PROMPT}");
        let _ = output.flush();
    }
}

/// Starts the shell on stdin and stdout in its own thread (reading stdin blocks).
/// `reset` runs on the given runtime. The receiver learns how the shell ended.
pub fn spawn_on_stdin(
    storage: std::sync::Arc<dyn crate::storage::Storage>,
    runtime: tokio::runtime::Handle,
) -> std::io::Result<tokio::sync::oneshot::Receiver<ShellEnd>> {
    let (done, ended) = tokio::sync::oneshot::channel();
    std::thread::Builder::new()
        .name("tiauth-shell".to_owned())
        .spawn(move || {
            let stdin = std::io::stdin();
            let end = run(stdin.lock(), std::io::stdout(), || {
                runtime
                    .block_on(storage.clear())
                    .map_err(|error| error.to_string())
            });
            let _ = done.send(end);
        })?;
    Ok(ended)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn session(input: &str, reset_result: Result<(), String>) -> (ShellEnd, String, usize) {
        let mut output = Vec::new();
        let mut resets = 0;
        let end = run(input.as_bytes(), &mut output, || {
            resets += 1;
            reset_result.clone()
        });
        (end, String::from_utf8_lossy(&output).into_owned(), resets)
    }

    #[test]
    fn commands_answer_with_their_texts() {
        let (end, output, resets) =
            session("help\n  reset \r\n\nfoo bar\nRESET\nexit\nhelp\n", Ok(()));
        assert_eq!(end, ShellEnd::Exit);
        assert_eq!(resets, 1);
        assert_eq!(
            output,
            "Interactive mode started.\n\
             Type 'help' for available commands.\n\
             > Available commands:\n  reset - Clear all data from storage\n  help  - Show this help message\n  exit  - Exit program\n\
             > Storage cleared successfully (auth server only)\n\
             > > Unknown command: foo bar (type 'help' for available commands)\n\
             > Unknown command: RESET (type 'help' for available commands)\n\
             > Exiting...\n"
        );
    }

    #[test]
    fn quit_exits_too() {
        assert_eq!(session("quit\n", Ok(())).0, ShellEnd::Exit);
    }

    #[test]
    fn a_failed_reset_is_reported() {
        let (_, output, _) = session("reset\n", Err("disk on fire".to_owned()));
        assert!(output.contains("> Error clearing storage: disk on fire\n> "));
    }

    #[test]
    fn end_of_input_stops_the_shell_only() {
        let (end, output, resets) = session("reset\nexit", Ok(()));
        assert_eq!(end, ShellEnd::EndOfInput);
        assert_eq!(resets, 1);
        assert!(!output.contains("Exiting"));
        assert_eq!(session("", Ok(())).0, ShellEnd::EndOfInput);
    }
}
