//! The `shield` configuration: how many sign-ins and emails are allowed, and the lock-out.
//!
//! `helium-cli init-config` does not write this document (the specification fixes that command
//! at six types), so a deployment may have none: [`ShieldConfig::load_or_default`] then uses
//! [`ShieldConfig::defaults`]. An operator who wants other limits stores a `shield` document,
//! which is checked like every other module configuration.

use helium_framework::config::validate;
use helium_framework::config::{ConfigError, ConfigStore, FieldError, ModuleConfig, Seconds};
use serde::{Deserialize, Serialize};

/// The longest window or lock accepted: 30 days.
///
/// Anything longer is almost certainly a typo (an extra zero), and it keeps the millisecond
/// expiries sent to Redis far from the range where Redis refuses them.
pub const MAX_DURATION: Seconds = Seconds(30 * 24 * 3600);

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ShieldConfig {
    /// Sign-in attempts for one account (by email), whatever the source address.
    pub sign_in_per_account: RateLimit,
    /// Sign-in attempts from one source address, whatever the account.
    pub sign_in_per_address: RateLimit,
    /// Registration and password-reset emails requested from one source address.
    pub email_per_address: RateLimit,
    /// Registration and password-reset emails sent to one email address.
    pub email_per_recipient: RateLimit,
    pub lockout: LockoutPolicy,
}

/// At most `max` events in each `window`.
///
/// Windows are fixed: the first event opens one and it closes `window` seconds later,
/// whatever happened in between (see [`crate::entities::redis::counter`] for why).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RateLimit {
    pub max: u32,
    pub window: Seconds,
}

/// After `failures` failed sign-ins for one account within `window`, password sign-in for
/// that account is refused for `lock_for`.
///
/// The lock is keyed by email, not by who failed, so anyone can lock an account's password
/// sign-in by guessing wrong on purpose; that is the price of stopping password guessing, and
/// `lock_for` is what bounds it. Sign-in methods without a password are not affected.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LockoutPolicy {
    pub failures: u32,
    pub window: Seconds,
    pub lock_for: Seconds,
}

impl ShieldConfig {
    /// Loads the stored `shield` document, or the defaults when none is stored.
    ///
    /// Only a missing document falls back: a stored one that fails to parse or validate is an
    /// error, so an operator's mistake is reported instead of silently replaced by defaults.
    pub async fn load_or_default(configs: &ConfigStore) -> Result<Self, ConfigError> {
        match configs.load::<Self>().await {
            Err(ConfigError::Missing(_)) => Ok(Self::defaults()),
            loaded => loaded,
        }
    }
}

impl ModuleConfig for ShieldConfig {
    const KEY: &'static str = "shield";
    const DISPLAY_NAME: &'static str = "Shield";

    fn defaults() -> Self {
        Self {
            sign_in_per_account: RateLimit {
                max: 10,
                window: Seconds(300),
            },
            // Higher than per account: offices and carrier-grade NAT put many honest customers
            // behind one address.
            sign_in_per_address: RateLimit {
                max: 30,
                window: Seconds(300),
            },
            email_per_address: RateLimit {
                max: 5,
                window: Seconds(3600),
            },
            email_per_recipient: RateLimit {
                max: 3,
                window: Seconds(3600),
            },
            lockout: LockoutPolicy {
                failures: 5,
                window: Seconds(900),
                lock_for: Seconds(900),
            },
        }
    }

    fn validate(&self) -> Result<(), FieldError> {
        let limits = [
            ("sign_in_per_account", &self.sign_in_per_account),
            ("sign_in_per_address", &self.sign_in_per_address),
            ("email_per_address", &self.email_per_address),
            ("email_per_recipient", &self.email_per_recipient),
        ];
        for (name, limit) in limits {
            limit.validate().map_err(|error| error.within(name))?;
        }
        self.lockout
            .validate()
            .map_err(|error| error.within("lockout"))
    }
}

