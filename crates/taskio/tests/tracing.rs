//! Tracing that names tasks: every task runs inside a span `task{task.name, task.id}` whose parent
//! is the span current where it was spawned, so an event a task's code logs (in its body, in its
//! cleanup, in a `Drop` when it is aborted) shows which task it came from.

mod support;

use std::sync::{Arc, Mutex, OnceLock};

use support::both;
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id};
use tracing_subscriber::layer::{Context, SubscriberExt};
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::{Layer, Registry};

/// A span as the test sees it: its name, and its `task.name` / `task.id` fields if any.
#[derive(Clone, Debug, Default, PartialEq)]
struct SpanSeen {
    name: &'static str,
    task_name: Option<String>,
    task_id: Option<u64>,
}

/// An event: its message, and the spans it was inside, innermost first.
#[derive(Clone, Debug)]
struct EventSeen {
    message: String,
    scope: Vec<SpanSeen>,
}

#[derive(Default)]
struct Fields {
    task_name: Option<String>,
    task_id: Option<u64>,
    message: String,
}

impl Visit for Fields {
    fn record_u64(&mut self, field: &Field, value: u64) {
        if field.name() == "task.id" {
            self.task_id = Some(value);
        }
    }
    fn record_str(&mut self, field: &Field, value: &str) {
        self.record_debug(field, &format_args!("{value}"));
    }
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        match field.name() {
            "task.name" => self.task_name = Some(format!("{value:?}")),
            "message" => self.message = format!("{value:?}"),
            _ => {}
        }
    }
}

struct Capture(Arc<Mutex<Vec<EventSeen>>>);

impl<S> Layer<S> for Capture
where
    S: tracing::Subscriber + for<'a> LookupSpan<'a>,
{
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        let mut fields = Fields::default();
        attrs.record(&mut fields);
        let seen = SpanSeen {
            name: attrs.metadata().name(),
            task_name: fields.task_name,
            task_id: fields.task_id,
        };
        ctx.span(id).unwrap().extensions_mut().insert(seen);
    }

    fn on_event(&self, event: &tracing::Event<'_>, ctx: Context<'_, S>) {
        let mut fields = Fields::default();
        event.record(&mut fields);
        let scope = ctx
            .event_scope(event)
            .map(|scope| {
                scope
                    .map(|span| span.extensions().get::<SpanSeen>().cloned().unwrap())
                    .collect()
            })
            .unwrap_or_default();
        self.0.lock().unwrap().push(EventSeen {
            message: fields.message,
            scope,
        });
    }
}

fn events() -> Arc<Mutex<Vec<EventSeen>>> {
    static EVENTS: OnceLock<Arc<Mutex<Vec<EventSeen>>>> = OnceLock::new();
    EVENTS
        .get_or_init(|| {
            let events = Arc::new(Mutex::new(Vec::new()));
            let subscriber = Registry::default().with(Capture(events.clone()));
            tracing::subscriber::set_global_default(subscriber).unwrap();
            events
        })
        .clone()
}

/// The one event with this message (the subscriber is global: each test logs its own messages).
fn the_event(message: &str) -> EventSeen {
    let all: Vec<EventSeen> = events()
        .lock()
        .unwrap()
        .iter()
        .filter(|e| e.message == message)
        .cloned()
        .collect();
    assert_eq!(all.len(), 1, "{message}: {all:?}");
    all.into_iter().next().unwrap()
}

fn task_span(name: &str, id: taskio::TaskId) -> SpanSeen {
    SpanSeen {
        name: "task",
        task_name: Some(name.to_owned()),
        task_id: Some(id.as_u64()),
    }
}

both! {
    async fn an_event_inside_a_named_task_carries_its_name_and_id() {
        events();
        let task = taskio::task().name("fetch-1").spawn(async {
            tracing::info!("fetch-1 is fetching {PAUSED}");
            taskio::sleep(UNIT).await?;
            tracing::info!("fetch-1 fetched {PAUSED}");
            taskio::Ok(())
        });
        let id = task.id();
        task.await.unwrap();
        for message in ["fetch-1 is fetching", "fetch-1 fetched"] {
            let event = the_event(&format!("{message} {PAUSED}"));
            assert_eq!(event.scope, [task_span("fetch-1", id)], "{message}");
        }
    }
}

both! {
    async fn the_span_is_a_child_of_the_spawners_span_and_tasks_nest() {
        events();
        let request = tracing::info_span!("request");
        let outer = request.in_scope(|| {
            taskio::task().name("outer").spawn(async {
                let inner = taskio::task().name("inner").spawn(async {
                    tracing::info!("nested event {PAUSED}");
                });
                let inner_id = inner.id();
                inner.await?;
                taskio::Ok(inner_id)
            })
        });
        let outer_id = outer.id();
        let inner_id = outer.await.unwrap();
        let event = the_event(&format!("nested event {PAUSED}"));
        assert_eq!(
            event.scope,
            [
                task_span("inner", inner_id),
                task_span("outer", outer_id),
                SpanSeen { name: "request", ..SpanSeen::default() },
            ]
        );
    }
}

