//! The `taskio` command.
fn main() {}
