//! The plan: which workload runs in which implementation, on which runtime, at which sizes;
//! and what each workload and implementation is called in the report.

use crate::runtime::Runtime;

/// One workload/implementation/runtime/size combination, measured in a process of its own.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Case {
    /// Workload id (`W1`, `W6-failure`, `W8-none-gather`, ...).
    pub workload: &'static str,
    /// Implementation slug (`taskio-await`, `tokio-joinset`, `asyncio-gather`, ...).
    pub imp: &'static str,
    /// Where it runs.
    pub runtime: Runtime,
    /// Its size.
    pub n: usize,
}

/// A workload as the report describes it.
pub struct Workload {
    /// Id, as in [`Case::workload`].
    pub id: &'static str,
    /// One line: what is measured.
    pub title: &'static str,
    /// The unit of the per-unit column.
    pub unit: &'static str,
    /// The implementation the ratio column divides by (same runtime flavour and size).
    pub reference: &'static str,
}

/// Every workload, in report order.
pub const WORKLOADS: &[Workload] = &[
    Workload {
        id: "W1",
        title: "spawn + gather of N trivial tasks",
        unit: "ns/task",
        reference: "tokio-await",
    },
    Workload {
        id: "W2",
        title: "memory per pending task (RSS delta), then cancel + reap all (time)",
        unit: "ns/task to cancel+reap",
        reference: "tokio-abort",
    },
    Workload {
        id: "W3",
        title: "N tasks sleeping 100 ms, gathered (wall time; floor 100 ms)",
        unit: "ns/task",
        reference: "tokio-await",
    },
    Workload {
        id: "W4",
        title: "as_completed over N tasks finishing staggered (task i yields i % 16 times)",
        unit: "ns/task",
        reference: "futures-unordered",
    },
    Workload {
        id: "W5",
        title: "lockstep wait(first_completed): one of N gated tasks finishes per call",
        unit: "ns/call",
        reference: "futures-unordered",
    },
    Workload {
        id: "W6-trivial",
        title: "task group of N trivial tasks",
        unit: "ns/task",
        reference: "tokio-joinset",
    },
    Workload {
        id: "W6-failure",
        title: "task group: one child fails while N-1 siblings sleep; time from the failure to the group's return",
        unit: "ns/task",
        reference: "tokio-joinset",
    },
    Workload {
        id: "W7",
        title: "gather over N plain (not spawned) futures that are ready at once",
        unit: "ns/future",
        reference: "join_all",
    },
    Workload {
        id: "W7-yield",
        title: "gather over N plain (not spawned) futures that yield once",
        unit: "ns/future",
        reference: "join_all",
    },
    Workload {
        id: "W8-none-gather",
        title: "pyperformance async_tree, leaves do nothing, gather",
        unit: "ns/leaf",
        reference: "tokio-await",
    },
    Workload {
        id: "W8-none-tg",
        title: "pyperformance async_tree, leaves do nothing, task groups",
        unit: "ns/leaf",
        reference: "tokio-joinset",
    },
    Workload {
        id: "W8-io-gather",
        title: "pyperformance async_tree, leaves sleep 50 ms, gather",
        unit: "ns/leaf",
        reference: "tokio-await",
    },
    Workload {
        id: "W8-io-tg",
        title: "pyperformance async_tree, leaves sleep 50 ms, task groups",
        unit: "ns/leaf",
        reference: "tokio-joinset",
    },
    Workload {
        id: "W8-memoization-gather",
        title: "pyperformance async_tree, memoised I/O leaves, gather",
        unit: "ns/leaf",
        reference: "tokio-await",
    },
    Workload {
        id: "W8-memoization-tg",
        title: "pyperformance async_tree, memoised I/O leaves, task groups",
        unit: "ns/leaf",
        reference: "tokio-joinset",
    },
    Workload {
        id: "W8-cpu_io_mixed-gather",
        title: "pyperformance async_tree, half factorial(500) / half memoised I/O, gather",
        unit: "ns/leaf",
        reference: "tokio-await",
    },
    Workload {
        id: "W8-cpu_io_mixed-tg",
        title: "pyperformance async_tree, half factorial(500) / half memoised I/O, task groups",
        unit: "ns/leaf",
        reference: "tokio-joinset",
    },
    Workload {
        id: "W9-yield",
        title: "yield_now loop in a taskio task, plain vs .cancellable()",
        unit: "ns/iteration",
        reference: "plain",
    },
    Workload {
        id: "W9-poll",
        title: "one future hand-polled N times in a taskio task, plain vs .cancellable()",
        unit: "ns/poll",
        reference: "plain",
    },
    Workload {
        id: "W10",
        title: "eager tasks that finish without suspending vs spawned tasks",
        unit: "ns/task",
        reference: "taskio-spawn",
    },
    Workload {
        id: "W11",
        title: "JoinSet-style reaping: spawn N trivial tasks into a set, take each outcome with join_next",
        unit: "ns/task",
        reference: "tokio-joinset",
    },
];

