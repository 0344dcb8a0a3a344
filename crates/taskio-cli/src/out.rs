//! Standard output for a reader that may go away: `taskio fetch ... | head -1` closes the pipe
//! after one line. A closed stdout ends the program at once and quietly, with exit code
//! [`STDOUT_CLOSED`] (what a Unix tool killed by `SIGPIPE` reports), never a "Broken pipe"
//! panic and never the bad-usage code 2. Other write errors (a full disk) are reported once on
//! stderr and end the program the same way.

use std::io::Write;

/// The exit code when stdout was closed: 128 + `SIGPIPE`.
pub const STDOUT_CLOSED: i32 = 141;

/// Prints `text` and a newline to stdout (flushed, as `println!`).
///
/// ```
/// taskio_cli::out::line("hello");
/// ```
pub fn line(text: &str) {
    let mut stdout = std::io::stdout().lock();
    let written = writeln!(stdout, "{text}").and_then(|()| stdout.flush());
    if let Err(e) = written {
        if e.kind() != std::io::ErrorKind::BrokenPipe {
            eprintln!("taskio: cannot write to standard output: {e}");
        }
        std::process::exit(STDOUT_CLOSED);
    }
}
