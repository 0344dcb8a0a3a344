//! The `tracing` events taskio reports, captured by a global subscriber, for tests that check
//! "nothing lost": every failure returned or reported, exactly once. The subscriber is global, so
//! tests tell their own reports apart by a word of their own in the message (a task name, an
//! error text).

use std::sync::{Arc, Mutex, OnceLock};

use tracing::field::{Field, Visit};
use tracing_subscriber::layer::{Context, SubscriberExt};
use tracing_subscriber::{Layer, Registry};

struct Capture(Arc<Mutex<Vec<String>>>);

struct Message<'a>(&'a mut String);

impl Visit for Message<'_> {
    /// Every field, `name=value`, the message first: a report states its facts (the task's
    /// name, the error) in fields of their own.
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if !self.0.is_empty() {
            self.0.push(' ');
        }
        if field.name() == "message" {
            self.0.push_str(&format!("{value:?}"));
        } else {
            self.0.push_str(&format!("{}={value:?}", field.name()));
        }
    }
}

impl<S: tracing::Subscriber> Layer<S> for Capture {
    fn on_event(&self, event: &tracing::Event<'_>, _: Context<'_, S>) {
        let mut message = String::new();
        event.record(&mut Message(&mut message));
        self.0.lock().unwrap().push(message);
    }
}

fn all() -> Arc<Mutex<Vec<String>>> {
    static REPORTS: OnceLock<Arc<Mutex<Vec<String>>>> = OnceLock::new();
    REPORTS
        .get_or_init(|| {
            let reports = Arc::new(Mutex::new(Vec::new()));
            let subscriber = Registry::default().with(Capture(reports.clone()));
            tracing::subscriber::set_global_default(subscriber).unwrap();
            reports
        })
        .clone()
}

/// Installs the subscriber (call it before the code under test runs).
pub fn install() {
    all();
}

/// The messages reported so far that contain `word`.
pub fn reports_with(word: &str) -> Vec<String> {
    all()
        .lock()
        .unwrap()
        .iter()
        .filter(|m| m.contains(word))
        .cloned()
        .collect()
}
