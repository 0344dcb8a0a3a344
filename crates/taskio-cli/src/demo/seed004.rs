//! Seed 004, "gather, create_task and TaskGroup": five concurrent GETs with the statuses in
//! order, two named fetch tasks with one cancelled mid-request, `as_completed`, and a TaskGroup
//! whose one failure cancels the rest (with the live task tree printed while it runs).
//! httpbin.org is the embedded server's `/get` (200 ms, scaled).

use super::py;
use super::scenario::{Ctx, Program, Scenario};

/// The seed's scenarios, in the seed's order.
pub fn scenarios() -> Vec<Scenario> {
    vec![
        Scenario {
            name: "004/gather_httpx",
            title: "five concurrent GETs, statuses in input order, one request's time",
            asyncio: &["[200, 200, 200, 200, 200]"],
            seconds: 0.2,
            run: gather_httpx,
        },
        Scenario {
            name: "004/create_task_cancel",
            title: "fetch-1 and fetch-2 as tasks; fetch-1 cancelled mid-request after 0.1 s",
            asyncio: &["fetch-2: 200", "fetch-1 cancelled: True"],
            seconds: 0.2,
            run: create_task_cancel,
        },
        Scenario {
            name: "004/as_completed",
            title: "as_completed: results as they come, not in input order",
            asyncio: &["Done: 200 (fast)", "Done: 200 (medium)", "Done: 200 (slow)"],
            seconds: 0.3,
            run: as_completed,
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

/// `/delay/{ms}` for the seed's `seconds`, scaled.
fn delay_path(ctx: &Ctx, seconds: f64) -> String {
    format!("/delay/{}", ctx.secs(seconds).as_millis())
}

fn as_completed(ctx: Ctx) -> Program {
    Box::pin(async move {
        let urls = [("slow", 0.3), ("fast", 0.1), ("medium", 0.2)];
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