/// The report's name of an implementation in a workload.
pub fn impl_label<'a>(workload: &str, imp: &'a str) -> &'a str {
    match imp {
        "taskio-gather" if workload.starts_with("W7") => "taskio gather (inline futures)",
        "join_all" if workload.starts_with("W7") || workload.starts_with("W8") => {
            "futures join_all (inline futures)"
        }
        "taskio-await" => "taskio spawn + await each",
        "taskio-gather" => "taskio spawn + gather",
        "taskio-cancel" => "taskio cancel + await",
        "taskio-eager" => "taskio eager spawn + await",
        "taskio-spawn" => "taskio spawn + await",
        "taskio-as_completed" => "taskio as_completed",
        "taskio-wait" => "taskio wait(first_completed) on a TaskSet",
        "taskio-group" => "taskio task_group",
        "taskio-joinset" => "taskio JoinSet",
        "taskio-gather-inline" => "taskio gather, children inline (not spawned)",
        "futures-unordered-taskio" => "futures FuturesUnordered over taskio tasks",
        "tokio-await" => "tokio spawn + JoinHandle",
        "tokio-spawn" => "tokio spawn + JoinHandle",
        "tokio-joinset" => "tokio JoinSet",
        "tokio-abort" => "tokio abort + await",
        "tokio-token" if workload.starts_with("W2") => "tokio CancellationToken cancel + await",
        "tokio-token" if workload.starts_with("W6") || workload.starts_with("W11") => {
            "tokio JoinSet, a CancellationToken per task"
        }
        "tokio-token" => "tokio spawn + select! on a CancellationToken",
        "join_all" => "futures join_all",
        "futures-unordered" => "futures FuturesUnordered",
        "plain" => "plain",
        "cancellable" => ".cancellable()",
        "plain-foreign" => "plain, a foreign waker",
        "cancellable-foreign" => ".cancellable(), a foreign waker",
        "asyncio-gather" => "asyncio create_task + gather",
        "asyncio-cancel" => "asyncio cancel + await",
        "asyncio-create_task" => "asyncio create_task + await",
        "asyncio-eager" => "asyncio eager_task_factory",
        "asyncio-as_completed" => "asyncio as_completed",
        "asyncio-wait" => "asyncio wait(FIRST_COMPLETED)",
        "asyncio-taskgroup" => "asyncio TaskGroup",
        other => other,
    }
}

/// Whether `workload` is selected by `--only only` (a comma-separated list: `W1,W5`).
pub fn selected(workload: &str, only: Option<&str>) -> bool {
    match only {
        None => true,
        Some(list) => list.split(',').map(str::trim).any(|o| {
            workload.eq_ignore_ascii_case(o)
                || workload
                    .to_ascii_lowercase()
                    .starts_with(&format!("{}-", o.to_ascii_lowercase()))
        }),
    }
}

