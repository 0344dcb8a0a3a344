//! Seed 000, "Creating and Managing Tasks": `create_task`, `gather` (with
//! `return_exceptions=True`), `wait(FIRST_COMPLETED)`, cancelling a task, and gather's timing
//! (1 s + 2 s + 0.5 s run concurrently: 2 s, not 3.5 s). Seed 001 repeats these blocks; they run
//! once, here.

use super::py::{self, PyException};
use super::scenario::{Ctx, Program, Scenario};

/// The seed's scenarios, in the seed's order.
pub fn scenarios() -> Vec<Scenario> {
    vec![
        Scenario {
            name: "000/create_task",
            title: "two tasks start at once, awaited one after the other",
            origin: "the lesson \"Creating and Managing Tasks\" of a Python concurrency course: its asyncio.create_task() block",
            python: include_str!("../../asyncio/000_create_task.py"),
            asyncio: &["result1 = Data from url1", "result2 = Data from url2"],
            seconds: 1.0,
            run: create_task,
        },
        Scenario {
            name: "000/gather",
            title: "three 1 s fetches, results in input order, 1 s in all",
            origin: "the lesson \"Creating and Managing Tasks\": its asyncio.gather() block",
            python: include_str!("../../asyncio/000_gather.py"),
            asyncio: &["['Data from url1', 'Data from url2', 'Data from url3']"],
            seconds: 1.0,
            run: gather,
        },
        Scenario {
            name: "000/gather_return_exceptions",
            title: "the failure is a value among the results",
            origin: "the lesson \"Creating and Managing Tasks\": its \"Error Handling with gather\" block",
            python: include_str!("../../asyncio/000_gather_return_exceptions.py"),
            asyncio: &["Success: task1 done", "Task failed: task2 broke"],
            seconds: 1.0,
            run: gather_return_exceptions,
        },
        Scenario {
            name: "000/wait_first_completed",
            title: "take the first done, cancel the pending (timeout 5 s)",
            origin: "the lesson \"Creating and Managing Tasks\": its asyncio.wait() block",
            python: include_str!("../../asyncio/000_wait_first_completed.py"),
            asyncio: &["done: Data from url1", "cancelled 2 pending"],
            seconds: 1.0,
            run: wait_first_completed,
        },
        Scenario {
            name: "000/cancel_after_sleep",
            title: "task.cancel() after 5 s; awaiting it raises CancelledError",
            origin: "the lesson \"Creating and Managing Tasks\": its \"Task Cancellation\" block",
            python: include_str!("../../asyncio/000_cancel_after_sleep.py"),
            asyncio: &["Task was cancelled"],
            seconds: 5.0,
            run: cancel_after_sleep,
        },
        Scenario {
            name: "000/gather_timing",
            title: "1 s, 2 s and 0.5 s fetches gathered: 2 s in all, not 3.5 s",
            origin: "the lesson \"Creating and Managing Tasks\": its code example \"Concurrent fetching with gather\"",
            python: include_str!("../../asyncio/000_gather_timing.py"),
            asyncio: &[
                "Data from api/users",
                "Data from api/posts",
                "Data from api/comments",
            ],
            seconds: 2.0,
            run: gather_timing,
        },
    ]
}

/// The seed's `fetch_data(url)`: one second of I/O.
async fn fetch_data(ctx: Ctx, url: &'static str) -> taskio::Result<String> {
    taskio::sleep(ctx.secs(1.0)).await?;
    Ok(format!("Data from {url}"))
}

fn create_task(ctx: Ctx) -> Program {
    Box::pin(async move {
        // Create tasks (starts running immediately)
        let task1 = taskio::spawn(fetch_data(ctx.clone(), "url1"));
        let task2 = taskio::spawn(fetch_data(ctx.clone(), "url2"));
        // Wait for results
        let result1 = task1.await?;
        let result2 = task2.await?;
        ctx.print(format!("result1 = {result1}"));
        ctx.print(format!("result2 = {result2}"));
        Ok(())
    })
}

