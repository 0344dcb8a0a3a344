//! Errors that travel without anyhow: `?` from `taskio::Error` into `Box<dyn Error + Send + Sync>`
//! and `Box<dyn Error>`, `Error::from_boxed` and `Error::find_in` back, every kind kept, and a
//! `source()` chain that names each fact once. (With anyhow and thiserror: tests/interop.rs.)

use std::error::Error as StdError;
use std::time::Duration;

#[derive(Debug)]
struct Quota {
    user: &'static str,
}

impl std::fmt::Display for Quota {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "quota exceeded for {}", self.user)
    }
}

impl StdError for Quota {}

/// Every message of a chain, top first.
fn chain(error: &(dyn StdError + 'static)) -> Vec<String> {
    std::iter::successors(Some(error), |&e| e.source())
        .map(|e| e.to_string())
        .collect()
}

fn quota_task() -> taskio::Task<()> {
    taskio::task()
        .name("quota")
        .spawn(async { Err::<(), _>(Quota { user: "ann" }) })
}

async fn boxed_send() -> Result<(), Box<dyn StdError + Send + Sync>> {
    quota_task().await?;
    Ok(())
}

async fn boxed_local() -> Result<(), Box<dyn StdError>> {
    quota_task().await?;
    Ok(())
}

#[test]
fn question_mark_into_both_boxes_names_each_fact_once_and_finds_the_task_error() {
    let (send, local) = taskio::run(async {
        let send = boxed_send().await.unwrap_err();
        let local = boxed_local().await.unwrap_err().to_string();
        taskio::Ok((send, local))
    })
    .unwrap();
    // The issue's `{:#}` printed "quota exceeded for ann" twice; the chain now names it once.
    assert_eq!(
        chain(&*send),
        ["task 'quota' failed: quota exceeded for ann"]
    );
    assert_eq!(local, "task 'quota' failed: quota exceeded for ann");

    let found = taskio::Error::find_in(&*send).expect("the taskio::Error is in the box");
    assert_eq!(found.task_name(), Some("quota"));
    assert_eq!(found.downcast_ref::<Quota>().unwrap().user, "ann");
    let back = taskio::Error::from_boxed(send);
    assert_eq!(back.task_name(), Some("quota"));
    assert!(back.is::<Quota>());
}

#[test]
fn a_deeper_chain_continues_below_the_user_error() {
    #[derive(Debug)]
    struct Save(std::io::Error);
    impl std::fmt::Display for Save {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("saving the report")
        }
    }
    impl StdError for Save {
        fn source(&self) -> Option<&(dyn StdError + 'static)> {
            Some(&self.0)
        }
    }
    let err = taskio::run(async {
        let t = taskio::task()
            .name("save")
            .spawn(async { Err::<(), _>(Save(std::io::Error::other("disk full"))) });
        taskio::Ok(t.await.unwrap_err())
    })
    .unwrap();
    // Through Deref, and through a box: the same chain, each fact once.
    assert_eq!(
        chain(err.as_ref()),
        ["task 'save' failed: saving the report", "disk full"]
    );
    let boxed: Box<dyn StdError + Send + Sync> = err.into();
    assert_eq!(
        chain(&*boxed),
        ["task 'save' failed: saving the report", "disk full"]
    );
}

/// A taskio::Error of each of taskio's own kinds, made by really running tasks.
fn every_kind() -> Vec<taskio::Error> {
    taskio::run(async {
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
            tg.spawn(async { Err::<(), _>(Quota { user: "bob" }) })?;
            taskio::Ok(())
        })
        .await
        .unwrap_err();
        taskio::Ok(vec![cancelled, timed_out, panicked, group])
    })
    .unwrap()
}

fn assert_kinds(errors: &[taskio::Error]) {
    assert_eq!(
        errors[0].as_cancelled().and_then(|c| c.message()),
        Some("stop")
    );
    assert_eq!(errors[0].task_name(), Some("c"));
    assert!(errors[1].is_timed_out());
    assert_eq!(errors[2].panic_message(), Some("bad state"));
    assert_eq!(errors[2].task_name(), Some("p"));
    let group = errors[3].group_errors().expect("a group error");
    assert_eq!(group[0].downcast_ref::<Quota>().unwrap().user, "bob");
}

#[test]
fn every_kind_survives_a_box_and_back() {
    let errors = every_kind();
    assert_kinds(&errors);
    let texts: Vec<String> = errors.iter().map(|e| e.to_string()).collect();
    let boxed: Vec<Box<dyn StdError + Send + Sync>> = errors.into_iter().map(Into::into).collect();
    for (b, text) in boxed.iter().zip(&texts) {
        assert_eq!(&b.to_string(), text);
        assert!(taskio::Error::find_in(&**b).is_some(), "{text}");
    }
    let back: Vec<taskio::Error> = boxed.into_iter().map(taskio::Error::from_boxed).collect();
    assert_kinds(&back);
}

#[test]
fn a_plain_user_error_goes_into_the_box_as_itself() {
    let boxed: Box<dyn StdError + Send + Sync> = taskio::Error::new(Quota { user: "cy" }).into();
    assert_eq!(boxed.downcast_ref::<Quota>().unwrap().user, "cy");
    // and a shared one (cloned) goes in whole, still downcastable through find_in
    let shared = taskio::Error::new(Quota { user: "di" });
    let _keep = shared.clone();
    let boxed: Box<dyn StdError> = shared.into();
    let found = taskio::Error::find_in(&*boxed).unwrap();
    assert_eq!(found.downcast_ref::<Quota>().unwrap().user, "di");
}

#[test]
fn from_boxed_takes_a_foreign_box_a_cancel_and_a_timeout() {
    let foreign: Box<dyn StdError + Send + Sync> = "no config".into();
    let e = taskio::Error::from_boxed(foreign);
    assert_eq!(e.to_string(), "no config");
    assert!(e.is_failure());
    let c = taskio::Error::from_boxed(Box::new(taskio::Cancelled::new(Some("bye"))));
    assert_eq!(c.as_cancelled().and_then(|c| c.message()), Some("bye"));
    let t = taskio::Error::from_boxed(Box::new(taskio::TimedOut::new()));
    assert!(t.is_timed_out());
}

#[test]
fn find_in_looks_down_a_chain_a_user_error_wraps() {
    #[derive(Debug)]
    struct Wrapper(Box<dyn StdError + Send + Sync>);
    impl std::fmt::Display for Wrapper {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("request failed")
        }
    }
    impl StdError for Wrapper {
        fn source(&self) -> Option<&(dyn StdError + 'static)> {
            Some(&*self.0)
        }
    }
    let inner = taskio::Error::from(taskio::TimedOut::new());
    let outer = Wrapper(inner.into());
    assert!(taskio::Error::find_in(&outer).unwrap().is_timed_out());
    assert!(taskio::Error::find_in(&std::fmt::Error).is_none());
}
