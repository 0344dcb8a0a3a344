//! `taskio pstree`: the tasks as a tree, each under the task that spawned it, drawn as
//! `taskio::tree()` and `pstree` draw theirs (`├── `, `│   `, `└── `).

use std::collections::{HashMap, HashSet};

use super::document::{Document, TaskRow, printable};

/// Levels that get their guides; deeper lines give their depth (`┆ depth 30 └── ...`) so the
/// text of a deep chain stays linear in its length (as `taskio::tree()`'s).
const GUIDED_LEVELS: usize = 24;

/// The tree of `doc`'s tasks: roots (no parent in the document) in id order, each task's
/// children under it in id order; each line `name (id N, state)`, with `, awaits 5, 6` when the
/// task awaits others; then a line for each cycle of awaits (a deadlock).
///
/// ```
/// let doc: taskio_cli::ps::Document = serde_json::from_str(
///     r#"{"taskio":1,"pid":7,"tasks":[
///         {"id":1,"name":"main","state":"running","age":1,"parent":null,"spawned_at":"m.rs:1:1"},
///         {"id":2,"name":"a","state":"running","age":1,"parent":1,"spawned_at":"m.rs:2:1"},
///         {"id":3,"name":"b","state":"pending","age":1,"parent":1,"spawned_at":"m.rs:3:1"},
///         {"id":4,"name":"c","state":"running","age":1,"parent":2,"spawned_at":"m.rs:4:1"}]}"#,
/// ).unwrap();
/// assert_eq!(
///     taskio_cli::ps::pstree(&doc),
///     "main (id 1, running)\n├── a (id 2, running)\n│   └── c (id 4, running)\n└── b (id 3, pending)\n"
/// );
///
/// let deadlock: taskio_cli::ps::Document = serde_json::from_str(
///     r#"{"taskio":1,"pid":7,"tasks":[
///         {"id":3,"name":"a","state":"running","age":1,"parent":null,"spawned_at":"m.rs:1:1","awaits":[4]},
///         {"id":4,"name":"b","state":"running","age":1,"parent":null,"spawned_at":"m.rs:2:1","awaits":[3]}],
///      "await_cycles":[{"tasks":[3,4]}]}"#,
/// ).unwrap();
/// assert_eq!(
///     taskio_cli::ps::pstree(&deadlock),
///     "a (id 3, running, awaits 4)\nb (id 4, running, awaits 3)\n\
///      await cycle (deadlock): a (id 3) → b (id 4) → a (id 3)\n"
/// );
/// ```
pub fn pstree(doc: &Document) -> String {
    let mut tasks: Vec<&TaskRow> = doc.tasks.iter().collect();
    tasks.sort_by_key(|t| t.id);
    let ids: HashSet<u64> = tasks.iter().map(|t| t.id).collect();
    let mut children: HashMap<u64, Vec<&TaskRow>> = HashMap::new();
    let mut roots = Vec::new();
    for &t in &tasks {
        match t.parent.filter(|p| ids.contains(p) && *p != t.id) {
            Some(p) => children.entry(p).or_default().push(t),
            None => roots.push(t),
        }
    }
    let mut out = String::new();
    let mut drawn = HashSet::new();
    for root in roots {
        draw(&mut out, root, &children, &mut drawn);
    }
    // Tasks in a cycle of parents (a document no taskio process writes) are not lost.
    for &t in &tasks {
        if !drawn.contains(&t.id) {
            draw(&mut out, t, &children, &mut drawn);
        }
    }
    cycle_lines(&mut out, doc);
    out
}

fn line(t: &TaskRow) -> String {
    let awaits = if t.awaits.is_empty() {
        String::new()
    } else {
        format!(", awaits {}", t.awaits_text().replace(',', ", "))
    };
    format!(
        "{} (id {}, {}{awaits})",
        printable(&t.name),
        t.id,
        t.state_text()
    )
}

