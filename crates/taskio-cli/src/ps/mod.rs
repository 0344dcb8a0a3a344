//! `taskio ps PID` and `taskio pstree PID`: the tasks of a running taskio process, read from
//! outside through its inspection socket (see `taskio::inspect`), as Python 3.14's
//! `python -m asyncio ps PID` / `pstree PID` read an asyncio process's.

mod client;
mod document;
mod pstree;
mod table;

use std::time::Duration;

pub use client::ask;
pub use document::{AwaitCycle, Document, TaskRow, printable};
pub use pstree::pstree;
pub use table::{age, table};

/// What to print.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum View {
    /// The task table (`taskio ps`).
    Table,
    /// The tree (`taskio pstree`).
    Tree,
}

/// Asks process `pid` for its tasks and prints them as `view`, or with `json` the server's
/// document as it came. An error is one line, for the caller to print (exit code 1).
///
/// ```
/// use std::time::Duration;
/// use taskio_cli::ps::{View, run};
/// let e = run(i32::MAX as u32, View::Table, false, Duration::from_secs(1)).unwrap_err();
/// assert!(e.starts_with("no process with pid"));
/// ```
pub fn run(pid: u32, view: View, json: bool, timeout: Duration) -> Result<(), String> {
    let answer = ask(pid, timeout)?;
    if json {
        crate::out::line(answer.trim_end());
        return Ok(());
    }
    let doc: Document = serde_json::from_str(&answer).map_err(|e| {
        format!("process {pid} answered something that is not a taskio task document: {e}")
    })?;
    let text = match view {
        View::Table => table(&doc),
        View::Tree => pstree(&doc),
    };
    crate::out::line(text.trim_end_matches('\n'));
    Ok(())
}
