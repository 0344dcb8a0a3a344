//! Seed 003, the long tutorial: two named tasks (`create_task(..., name=...)`) printing in
//! asyncio's order, `gather` of A/B/C then D/E/F with `return_exceptions=True`, and a task
//! cancelled mid-sleep whose cleanup runs before its caller confirms the cancellation; and the
//! tutorial's CPU-bound pitfall, reported by taskio's debug mode as asyncio's reports it.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;

use taskio::debug::{DebugEvent, DebugOptions, DebugReport};

use super::py::{self, PyException};
use super::scenario::{Ctx, Program, Scenario};

/// The seed's scenarios, in the seed's order.
pub fn scenarios() -> Vec<Scenario> {
    vec![
        Scenario {
            name: "003/create_task_named",
            title: "\"Fast Task\" and \"Slow Task\": main keeps working while they run",
            origin: "a long tutorial on asyncio tasks: its \"Creating Tasks with asyncio.create_task()\" example",
            python: include_str!("../../asyncio/003_create_task_named.py"),
            asyncio: &[
                "Main coroutine: Tasks are scheduled, now I can do other work...",
                "Task 1: starting",
                "Task 2: starting",
                "Main coroutine: Done with my work, now I'll wait for the tasks.",
                "Task 1: finished after 1s",
                "Task 2: finished after 2s",
                "Results: 10, 20",
            ],
            seconds: 2.0,
            run: create_task_named,
        },
        Scenario {
            name: "003/gather_return_exceptions",
            title: "A/B/C gathered (3 s), then D/E/F with E failing, kept as a value (3 s)",
            origin: "a long tutorial on asyncio tasks: its \"Gathering Multiple Tasks\" example",
            python: include_str!("../../asyncio/003_gather_return_exceptions.py"),
            asyncio: &[
                "All successful: ['Data from A', 'Data from B', 'Data from C']",
                "With exceptions handled: ['Data from D', RuntimeError('Failed to fetch data E!'), 'Data from F']",
            ],
            seconds: 6.0,
            run: gather_return_exceptions,
        },
        Scenario {
            name: "003/cancellable_work",
            title: "CancelledError inside, cleanup runs, the caller confirms",
            origin: "a long tutorial on asyncio tasks: its \"Cancelling Tasks\" example",
            python: include_str!("../../asyncio/003_cancellable_work.py"),
            asyncio: &[
                "Task started. Now sleeping for 10 seconds.",
                "Main: Requesting task cancellation.",
                "Task received cancellation signal! Cleaning up...",
                "This 'finally' block always runs, making it great for cleanup.",
                "Main: Confirmed that the task was cancelled.",
            ],
            seconds: 1.0,
            run: cancellable_work_main,
        },
        Scenario {
            name: "003/cpu_bound_debug",
            title: "CPU-bound code holds the thread, and debug mode says which task",
            origin: "a long tutorial on asyncio tasks: its pitfall \"long-running CPU-bound code without await statements will not be interrupted\"",
            python: include_str!("../../asyncio/003_cpu_bound_debug.py"),
            asyncio: &[
                "cpu-bound: computing, with no await",
                "cpu-bound: done",
                "debug mode: task 'cpu-bound' held the thread for ≥ 100 ms",
            ],
            seconds: 0.3,
            run: cpu_bound_debug,
        },
    ]
}

async fn background_work(ctx: Ctx, n: u64) -> taskio::Result<u64> {
    ctx.print(format!("Task {n}: starting"));
    taskio::sleep(ctx.secs(n as f64)).await?; // Simulate some I/O-bound work
    ctx.print(format!("Task {n}: finished after {n}s"));
    Ok(n * 10)
}

fn create_task_named(ctx: Ctx) -> Program {
    Box::pin(async move {
        // Create two tasks, scheduling them to run immediately
        let task1 = taskio::task()
            .name("Fast Task")
            .spawn(background_work(ctx.clone(), 1));
        let task2 = taskio::task()
            .name("Slow Task")
            .spawn(background_work(ctx.clone(), 2));
        ctx.note(format!(
            "spawned '{}' and '{}' ({} / {})",
            task1.name(),
            task2.name(),
            task1.state(),
            task2.state()
        ));

        ctx.print("Main coroutine: Tasks are scheduled, now I can do other work...");
        taskio::sleep(ctx.secs(0.5)).await?; // The main coroutine does its own thing
        ctx.print("Main coroutine: Done with my work, now I'll wait for the tasks.");

        // Await the tasks to retrieve their results and ensure they are finished
        let result1 = task1.await?;
        let result2 = task2.await?;
        ctx.print(format!("Results: {result1}, {result2}"));
        Ok(())
    })
}

