//! Python's `repr` of the values the seeds print, so that taskio's output can be compared with
//! asyncio's line by line: `['a', 'b']`, `[1, 4, 9]`, `ValueError('boom')`.

use std::fmt::Display;

/// `repr(list)` of already-repr'd items.
pub fn list<I>(items: I) -> String
where
    I: IntoIterator,
    I::Item: Display,
{
    let items: Vec<String> = items.into_iter().map(|i| i.to_string()).collect();
    format!("[{}]", items.join(", "))
}
