//! Runs the seed 004 examples in `examples/` (the HTTP ones) in-process against an embedded
//! server whose `/get` answers after 200 ms; each must return what asyncio's program would.

use std::time::{Duration, Instant};

use taskio_cli::server::Server;

#[path = "../examples/create_task_fetch_cancel.rs"]
#[allow(dead_code)]
mod create_task_fetch_cancel;

fn server() -> Server {
    Server::start(Duration::from_millis(200)).expect("the embedded server starts")
}

#[test]
fn create_task_fetch_cancel_cancels_fetch_1_and_awaits_fetch_2() {
    let server = server();
    let t0 = Instant::now();
    let (status, cancelled) =
        taskio::run(create_task_fetch_cancel::program(server.url(""))).unwrap();
    assert_eq!(status, 200);
    assert!(cancelled, "fetch-1 ended cancelled");
    assert!(t0.elapsed() >= Duration::from_millis(200));
}