both! {
    async fn an_unnamed_task_is_named_by_its_id_and_cleanup_logs_in_its_span() {
        events();
        struct LogOnDrop;
        impl Drop for LogOnDrop {
            fn drop(&mut self) {
                tracing::info!("dropped when aborted {PAUSED}");
            }
        }
        let task = taskio::spawn(async {
            if let Err(c) = taskio::sleep(UNIT * 100).await {
                tracing::info!("cleanup after a cancel {PAUSED}");
                return Err(c.into());
            }
            taskio::Ok(())
        });
        let id = task.id();
        taskio::sleep(UNIT).await.unwrap();
        task.cancel();
        assert!(task.await.unwrap_err().is_cancelled());
        let name = format!("Task-{id}");
        assert_eq!(the_event(&format!("cleanup after a cancel {PAUSED}")).scope, [task_span(&name, id)]);

        let aborted = taskio::task().name("aborted").spawn(async {
            let _guard = LogOnDrop;
            taskio::sleep(UNIT * 100).await?;
            taskio::Ok(())
        });
        let aborted_id = aborted.id();
        taskio::sleep(UNIT).await.unwrap();
        aborted.abort();
        assert!(aborted.await.unwrap_err().is_cancelled());
        assert_eq!(the_event(&format!("dropped when aborted {PAUSED}")).scope, [task_span("aborted", aborted_id)]);
    }
}

/// Logs `message` in whatever span is current, then panics: a body's `Drop` that fails while
/// a subscriber is installed (so the body runs wrapped in its span, not bare).
struct LogThenPanicOnDrop(String);

impl Drop for LogThenPanicOnDrop {
    fn drop(&mut self) {
        tracing::info!("{}", self.0);
        if !std::thread::panicking() {
            panic!("spanned drop bomb");
        }
    }
}

/// Spawns a task named `name` whose body holds a [`LogThenPanicOnDrop`] logging `message` while
/// it awaits `wait`; once the body runs, `end` ends the task (or lets it return). The bomb's
/// panic must be the task's outcome, and its event must be in the task's span.
async fn a_bomb_ends<R>(
    name: &'static str,
    message: String,
    wait: impl std::future::Future<Output = ()> + Send + 'static,
    end: impl FnOnce(&taskio::Task<()>) -> R,
) {
    let guard = LogThenPanicOnDrop(message.clone());
    let task = taskio::task().name(name).spawn(async move {
        let _guard = guard;
        wait.await;
        taskio::Ok(())
    });
    let id = task.id();
    support::until(|| task.state() != taskio::TaskState::Pending).await;
    taskio::checkpoint().await.unwrap();
    end(&task);
    let e = task.await.unwrap_err();
    assert!(
        e.panic_message().unwrap().contains("spanned drop bomb"),
        "{name}: {e:?}"
    );
    assert_eq!(the_event(&message).scope, [task_span(name, id)], "{name}");
}

both! {
    async fn a_panic_in_a_spanned_bodys_drop_is_the_outcome_and_logs_in_its_span() {
        support::bounded(async {
            events();
            // The body returns, and its drop panics.
            let checkpoint = async { taskio::checkpoint().await.unwrap() };
            a_bomb_ends("returned", format!("returned {PAUSED}"), checkpoint, |_| {}).await;
            // Aborted while it waits in a tokio timer.
            let timer = tokio::time::sleep(UNIT * 100);
            a_bomb_ends("aborted-bomb", format!("aborted {PAUSED}"), timer, |t| t.abort()).await;
            // Cancelled while it waits in a tokio channel: the cancel arrives by dropping it.
            let (tx, mut rx) = tokio::sync::mpsc::channel::<()>(1);
            let channel = async move {
                rx.recv().await;
            };
            a_bomb_ends("cancelled-bomb", format!("cancelled {PAUSED}"), channel, |t| t.cancel()).await;
            drop(tx);
            // Cancelled while it waits in a taskio sleep inside a `FuturesUnordered`, whose
            // wakers are its own.
            let in_set = async move {
                let mut set = futures_util::stream::FuturesUnordered::new();
                set.push(taskio::sleep(UNIT * 100));
                let _ = futures_util::StreamExt::next(&mut set).await;
            };
            a_bomb_ends("set-bomb", format!("in a set {PAUSED}"), in_set, |t| t.cancel()).await;
        })
        .await;
    }
}

#[test]
fn main_runs_in_a_span_named_main_and_eager_tasks_too() {
    events();
    let (main_id, eager_id) = taskio::run(async {
        tracing::info!("in main");
        let eager = taskio::task().name("eager").eager().spawn(async {
            tracing::info!("eager first poll");
        });
        let eager_id = eager.id();
        eager.await?;
        taskio::Ok((taskio::current().unwrap().id(), eager_id))
    })
    .unwrap();
    assert_eq!(the_event("in main").scope, [task_span("main", main_id)]);
    assert_eq!(
        the_event("eager first poll").scope,
        [task_span("eager", eager_id), task_span("main", main_id)]
    );
}
