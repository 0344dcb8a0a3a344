//! The live task tree: [`tree`] and [`TaskTree`], what asyncio 3.14 prints with
//! `python -m asyncio pstree` and `asyncio.print_call_graph()`.
//!
//! Each task hangs under the task that spawned it; a task group's children hang under the task
//! that runs the group, whichever task called `spawn`. A task whose parent is done (a detached
//! task that outlived its spawner) is shown as a root.

use std::collections::HashMap;
use std::fmt;

use crate::id::TaskId;
use crate::introspect::TaskInfo;

/// How many levels of a tree's text get their guides (`│   `); deeper lines give their depth
/// as a number (`┆ depth 40 └── ...`), so that a deep chain's text is linear in its length.
const GUIDED_LEVELS: usize = 24;

/// A snapshot of every live task, as a tree: print it to see who runs what.
///
/// For a program whose `main` runs `app`, whose group runs two workers, the first of which runs
/// a group of its own (`examples/tree.rs`; ids, spawn sites and ages vary):
///
/// ```text
/// main (id 1, running, spawned at crates/taskio/examples/tree.rs:12:5, age 11.3ms)
/// └── app (id 2, running, spawned at crates/taskio/examples/tree.rs:13:46, age 11.3ms)
///     ├── worker-1 (id 3, running, spawned at crates/taskio/examples/tree.rs:15:20, age 11.2ms)
///     │   └── leaf (id 5, running, spawned at crates/taskio/examples/tree.rs:17:31, age 11.2ms)
///     └── worker-2 (id 4, running, spawned at crates/taskio/examples/tree.rs:22:20, age 11.2ms)
/// ```
///
/// ```
/// use std::time::Duration;
///
/// taskio::run(async {
///     let app = taskio::task().name("app").spawn(async {
///         taskio::task_group(|tg| async move {
///             tg.spawn_with(taskio::task().name("worker"), async {
///                 taskio::sleep(Duration::from_secs(3600)).await
///             })?;
///             taskio::sleep(Duration::from_secs(3600)).await?;
///             taskio::Ok(())
///         })
///         .await
///     });
///     taskio::sleep(Duration::from_millis(1)).await?;
///     let tree = taskio::tree();
///     println!("{tree}");
///     let text = tree.to_string();
///     assert!(text.starts_with("main (id "));
///     assert!(text.contains("\n└── app (id "));
///     assert!(text.contains("\n    └── worker (id "));
///     app.cancel();
///     let _ = app.await;
///     taskio::Ok(())
/// })
/// .unwrap();
/// ```
pub fn tree() -> TaskTree {
    TaskTree::new(crate::all_tasks())
}

/// The live tasks as a tree: [`tree`]'s snapshot. `Display` draws it as indented text, roots
/// first, each task's children in id order.
///
/// ```
/// taskio::run(async {
///     let tree = taskio::tree();
///     let me = taskio::current().unwrap().id();
///     assert_eq!(tree.roots().next().map(|t| t.id), Some(me));
///     assert_eq!(tree.children(me).count(), 0);
/// });
/// ```
#[derive(Clone, Debug)]
pub struct TaskTree {
    /// Every task, ordered by id.
    tasks: Vec<TaskInfo>,
    /// Index of a task in `tasks` → indices of its live children, in id order.
    children: HashMap<TaskId, Vec<usize>>,
    /// Indices of the tasks with no live parent, in id order.
    roots: Vec<usize>,
}

impl TaskTree {
    fn new(mut tasks: Vec<TaskInfo>) -> TaskTree {
        tasks.sort_by_key(|t| t.id);
        let index: HashMap<TaskId, usize> =
            tasks.iter().enumerate().map(|(i, t)| (t.id, i)).collect();
        let mut children: HashMap<TaskId, Vec<usize>> = HashMap::new();
        let mut roots = Vec::new();
        for (i, t) in tasks.iter().enumerate() {
            match t.parent.filter(|p| index.contains_key(p)) {
                Some(p) => children.entry(p).or_default().push(i),
                None => roots.push(i),
            }
        }
        TaskTree {
            tasks,
            children,
            roots,
        }
    }

    /// Every task in the snapshot, ordered by id.
    ///
    /// ```
    /// taskio::run(async {
    ///     assert!(taskio::tree().tasks().iter().any(|t| t.name == "main"));
    /// });
    /// ```
    pub fn tasks(&self) -> &[TaskInfo] {
        &self.tasks
    }

