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

#[path = "../examples/gather_httpx.rs"]
#[allow(dead_code)]
mod gather_httpx;

#[path = "../examples/as_completed_fetch.rs"]
#[allow(dead_code)]
mod as_completed_fetch;

#[test]
fn gather_httpx_returns_five_statuses_in_about_one_requests_time() {
    let server = server();
    let t0 = Instant::now();
    let statuses = taskio::run(gather_httpx::program(server.url(""))).unwrap();
    assert_eq!(statuses, [200; 5]);
    // Five 200 ms requests, concurrently (connection set-up included): well under 2 × 200 ms.
    assert!(
        t0.elapsed() < Duration::from_millis(400),
        "{:?}",
        t0.elapsed()
    );
}

#[test]
fn as_completed_fetch_yields_in_completion_order() {
    let server = server();
    let order = taskio::run(as_completed_fetch::program(server.url(""))).unwrap();
    assert_eq!(order, ["/delay/100", "/delay/200", "/delay/300"]);
}

#[path = "../examples/task_group_fetch_and_save.rs"]
#[allow(dead_code)]
mod task_group_fetch_and_save;

#[test]
fn task_group_collects_all_or_cancels_the_rest_on_a_failure() {
    let server = server();
    let all = taskio::run(task_group_fetch_and_save::program(
        server.url(""),
        vec!["/get"; 5],
    ));
    assert_eq!(all.unwrap(), 5);
    let t0 = Instant::now();
    let failed = taskio::run(task_group_fetch_and_save::program(
        server.url(""),
        vec!["/get", "/delay/100/status/500", "/get"],
    ))
    .unwrap_err();
    // The failure came at 100 ms; the 200 ms requests were cancelled, not awaited to the end.
    assert!(
        t0.elapsed() < Duration::from_millis(190),
        "{:?}",
        t0.elapsed()
    );
    let errors = failed.group_errors().expect("a group error");
    assert_eq!(errors.len(), 1);
    assert!(errors[0].to_string().contains("HTTP 500"), "{}", errors[0]);
}

#[path = "../examples/axum_handler.rs"]
#[allow(dead_code)]
mod axum_handler;

#[test]
fn an_axum_handler_returns_taskio_results_through_its_own_into_response() {
    let answers = taskio::run(axum_handler::program()).unwrap();
    assert_eq!(
        answers,
        [
            (200, "charged bob".to_owned()),
            (
                429,
                "task 'quota' failed: quota exceeded for ann".to_owned()
            ),
            (504, "timed out after 20ms".to_owned()),
            (500, "internal error".to_owned()),
        ]
    );
}
