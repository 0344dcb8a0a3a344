//! Seed 001, "Tasks and Gathering Results": its real-world case, a dashboard that loads a user
//! profile, recent activity and notification counts from three 200 ms endpoints: 600 ms one
//! after the other, 200 ms gathered. Here the endpoints are the embedded server's, the client is
//! reqwest; both times are measured side by side.

use std::time::Instant;

use super::py;
use super::scenario::{Ctx, Program, Scenario};

/// The dashboard's three endpoints.
const ENDPOINTS: [&str; 3] = ["/api/profile", "/api/activity", "/api/notifications"];

/// The seed's scenarios that need only taskio's core.
pub fn core() -> Vec<Scenario> {
    vec![Scenario {
        name: "001/dashboard",
        title: "dashboard: three 200 ms endpoints, sequential (600 ms) vs concurrent (200 ms)",
        asyncio: &["sequential: [200, 200, 200]", "concurrent: [200, 200, 200]"],
        seconds: 0.8,
        run: dashboard,
    }]
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
        let tasks: Vec<_> = ENDPOINTS
            .iter()
            .map(|path| {
                let http = http.clone();
                taskio::task()
                    .name(*path)
                    .spawn(async move { http.fetch(path).await })
            })
            .collect();
        let mut concurrent = Vec::new();
        for t in tasks {
            concurrent.push(t.await?);
        }
        let conc = t1.elapsed();
        ctx.print(format!("concurrent: {}", py::list(&concurrent)));

        ctx.timing("sequential", 0.6, seq);
        ctx.timing("concurrent (within 15% of one request)", 0.2, conc);
        ctx.note(format!(
            "sequential {:.0} ms vs concurrent {:.0} ms: {:.1}x faster",
            seq.as_secs_f64() * 1e3,
            conc.as_secs_f64() * 1e3,
            seq.as_secs_f64() / conc.as_secs_f64()
        ));
        Ok(())
    })
}
