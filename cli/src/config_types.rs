//! The six configuration types and the names operators may use for them.

use std::fmt;
use std::str::FromStr;

use helium_auth::config::AuthConfig;
use helium_framework::config::ModuleConfig;
use helium_mailer::config::MailerConfig;
use helium_manage::config::AdminJwtConfig;
use helium_market::config::AffiliateConfig;
use helium_shop::config::ShopConfig;
use helium_telecom::config::TelecomConfig;

/// One module configuration type, in the order `init-config` handles them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConfigType {
    Auth,
    AdminJwt,
    Telecom,
    Shop,
    Affiliate,
    Mailer,
}

impl ConfigType {
    pub const ALL: [ConfigType; 6] = [
        Self::Auth,
        Self::AdminJwt,
        Self::Telecom,
        Self::Shop,
        Self::Affiliate,
        Self::Mailer,
    ];

    /// The key in `application__config`.
    pub fn key(self) -> &'static str {
        match self {
            Self::Auth => AuthConfig::KEY,
            Self::AdminJwt => AdminJwtConfig::KEY,
            Self::Telecom => TelecomConfig::KEY,
            Self::Shop => ShopConfig::KEY,
            Self::Affiliate => AffiliateConfig::KEY,
            Self::Mailer => MailerConfig::KEY,
        }
    }

    fn display_name(self) -> &'static str {
        match self {
            Self::Auth => AuthConfig::DISPLAY_NAME,
            Self::AdminJwt => AdminJwtConfig::DISPLAY_NAME,
            Self::Telecom => TelecomConfig::DISPLAY_NAME,
            Self::Shop => ShopConfig::DISPLAY_NAME,
            Self::Affiliate => AffiliateConfig::DISPLAY_NAME,
            Self::Mailer => MailerConfig::DISPLAY_NAME,
        }
    }
}

impl fmt::Display for ConfigType {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(self.display_name())
    }
}

impl FromStr for ConfigType {
    type Err = String;

    fn from_str(value: &str) -> Result<Self, Self::Err> {
        match value.trim().to_ascii_lowercase().as_str() {
            "auth" => Ok(Self::Auth),
            "admin-jwt" | "admin_jwt" => Ok(Self::AdminJwt),
            "telecom" => Ok(Self::Telecom),
            "shop" => Ok(Self::Shop),
            "market" | "affiliate" => Ok(Self::Affiliate),
            "mailer" => Ok(Self::Mailer),
            _ => Err(format!(
                "unknown configuration type {value:?}: expected one of auth, admin-jwt \
                 (admin_jwt), telecom, shop, market (affiliate), mailer"
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_documented_alias_parses() {
        let cases = [
            ("auth", ConfigType::Auth),
            ("admin-jwt", ConfigType::AdminJwt),
            ("admin_jwt", ConfigType::AdminJwt),
            ("telecom", ConfigType::Telecom),
            ("shop", ConfigType::Shop),
            ("market", ConfigType::Affiliate),
            ("affiliate", ConfigType::Affiliate),
            ("mailer", ConfigType::Mailer),
        ];
        for (alias, config_type) in cases {
            assert_eq!(alias.parse::<ConfigType>(), Ok(config_type), "{alias}");
        }
        assert!("smtp".parse::<ConfigType>().is_err());
    }
}
