//! The framework's own scheduled jobs. Modules bring theirs in their `cron.rs`.

use std::time::Duration;

use futures::future::BoxFuture;
use helium_framework::config::ConfigStore;
use helium_framework::cron::CronJob;
use sqlx::PgPool;

/// How long relayed outbox events are kept, for investigating a consumer's complaint.
const OUTBOX_RETENTION: Duration = Duration::from_secs(7 * 24 * 3600);

/// Deletes relayed outbox events older than a week, so the table stays small.
pub struct OutboxPurge {
    pub db: PgPool,
}

impl CronJob for OutboxPurge {
    fn name(&self) -> &'static str {
        "outbox.purge"
    }

    fn run(&self) -> BoxFuture<'_, anyhow::Result<()>> {
        Box::pin(async move {
            let deleted =
                helium_framework::outbox::purge_relayed(&self.db, OUTBOX_RETENTION).await?;
            tracing::info!(deleted, "relayed outbox events purged");
            Ok(())
        })
    }
}

/// Copies every module configuration to Redis again. The change notifications keep the copy
/// fresh; this heals it after Redis lost its data (it keeps nothing on disk by design).
pub struct ConfigResync {
    pub configs: ConfigStore,
}

impl CronJob for ConfigResync {
    fn name(&self) -> &'static str {
        "config.resync"
    }

    fn run(&self) -> BoxFuture<'_, anyhow::Result<()>> {
        Box::pin(async move {
            let copied = self.configs.sync_all().await?;
            tracing::debug!(copied, "module configuration copied to Redis");
            Ok(())
        })
    }
}
