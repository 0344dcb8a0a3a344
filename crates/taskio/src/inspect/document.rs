//! What the inspection socket answers: the task document
//! (`{"taskio":1,"pid":..,"tasks":[..],"await_cycles":[{"tasks":[a,b]},..]}`: each task with
//! the ids it awaits, and each cycle of awaits, a deadlock, from its smallest id) and the error
//! line. One task's fields are written in one place, [`task`].

use crate::introspect::TaskInfo;

use super::json::Object;

/// The version of the document's format, its `"taskio"` field.
pub(crate) const FORMAT: u64 = 1;

/// The answer to `tasks`: every live task of the process, ordered by id, on one line.
pub(crate) fn tasks(pid: u32, tasks: &[TaskInfo]) -> String {
    let mut out = String::with_capacity(64 + tasks.len() * 160);
    let mut doc = Object::new(&mut out);
    let cycles = crate::introspect::awaits::cycles(tasks);
    doc.u64("taskio", FORMAT)
        .u64("pid", u64::from(pid))
        .array("tasks", tasks, task)
        .array("await_cycles", &cycles, |obj, cycle| {
            obj.u64s("tasks", cycle.iter().map(|id| id.as_u64()));
        });
    doc.end();
    out.push('\n');
    out
}

/// One task's fields: adding one is one line here.
fn task(obj: &mut Object<'_>, t: &TaskInfo) {
    obj.u64("id", t.id.as_u64())
        .str("name", &t.name)
        .str("state", &t.state.to_string())
        .f64("age", t.age.as_secs_f64(), 6)
        .opt_u64("parent", t.parent.map(|p| p.as_u64()))
        .str("spawned_at", &t.spawned_at.to_string())
        .u64("cancelling", u64::from(t.cancelling))
        .u64s("awaits", t.awaiting.iter().map(|a| a.as_u64()));
}

/// The answer to anything else: `{"error":"..."}` on one line.
pub(crate) fn error(message: &str) -> String {
    let mut out = String::new();
    let mut doc = Object::new(&mut out);
    doc.str("error", message);
    doc.end();
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use crate::introspect::TaskInfo;
    use crate::task::{TaskId, TaskState};

    #[test]
    fn a_task_has_every_field_and_an_odd_name_stays_in_its_string() {
        let parent = TaskId::next();
        let id = TaskId::next();
        let at = std::panic::Location::caller();
        let info = TaskInfo {
            id,
            name: "we\"ird\nname".to_owned(),
            state: TaskState::Running,
            parent: Some(parent),
            spawned_at: at,
            age: Duration::from_micros(1_500_250),
            cancelling: 2,
            awaiting: vec![parent],
        };
        let doc = super::tasks(42, &[info]);
        let expected = format!(
            concat!(
                r#"{{"taskio":1,"pid":42,"tasks":[{{"id":{},"name":"we\"ird\nname","#,
                r#""state":"running","age":1.500250,"parent":{},"spawned_at":"{}","#,
                r#""cancelling":2,"awaits":[{}]}}],"await_cycles":[]}}"#,
                "\n"
            ),
            id, parent, at, parent
        );
        assert_eq!(doc, expected);
        assert_eq!(doc.lines().count(), 1);
    }

    #[test]
    fn no_tasks_and_an_error() {
        assert_eq!(
            super::tasks(1, &[]),
            "{\"taskio\":1,\"pid\":1,\"tasks\":[],\"await_cycles\":[]}\n"
        );
        assert_eq!(super::error("bad \"x\""), "{\"error\":\"bad \\\"x\\\"\"}\n");
    }
}