    /// The tasks with no live parent, in id order.
    ///
    /// ```
    /// taskio::run(async {
    ///     let tree = taskio::tree();
    ///     assert!(tree.roots().any(|t| t.name == "main"));
    /// });
    /// ```
    pub fn roots(&self) -> impl Iterator<Item = &TaskInfo> {
        self.roots.iter().map(|&i| &self.tasks[i])
    }

    /// The live children of task `id`, in id order.
    ///
    /// ```
    /// taskio::run(async {
    ///     let child = taskio::spawn(async {});
    ///     let me = taskio::current().unwrap().id();
    ///     let tree = taskio::tree();
    ///     assert_eq!(tree.children(me).next().map(|t| t.id), Some(child.id()));
    /// });
    /// ```
    pub fn children(&self, id: TaskId) -> impl Iterator<Item = &TaskInfo> {
        self.children
            .get(&id)
            .into_iter()
            .flatten()
            .map(|&i| &self.tasks[i])
    }

    /// The part of the tree under task `id` (itself and its descendants), with `id` as the one
    /// root; empty if `id` is not live. Handy to print "my" tasks among all the process's.
    ///
    /// ```
    /// taskio::run(async {
    ///     let me = taskio::current().unwrap().id();
    ///     let _child = taskio::task().name("kid").spawn(async {});
    ///     let mine = taskio::tree().subtree(me);
    ///     assert_eq!(mine.tasks().len(), 2);
    ///     assert!(mine.to_string().contains("└── kid (id "));
    /// });
    /// ```
    pub fn subtree(&self, id: TaskId) -> TaskTree {
        let mut picked = Vec::new();
        if let Some(root) = self.tasks.iter().find(|t| t.id == id) {
            let mut stack = vec![root];
            while let Some(t) = stack.pop() {
                picked.push(t.clone());
                stack.extend(self.children(t.id));
            }
        }
        TaskTree::new(picked)
    }

    /// The cycles of awaits among the tasks: each a deadlock, every task in it awaiting the
    /// next and the last the first (two tasks awaiting each other's handles). Each cycle starts
    /// at its smallest id. `Display` shows them after the tree.
    ///
    /// ```
    /// use std::sync::{Arc, Mutex};
    ///
    /// taskio::run(async {
    ///     // Two tasks that await each other's handles: neither can ever finish.
    ///     let slot: Arc<Mutex<Option<taskio::Task<()>>>> = Arc::default();
    ///     let b_slot = slot.clone();
    ///     let a = taskio::task().name("a").spawn(async move {
    ///         let b = loop {
    ///             if let Some(b) = b_slot.lock().unwrap().take() {
    ///                 break b;
    ///             }
    ///             taskio::checkpoint().await?;
    ///         };
    ///         b.await
    ///     });
    ///     let a_handle = a.handle();
    ///     let b = taskio::task().name("b").spawn(async move { a.await });
    ///     let b_handle = b.handle();
    ///     *slot.lock().unwrap() = Some(b);
    ///     taskio::sleep(std::time::Duration::from_millis(1)).await?;
    ///     let tree = taskio::tree();
    ///     assert_eq!(tree.await_cycles(), vec![vec![a_handle.id(), b_handle.id()]]);
    ///     println!("{tree}");
    ///     assert!(tree.to_string().contains("await cycle (deadlock): a (id "));
    ///     a_handle.abort();
    ///     b_handle.abort();
    ///     taskio::Ok(())
    /// })
    /// .unwrap();
    /// ```
    pub fn await_cycles(&self) -> Vec<Vec<TaskId>> {
        crate::introspect::awaits::cycles(&self.tasks)
    }

    fn kids(&self, i: usize) -> &[usize] {
        self.children
            .get(&self.tasks[i].id)
            .map_or(&[][..], Vec::as_slice)
    }

