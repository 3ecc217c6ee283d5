use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use futures::future::BoxFuture;
use helium_framework::cron::{CronExecutor, CronJob, JobOutcome};
use helium_framework::testing::TestDatabase;

/// A slow job that records how many copies of it ran at the same time.
#[derive(Default)]
struct SlowJob {
    running: AtomicU32,
    most_at_once: AtomicU32,
    runs: AtomicU32,
}

impl CronJob for SlowJob {
    fn name(&self) -> &'static str {
        "test.slow"
    }

    fn run(&self) -> BoxFuture<'_, anyhow::Result<()>> {
        Box::pin(async move {
            let now = self.running.fetch_add(1, Ordering::SeqCst) + 1;
            self.most_at_once.fetch_max(now, Ordering::SeqCst);
            tokio::time::sleep(Duration::from_millis(500)).await;
            self.running.fetch_sub(1, Ordering::SeqCst);
            self.runs.fetch_add(1, Ordering::SeqCst);
            Ok(())
        })
    }
}

#[tokio::test]
async fn two_executors_never_run_the_same_job_at_once() {
    // Arrange: two executors, as if a second cron_executor had been started by mistake.
    let db = TestDatabase::create().await;
    let job = Arc::new(SlowJob::default());
    let mut first = CronExecutor::new(db.pool.clone(), Duration::from_secs(60));
    first.register(job.clone());
    let mut second = CronExecutor::new(db.pool.clone(), Duration::from_secs(60));
    second.register(job.clone());

    // Act
    let (first_outcomes, second_outcomes) = tokio::join!(first.run_once(), second.run_once());

    // Assert: one ran it, the other skipped it.
    let mut outcomes = vec![first_outcomes[0].1, second_outcomes[0].1];
    outcomes.sort_by_key(|outcome| format!("{outcome:?}"));
    assert_eq!(outcomes, vec![JobOutcome::Completed, JobOutcome::Skipped]);
    assert_eq!(job.most_at_once.load(Ordering::SeqCst), 1);

    // The lock is released afterwards: the next tick runs the job again.
    assert_eq!(second.run_once().await[0].1, JobOutcome::Completed);
    assert_eq!(job.runs.load(Ordering::SeqCst), 2);
    db.drop_database().await;
}

struct FailingJob;

impl CronJob for FailingJob {
    fn name(&self) -> &'static str {
        "test.failing"
    }

    fn run(&self) -> BoxFuture<'_, anyhow::Result<()>> {
        Box::pin(async { anyhow::bail!("the job broke") })
    }
}

#[tokio::test]
async fn a_failing_job_releases_its_lock_and_does_not_stop_the_others() {
    let db = TestDatabase::create().await;
    let job = Arc::new(SlowJob::default());
    let mut executor = CronExecutor::new(db.pool.clone(), Duration::from_secs(60));
    executor.register(Arc::new(FailingJob));
    executor.register(job.clone());

    let outcomes = executor.run_once().await;
    let again = executor.run_once().await;

    assert_eq!(
        outcomes,
        vec![
            ("test.failing", JobOutcome::Failed),
            ("test.slow", JobOutcome::Completed)
        ]
    );
    assert_eq!(again[0], ("test.failing", JobOutcome::Failed));
    db.drop_database().await;
}
