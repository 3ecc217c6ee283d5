//! The `cron_executor` worker: runs the registered jobs every `SCAN_INTERVAL`.

use std::sync::Arc;
use std::time::Duration;

use helium_auth::cron::{PurgeEmailLinks, PurgeSessions};
use helium_framework::cron::CronExecutor;
use helium_framework::processor::DatabaseProcessor;
use tokio_util::sync::CancellationToken;

use super::Infra;
use crate::jobs::{ConfigResync, OutboxPurge};

pub async fn run(
    infra: Infra,
    scan_interval: Duration,
    shutdown: CancellationToken,
) -> anyhow::Result<()> {
    let mut executor = CronExecutor::new(infra.db.clone(), scan_interval);
    executor.register(Arc::new(OutboxPurge {
        db: infra.db.clone(),
    }));
    executor.register(Arc::new(ConfigResync {
        configs: infra.configs(),
    }));
    executor.register(Arc::new(PurgeEmailLinks {
        db: DatabaseProcessor::from_pool(infra.db.clone()),
        configs: infra.configs(),
    }));
    executor.register(Arc::new(PurgeSessions {
        db: DatabaseProcessor::from_pool(infra.db.clone()),
    }));

    tracing::info!(interval = ?scan_interval, "cron executor started");
    executor.run(shutdown).await;
    Ok(())
}
