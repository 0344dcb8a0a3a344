//! "Nothing lost": a task whose handle was dropped and that ends in an error or a panic is
//! reported through `tracing`, exactly once, each fact once (the message says what happened, the
//! fields name the task, its spawn site and the error's own text); an awaited failure, a
//! cancellation or a success is not reported. With no subscriber installed, the report goes to
//! stderr (a child process shows it).

mod support;

use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use tracing::field::{Field, Visit};
use tracing_subscriber::layer::{Context, SubscriberExt};
use tracing_subscriber::{Layer, Registry};

#[derive(Default, Clone, Debug)]
struct Report {
    name: String,
    spawned_at: String,
    message: String,
    error: String,
    panic: String,
    /// Every field's text, to count how often a fact appears in the whole event.
    all: String,
}

struct Capture(Arc<Mutex<Vec<Report>>>);

struct Fields<'a>(&'a mut Report);

impl Visit for Fields<'_> {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        let v = format!("{value:?}");
        self.0.all.push_str(&v);
        self.0.all.push('\n');
        match field.name() {
            "task.name" => self.0.name = v,
            "task.spawned_at" => self.0.spawned_at = v,
            "message" => self.0.message = v,
            "error" => self.0.error = v,
            "panic" => self.0.panic = v,
            _ => {}
        }
    }
}

impl<S: tracing::Subscriber> Layer<S> for Capture {
    fn on_event(&self, event: &tracing::Event<'_>, _: Context<'_, S>) {
        let mut r = Report::default();
        event.record(&mut Fields(&mut r));
        self.0.lock().unwrap().push(r);
    }
}

/// The reports seen so far (the subscriber is global: tests filter by their own task names).
fn reports() -> Arc<Mutex<Vec<Report>>> {
    static REPORTS: OnceLock<Arc<Mutex<Vec<Report>>>> = OnceLock::new();
    REPORTS
        .get_or_init(|| {
            let reports = Arc::new(Mutex::new(Vec::new()));
            let subscriber = Registry::default().with(Capture(reports.clone()));
            tracing::subscriber::set_global_default(subscriber).unwrap();
            reports
        })
        .clone()
}

fn reports_for(name: &str) -> Vec<Report> {
    reports()
        .lock()
        .unwrap()
        .iter()
        .filter(|r| r.name == name)
        .cloned()
        .collect()
}

#[test]
fn a_dropped_failing_task_is_reported_once_with_name_and_spawn_site() {
    reports();
    taskio::run(async {
        // Dropped before it fails: the task reports when it completes.
        drop(taskio::task().name("dropped-early").spawn(async {
            taskio::sleep(Duration::from_millis(5)).await?;
            Err::<(), _>(taskio::Error::msg("disk full"))
        }));
        // Fails before its handle is dropped: the drop reports.
        let late = taskio::task()
            .name("dropped-late")
            .spawn(async { Err::<(), _>(taskio::Error::msg("late failure")) });
        taskio::sleep(Duration::from_millis(1)).await?;
        assert!(late.is_done());
        drop(late);
        taskio::sleep(Duration::from_millis(10)).await?;
        taskio::Ok(())
    })
    .unwrap();

    let early = reports_for("dropped-early");
    assert_eq!(early.len(), 1, "{early:?}");
    assert_eq!(
        early[0].message,
        "task failed and its error was never retrieved"
    );
    assert_eq!(early[0].error, "disk full");
    assert!(early[0].spawned_at.contains("report.rs"), "{:?}", early[0]);
    // Each fact once in the whole event: the name, the error's text.
    assert_eq!(
        early[0].all.matches("dropped-early").count(),
        1,
        "{early:?}"
    );
    assert_eq!(early[0].all.matches("disk full").count(), 1, "{early:?}");

    let late = reports_for("dropped-late");
    assert_eq!(late.len(), 1, "{late:?}");
    assert_eq!(late[0].error, "late failure");
    assert_eq!(late[0].all.matches("late failure").count(), 1, "{late:?}");
}

#[test]
fn a_dropped_panicking_task_is_reported_once() {
    reports();
    taskio::run(async {
        drop(taskio::task().name("dropped-panic").spawn(async {
            if true {
                panic!("bad state");
            }
        }));
        taskio::sleep(Duration::from_millis(1)).await?;
        taskio::Ok(())
    })
    .unwrap();
    let r = reports_for("dropped-panic");
    assert_eq!(r.len(), 1, "{r:?}");
    assert_eq!(
        r[0].message, "task panicked and its panic was never retrieved",
        "{r:?}"
    );
    assert_eq!(r[0].panic, "bad state", "{r:?}");
    assert_eq!(r[0].all.matches("bad state").count(), 1, "{r:?}");
}