/// `await cycle (deadlock): a (id 3) → b (id 4) → a (id 3)`, one line per cycle.
fn cycle_lines(out: &mut String, doc: &Document) {
    let names: HashMap<u64, &str> = doc.tasks.iter().map(|t| (t.id, t.name.as_str())).collect();
    for cycle in &doc.await_cycles {
        let steps: Vec<String> = cycle
            .tasks
            .iter()
            .chain(cycle.tasks.first())
            .map(|id| {
                format!(
                    "{} (id {id})",
                    printable(names.get(id).copied().unwrap_or("?"))
                )
            })
            .collect();
        out.push_str("await cycle (deadlock): ");
        out.push_str(&steps.join(" → "));
        out.push('\n');
    }
}

/// Draws `root` and its descendants without recursion: a stack of (children, next) levels.
fn draw<'a>(
    out: &mut String,
    root: &'a TaskRow,
    children: &HashMap<u64, Vec<&'a TaskRow>>,
    drawn: &mut HashSet<u64>,
) {
    let kids = |id: u64| children.get(&id).map_or(&[][..], Vec::as_slice);
    drawn.insert(root.id);
    out.push_str(&line(root));
    out.push('\n');
    let mut levels: Vec<(&[&TaskRow], usize)> = vec![(kids(root.id), 0)];
    let mut prefix = String::new();
    let mut starts: Vec<usize> = Vec::new();
    while let Some((level, next)) = levels.last_mut() {
        let Some(&k) = level.get(*next) else {
            let owner_depth = levels.len() - 1;
            levels.pop();
            if (1..GUIDED_LEVELS).contains(&owner_depth) {
                prefix.truncate(starts.pop().unwrap_or(0));
            }
            continue;
        };
        *next += 1;
        if !drawn.insert(k.id) {
            continue;
        }
        let last = *next == level.len();
        let depth = levels.len();
        let branch = if last { "└── " } else { "├── " };
        out.push_str(&prefix);
        if depth > GUIDED_LEVELS {
            out.push_str(&format!("┆ depth {depth} "));
        }
        out.push_str(branch);
        out.push_str(&line(k));
        out.push('\n');
        levels.push((kids(k.id), 0));
        if depth < GUIDED_LEVELS {
            starts.push(prefix.len());
            prefix.push_str(if last { "    " } else { "│   " });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::pstree;
    use crate::ps::Document;

    fn doc(rows: &[(u64, Option<u64>)]) -> Document {
        let tasks: Vec<String> = rows
            .iter()
            .map(|(id, parent)| {
                let parent = parent.map_or("null".to_owned(), |p| p.to_string());
                format!(
                    r#"{{"id":{id},"name":"t{id}","state":"running","age":0,"parent":{parent},"spawned_at":"x"}}"#
                )
            })
            .collect();
        serde_json::from_str(&format!(
            r#"{{"taskio":1,"pid":1,"tasks":[{}]}}"#,
            tasks.join(",")
        ))
        .unwrap()
    }

    #[test]
    fn a_missing_parent_makes_a_root_and_a_parent_cycle_is_still_drawn() {
        let text = pstree(&doc(&[
            (5, Some(99)),
            (6, Some(7)),
            (7, Some(6)),
            (8, Some(8)),
        ]));
        assert_eq!(
            text,
            "t5 (id 5, running)\nt8 (id 8, running)\nt6 (id 6, running)\n└── t7 (id 7, running)\n"
        );
    }

    #[test]
    fn a_deep_chain_is_drawn_without_recursion_and_in_linear_text() {
        let rows: Vec<(u64, Option<u64>)> = (1..=100_000u64)
            .map(|i| (i, (i > 1).then(|| i - 1)))
            .collect();
        let text = pstree(&doc(&rows));
        assert_eq!(text.lines().count(), 100_000);
        let longest = text.lines().map(str::len).max().unwrap();
        assert!(longest < 200, "{longest}");
        assert!(
            text.lines()
                .last()
                .unwrap()
                .contains("┆ depth 99999 └── t100000 ")
        );
    }
}
