//! The `tracing` events taskio reports, captured by a global subscriber, for tests that check
//! "nothing lost": every failure returned or reported, exactly once. The subscriber is global, so
//! tests tell their own reports apart by a word of their own in the message (a task name, an
//! error text).

use std::sync::{Arc, Mutex, OnceLock};

use tracing::field::{Field, Visit};
use tracing_subscriber::layer::{Context, SubscriberExt};
use tracing_subscriber::{Layer, Registry};

/// One captured event: where it came from, and the facts a report states in its fields.
#[derive(Clone, Debug, Default)]
pub struct Event {
    /// Its target (`taskio::debug` for debug mode's reports).
    pub target: String,
    /// Its level, as `tracing` prints it (`WARN`, `DEBUG`, ...).
    pub level: String,
    /// Its `task.name` field, if any.
    pub name: String,
    /// Its `task.spawned_at` field, if any.
    pub spawned_at: String,
    /// Its message.
    pub message: String,
    /// Every field, `name=value`, the message first (in the order recorded).
    pub text: String,
}

struct Capture(Arc<Mutex<Vec<Event>>>);

struct Fields<'a>(&'a mut Event);

impl Visit for Fields<'_> {
    /// Every field, `name=value`, the message first: a report states its facts (the task's
    /// name, the error) in fields of their own.
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        let v = format!("{value:?}");
        let text = &mut self.0.text;
        if !text.is_empty() {
            text.push(' ');
        }
        match field.name() {
            "message" => text.push_str(&v),
            other => text.push_str(&format!("{other}={v}")),
        }
        match field.name() {
            "task.name" => self.0.name = v,
            "task.spawned_at" => self.0.spawned_at = v,
            "message" => self.0.message = v,
            _ => {}
        }
    }
}

impl<S: tracing::Subscriber> Layer<S> for Capture {
    fn on_event(&self, event: &tracing::Event<'_>, _: Context<'_, S>) {
        let mut e = Event {
            target: event.metadata().target().to_owned(),
            level: event.metadata().level().to_string(),
            ..Event::default()
        };
        event.record(&mut Fields(&mut e));
        self.0.lock().unwrap().push(e);
    }
}

fn all() -> Arc<Mutex<Vec<Event>>> {
    static REPORTS: OnceLock<Arc<Mutex<Vec<Event>>>> = OnceLock::new();
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

/// Every event captured so far.
#[allow(dead_code)] // not every test binary reads whole events
pub fn events() -> Vec<Event> {
    all().lock().unwrap().clone()
}

/// The messages reported so far (all their fields) that contain `word`.
pub fn reports_with(word: &str) -> Vec<String> {
    all()
        .lock()
        .unwrap()
        .iter()
        .filter(|e| e.text.contains(word))
        .map(|e| e.text.clone())
        .collect()
}
