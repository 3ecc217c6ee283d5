//! The `shop` configuration: unpaid-order limits and the Epay gateway's URLs.

use helium_framework::config::{FieldError, ModuleConfig, Seconds, validate};
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ShopConfig {
    /// Unpaid orders one customer may hold at once.
    pub max_unpaid_orders: u32,
    /// Age at which an unpaid order is cancelled.
    pub auto_cancel_after: Seconds,
    /// Where the gateway posts payment notifications (server to server).
    pub epay_notify_url: String,
    /// Where the gateway sends the customer back after paying.
    pub epay_return_url: String,
}

impl ModuleConfig for ShopConfig {
    const KEY: &'static str = "shop";
    const DISPLAY_NAME: &'static str = "Shop";

    fn defaults() -> Self {
        Self {
            max_unpaid_orders: 5,
            auto_cancel_after: Seconds(1800),
            epay_notify_url: "https://your-domain.com/api/webhook/epay/notify".to_owned(),
            epay_return_url: "https://your-domain.com/payment/success".to_owned(),
        }
    }

    fn validate(&self) -> Result<(), FieldError> {
        if self.max_unpaid_orders == 0 {
            return Err(FieldError::new("max_unpaid_orders", "must be at least 1"));
        }
        validate::positive("auto_cancel_after", self.auto_cancel_after)?;
        validate::http_url("epay_notify_url", &self.epay_notify_url)?;
        validate::http_url("epay_return_url", &self.epay_return_url)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use helium_framework::config::parse;

    #[test]
    fn the_documented_example_is_valid() {
        let json = r#"{"max_unpaid_orders": 5, "auto_cancel_after": "1800",
            "epay_notify_url": "https://your-domain.com/api/webhook/epay/notify",
            "epay_return_url": "https://your-domain.com/payment/success"}"#;

        assert_eq!(parse::<ShopConfig>(json).unwrap(), ShopConfig::defaults());
    }

    #[test]
    fn a_negative_limit_is_a_type_error_naming_the_field() {
        let json = r#"{"max_unpaid_orders": -1, "auto_cancel_after": "1800",
            "epay_notify_url": "https://a.com", "epay_return_url": "https://a.com"}"#;

        let error = parse::<ShopConfig>(json).unwrap_err().to_string();

        assert!(
            error.starts_with("max_unpaid_orders: invalid value"),
            "{error}"
        );
    }
}