#[test]
fn awaited_failures_cancellations_and_successes_are_not_reported() {
    reports();
    taskio::run(async {
        let awaited = taskio::task()
            .name("quiet-awaited")
            .spawn(async { Err::<(), _>(taskio::Error::msg("seen")) });
        assert!(awaited.await.is_err());

        let cancelled = taskio::task().name("quiet-cancelled").spawn(async {
            taskio::sleep(Duration::from_secs(60)).await?;
            taskio::Ok(())
        });
        taskio::checkpoint().await?;
        cancelled.cancel();
        drop(cancelled);

        drop(taskio::task().name("quiet-ok").spawn(async {}));

        let mut read = taskio::task()
            .name("quiet-read")
            .spawn(async { Err::<(), _>(taskio::Error::msg("read by try_result")) });
        taskio::sleep(Duration::from_millis(1)).await?;
        assert!(read.try_result().unwrap().is_err());
        drop(read);
        taskio::sleep(Duration::from_millis(5)).await?;
        taskio::Ok(())
    })
    .unwrap();
    for name in ["quiet-awaited", "quiet-cancelled", "quiet-ok", "quiet-read"] {
        assert!(reports_for(name).is_empty(), "{name} was reported");
    }
}

/// The program the child process runs with no subscriber: a detached task that fails.
fn detached_failure_program() {
    taskio::run(async {
        drop(
            taskio::task()
                .name("disk-writer")
                .spawn(async { Err::<(), _>(taskio::Error::msg("disk full")) }),
        );
        taskio::sleep(Duration::from_millis(1)).await?;
        taskio::Ok(())
    })
    .unwrap();
}

const CHILD: &str = "TASKIO_REPORT_TEST_CHILD";

#[test]
fn with_no_subscriber_the_report_goes_to_stderr_once() {
    if std::env::var_os(CHILD).is_some() {
        // The child: no subscriber was ever installed in this process.
        detached_failure_program();
        return;
    }
    let lines = support::child_stderr_lines(
        "with_no_subscriber_the_report_goes_to_stderr_once",
        &[(CHILD, "1")],
        "never retrieved",
    );
    assert_eq!(lines.len(), 1, "{lines:?}");
    let line = &lines[0];
    assert!(
        line.starts_with("Task exception was never retrieved: task 'disk-writer' (id "),
        "{line}"
    );
    assert!(
        line.contains("spawned at crates/taskio/tests/report.rs:"),
        "{line}"
    );
    assert!(line.ends_with(") failed: disk full"), "{line}");
    assert_eq!(line.matches("disk-writer").count(), 1, "{line}");
    assert_eq!(line.matches("disk full").count(), 1, "{line}");
}

// Issue 13, item 6 (CPython test_runners: "unhandled exception during asyncio.run() shutdown"):
// a leftover that `run` cancels at exit and whose cleanup fails is reported once, by name, as a
// failure during the shutdown, not with the generic "never retrieved".
#[test]
fn a_leftovers_failure_during_runs_shutdown_says_so() {
    reports();
    let v = taskio::run(async {
        drop(taskio::task().name("shutdown-leftover").spawn(async {
            let cancelled = taskio::sleep(Duration::from_secs(3600)).await.unwrap_err();
            taskio::sleep(Duration::from_millis(5)).await?; // cleanup, awaited
            let _ = cancelled;
            Err::<(), _>(taskio::Error::msg("cleanup failed"))
        }));
        taskio::sleep(Duration::from_millis(1)).await?;
        taskio::Ok("main's value")
    });
    assert_eq!(v.unwrap(), "main's value");
    let got = reports_for("shutdown-leftover");
    assert_eq!(got.len(), 1, "{got:?}");
    assert_eq!(
        got[0].message,
        "task failed during taskio::run's shutdown (cancelled as a leftover of main)"
    );
    assert_eq!(got[0].error, "cleanup failed");
    assert!(!got[0].all.contains("never retrieved"), "{got:?}");
    assert_eq!(
        got[0].all.matches("shutdown-leftover").count(),
        1,
        "{got:?}"
    );
}

#[test]
fn a_leftover_that_failed_before_the_shutdown_is_still_never_retrieved() {
    reports();
    taskio::run(async {
        drop(
            taskio::task()
                .name("failed-before-shutdown")
                .spawn(async { Err::<(), _>(taskio::Error::msg("early")) }),
        );
        taskio::sleep(Duration::from_millis(1)).await?;
        taskio::Ok(())
    })
    .unwrap();
    let got = reports_for("failed-before-shutdown");
    assert_eq!(got.len(), 1, "{got:?}");
    assert_eq!(
        got[0].message,
        "task failed and its error was never retrieved"
    );
}