    /// Draws the descendants of task `i`, without recursion (a chain 100k deep runs fine, so
    /// drawing it must too): a stack of (children, next one to draw) per level. The guides are
    /// drawn for the first [`GUIDED_LEVELS`] levels only; a line deeper than that says its
    /// depth instead, so a line's length is bounded and the text linear in the tasks.
    fn draw(&self, f: &mut fmt::Formatter<'_>, i: usize) -> fmt::Result {
        let mut levels: Vec<(&[usize], usize)> = vec![(self.kids(i), 0)];
        // The guides of the levels above, and where each level's guide starts in it.
        let mut prefix = String::new();
        let mut starts: Vec<usize> = Vec::new();
        while let Some((kids, next)) = levels.last_mut() {
            let Some(&k) = kids.get(*next) else {
                // The frame of a task at depth `levels.len() - 1` is done: so is its guide.
                let owner_depth = levels.len() - 1;
                levels.pop();
                if (1..GUIDED_LEVELS).contains(&owner_depth) {
                    let start = starts.pop().expect("a guided level has its guide");
                    prefix.truncate(start);
                }
                continue;
            };
            *next += 1;
            let last = *next == kids.len();
            let depth = levels.len();
            let branch = if last { "└── " } else { "├── " };
            if depth <= GUIDED_LEVELS {
                writeln!(f, "{prefix}{branch}{}", self.tasks[k])?;
            } else {
                writeln!(f, "{prefix}┆ depth {depth} {branch}{}", self.tasks[k])?;
            }
            levels.push((self.kids(k), 0));
            if depth < GUIDED_LEVELS {
                starts.push(prefix.len());
                prefix.push_str(if last { "    " } else { "│   " });
            }
        }
        fmt::Result::Ok(())
    }
}

impl fmt::Display for TaskTree {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for &r in &self.roots {
            writeln!(f, "{}", self.tasks[r])?;
            self.draw(f, r)?;
        }
        let cycles = self.await_cycles();
        if cycles.is_empty() {
            return fmt::Result::Ok(());
        }
        let name = |id: &TaskId| {
            self.tasks
                .binary_search_by_key(id, |t| t.id)
                .map_or("?", |i| self.tasks[i].name.as_str())
        };
        for cycle in &cycles {
            f.write_str("await cycle (deadlock): ")?;
            for id in cycle {
                write!(f, "{} (id {id}) → ", name(id))?;
            }
            writeln!(f, "{} (id {})", name(&cycle[0]), cycle[0])?;
        }
        fmt::Result::Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::{GUIDED_LEVELS, TaskTree};
    use crate::id::{TaskId, TaskState};
    use crate::introspect::TaskInfo;

    /// Task `n` of a tree whose ids are `ids` (task `n` has id `ids[n]`).
    fn info(ids: &[TaskId], n: usize, parent: Option<usize>) -> TaskInfo {
        TaskInfo {
            id: ids[n],
            name: format!("t{n}"),
            state: TaskState::Running,
            parent: parent.map(|p| ids[p]),
            spawned_at: std::panic::Location::caller(),
            age: Duration::ZERO,
            cancelling: 0,
            awaiting: Vec::new(),
        }
    }

    /// The name that starts each line, after its guides.
    fn shape(tree: &TaskTree) -> Vec<String> {
        tree.to_string()
            .lines()
            .map(|l| l[..l.find(" (id ").unwrap()].to_owned())
            .collect()
    }

    #[test]
    fn guides_stop_at_a_bounded_depth_and_come_back_after_a_deep_branch() {
        // 1 ── 2 ── 3 ── ... ── 41 (a chain 40 deep), and 1 ── 100 after it.
        let ids: Vec<TaskId> = (0..=100).map(|_| TaskId::next()).collect();
        let mut tasks = vec![info(&ids, 1, None)];
        tasks.extend((2..=41).map(|n| info(&ids, n, Some(n - 1))));
        tasks.push(info(&ids, 100, Some(1)));
        let lines = shape(&TaskTree::new(tasks));
        assert_eq!(lines[0], "t1");
        assert_eq!(lines[1], "├── t2");
        assert_eq!(lines[2], "│   └── t3");
        let guided = format!(
            "{}└── t{}",
            "    ".repeat(GUIDED_LEVELS - 2),
            GUIDED_LEVELS + 1
        );
        assert_eq!(lines[GUIDED_LEVELS], format!("│   {guided}"));
        let deep = GUIDED_LEVELS + 1;
        let guides = format!("│   {}", "    ".repeat(GUIDED_LEVELS - 2));
        assert_eq!(
            lines[deep],
            format!("{guides}┆ depth {deep} └── t{}", deep + 1)
        );
        assert_eq!(lines[40], format!("{guides}┆ depth 40 └── t41"));
        // After the deep branch, the root's last child is drawn at the top level again.
        assert_eq!(lines[41], "└── t100");
        assert_eq!(lines.len(), 42);
    }
}
