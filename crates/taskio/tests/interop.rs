//! anyhow, `Box<dyn Error>`, thiserror and taskio in one program, with `?` in every direction
//! and every error downcast back to what it was. Runs with `--features anyhow`.

use std::error::Error as StdError;
use std::time::Duration;

use anyhow::Context as _;

/// A library's own error, as thiserror users write it; it holds a taskio::Error both as a
/// `#[source]` and `#[error(transparent)] #[from]` (both work through taskio::Error's Deref).
#[derive(Debug, thiserror::Error)]
enum AppError {
    #[error("quota exceeded for {0}")]
    Quota(String),
    #[error("job {name} failed")]
    Job {
        name: String,
        #[source]
        cause: taskio::Error,
    },
    #[error(transparent)]
    Task(#[from] taskio::Error),
    #[error("reading the config")]
    Io(#[from] std::io::Error),
}

// --- the layers of an ordinary program -------------------------------------------------

/// thiserror into taskio: `?` (the blanket From).
async fn charge(user: &str) -> taskio::Result<u32> {
    if user == "ann" {
        Err(AppError::Quota(user.to_owned()))?;
    }
    Ok(7)
}

/// anyhow into taskio: `.map_err(taskio::Error::from_anyhow)?`.
fn parse_port(text: &str) -> anyhow::Result<u16> {
    text.parse::<u16>()
        .with_context(|| format!("parsing port {text:?}"))
}

async fn configured_port(text: &'static str) -> taskio::Result<u16> {
    let port = parse_port(text).map_err(taskio::Error::from_anyhow)?;
    Ok(port)
}

/// Box into taskio: `.map_err(taskio::Error::from_boxed)?`.
fn legacy(ok: bool) -> Result<u8, Box<dyn StdError + Send + Sync>> {
    if ok {
        Ok(1)
    } else {
        Err("legacy says no".into())
    }
}

async fn via_legacy(ok: bool) -> taskio::Result<u8> {
    let n = legacy(ok).map_err(taskio::Error::from_boxed)?;
    Ok(n)
}

/// taskio into anyhow: `?`.
async fn handler(user: &'static str) -> anyhow::Result<u32> {
    let task = taskio::task().name("quota").spawn(charge(user));
    let n = task.await?;
    Ok(n)
}

/// taskio into thiserror: `?` through `#[from]`.
async fn job(user: &'static str) -> Result<u32, AppError> {
    let n = taskio::task().name("charge").spawn(charge(user)).await?;
    Ok(n)
}

/// taskio into Box<dyn Error>: `?`.
async fn boxed(user: &'static str) -> Result<u32, Box<dyn StdError>> {
    let n = taskio::task().name("boxed").spawn(charge(user)).await?;
    Ok(n)
}

/// thiserror into anyhow, holding a taskio::Error as its `#[source]`.
async fn supervised(user: &'static str) -> anyhow::Result<u32> {
    let t = taskio::task().name("worker").spawn(charge(user));
    let n = t.await.map_err(|cause| AppError::Job {
        name: "worker".into(),
        cause,
    })?;
    Ok(n)
}

fn chain(error: &(dyn StdError + 'static)) -> Vec<String> {
    std::iter::successors(Some(error), |&e| e.source())
        .map(|e| e.to_string())
        .collect()
}

// --- the tests -----------------------------------------------------------------------------

#[test]
fn taskio_into_anyhow_names_each_fact_once_and_downcasts_both_ways() {
    let err = taskio::run(async { taskio::Ok(handler("ann").await) })
        .unwrap()
        .unwrap_err();
    // The "quota exceeded for ann: quota exceeded for ann" is gone.
    assert_eq!(
        format!("{err:#}"),
        "task 'quota' failed: quota exceeded for ann"
    );
    assert_eq!(err.chain().count(), 1);
    let task_err = err.downcast_ref::<taskio::Error>().expect("taskio::Error");
    assert_eq!(task_err.task_name(), Some("quota"));
    assert!(task_err.is_failure());
    assert!(matches!(
        task_err.downcast_ref::<AppError>(),
        Some(AppError::Quota(u)) if u == "ann"
    ));
    // and back into taskio: the very same error
    let back = taskio::Error::from_anyhow(err);
    assert_eq!(back.task_name(), Some("quota"));
    assert!(back.is::<AppError>());

    let ok = taskio::run(async { taskio::Ok(handler("bob").await) }).unwrap();
    assert_eq!(ok.unwrap(), 7);
}

#[test]
fn anyhow_into_taskio_keeps_the_anyhow_error_and_its_context() {
    let err = taskio::run(async {
        taskio::task()
            .name("config")
            .spawn(configured_port("eighty"))
            .await
    })
    .unwrap_err();
    // anyhow's own downcasts: the ParseIntError below the context, and the context itself
    assert!(err.downcast_ref::<std::num::ParseIntError>().is_some());
    assert_eq!(
        err.to_string(),
        "task 'config' failed: parsing port \"eighty\""
    );
    assert_eq!(
        chain(err.as_ref()),
        [
            "task 'config' failed: parsing port \"eighty\"",
            "invalid digit found in string"
        ]
    );
    // out to anyhow again: the chain still names each fact once
    let a = anyhow::Error::from(err);
    assert_eq!(
        format!("{a:#}"),
        "task 'config' failed: parsing port \"eighty\": invalid digit found in string"
    );
    let back = a.downcast_ref::<taskio::Error>().unwrap();
    assert!(back.downcast_ref::<std::num::ParseIntError>().is_some());

    // Not through a task: the anyhow::Error comes back as itself, context downcast included.
    let original = parse_port("x").unwrap_err();
    let round = anyhow::Error::from(taskio::Error::from_anyhow(original));
    assert!(round.downcast_ref::<std::num::ParseIntError>().is_some());
    assert_eq!(format!("{round}"), "parsing port \"x\"");
}

#[test]
fn context_added_in_anyhow_on_top_of_a_taskio_error_is_kept() {
    let err = taskio::run(async { taskio::Ok(handler("ann").await) })
        .unwrap()
        .unwrap_err()
        .context("handling /charge");
    let taskio_err = taskio::Error::from_anyhow(err);
    assert_eq!(taskio_err.to_string(), "handling /charge");
    let a = anyhow::Error::from(taskio_err);
    assert_eq!(
        format!("{a:#}"),
        "handling /charge: task 'quota' failed: quota exceeded for ann"
    );
    assert_eq!(
        a.downcast_ref::<taskio::Error>().unwrap().task_name(),
        Some("quota")
    );
}

#[test]
fn box_and_thiserror_directions() {
    taskio::run(async {
        // Box<dyn Error> from taskio, and back
        // (a `Box<dyn Error>` is not Send: it is read before the next await)
        let found = taskio::Error::find_in(&*boxed("ann").await.unwrap_err()).cloned();
        let found = found.unwrap();
        assert_eq!(found.task_name(), Some("boxed"));
        assert!(found.is::<AppError>());
        // Box into taskio
        assert_eq!(via_legacy(true).await?, 1);
        let e = via_legacy(false).await.unwrap_err();
        assert_eq!(e.to_string(), "legacy says no");

        // taskio into thiserror (#[from], transparent)
        match job("ann").await.unwrap_err() {
            AppError::Task(t) => {
                assert_eq!(t.task_name(), Some("charge"));
                assert!(t.is::<AppError>());
            }
            other => panic!("expected AppError::Task, got {other:?}"),
        }
        // thiserror (with a taskio::Error as #[source]) into anyhow, each fact once
        let a = supervised("ann").await.unwrap_err();
        assert_eq!(
            format!("{a:#}"),
            "job worker failed: task 'worker' failed: quota exceeded for ann"
        );
        let AppError::Job { cause, .. } = a.downcast_ref::<AppError>().unwrap() else {
            panic!("expected AppError::Job");
        };
        assert_eq!(cause.task_name(), Some("worker"));
        // io into thiserror into taskio into anyhow
        let io: AppError = std::io::Error::other("disk full").into();
        let t = taskio::Error::from(io);
        let a = anyhow::Error::from(t);
        assert_eq!(format!("{a:#}"), "reading the config: disk full");
        let io = a
            .downcast_ref::<taskio::Error>()
            .and_then(|t| t.downcast_ref::<AppError>());
        assert!(matches!(io, Some(AppError::Io(_))));
        taskio::Ok(())
    })
    .unwrap();
}

#[test]
fn every_kind_survives_anyhow_and_back() {
    let errors = taskio::run(async {
        let cancelled = taskio::task().name("c").spawn(async {
            taskio::sleep(Duration::from_secs(60)).await?;
            taskio::Ok(())
        });
        taskio::checkpoint().await?;
        cancelled.cancel_with("stop");
        let cancelled = cancelled.await.unwrap_err();
        let timed_out = taskio::timeout(
            Duration::from_millis(1),
            taskio::sleep(Duration::from_secs(60)),
        )
        .await
        .unwrap_err();
        let panicked = taskio::task()
            .name("p")
            .spawn(async {
                if true {
                    panic!("bad state");
                }
            })
            .await
            .unwrap_err();
        let group = taskio::task_group(|tg| async move {
            tg.spawn(async { Err::<(), _>(AppError::Quota("bob".into())) })?;
            taskio::Ok(())
        })
        .await
        .unwrap_err();
        taskio::Ok(vec![cancelled, timed_out, panicked, group])
    })
    .unwrap();
    let anyhows: Vec<anyhow::Error> = errors.into_iter().map(anyhow::Error::from).collect();
    let kinds: Vec<&taskio::Error> = anyhows
        .iter()
        .map(|a| a.downcast_ref::<taskio::Error>().unwrap())
        .collect();
    assert_eq!(
        kinds[0].as_cancelled().and_then(|c| c.message()),
        Some("stop")
    );
    assert!(kinds[1].is_timed_out());
    assert_eq!(kinds[2].panic_message(), Some("bad state"));
    assert_eq!(kinds[3].group_errors().unwrap().len(), 1);
    assert_eq!(format!("{:#}", anyhows[0]), "task 'c' was cancelled: stop");

    let back: Vec<taskio::Error> = anyhows
        .into_iter()
        .map(taskio::Error::from_anyhow)
        .collect();
    assert!(back[0].is_cancelled() && back[0].task_name() == Some("c"));
    assert!(back[1].is_timed_out());
    assert!(back[2].is_panic());
    assert!(back[3].group_errors().unwrap()[0].is::<AppError>());

    // A bare Cancelled inside anyhow is a cancellation once in taskio.
    let c = taskio::Error::from_anyhow(anyhow::Error::new(taskio::Cancelled::default()));
    assert!(c.is_cancelled());
}

#[test]
fn a_shared_error_goes_into_anyhow_whole() {
    let e = taskio::Error::from_anyhow(anyhow::anyhow!("flaky"));
    let keep = e.clone();
    let a = anyhow::Error::from(e);
    assert_eq!(format!("{a:#}"), "flaky");
    assert_eq!(
        a.downcast_ref::<taskio::Error>().unwrap().to_string(),
        "flaky"
    );
    drop(keep);
}
