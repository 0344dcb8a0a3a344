//! Seed 004, "gather, create_task and TaskGroup": five concurrent GETs with the statuses in
//! order, two named fetch tasks with one cancelled mid-request, `as_completed`, and a TaskGroup
//! whose one failure cancels the rest (with the live task tree printed while it runs).
//! httpbin.org is the embedded server's `/get` (200 ms, scaled).

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use super::http::Http;
use super::py::{self, PyException};
use super::scenario::{Ctx, Program, Scenario};

/// The seed's scenarios, in the seed's order.
pub fn scenarios() -> Vec<Scenario> {
    vec![
        Scenario {
            name: "004/gather_httpx",
            title: "five concurrent GETs, statuses in input order, one request's time",
            origin: "the article \"asyncio.gather, create_task and TaskGroup\" (httpx; here the embedded server)",
            python: include_str!("../../asyncio/004_gather_httpx.py"),
            asyncio: &["[200, 200, 200, 200, 200]"],
            seconds: 0.2,
            run: gather_httpx,
        },
        Scenario {
            name: "004/create_task_cancel",
            title: "fetch-1 and fetch-2 as tasks; fetch-1 cancelled mid-request after 0.1 s",
            origin: "the article \"asyncio.gather, create_task and TaskGroup\": \"when you need control\"",
            python: include_str!("../../asyncio/004_create_task_cancel.py"),
            asyncio: &["fetch-2: 200", "fetch-1 cancelled: True"],
            seconds: 0.2,
            run: create_task_cancel,
        },
        Scenario {
            name: "004/as_completed",
            title: "results as they come, not in input order",
            origin: "the article \"asyncio.gather, create_task and TaskGroup\": \"for complex scenarios\"",
            python: include_str!("../../asyncio/004_as_completed.py"),
            asyncio: &["Done: 200 (fast)", "Done: 200 (medium)", "Done: 200 (slow)"],
            seconds: 0.5,
            run: as_completed,
        },
        Scenario {
            name: "004/task_group",
            title: "structured: all five saved; then one failure cancels the other four",
            origin: "the article \"asyncio.gather, create_task and TaskGroup\": \"structured concurrency\"",
            python: include_str!("../../asyncio/004_task_group.py"),
            asyncio: &[
                "Collected: 5",
                "TaskGroup failed: 1 error: broken: HTTP 500",
                "saved: 0, cancelled: 4",
            ],
            seconds: 0.3,
            run: task_group,
        },
    ]
}

fn gather_httpx(ctx: Ctx) -> Program {
    Box::pin(async move {
        let client = ctx.http().clone();
        let urls = ["/get"; 5];
        // All 5 requests run in parallel
        let results = taskio::gather(urls.map(|u| client.fetch(u))).await?;
        ctx.print(py::list(&results)); // [200, 200, 200, 200, 200]
        Ok(())
    })
}

fn create_task_cancel(ctx: Ctx) -> Program {
    Box::pin(async move {
        let http = ctx.http().clone();
        // Task is created and IMMEDIATELY starts running
        // url1 takes 0.5 s: the cancel at 0.1 s comes well before its end, also on a busy machine.
        let (h1, url1) = (http.clone(), delay_path(&ctx, 0.5));
        let task1 = taskio::task()
            .name("fetch-1")
            .spawn(async move { h1.fetch(&url1).await });
        let h2 = http.clone();
        let task2 = taskio::task()
            .name("fetch-2")
            .spawn(async move { h2.fetch("/get").await });

        // Can cancel while waiting
        taskio::sleep(ctx.secs(0.1)).await?;
        task1.cancel(); // changed my mind
        ctx.note(format!(
            "'{}' is {} after cancel(); its request is dropped at its next await",
            task1.name(),
            task1.state()
        ));

        let result = task2.await?;
        ctx.print(format!("fetch-2: {result}"));
        let cancelled = matches!(task1.await, Err(e) if e.is_cancelled());
        ctx.print(format!(
            "fetch-1 cancelled: {}",
            if cancelled { "True" } else { "False" }
        ));
        Ok(())
    })
}

/// `/delay/{ms}` for the seed's `seconds`, scaled.
fn delay_path(ctx: &Ctx, seconds: f64) -> String {
    format!("/delay/{}", ctx.secs(seconds).as_millis())
}