impl RateLimit {
    fn validate(&self) -> Result<(), FieldError> {
        // A limit of zero would refuse everything; an operator who means that should say so
        // somewhere louder than a rate limit.
        at_least_one("max", self.max)?;
        duration("window", self.window)
    }
}

impl LockoutPolicy {
    fn validate(&self) -> Result<(), FieldError> {
        at_least_one("failures", self.failures)?;
        duration("window", self.window)?;
        duration("lock_for", self.lock_for)
    }
}

fn at_least_one(field: &str, value: u32) -> Result<(), FieldError> {
    if value == 0 {
        return Err(FieldError::new(field, "must be at least 1"));
    }
    Ok(())
}

fn duration(field: &str, value: Seconds) -> Result<(), FieldError> {
    validate::positive(field, value)?;
    if value > MAX_DURATION {
        return Err(FieldError::new(
            field,
            format!("must be at most \"{}\" seconds (30 days)", MAX_DURATION.0),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use helium_framework::config::parse;

    #[test]
    fn defaults_are_valid() {
        let config = ShieldConfig::defaults();

        assert_eq!(config.validate(), Ok(()));
    }

    #[test]
    fn a_full_document_parses_with_durations_as_strings() {
        let json = r#"{
            "sign_in_per_account": {"max": 10, "window": "300"},
            "sign_in_per_address": {"max": 30, "window": "300"},
            "email_per_address": {"max": 5, "window": "3600"},
            "email_per_recipient": {"max": 3, "window": "3600"},
            "lockout": {"failures": 5, "window": "900", "lock_for": "900"}
        }"#;

        let config: ShieldConfig = parse(json).unwrap();

        assert_eq!(config, ShieldConfig::defaults());
    }

    #[test]
    fn a_zero_limit_is_refused_by_its_dotted_name() {
        let mut config = ShieldConfig::defaults();
        config.email_per_recipient.max = 0;

        let error = config.validate().unwrap_err();

        assert_eq!(
            error.to_string(),
            "email_per_recipient.max: must be at least 1"
        );
    }

    #[test]
    fn lockout_durations_are_checked_by_name() {
        let mut zero_lock = ShieldConfig::defaults();
        zero_lock.lockout.lock_for = Seconds(0);
        let mut endless_window = ShieldConfig::defaults();
        endless_window.lockout.window = Seconds(MAX_DURATION.0 + 1);
        let mut no_failures = ShieldConfig::defaults();
        no_failures.lockout.failures = 0;

        let zero_lock = zero_lock.validate().unwrap_err();
        let endless_window = endless_window.validate().unwrap_err();
        let no_failures = no_failures.validate().unwrap_err();

        assert_eq!(zero_lock.field, "lockout.lock_for");
        assert_eq!(endless_window.field, "lockout.window");
        assert!(
            endless_window.reason.contains("30 days"),
            "{endless_window}"
        );
        assert_eq!(no_failures.field, "lockout.failures");
    }

    #[test]
    fn a_window_written_as_a_number_is_refused_with_its_path() {
        let mut document = serde_json::to_value(ShieldConfig::defaults()).unwrap();
        document["sign_in_per_address"]["window"] = serde_json::json!(300);

        let error = parse::<ShieldConfig>(&document.to_string()).unwrap_err();

        let message = error.to_string();
        assert!(
            message.starts_with("sign_in_per_address.window:"),
            "{message}"
        );
        assert!(message.contains("string of whole seconds"), "{message}");
    }

    #[test]
    fn an_unknown_field_is_refused_with_its_path() {
        let mut document = serde_json::to_value(ShieldConfig::defaults()).unwrap();
        document["lockout"]["lock_out_for"] = serde_json::json!("60");

        let error = parse::<ShieldConfig>(&document.to_string()).unwrap_err();

        let message = error.to_string();
        assert!(
            message.starts_with("lockout.lock_out_for: unknown field"),
            "{message}"
        );
    }
}