/// Every case, in report order. `python` lists the Python event loops that are available.
pub fn plan(quick: bool, python: &[Runtime]) -> Vec<Case> {
    use Runtime::{Ct, CtTask, Mt2, Mt2Task};
    let mut cases = Vec::new();
    let q = |full: &'static [usize], small: &'static [usize]| if quick { small } else { full };
    let mut add = |workload: &'static str, imps: &[&'static str], rts: &[Runtime], ns: &[usize]| {
        for &imp in imps {
            for &runtime in rts {
                for &n in ns {
                    cases.push(Case {
                        workload,
                        imp,
                        runtime,
                        n,
                    });
                }
            }
        }
    };

    let with_gather = |imps: &[&'static str]| -> Vec<&'static str> {
        let mut v = imps.to_vec();
        v.insert(1, "taskio-gather");
        v
    };
    let group: &[&'static str] = &["taskio-group", "tokio-joinset"];
    let group_token: &[&'static str] = &["taskio-group", "tokio-joinset", "tokio-token"];
    let w1 = with_gather(&[
        "taskio-await",
        "tokio-await",
        "tokio-token",
        "tokio-joinset",
        "join_all",
        "futures-unordered",
    ]);
    add("W1", &w1, &[Ct, Mt2], q(&[100_000, 1_000_000], &[10_000]));
    // Inside a task, join_all / FuturesUnordered over JoinHandles degrade quadratically under
    // tokio's coop budget (every handle is re-polled each time the budget runs out): at 1M one
    // run takes many minutes, so they stop at 100k.
    let (flat, budgeted): (Vec<_>, Vec<_>) = w1
        .iter()
        .partition(|imp| !matches!(**imp, "join_all" | "futures-unordered"));
    add(
        "W1",
        &flat,
        &[CtTask, Mt2Task],
        q(&[10_000, 100_000, 1_000_000], &[10_000]),
    );
    add(
        "W1",
        &budgeted,
        &[CtTask, Mt2Task],
        q(&[10_000, 100_000], &[10_000]),
    );
    add("W1", &["asyncio-gather"], python, q(&[100_000], &[10_000]));

    let w2 = ["taskio-cancel", "tokio-abort", "tokio-token"];
    add("W2", &w2, &[Ct, Mt2], q(&[100_000], &[10_000]));
    add("W2", &["asyncio-cancel"], python, q(&[100_000], &[10_000]));

    let w3 = with_gather(&["taskio-await", "tokio-await", "tokio-joinset"]);
    add("W3", &w3, &[Ct, Mt2], q(&[100_000], &[10_000]));
    add("W3", &["asyncio-gather"], python, q(&[100_000], &[10_000]));

    {
        let w4 = [
            "taskio-as_completed",
            "futures-unordered",
            "futures-unordered-taskio",
            "tokio-joinset",
        ];
        add(
            "W4",
            &w4,
            &[Ct, Mt2, CtTask, Mt2Task],
            q(&[100_000], &[10_000]),
        );
        add(
            "W4",
            &["asyncio-as_completed"],
            python,
            q(&[100_000], &[10_000]),
        );

        let w5 = [
            "taskio-wait",
            "futures-unordered",
            "futures-unordered-taskio",
        ];
        add("W5", &w5, &[Ct, Mt2], q(&[4_000, 20_000], &[1_000, 5_000]));
        // asyncio's wait is O(N) per call: 20k calls would take minutes per run.
        add("W5", &["asyncio-wait"], python, q(&[1_000, 4_000], &[500]));

        let w6 = group;
        add(
            "W6-trivial",
            group_token,
            &[Ct, Mt2, CtTask, Mt2Task],
            q(&[100_000], &[10_000]),
        );
        add(
            "W6-trivial",
            &["asyncio-taskgroup"],
            python,
            q(&[100_000], &[10_000]),
        );
        add("W6-failure", w6, &[Ct, Mt2], q(&[100_000], &[10_000]));
        add(
            "W6-failure",
            &["asyncio-taskgroup"],
            python,
            q(&[100_000], &[10_000]),
        );

        let w7 = ["taskio-gather", "join_all"];
        for w in ["W7", "W7-yield"] {
            add(
                w,
                &w7,
                &[Ct, Mt2, CtTask, Mt2Task],
                q(&[100_000], &[10_000]),
            );
            add(w, &["asyncio-gather"], python, q(&[100_000], &[10_000]));
        }

        let leaves = q(&[46_656], &[1_296]);
        for leaf in ["none", "io", "memoization", "cpu_io_mixed"] {
            let gather: &'static str = format!("W8-{leaf}-gather").leak();
            let tg: &'static str = format!("W8-{leaf}-tg").leak();
            add(
                gather,
                &[
                    "taskio-gather",
                    "taskio-await",
                    "taskio-gather-inline",
                    "tokio-await",
                    "join_all",
                ],
                &[Ct, Mt2],
                leaves,
            );
            add(gather, &["asyncio-gather"], python, leaves);
            add(tg, group, &[Ct, Mt2], leaves);
            add(tg, &["asyncio-taskgroup"], python, leaves);
        }
    }

    let w9 = ["plain", "cancellable"];
    add("W9-yield", &w9, &[Ct, Mt2], q(&[2_000_000], &[200_000]));
    let w9_poll = [
        "plain",
        "cancellable",
        "plain-foreign",
        "cancellable-foreign",
    ];
    add(
        "W9-poll",
        &w9_poll,
        &[Ct, Mt2],
        q(&[50_000_000], &[5_000_000]),
    );

    let w10 = ["taskio-eager", "taskio-spawn", "tokio-spawn"];
    add("W10", &w10, &[Ct, Mt2], q(&[100_000], &[10_000]));
    add(
        "W10",
        &["asyncio-eager", "asyncio-create_task"],
        python,
        q(&[100_000], &[10_000]),
    );

    let w11 = ["taskio-joinset", "tokio-joinset", "tokio-token"];
    add(
        "W11",
        &w11,
        &[Ct, Mt2, CtTask, Mt2Task],
        q(&[100_000], &[10_000]),
    );

    cases
}