fn as_completed(ctx: Ctx) -> Program {
    Box::pin(async move {
        // 0.2 s apart, so that the completion order holds on a busy machine too.
        let urls = [("slow", 0.5), ("fast", 0.1), ("medium", 0.3)];
        let tasks = urls.map(|(name, seconds)| {
            let (c, path) = (ctx.http().clone(), delay_path(&ctx, seconds));
            taskio::task()
                .name(name)
                .spawn(async move { c.fetch(&path).await })
        });
        // Process as they complete — don't wait for the slowest
        let mut completed = taskio::as_completed(tasks);
        while let Some((index, result)) = completed.next().await {
            ctx.print(format!("Done: {} ({})", result?, urls[index].0));
        }
        Ok(())
    })
}

/// The seed's `fetch_and_save(url, results)`: a non-2xx status raises; a cancellation is
/// counted, then re-raised.
async fn fetch_and_save(
    http: Http,
    name: &'static str,
    path: String,
    results: Arc<std::sync::Mutex<Vec<u16>>>,
    cancelled: Arc<AtomicUsize>,
) -> taskio::Result<()> {
    match http.fetch(&path).await {
        Ok(status) if status < 400 => {
            results
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .push(status);
            Ok(())
        }
        Ok(status) => {
            Err(PyException::new("HTTPStatusError", format!("{name}: HTTP {status}")).into())
        }
        Err(e) => {
            if e.is_cancelled() {
                cancelled.fetch_add(1, Ordering::SeqCst);
            }
            Err(e)
        }
    }
}

fn task_group(ctx: Ctx) -> Program {
    Box::pin(async move {
        let http = ctx.http().clone();
        let cancelled = Arc::new(AtomicUsize::new(0));

        // All five succeed: the group returns when every child is done.
        let results = Arc::new(std::sync::Mutex::new(Vec::new()));
        let (h, r, c) = (http.clone(), results.clone(), cancelled.clone());
        taskio::task_group(move |tg| async move {
            for i in 1..=5 {
                drop(tg.spawn_with(
                    taskio::task().name(format!("fetch_and_save-{i}")),
                    fetch_and_save(h.clone(), "get", "/get".into(), r.clone(), c.clone()),
                )?);
            }
            taskio::Ok(())
        })
        .await?;
        // Reach here only when ALL tasks complete
        let collected = results.lock().map(|r| r.len()).unwrap_or(0);
        ctx.print(format!("Collected: {collected}"));

        // One child fails after 0.1 s: the four others (0.5 s, so far from done) are cancelled,
        // and awaited.
        let results = Arc::new(std::sync::Mutex::new(Vec::new()));
        let (h, r, c, note) = (
            http.clone(),
            results.clone(),
            cancelled.clone(),
            ctx.clone(),
        );
        let broken = format!("/delay/{}/status/500", ctx.secs(0.1).as_millis());
        let slow = delay_path(&ctx, 0.5);
        let outcome = taskio::task_group(move |tg| async move {
            for i in 1..=4 {
                drop(tg.spawn_with(
                    taskio::task().name(format!("fetch_and_save-{i}")),
                    fetch_and_save(h.clone(), "get", slow.clone(), r.clone(), c.clone()),
                )?);
            }
            drop(tg.spawn_with(
                taskio::task().name("fetch_and_save-broken"),
                fetch_and_save(h.clone(), "broken", broken, r.clone(), c.clone()),
            )?);
            taskio::sleep(note.secs(0.05)).await?;
            note.note(format!(
                "taskio::tree() while the group runs:\n{}",
                taskio::tree()
            ));
            taskio::Ok(())
        })
        .await;
        match outcome {
            Ok(()) => ctx.print("Collected: all (no failure?)"),
            Err(e) => {
                let errors: Vec<String> = e
                    .group_errors()
                    .unwrap_or_default()
                    .iter()
                    .map(|e| {
                        e.downcast_ref::<PyException>()
                            .map_or_else(|| e.to_string(), ToString::to_string)
                    })
                    .collect();
                ctx.print(format!(
                    "TaskGroup failed: {} error{}: {}",
                    errors.len(),
                    if errors.len() == 1 { "" } else { "s" },
                    errors.join("; ")
                ));
            }
        }
        let saved = results.lock().map(|r| r.len()).unwrap_or(0);
        ctx.print(format!(
            "saved: {saved}, cancelled: {}",
            cancelled.load(Ordering::SeqCst)
        ));
        Ok(())
    })
}
