//! Seed 002, "Tasks (create_task) and gather": two 0.2 s jobs as tasks, `gather` of ten squares,
//! and `gather(..., return_exceptions=True)` keeping `ValueError('boom')` as a value.

use super::scenario::{Ctx, Program, Scenario};

/// The seed's scenarios that need only taskio's core.
pub fn core() -> Vec<Scenario> {
    vec![Scenario {
        name: "002/create_task",
        title: "create_task.py: two 0.2 s jobs run concurrently, awaited in order",
        asyncio: &["done 1", "done 2"],
        seconds: 0.2,
        run: create_task,
    }]
}

/// The seed's `job(i)`: 0.2 s, then `"done {i}"`.
async fn job(ctx: Ctx, i: u32) -> taskio::Result<String> {
    taskio::sleep(ctx.secs(0.2)).await?;
    Ok(format!("done {i}"))
}

fn create_task(ctx: Ctx) -> Program {
    Box::pin(async move {
        let t1 = taskio::spawn(job(ctx.clone(), 1));
        let t2 = taskio::spawn(job(ctx.clone(), 2));
        // await results
        ctx.print(t1.await?);
        ctx.print(t2.await?);
        Ok(())
    })
}
