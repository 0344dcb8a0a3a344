//! The targets the issue sets, checked against the medians of one run: ratios within the same
//! runtime flavour and size, flatness across sizes, absolute per-poll cost, and "faster than
//! CPython by at least".

use crate::orchestrate::Row;
use crate::runtime::Runtime;

/// Which figure of a row a target looks at.
#[derive(Clone, Copy, Debug)]
pub enum Metric {
    /// `ns_per_task`.
    Ns,
    /// `rss_bytes_per_task`.
    Rss,
    /// `total_ms`.
    TotalMs,
}

impl Metric {
    fn of(self, row: &Row) -> Option<f64> {
        match self {
            Metric::Ns => Some(row.ns_per_task),
            Metric::Rss => row.rss_bytes_per_task,
            Metric::TotalMs => Some(row.total_ms),
        }
    }
}

/// How the subject row compares with the other.
#[derive(Clone, Copy, Debug)]
pub enum Kind {
    /// subject / other ≤ max (same size).
    RatioAtMost(f64),
    /// other / subject ≥ min (same size): "at least min× faster".
    FasterAtLeast(f64),
    /// subject − other ≤ max (same size), in the metric's unit.
    DiffAtMost(f64),
    /// subject at its largest size / subject at its smallest size ≤ max (`other` unused).
    GrowthAtMost(f64),
    /// subject at its largest size / at its smallest size, shown for context (no verdict).
    Growth,
    /// other / subject (same size), shown for context (no verdict).
    FasterInfo,
}

