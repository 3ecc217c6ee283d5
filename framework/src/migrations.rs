//! The workspace's SQL migrations, embedded in every binary that applies them.

/// Applies `migrations/` in order; `helium-cli` runs it unless `--skip-migration` is given.
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../migrations");
