//! What a task body may return (issue 15's last item): `Result<T, E>` or `()`, a bare value
//! through `taskio::Ok` (the `compile_fail` doctest on `spawn` pins that a bare value does not
//! compile), and a body's `Err` is the task's failure, never a value.

mod support;
use support::both;

both! {
    async fn a_bare_value_goes_through_taskio_ok_and_an_err_is_a_failure() {
        let value = taskio::spawn(async { taskio::Ok(5u32) });
        let unit: taskio::Task<()> = taskio::spawn(async {});
        let io = taskio::spawn(async { Ok::<_, std::io::Error>("io") });
        let failing = taskio::spawn(async { Err::<u32, _>(std::io::Error::other("disk")) });
        assert_eq!(value.await.unwrap(), 5);
        unit.await.unwrap();
        assert_eq!(io.await.unwrap(), "io");
        let err = failing.await.unwrap_err();
        assert!(err.is_failure());
        assert!(err.downcast_ref::<std::io::Error>().is_some());
        // a failure is what gather and groups act on: gather fails with it
        let gathered = taskio::gather([
            taskio::spawn(async { taskio::Ok(1u32) }),
            taskio::spawn(async { Err(taskio::Error::msg("bad")) }),
        ])
        .await;
        assert!(gathered.unwrap_err().to_string().contains("bad"));
    }
}