/// One target.
pub struct Target {
    /// What the report prints in the target column.
    pub label: String,
    /// The workload both rows belong to.
    pub workload: &'static str,
    /// The implementation and runtime the target is about.
    pub subject: (&'static str, Runtime),
    /// The implementation and runtime it is compared with.
    pub other: (&'static str, Runtime),
    /// The figure compared.
    pub metric: Metric,
    /// The comparison.
    pub kind: Kind,
}

/// A target's verdict on one subject row.
pub struct Verdict {
    /// Index of the subject row.
    pub row: usize,
    /// The target's label.
    pub label: String,
    /// The measured value of the comparison (ratio, growth or difference).
    pub value: f64,
    /// Whether the target is met.
    pub pass: bool,
    /// A figure shown for context, not a target.
    pub info: bool,
}

impl Verdict {
    /// `1.05× (≤1.2× tokio spawn + JoinHandle) pass`.
    pub fn text(&self) -> String {
        format!("{} → {:.2} {}", self.label, self.value, self.verdict())
    }

    /// `pass`, `MISS`, or `info` for a figure shown for context.
    pub fn verdict(&self) -> &'static str {
        match (self.info, self.pass) {
            (true, _) => "info",
            (false, true) => "pass",
            (false, false) => "MISS",
        }
    }
}

/// Every target of the issue.
pub fn all() -> Vec<Target> {
    use Runtime::{Cpython, Ct, CtTask, Mt2, Mt2Task};
    let mut t = Vec::new();
    let rust = [Ct, Mt2, CtTask, Mt2Task];
    let mut ratio = |workload, subject, other, rts: &[Runtime], metric, max: f64, label: &str| {
        for &rt in rts {
            t.push(Target {
                label: label.to_owned(),
                workload,
                subject: (subject, rt),
                other: (other, rt),
                metric,
                kind: Kind::RatioAtMost(max),
            });
        }
    };
    ratio(
        "W1",
        "taskio-await",
        "tokio-await",
        &rust,
        Metric::Ns,
        1.2,
        "≤1.2× tokio JoinHandle",
    );
    for (workload, subject, rts) in [
        ("W1", "taskio-await", &rust[..]),
        ("W2", "taskio-cancel", &[Ct, Mt2][..]),
        ("W6-trivial", "taskio-group", &rust[..]),
        ("W11", "taskio-joinset", &rust[..]),
    ] {
        ratio(
            workload,
            subject,
            "tokio-token",
            rts,
            Metric::Ns,
            1.0,
            "never slower than the hand-rolled CancellationToken",
        );
    }
    ratio(
        "W2",
        "taskio-cancel",
        "tokio-abort",
        &[Ct, Mt2],
        Metric::Rss,
        1.25,
        "memory ≤1.25× tokio",
    );
    ratio(
        "W2",
        "taskio-cancel",
        "tokio-abort",
        &[Ct, Mt2],
        Metric::Ns,
        1.5,
        "cancel+reap ≤1.5× tokio abort",
    );
    ratio(
        "W10",
        "taskio-eager",
        "taskio-spawn",
        &[Ct, Mt2],
        Metric::Ns,
        0.5,
        "≤0.5× spawned task",
    );
    ratio(
        "W4",
        "taskio-as_completed",
        "futures-unordered",
        &rust,
        Metric::Ns,
        1.2,
        "≤1.2× FuturesUnordered",
    );
    ratio(
        "W5",
        "taskio-wait",
        "futures-unordered",
        &[Ct, Mt2],
        Metric::Ns,
        2.0,
        "≤2× FuturesUnordered",
    );
    ratio(
        "W6-trivial",
        "taskio-group",
        "tokio-joinset",
        &rust,
        Metric::Ns,
        1.2,
        "≤1.2× JoinSet",
    );
    ratio(
        "W6-failure",
        "taskio-group",
        "tokio-joinset",
        &[Ct, Mt2],
        Metric::Ns,
        1.5,
        "failure→return ≤1.5× JoinSet abort_all+drain",
    );
    ratio(
        "W11",
        "taskio-joinset",
        "tokio-joinset",
        &rust,
        Metric::Ns,
        1.2,
        "≤1.2× tokio JoinSet",
    );
    ratio(
        "W7",
        "taskio-gather",
        "join_all",
        &rust,
        Metric::Ns,
        1.2,
        "≤1.2× join_all",
    );
    ratio(
        "W7-yield",
        "taskio-gather",
        "join_all",
        &rust,
        Metric::Ns,
        1.2,
        "≤1.2× join_all",
    );
    for rt in [CtTask, Mt2Task] {
        t.push(Target {
            label: "flat per task: largest n / smallest n ≤1.5×".to_owned(),
            workload: "W1",
            subject: ("taskio-gather", rt),
            other: ("taskio-gather", rt),
            metric: Metric::Ns,
            kind: Kind::GrowthAtMost(1.5),
        });
    }
    for rt in [Ct, Mt2] {
        t.push(Target {
            label: "growth of the total ≤6× (20k vs 4k)".to_owned(),
            workload: "W5",
            subject: ("taskio-wait", rt),
            other: ("taskio-wait", rt),
            metric: Metric::TotalMs,
            kind: Kind::GrowthAtMost(6.0),
        });
    }
    // For context: how the references grow where taskio's growth is a target.
    for rt in [Ct, Mt2] {
        for imp in ["futures-unordered", "futures-unordered-taskio"] {
            t.push(Target {
                label: "growth of the total (20k vs 4k), for context".to_owned(),
                workload: "W5",
                subject: (imp, rt),
                other: (imp, rt),
                metric: Metric::TotalMs,
                kind: Kind::Growth,
            });
        }
    }
    for rt in [CtTask, Mt2Task] {
        for imp in [
            "join_all",
            "futures-unordered",
            "tokio-await",
            "taskio-await",
        ] {
            t.push(Target {
                label: "growth per task (largest n vs smallest), for context".to_owned(),
                workload: "W1",
                subject: (imp, rt),
                other: (imp, rt),
                metric: Metric::Ns,
                kind: Kind::Growth,
            });
        }
    }
    for rt in [Ct, Mt2] {
        t.push(Target {
            label: "≤5 ns/poll over plain".to_owned(),
            workload: "W9-poll",
            subject: ("cancellable", rt),
            other: ("plain", rt),
            metric: Metric::Ns,
            kind: Kind::DiffAtMost(5.0),
        });
    }
    // Against CPython 3.11 (the current-thread runtime is the like-for-like single thread).
    // For context: how much faster than CPython raw tokio itself is on the same workloads.
    for (workload, subject, other) in [
        ("W1", "tokio-await", "asyncio-gather"),
        ("W2", "tokio-abort", "asyncio-cancel"),
        ("W6-trivial", "tokio-joinset", "asyncio-taskgroup"),
        ("W6-failure", "tokio-joinset", "asyncio-taskgroup"),
        ("W8-none-gather", "tokio-await", "asyncio-gather"),
        ("W8-none-tg", "tokio-joinset", "asyncio-taskgroup"),
    ] {
        t.push(Target {
            label: "faster than CPython, for context".to_owned(),
            workload,
            subject: (subject, Ct),
            other: (other, Cpython),
            metric: Metric::Ns,
            kind: Kind::FasterInfo,
        });
    }
    let mut faster = |workload, subject, other| {
        t.push(Target {
            label: "≥20× faster than CPython".to_owned(),
            workload,
            subject: (subject, Ct),
            other: (other, Cpython),
            metric: Metric::Ns,
            kind: Kind::FasterAtLeast(20.0),
        });
    };
    faster("W1", "taskio-await", "asyncio-gather");
    faster("W1", "taskio-gather", "asyncio-gather");
    faster("W6-trivial", "taskio-group", "asyncio-taskgroup");
    faster("W6-failure", "taskio-group", "asyncio-taskgroup");
    faster("W8-none-gather", "taskio-gather", "asyncio-gather");
    faster("W8-none-tg", "taskio-group", "asyncio-taskgroup");
    faster("W2", "taskio-cancel", "asyncio-cancel");
    t.push(Target {
        label: "memory ≤0.5× CPython".to_owned(),
        workload: "W2",
        subject: ("taskio-cancel", Ct),
        other: ("asyncio-cancel", Cpython),
        metric: Metric::Rss,
        kind: Kind::RatioAtMost(0.5),
    });
    t
}

/// Checks every target against `rows`; targets whose rows were not run are left out.
pub fn check(targets: &[Target], rows: &[Row]) -> Vec<Verdict> {
    let find = |workload: &str, (imp, rt): (&str, Runtime), n: usize| {
        rows.iter().find(|r| {
            r.case.workload == workload
                && r.case.imp == imp
                && r.case.runtime == rt
                && r.case.n == n
        })
    };
    let mut out = Vec::new();
    for t in targets {
        let subjects: Vec<usize> = rows
            .iter()
            .enumerate()
            .filter(|(_, r)| {
                r.case.workload == t.workload
                    && r.case.imp == t.subject.0
                    && r.case.runtime == t.subject.1
            })
            .map(|(i, _)| i)
            .collect();
        if let Kind::GrowthAtMost(_) | Kind::Growth = t.kind {
            let (max, info) = match t.kind {
                Kind::GrowthAtMost(max) => (max, false),
                _ => (f64::INFINITY, true),
            };
            let lo = subjects.iter().min_by_key(|&&i| rows[i].case.n);
            let hi = subjects.iter().max_by_key(|&&i| rows[i].case.n);
            if let (Some(&lo), Some(&hi)) = (lo, hi)
                && lo != hi
                && let (Some(a), Some(b)) = (t.metric.of(&rows[hi]), t.metric.of(&rows[lo]))
            {
                let value = a / b;
                out.push(Verdict {
                    row: hi,
                    label: format!("{} n={}→{}", t.label, rows[lo].case.n, rows[hi].case.n),
                    value,
                    pass: value <= max,
                    info,
                });
            }
            continue;
        }
        for i in subjects {
            let Some(other) = find(t.workload, t.other, rows[i].case.n) else {
                continue;
            };
            let (Some(a), Some(b)) = (t.metric.of(&rows[i]), t.metric.of(other)) else {
                continue;
            };
            let (value, pass) = match t.kind {
                Kind::RatioAtMost(max) => (a / b, a / b <= max),
                Kind::FasterAtLeast(min) => (b / a, b / a >= min),
                Kind::DiffAtMost(max) => (a - b, a - b <= max),
                Kind::FasterInfo => (b / a, true),
                Kind::GrowthAtMost(_) | Kind::Growth => unreachable!("handled above"),
            };
            out.push(Verdict {
                row: i,
                label: t.label.clone(),
                value,
                pass,
                info: matches!(t.kind, Kind::FasterInfo),
            });
        }
    }
    out
}
