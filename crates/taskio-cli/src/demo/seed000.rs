//! Seed 000, "Creating and Managing Tasks": `create_task`, `gather` (with
//! `return_exceptions=True`), `wait(FIRST_COMPLETED)`, cancelling a task, and gather's timing
//! (1 s + 2 s + 0.5 s run concurrently: 2 s, not 3.5 s). Seed 001 repeats these blocks; they run
//! once, here.

use super::scenario::{Ctx, Program, Scenario};

/// The seed's scenarios that need only taskio's core, in the seed's order.
pub fn core() -> Vec<Scenario> {
    vec![
        Scenario {
            name: "000/create_task",
            title: "create_task: two tasks start at once, awaited one after the other",
            asyncio: &["result1 = Data from url1", "result2 = Data from url2"],
            seconds: 1.0,
            run: create_task,
        },
        Scenario {
            name: "000/cancel_after_sleep",
            title: "task.cancel() after 5 s; awaiting it raises CancelledError",
            asyncio: &["Task was cancelled"],
            seconds: 5.0,
            run: cancel_after_sleep,
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
