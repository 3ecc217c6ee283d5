//! Scheduled jobs, each under its own PostgreSQL advisory lock.
//!
//! The `cron_executor` worker is meant to run as a single replica, but a second one started
//! by mistake must not do the work twice. Before running a job the executor takes a
//! transaction-scoped advisory lock derived from the job's name; an executor that cannot get
//! the lock skips the job for that tick. Because the lock belongs to a transaction, it is
//! released even if the job fails or the process dies mid-run.

use std::sync::Arc;
use std::time::Duration;

use futures::future::BoxFuture;
use sqlx::PgPool;
use tokio::time::MissedTickBehavior;
use tokio_util::sync::CancellationToken;

/// One scheduled job.
pub trait CronJob: Send + Sync {
    /// A stable name; it identifies the job's lock, its logs and its metrics.
    fn name(&self) -> &'static str;

    /// Does one round of the job's work.
    fn run(&self) -> BoxFuture<'_, anyhow::Result<()>>;
}

/// What happened to a job on one tick.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobOutcome {
    Completed,
    Failed,
    /// Another executor holds the job's lock and is running it.
    Skipped,
}

/// Runs every registered job once per interval.
pub struct CronExecutor {
    db: PgPool,
    jobs: Vec<Arc<dyn CronJob>>,
    interval: Duration,
}

impl CronExecutor {
    pub fn new(db: PgPool, interval: Duration) -> Self {
        Self {
            db,
            jobs: Vec::new(),
            interval,
        }
    }

    pub fn register(&mut self, job: Arc<dyn CronJob>) {
        self.jobs.push(job);
    }

    /// Ticks until `shutdown` fires. A job in progress when it fires is finished first.
    pub async fn run(&self, shutdown: CancellationToken) {
        let mut ticker = tokio::time::interval(self.interval);
        // A slow round delays the next one instead of causing a burst of catch-up rounds.
        ticker.set_missed_tick_behavior(MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = shutdown.cancelled() => return,
                _ = ticker.tick() => {}
            }
            self.run_once().await;
        }
    }

    /// Runs each job once, in registration order.
    pub async fn run_once(&self) -> Vec<(&'static str, JobOutcome)> {
        let mut outcomes = Vec::with_capacity(self.jobs.len());
        for job in &self.jobs {
            let outcome = match self.run_locked(job.as_ref()).await {
                Ok(outcome) => outcome,
                Err(error) => {
                    tracing::error!(job = job.name(), error.cause_chain = ?error, "job failed");
                    JobOutcome::Failed
                }
            };
            metrics::counter!(
                "helium_cron_job_runs_total",
                "job" => job.name(),
                "outcome" => outcome.label(),
            )
            .increment(1);
            outcomes.push((job.name(), outcome));
        }
        outcomes
    }

    async fn run_locked(&self, job: &dyn CronJob) -> anyhow::Result<JobOutcome> {
        let mut lock = self.db.begin().await?;
        let acquired = sqlx::query_scalar!(
            r#"SELECT pg_try_advisory_xact_lock($1) AS "acquired!""#,
            lock_id(job.name()),
        )
        .fetch_one(&mut *lock)
        .await?;
        if !acquired {
            tracing::debug!(job = job.name(), "job is running elsewhere; skipped");
            return Ok(JobOutcome::Skipped);
        }

        let started = std::time::Instant::now();
        let result = job.run().await;
        // Ending the transaction releases the lock, whatever the job's result.
        lock.rollback().await?;
        result?;
        tracing::info!(job = job.name(), elapsed = ?started.elapsed(), "job completed");
        Ok(JobOutcome::Completed)
    }
}

impl JobOutcome {
    fn label(&self) -> &'static str {
        match self {
            Self::Completed => "completed",
            Self::Failed => "failed",
            Self::Skipped => "skipped",
        }
    }
}

/// The advisory lock key for a job: a 64-bit FNV-1a hash of its name.
///
/// Written out rather than taken from `std::hash`, whose output may change between Rust
/// releases; two executors built by different compilers must agree on the key.
fn lock_id(job_name: &str) -> i64 {
    const OFFSET_BASIS: u64 = 0xcbf2_9ce4_8422_2325;
    const PRIME: u64 = 0x0000_0100_0000_01b3;
    let hash = format!("helium.cron.{job_name}")
        .bytes()
        .fold(OFFSET_BASIS, |hash, byte| {
            (hash ^ u64::from(byte)).wrapping_mul(PRIME)
        });
    i64::from_ne_bytes(hash.to_ne_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lock_ids_are_stable_and_distinct() {
        assert_eq!(lock_id("outbox.purge"), lock_id("outbox.purge"));
        assert_ne!(lock_id("outbox.purge"), lock_id("config.resync"));
    }
}
