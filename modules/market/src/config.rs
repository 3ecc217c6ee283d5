//! The `affiliate` configuration of the market module.

use std::str::FromStr;

use helium_framework::config::{FieldError, ModuleConfig};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AffiliateConfig {
    /// Invite codes one customer may hold.
    pub max_invite_code_per_user: u32,
    /// Share of a referred payment paid as reward, a decimal string such as `"0.1"`.
    /// Kept as text so it is never rounded through a float.
    pub default_reward_rate: String,
    /// Rewarded payments per referred customer.
    pub default_trigger_time_per_user: u32,
}

impl AffiliateConfig {
    /// The reward rate as an exact decimal.
    pub fn reward_rate(&self) -> Result<Decimal, FieldError> {
        let rate = Decimal::from_str(self.default_reward_rate.trim()).map_err(|_| {
            FieldError::new(
                "default_reward_rate",
                format!("{:?} is not a decimal number", self.default_reward_rate),
            )
        })?;
        if rate < Decimal::ZERO || rate > Decimal::ONE {
            return Err(FieldError::new(
                "default_reward_rate",
                "must be between 0 and 1",
            ));
        }
        Ok(rate)
    }
}

impl ModuleConfig for AffiliateConfig {
    const KEY: &'static str = "affiliate";
    const DISPLAY_NAME: &'static str = "Market/Affiliate";

    fn defaults() -> Self {
        Self {
            max_invite_code_per_user: 10,
            default_reward_rate: "0.1".to_owned(),
            default_trigger_time_per_user: 3,
        }
    }

    fn validate(&self) -> Result<(), FieldError> {
        self.reward_rate().map(drop)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_rate_is_exactly_one_tenth() {
        assert_eq!(
            AffiliateConfig::defaults().reward_rate().unwrap(),
            Decimal::new(1, 1)
        );
    }

    #[test]
    fn rates_outside_zero_to_one_or_not_numbers_are_refused() {
        for bad in ["1.5", "-0.1", "ten percent", ""] {
            let config = AffiliateConfig {
                default_reward_rate: bad.to_owned(),
                ..AffiliateConfig::defaults()
            };
            let error = config.validate().unwrap_err();
            assert_eq!(error.field, "default_reward_rate", "{bad}");
        }
    }
}
