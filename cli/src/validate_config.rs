//! `helium-cli validate-config`: check a configuration file before deploying it.
//!
//! Needs no database: it is meant for CI pipelines and laptops as much as for servers.

use std::path::Path;
use std::process::ExitCode;

use anyhow::Context;
use helium_auth::config::AuthConfig;
use helium_framework::config::{ConfigError, ModuleConfig, parse};
use helium_mailer::config::MailerConfig;
use helium_manage::config::AdminJwtConfig;
use helium_market::config::AffiliateConfig;
use helium_shop::config::ShopConfig;
use helium_telecom::config::TelecomConfig;

use crate::config_types::ConfigType;

pub fn run(config_type: &str, file: &Path) -> anyhow::Result<ExitCode> {
    let config_type: ConfigType = config_type.parse().map_err(anyhow::Error::msg)?;
    let json = std::fs::read_to_string(file)
        .with_context(|| format!("cannot read configuration file {}", file.display()))?;

    let outcome = match config_type {
        ConfigType::Auth => check::<AuthConfig>(&json),
        ConfigType::AdminJwt => check::<AdminJwtConfig>(&json),
        ConfigType::Telecom => check::<TelecomConfig>(&json),
        ConfigType::Shop => check::<ShopConfig>(&json),
        ConfigType::Affiliate => check::<AffiliateConfig>(&json),
        ConfigType::Mailer => check::<MailerConfig>(&json),
    };

    match outcome {
        Ok(()) => {
            outln!("✓ Configuration file is valid!");
            outln!("  File: {}", file.display());
            outln!("  Type: {config_type}");
            outln!("  Key: {}", config_type.key());
            Ok(ExitCode::SUCCESS)
        }
        Err(error) => {
            eprintln!("✗ Configuration validation failed!");
            eprintln!("  File: {}", file.display());
            eprintln!("  Type: {config_type}");
            eprintln!("  Error: {error}");
            Ok(ExitCode::FAILURE)
        }
    }
}

fn check<C: ModuleConfig>(json: &str) -> Result<(), ConfigError> {
    parse::<C>(json).map(drop)
}
