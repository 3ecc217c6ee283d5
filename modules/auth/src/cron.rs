//! The auth module's scheduled jobs.

use chrono::{Duration, Utc};
use futures::future::BoxFuture;
use helium_framework::config::ConfigStore;
use helium_framework::cron::CronJob;
use helium_framework::processor::{DatabaseProcessor, Processor};

use crate::config::AuthConfig;
use crate::entities::db::email_link::PurgeLinks;
use crate::entities::db::session::PurgeEndedSessions;
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

/// How long an ended session is kept: long enough to answer "was that me?" from the list of
/// recent sign-ins and to recognise a returning device, short enough that addresses and
/// device names of old sign-ins do not pile up.
pub const ENDED_SESSION_RETENTION_DAYS: i64 = 30;

/// Sessions deleted per statement.
const PURGE_BATCH: i64 = 5_000;

/// Deletes sessions that ended (expired or were revoked) more than
/// [`ENDED_SESSION_RETENTION_DAYS`] ago. Every sign-in adds a row and nothing else removes
/// one, so without this the table would only grow.
pub struct PurgeSessions {
    pub db: DatabaseProcessor,
}

impl CronJob for PurgeSessions {
    fn name(&self) -> &'static str {
        "auth.purge_sessions"
    }

    fn run(&self) -> BoxFuture<'_, anyhow::Result<()>> {
        Box::pin(async move {
            let ended_before = Utc::now() - Duration::days(ENDED_SESSION_RETENTION_DAYS);
            let mut deleted = 0;
            loop {
                let batch = PurgeEndedSessions {
                    ended_before,
                    limit: PURGE_BATCH,
                };
                let purged = self.db.process(batch).await?;
                deleted += purged;
                if purged < PURGE_BATCH.unsigned_abs() {
                    break;
                }
            }
            tracing::info!(deleted, "ended sessions purged");
            Ok(())
        })
    }
}
