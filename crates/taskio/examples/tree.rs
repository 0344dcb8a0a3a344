//! Prints the live task tree of a three-level program: `main` runs a group whose first worker
//! runs a group of its own. Run with `cargo run -p taskio --example tree`.

use std::time::Duration;

async fn idle() -> taskio::Result<()> {
    taskio::sleep(Duration::from_secs(3600)).await?;
    Ok(())
}

fn main() -> taskio::Result<()> {
    taskio::run(async {
        let app = taskio::task().name("app").spawn(async {
            taskio::task_group(|tg| async move {
                tg.spawn_with(taskio::task().name("worker-1"), async {
                    taskio::task_group(|inner| async move {
                        inner.spawn_with(taskio::task().name("leaf"), idle())?;
                        idle().await
                    })
                    .await
                })?;
                tg.spawn_with(taskio::task().name("worker-2"), idle())?;
                idle().await
            })
            .await
        });
        taskio::sleep(Duration::from_millis(10)).await?;
        print!("{}", taskio::tree());
        app.cancel();
        let _ = app.await;
        taskio::Ok(())
    })
}
