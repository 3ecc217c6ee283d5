//! The `telecom` configuration: node health, subscription links and node-agent sync.

use std::collections::HashSet;

use helium_framework::config::{
    FieldError, ModuleConfig, Seconds, SecretString, random_secret, validate,
};
use serde::{Deserialize, Serialize};

/// The placeholder every subscription URL template must contain.
pub const SUBSCRIBE_TOKEN_PLACEHOLDER: &str = "{SUBSCRIBE_TOKEN}";

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TelecomConfig {
    pub node_health_check: NodeHealthCheckConfig,
    pub subscribe_link: SubscribeLinkConfig,
    pub uni_proxy_sync: UniProxySyncConfig,
    /// The shared token node agents present; at least 32 characters.
    pub vpn_server_token: SecretString,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NodeHealthCheckConfig {
    /// Silence after which a node counts as offline.
    pub offline_timeout: Seconds,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SubscribeLinkConfig {
    /// Where customers fetch subscriptions; several allow a backup domain.
    pub endpoints: Vec<SubscribeEndpoint>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SubscribeEndpoint {
    /// A URL containing `{SUBSCRIBE_TOKEN}`.
    pub url_template: String,
    pub endpoint_name: String,
}

/// How often node agents push traffic and pull users.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UniProxySyncConfig {
    pub push_interval: Seconds,
    pub pull_interval: Seconds,
}

impl ModuleConfig for TelecomConfig {
    const KEY: &'static str = "telecom";
    const DISPLAY_NAME: &'static str = "Telecom";

    fn defaults() -> Self {
        Self {
            node_health_check: NodeHealthCheckConfig {
                offline_timeout: Seconds(600),
            },
            subscribe_link: SubscribeLinkConfig {
                endpoints: vec![SubscribeEndpoint {
                    url_template: "https://subscribe.your-domain.com/subscribe/{SUBSCRIBE_TOKEN}"
                        .to_owned(),
                    endpoint_name: "primary".to_owned(),
                }],
            },
            uni_proxy_sync: UniProxySyncConfig {
                push_interval: Seconds(30),
                pull_interval: Seconds(60),
            },
            vpn_server_token: random_secret().into(),
        }
    }

    fn validate(&self) -> Result<(), FieldError> {
        validate::positive(
            "node_health_check.offline_timeout",
            self.node_health_check.offline_timeout,
        )?;
        let endpoints = &self.subscribe_link.endpoints;
        if endpoints.is_empty() {
            return Err(FieldError::new(
                "subscribe_link.endpoints",
                "must list at least one endpoint",
            ));
        }
        let mut names = HashSet::new();
        for (index, endpoint) in endpoints.iter().enumerate() {
            let within = format!("subscribe_link.endpoints[{index}]");
            endpoint.validate().map_err(|error| error.within(&within))?;
            if !names.insert(endpoint.endpoint_name.as_str()) {
                return Err(FieldError::new(
                    format!("{within}.endpoint_name"),
                    format!("{:?} is used by another endpoint", endpoint.endpoint_name),
                ));
            }
        }
        validate::positive(
            "uni_proxy_sync.push_interval",
            self.uni_proxy_sync.push_interval,
        )?;
        validate::positive(
            "uni_proxy_sync.pull_interval",
            self.uni_proxy_sync.pull_interval,
        )?;
        validate::secret("vpn_server_token", self.vpn_server_token.expose())
    }
}

impl SubscribeEndpoint {
    fn validate(&self) -> Result<(), FieldError> {
        validate::not_blank("endpoint_name", &self.endpoint_name)?;
        if !self.url_template.contains(SUBSCRIBE_TOKEN_PLACEHOLDER) {
            return Err(FieldError::new(
                "url_template",
                format!("must contain {SUBSCRIBE_TOKEN_PLACEHOLDER}"),
            ));
        }
        let example = self
            .url_template
            .replace(SUBSCRIBE_TOKEN_PLACEHOLDER, "token");
        validate::http_url("url_template", &example)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use helium_framework::config::parse;

    #[test]
    fn defaults_are_valid() {
        assert!(TelecomConfig::defaults().validate().is_ok());
    }

    #[test]
    fn a_template_without_the_token_is_refused_by_index() {
        let mut config = serde_json::to_value(TelecomConfig::defaults()).unwrap();
        config["subscribe_link"]["endpoints"][0]["url_template"] = "https://x.com/sub".into();

        let error = parse::<TelecomConfig>(&config.to_string())
            .unwrap_err()
            .to_string();

        assert_eq!(
            error,
            "subscribe_link.endpoints[0].url_template: must contain {SUBSCRIBE_TOKEN}"
        );
    }
}
