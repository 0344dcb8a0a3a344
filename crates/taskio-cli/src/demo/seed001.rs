//! Seed 001, "Tasks and Gathering Results": its real-world case, a dashboard that loads a user
//! profile, recent activity and notification counts from three 200 ms endpoints: 600 ms one
//! after the other, 200 ms with `gather`. Here the endpoints are the embedded server's, the
//! client is reqwest; both times are measured side by side. And its best practice: "always
//! cancel pending tasks on timeout".

use std::time::Instant;

use super::py;
use super::scenario::{Ctx, Program, Scenario};

/// The dashboard's three endpoints.
const ENDPOINTS: [&str; 3] = ["/api/profile", "/api/activity", "/api/notifications"];

/// The seed's scenarios (those it shares with seed 000 run under seed 000).
pub fn scenarios() -> Vec<Scenario> {
    vec![
        Scenario {
            name: "001/dashboard",
            title: "three 200 ms endpoints, one by one (600 ms) then gathered (200 ms)",
            origin: "the lesson \"Tasks and Gathering Results\" (same course): its real-world context, a dashboard page",
            python: include_str!("../../asyncio/001_dashboard.py"),
            asyncio: &["sequential: [200, 200, 200]", "gathered: [200, 200, 200]"],
            seconds: 0.8,
            run: dashboard,
        },
        Scenario {
            name: "001/wait_timeout_cancel_pending",
            title: "a timed-out wait returns done and pending; cancel the pending",
            origin: "the lesson \"Tasks and Gathering Results\": its best practice \"always cancel pending tasks on timeout\"",
            python: include_str!("../../asyncio/001_wait_timeout_cancel_pending.py"),
            asyncio: &["done: 1, pending: 2", "cancelled: 2"],
            seconds: 1.5,
            run: wait_timeout_cancel_pending,
        },
    ]
}

fn dashboard(ctx: Ctx) -> Program {
    Box::pin(async move {
        let http = ctx.http().clone();
        let t0 = Instant::now();
        let mut sequential = Vec::new();
        for path in ENDPOINTS {
            sequential.push(http.fetch(path).await?);
        }
        let seq = t0.elapsed();
        ctx.print(format!("sequential: {}", py::list(&sequential)));

        let t1 = Instant::now();
        let gathered = taskio::gather(ENDPOINTS.map(|path| http.fetch(path))).await?;
        let gat = t1.elapsed();
        ctx.print(format!("gathered: {}", py::list(&gathered)));

        ctx.timing("sequential", 0.6, seq);
        ctx.timing("gathered (within 15% of one request)", 0.2, gat);
        ctx.note(format!(
            "sequential {:.0} ms vs gathered {:.0} ms: {:.1}x faster",
            seq.as_secs_f64() * 1e3,
            gat.as_secs_f64() * 1e3,
            seq.as_secs_f64() / gat.as_secs_f64()
        ));
        Ok(())
    })
}

fn wait_timeout_cancel_pending(ctx: Ctx) -> Program {
    Box::pin(async move {
        let tasks: Vec<_> = [1.0, 2.0, 3.0]
            .into_iter()
            .map(|seconds| {
                let d = ctx.secs(seconds);
                taskio::task()
                    .name(format!("job-{seconds}s"))
                    .spawn(async move { taskio::sleep(d).await })
            })
            .collect();
        let (done, pending) = taskio::wait(tasks).timeout(ctx.secs(1.5)).await?;
        ctx.print(format!("done: {}, pending: {}", done.len(), pending.len()));
        ctx.note("the timeout cancelled nothing: the pending tasks still run");
        pending.cancel_all();
        let (ended, _) = taskio::wait(pending).await?;
        let cancelled = ended.iter().filter(|t| t.is_cancelled()).count();
        ctx.print(format!("cancelled: {cancelled}"));
        Ok(())
    })
}
