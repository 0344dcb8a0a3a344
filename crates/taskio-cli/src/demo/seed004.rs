//! Seed 004, "gather, create_task and TaskGroup": five concurrent GETs with the statuses in
//! order, two named fetch tasks with one cancelled mid-request, `as_completed`, and a TaskGroup
//! whose one failure cancels the rest. httpbin.org is the embedded server's `/get` (200 ms).

use super::scenario::{Ctx, Program, Scenario};

/// The seed's scenarios that need only taskio's core.
pub fn core() -> Vec<Scenario> {
    vec![Scenario {
        name: "004/create_task_cancel",
        title: "fetch-1 and fetch-2 as tasks; fetch-1 cancelled mid-request after 0.1 s",
        asyncio: &["fetch-2: 200", "fetch-1 cancelled: True"],
        seconds: 0.2,
        run: create_task_cancel,
    }]
}

fn create_task_cancel(ctx: Ctx) -> Program {
    Box::pin(async move {
        let http = ctx.http().clone();
        // Task is created and IMMEDIATELY starts running
        let h1 = http.clone();
        let task1 = taskio::task()
            .name("fetch-1")
            .spawn(async move { h1.fetch("/get").await });
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
