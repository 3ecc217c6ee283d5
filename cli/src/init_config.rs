//! `helium-cli init-config`: store every module's defaults and copy them to Redis.
//!
//! Configurations already stored are kept unless `--force` is given, so the command is safe
//! to run on every deployment: it fills in what is missing and never rotates a secret that
//! live tokens depend on by accident.

use std::process::ExitCode;

use helium_auth::config::AuthConfig;
use helium_framework::config::{ConfigError, ConfigStore, ModuleConfig};
use helium_mailer::config::MailerConfig;
use helium_manage::config::AdminJwtConfig;
use helium_market::config::AffiliateConfig;
use helium_shop::config::ShopConfig;
use helium_telecom::config::TelecomConfig;

use crate::config_types::ConfigType;
use crate::connect::Options;

/// What happened to one configuration type.
enum Outcome {
    Written,
    Kept,
}

pub async fn run(connections: &Options, force: bool) -> anyhow::Result<ExitCode> {
    let db = connections.database().await?;
    let redis = connections.redis().await?;
    let store = ConfigStore::new(db, redis);

    outln!(
        "Initializing {} configuration types...",
        ConfigType::ALL.len()
    );
    outln!();
    let mut succeeded = 0;
    let mut failed = 0;
    for config_type in ConfigType::ALL {
        out!("Initializing {config_type} config... ");
        match initialize(&store, config_type, force).await {
            Ok(Outcome::Written) => {
                outln!("✓ Success");
                succeeded += 1;
            }
            Ok(Outcome::Kept) => {
                outln!("✓ Success (kept the stored configuration; --force replaces it)");
                succeeded += 1;
            }
            Err(error) => {
                outln!("✗ Failed: {error}");
                failed += 1;
            }
        }
    }

    outln!();
    outln!("Configuration initialization completed:");
    outln!("  ✓ Successful: {succeeded}");
    if failed > 0 {
        outln!("  ✗ Failed: {failed}");
        return Ok(ExitCode::FAILURE);
    }
    Ok(ExitCode::SUCCESS)
}

async fn initialize(
    store: &ConfigStore,
    config_type: ConfigType,
    force: bool,
) -> Result<Outcome, ConfigError> {
    match config_type {
        ConfigType::Auth => write::<AuthConfig>(store, force).await,
        ConfigType::AdminJwt => write::<AdminJwtConfig>(store, force).await,
        ConfigType::Telecom => write::<TelecomConfig>(store, force).await,
        ConfigType::Shop => write::<ShopConfig>(store, force).await,
        ConfigType::Affiliate => write::<AffiliateConfig>(store, force).await,
        ConfigType::Mailer => write::<MailerConfig>(store, force).await,
    }
}

async fn write<C: ModuleConfig>(store: &ConfigStore, force: bool) -> Result<Outcome, ConfigError> {
    let defaults = C::defaults();
    if force {
        store.save(&defaults).await?;
        return Ok(Outcome::Written);
    }
    if store.insert_if_missing(&defaults).await? {
        Ok(Outcome::Written)
    } else {
        Ok(Outcome::Kept)
    }
}