async fn fetch_data(
    ctx: Ctx,
    id: &'static str,
    delay: f64,
    should_fail: bool,
) -> taskio::Result<String> {
    taskio::sleep(ctx.secs(delay)).await?;
    if should_fail {
        return Err(PyException::new("RuntimeError", format!("Failed to fetch data {id}!")).into());
    }
    Ok(format!("Data from {id}"))
}

fn gather_return_exceptions(ctx: Ctx) -> Program {
    Box::pin(async move {
        // Run three tasks concurrently
        let results = taskio::gather([
            fetch_data(ctx.clone(), "A", 3.0, false),
            fetch_data(ctx.clone(), "B", 1.0, false),
            fetch_data(ctx.clone(), "C", 2.0, false),
        ])
        .await?;
        ctx.print(format!(
            "All successful: {}",
            py::list(results.iter().map(|r| py::str_repr(r)))
        ));

        // Demonstrate error handling with gather_settled (return_exceptions=True)
        let mixed_results = taskio::gather_settled([
            fetch_data(ctx.clone(), "D", 1.0, false),
            fetch_data(ctx.clone(), "E", 2.0, true),
            fetch_data(ctx.clone(), "F", 3.0, false),
        ])
        .await?;
        ctx.print(format!(
            "With exceptions handled: {}",
            py::list(
                mixed_results
                    .iter()
                    .map(|r| py::outcome_repr(r, |s: &String| py::str_repr(s)))
            )
        ));
        Ok(())
    })
}

async fn cancellable_work(ctx: Ctx) -> taskio::Result<()> {
    ctx.print("Task started. Now sleeping for 10 seconds.");
    let outcome = match taskio::sleep(ctx.secs(10.0)).await {
        Ok(()) => {
            ctx.print("Task finished successfully."); // This won't be printed if cancelled
            Ok(())
        }
        Err(cancelled) => {
            ctx.print("Task received cancellation signal! Cleaning up...");
            // Perform any necessary cleanup here: it may await.
            taskio::sleep(ctx.secs(0.0)).await?;
            Err(cancelled.into()) // re-raise: the task ends cancelled
        }
    };
    // the `finally` block
    ctx.print("This 'finally' block always runs, making it great for cleanup.");
    outcome
}

fn cancellable_work_main(ctx: Ctx) -> Program {
    Box::pin(async move {
        let task = taskio::spawn(cancellable_work(ctx.clone()));
        taskio::sleep(ctx.secs(1.0)).await?; // Let the task run for a bit

        ctx.print("Main: Requesting task cancellation.");
        task.cancel();

        // Awaiting a cancelled task gives Err(Cancelled)
        match task.await {
            Err(e) if e.is_cancelled() => ctx.print("Main: Confirmed that the task was cancelled."),
            other => ctx.print(format!("Main: unexpected outcome {other:?}")),
        }
        Ok(())
    })
}

async fn cpu_bound(ctx: Ctx) {
    ctx.print("cpu-bound: computing, with no await");
    let end = Instant::now() + ctx.secs(0.3);
    while Instant::now() < end {
        std::hint::spin_loop(); // CPU-bound work: every other task on this thread waits
    }
    ctx.print("cpu-bound: done");
}

/// Debug mode on for the length of this scenario, its reports kept; off again on drop (also if
/// the scenario is dropped half-way).
struct DebugFor(Arc<Mutex<Vec<DebugReport>>>);

impl DebugFor {
    fn on(threshold: std::time::Duration) -> DebugFor {
        let reports: Arc<Mutex<Vec<DebugReport>>> = Arc::default();
        let sink = reports.clone();
        taskio::debug::enable(
            DebugOptions::new()
                .slow_poll_threshold(threshold)
                .on_report(move |r| {
                    sink.lock()
                        .unwrap_or_else(PoisonError::into_inner)
                        .push(r.clone())
                }),
        );
        DebugFor(reports)
    }

    fn reports(&self) -> Vec<DebugReport> {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

impl Drop for DebugFor {
    fn drop(&mut self) {
        taskio::debug::disable();
    }
}

fn cpu_bound_debug(ctx: Ctx) -> Program {
    Box::pin(async move {
        // asyncio.run(main(), debug=True); loop.slow_callback_duration = 0.1
        let threshold = ctx.secs(0.1);
        let debug = DebugFor::on(threshold);
        let task = taskio::task()
            .name("cpu-bound")
            .spawn(cpu_bound(ctx.clone()));
        let outcome = task.await;
        let reports = debug.reports();
        drop(debug);
        for report in reports.iter().filter(|r| r.name == "cpu-bound") {
            if let DebugEvent::SlowPoll { took, .. } = report.event {
                // The measured time varies from run to run: the line gives the threshold, in
                // the seed's time as every line of the demo (`--scale` shortens it).
                ctx.print("debug mode: task 'cpu-bound' held the thread for ≥ 100 ms");
                ctx.note(format!("taskio's report (measured {took:.0?}): {report}"));
            }
        }
        outcome
    })
}