fn gather(ctx: Ctx) -> Program {
    Box::pin(async move {
        let results =
            taskio::gather(["url1", "url2", "url3"].map(|url| fetch_data(ctx.clone(), url)))
                .await?;
        // results is a list: [result1, result2, result3]
        ctx.print(py::list(results.iter().map(|r| py::str_repr(r))));
        Ok(())
    })
}

async fn task1(ctx: Ctx) -> taskio::Result<String> {
    taskio::sleep(ctx.secs(0.5)).await?;
    Ok("task1 done".to_owned())
}

async fn task2(ctx: Ctx) -> taskio::Result<String> {
    taskio::sleep(ctx.secs(1.0)).await?;
    Err(PyException::new("ValueError", "task2 broke").into())
}

fn gather_return_exceptions(ctx: Ctx) -> Program {
    Box::pin(async move {
        let results = taskio::gather_settled([
            taskio::task().name("task1").spawn(task1(ctx.clone())),
            taskio::task().name("task2").spawn(task2(ctx.clone())),
        ])
        .await?; // Don't raise, return exceptions
        for result in results {
            match result {
                Err(e) => ctx.print(format!(
                    "Task failed: {}",
                    e.downcast_ref::<PyException>()
                        .map_or_else(|| e.to_string(), ToString::to_string)
                )),
                Ok(value) => ctx.print(format!("Success: {value}")),
            }
        }
        Ok(())
    })
}

fn wait_first_completed(ctx: Ctx) -> Program {
    Box::pin(async move {
        let tasks: Vec<_> = [("url1", 1.0), ("url2", 2.0), ("url3", 3.0)]
            .into_iter()
            .map(|(url, seconds)| {
                let d = ctx.secs(seconds);
                taskio::task().name(url).spawn(async move {
                    taskio::sleep(d).await?;
                    taskio::Ok(format!("Data from {url}"))
                })
            })
            .collect();
        let (done, pending) = taskio::wait(tasks)
            .first_completed()
            .timeout(ctx.secs(5.0))
            .await?;
        for mut task in done {
            if let Some(result) = task.try_result() {
                ctx.print(format!("done: {}", result?));
            }
        }
        let n = pending.len();
        pending.cancel_all();
        // taskio waits for what it cancelled (no orphans): the cancelled tasks end at once.
        let (cancelled, _) = taskio::wait(pending).await?;
        ctx.note(format!(
            "{} of the pending tasks ended cancelled",
            cancelled.iter().filter(|t| t.is_cancelled()).count()
        ));
        ctx.print(format!("cancelled {n} pending"));
        Ok(())
    })
}

fn cancel_after_sleep(ctx: Ctx) -> Program {
    Box::pin(async move {
        let long = ctx.secs(3600.0);
        let task = taskio::spawn(async move { taskio::sleep(long).await });
        // Cancel after 5 seconds
        taskio::sleep(ctx.secs(5.0)).await?;
        task.cancel();
        match task.await {
            Err(e) if e.is_cancelled() => ctx.print("Task was cancelled"),
            other => ctx.print(format!("unexpected: {other:?}")),
        }
        Ok(())
    })
}

async fn fetch(ctx: Ctx, url: &'static str, delay: f64) -> taskio::Result<String> {
    taskio::sleep(ctx.secs(delay)).await?;
    Ok(format!("Data from {url}"))
}

fn gather_timing(ctx: Ctx) -> Program {
    Box::pin(async move {
        // Run concurrently
        let results = taskio::gather([
            fetch(ctx.clone(), "api/users", 1.0),
            fetch(ctx.clone(), "api/posts", 2.0),
            fetch(ctx.clone(), "api/comments", 0.5),
        ])
        .await?;
        // Results in order: [users, posts, comments]
        // Total time: ~2 seconds (not 3.5!)
        for r in results {
            ctx.print(r);
        }
        Ok(())
    })
}
