//! The `taskio` command as a library: the demo of the seeds' scenarios, the concurrent
//! fetcher, the live task view of another process (ps, pstree), and the embedded HTTP server both use (exposed for the CLI's tests).

pub mod demo;
pub mod fetch;
pub mod out;
pub mod ps;
pub mod server;
