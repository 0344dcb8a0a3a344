//! Seed 002, "Tasks (create_task) and gather": two 0.2 s jobs as tasks, `gather` of ten squares,
//! and `gather(..., return_exceptions=True)` keeping `ValueError('boom')` as a value.

use super::py::{self, PyException};
use super::scenario::{Ctx, Program, Scenario};

/// The seed's scenarios, in the seed's order.
pub fn scenarios() -> Vec<Scenario> {
    vec![
        Scenario {
            name: "002/create_task",
            title: "two 0.2 s jobs run concurrently, awaited in order",
            origin: "the tutorial page \"Tasks (create_task) and gather\": its create_task.py",
            python: include_str!("../../asyncio/002_create_task.py"),
            asyncio: &["done 1", "done 2"],
            seconds: 0.2,
            run: create_task,
        },
        Scenario {
            name: "002/gather",
            title: "ten 0.1 s jobs, squares in input order, 0.1 s in all",
            origin: "the tutorial page \"Tasks (create_task) and gather\": its gather.py",
            python: include_str!("../../asyncio/002_gather.py"),
            asyncio: &["[0, 1, 4, 9, 16, 25, 36, 49, 64, 81]"],
            seconds: 0.1,
            run: gather,
        },
        Scenario {
            name: "002/gather_return_exceptions",
            title: "ValueError('boom') kept as a value",
            origin: "the tutorial page \"Tasks (create_task) and gather\": its gather_return_exceptions.py",
            python: include_str!("../../asyncio/002_gather_return_exceptions.py"),
            asyncio: &["[1, ValueError('boom')]"],
            seconds: 0.0,
            run: gather_return_exceptions,
        },
    ]
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

/// gather.py's `job(i)`: 0.1 s, then `i * i`.
async fn square(ctx: Ctx, i: u64) -> taskio::Result<u64> {
    taskio::sleep(ctx.secs(0.1)).await?;
    Ok(i * i)
}

fn gather(ctx: Ctx) -> Program {
    Box::pin(async move {
        let results = taskio::gather((0..10).map(|i| square(ctx.clone(), i))).await?;
        ctx.print(py::list(&results));
        Ok(())
    })
}

async fn ok() -> taskio::Result<i64> {
    Ok(1)
}

async fn bad() -> taskio::Result<i64> {
    Err(PyException::new("ValueError", "boom").into())
}

fn gather_return_exceptions(ctx: Ctx) -> Program {
    Box::pin(async move {
        let res = taskio::gather_settled([taskio::spawn(ok()), taskio::spawn(bad())]).await?;
        ctx.print(py::list(
            res.iter().map(|r| py::outcome_repr(r, ToString::to_string)),
        ));
        Ok(())
    })
}
