//! The auth module's scheduled jobs.

use chrono::Utc;
use futures::future::BoxFuture;
use helium_framework::config::ConfigStore;
use helium_framework::cron::CronJob;
use helium_framework::processor::{DatabaseProcessor, Processor};

use crate::config::AuthConfig;
use crate::entities::db::email_link::PurgeLinks;
use crate::services::session::seconds;

/// Deletes registration and reset links older than `magic_link_delete_before`, used or not:
/// past that age they can only serve an investigation, and they name customers' addresses.
pub struct PurgeEmailLinks {
    pub db: DatabaseProcessor,
    pub configs: ConfigStore,
}

impl CronJob for PurgeEmailLinks {
    fn name(&self) -> &'static str {
        "auth.purge_email_links"
    }

    fn run(&self) -> BoxFuture<'_, anyhow::Result<()>> {
        Box::pin(async move {
            let config: AuthConfig = self.configs.load().await?;
            let created_before =
                Utc::now() - seconds(config.email_provider.magic_link_delete_before.0);
            let deleted = self.db.process(PurgeLinks { created_before }).await?;
            tracing::info!(deleted, "old email links purged");
            Ok(())
        })
    }
}
