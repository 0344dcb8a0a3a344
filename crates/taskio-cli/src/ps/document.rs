//! The task document a process serves (`taskio::inspect`'s protocol), as serde reads it.
//! Fields the server adds later are ignored here until a reader wants them.

use serde::Deserialize;

/// The answer to `tasks`: `{"taskio":1,"pid":..,"tasks":[..]}`.
///
/// ```
/// let doc: taskio_cli::ps::Document = serde_json::from_str(
///     r#"{"taskio":1,"pid":7,"tasks":[{"id":1,"name":"main","state":"running","age":0.5,
///         "parent":null,"spawned_at":"src/main.rs:3:5","cancelling":0}]}"#,
/// ).unwrap();
/// assert_eq!(doc.tasks[0].name, "main");
/// ```
#[derive(Clone, Debug, Deserialize)]
pub struct Document {
    /// The format's version.
    pub taskio: u64,
    /// The serving process.
    pub pid: u32,
    /// Its live tasks, ordered by id.
    pub tasks: Vec<TaskRow>,
    /// Each cycle of awaits among them (a deadlock), as the server found it.
    #[serde(default)]
    pub await_cycles: Vec<AwaitCycle>,
}

/// A cycle of awaits: each task awaits the next, the last the first (it starts at its
/// smallest id).
///
/// ```
/// let c: taskio_cli::ps::AwaitCycle = serde_json::from_str(r#"{"tasks":[3,4]}"#).unwrap();
/// assert_eq!(c.tasks, [3, 4]);
/// ```
#[derive(Clone, Debug, Deserialize)]
pub struct AwaitCycle {
    /// The ids along the cycle.
    pub tasks: Vec<u64>,
}

/// One task of a [`Document`].
///
/// ```
/// let t: taskio_cli::ps::TaskRow = serde_json::from_str(
///     r#"{"id":2,"name":"w","state":"pending","age":0.0,"parent":1,"spawned_at":"a.rs:1:1"}"#,
/// ).unwrap();
/// assert_eq!((t.parent, t.cancelling), (Some(1), 0));
/// ```
#[derive(Clone, Debug, Deserialize)]
pub struct TaskRow {
    /// The task's id.
    pub id: u64,
    /// Its name.
    pub name: String,
    /// `pending` or `running`.
    pub state: String,
    /// Seconds since it was spawned.
    pub age: f64,
    /// The id of the task that spawned it.
    pub parent: Option<u64>,
    /// `file:line:column` of its spawn.
    pub spawned_at: String,
    /// Outstanding cancel requests.
    #[serde(default)]
    pub cancelling: u32,
    /// The ids of the tasks it awaits now (`.await`, gather, wait, a group's join, ...).
    #[serde(default)]
    pub awaits: Vec<u64>,
}

impl TaskRow {
    /// The ids it awaits, `3,4`, or `-`.
    ///
    /// ```
    /// let t: taskio_cli::ps::TaskRow = serde_json::from_str(
    ///     r#"{"id":2,"name":"w","state":"running","age":0.0,"parent":1,"spawned_at":"a.rs:1:1",
    ///         "awaits":[3,4]}"#,
    /// ).unwrap();
    /// assert_eq!(t.awaits_text(), "3,4");
    /// ```
    pub fn awaits_text(&self) -> String {
        if self.awaits.is_empty() {
            return "-".to_owned();
        }
        let ids: Vec<String> = self.awaits.iter().map(u64::to_string).collect();
        ids.join(",")
    }

    /// The state, with the outstanding cancel requests if any: `running, cancelling 1`.
    ///
    /// ```
    /// let mut t: taskio_cli::ps::TaskRow = serde_json::from_str(
    ///     r#"{"id":2,"name":"w","state":"running","age":0.0,"parent":1,"spawned_at":"a.rs:1:1"}"#,
    /// ).unwrap();
    /// assert_eq!(t.state_text(), "running");
    /// t.cancelling = 2;
    /// assert_eq!(t.state_text(), "running, cancelling 2");
    /// ```
    pub fn state_text(&self) -> String {
        if self.cancelling > 0 {
            format!("{}, cancelling {}", self.state, self.cancelling)
        } else {
            self.state.clone()
        }
    }
}

/// A name or spawn site as one line of a terminal: control characters (a newline in a task's
/// name) are shown escaped, so they cannot break the table or the tree.
///
/// ```
/// assert_eq!(taskio_cli::ps::printable("a\nb\u{1b}[2J"), "a\\nb\\u{1b}[2J");
/// assert_eq!(taskio_cli::ps::printable("naïve"), "naïve");
/// ```
pub fn printable(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_control() {
            out.extend(c.escape_debug());
        } else {
            out.push(c);
        }
    }
    out
}
