//! Who awaits whom: the edges that [`all_tasks`](crate::all_tasks()) lists in
//! [`TaskInfo::awaiting`](crate::TaskInfo::awaiting) and [`tree`](crate::tree()) draws, as
//! CPython 3.14's call graph (`asyncio.print_call_graph()`, `python -m asyncio pstree`) does.
//!
//! The record is the cheapest one that is exact for the handle's awaiters: when a task's handle
//! is polled and the task is not done, its cell stores the id of the task whose code polled it
//! (one `u64`, no allocation, under the lock the poll takes anyway). That covers every way of
//! awaiting a task: `task.await`, gather, wait, as_completed, shield, a `JoinSet` or `TaskSet`,
//! since they all poll the handle. A task group's join (its body done, its children not) is
//! read from the group. The snapshot inverts "B is awaited by A" into "A awaits B", in linear
//! time.
//!
//! An edge ends when the awaited task is done, when its handle is dropped (as it is when the
//! future that awaits it is dropped), or when the handle is polled from elsewhere. A handle
//! polled and then set aside unpolled (`&mut task` in a `select!` that took another branch, a
//! `TaskSet` kept for later) keeps its edge: clearing it would cost every await a second lock,
//! and the edge still says whom the task's completion wakes. A handle polled from code outside
//! any task (a `#[tokio::main]` body) records nobody.

use std::collections::HashMap;

use crate::id::TaskId;
use crate::introspect::TaskInfo;

/// Fills in each task's `awaiting` from the `(awaiter, awaited)` pairs: linear in the tasks and
/// the edges. An awaiter that is not among `tasks` (done since) is left out.
pub(crate) fn invert(tasks: &mut [TaskInfo], edges: Vec<(TaskId, TaskId)>) {
    if edges.is_empty() {
        return;
    }
    let index: HashMap<TaskId, usize> = tasks.iter().enumerate().map(|(i, t)| (t.id, i)).collect();
    for (awaiter, awaited) in edges {
        if awaiter != awaited
            && let Some(&i) = index.get(&awaiter)
        {
            tasks[i].awaiting.push(awaited);
        }
    }
    for t in tasks.iter_mut() {
        t.awaiting.sort_unstable();
        t.awaiting.dedup();
    }
}

/// The cycles of awaits among `tasks` (each a deadlock: every task in it waits for the next,
/// the last for the first). One cycle for each back edge of a depth-first search, without
/// recursion: every deadlock shows up, in time linear in tasks and edges. Each cycle starts at
/// its smallest id; the list is sorted.
pub(crate) fn cycles(tasks: &[TaskInfo]) -> Vec<Vec<TaskId>> {
    let index: HashMap<TaskId, usize> = tasks.iter().enumerate().map(|(i, t)| (t.id, i)).collect();
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        New,
        OnPath,
        Done,
    }
    let mut mark = vec![Mark::New; tasks.len()];
    let mut found = Vec::new();
    for start in 0..tasks.len() {
        if mark[start] != Mark::New || tasks[start].awaiting.is_empty() {
            continue;
        }
        // The path from `start`: (task, next edge to follow).
        let mut path: Vec<(usize, usize)> = vec![(start, 0)];
        mark[start] = Mark::OnPath;
        while let Some((node, next)) = path.last_mut() {
            let node = *node;
            let Some(target) = tasks[node].awaiting.get(*next) else {
                mark[node] = Mark::Done;
                path.pop();
                continue;
            };
            *next += 1;
            let Some(&t) = index.get(target) else {
                continue;
            };
            match mark[t] {
                Mark::New => {
                    mark[t] = Mark::OnPath;
                    path.push((t, 0));
                }
                Mark::OnPath => {
                    let from = path.iter().position(|&(n, _)| n == t).unwrap_or(0);
                    let mut cycle: Vec<TaskId> =
                        path[from..].iter().map(|&(n, _)| tasks[n].id).collect();
                    let min = (0..cycle.len()).min_by_key(|&i| cycle[i]).unwrap_or(0);
                    cycle.rotate_left(min);
                    found.push(cycle);
                }
                Mark::Done => {}
            }
        }
    }
    found.sort();
    found
}
