//! The service every shield use case runs on, and how a refusal reads.

use std::time::Duration;

use helium_framework::config::ConfigStore;
use helium_framework::error::ServiceError;
use helium_framework::processor::Processor;
use helium_framework::redis::RedisConnection;

use crate::config::{RateLimit, ShieldConfig};
use crate::entities::redis::Subject;
use crate::entities::redis::counter::{Admission, CountEvent, Counter, CounterKind};

/// Rate limits and the sign-in lock-out, for the modules that face the public.
///
/// The limits are read from the `shield` configuration on every call, so an operator's change
/// applies to the next request without a restart. Cloning is cheap: both fields are handles
/// on shared pools.
#[derive(Clone)]
pub struct Shield {
    configs: ConfigStore,
    pub(super) redis: RedisConnection,
}

impl Shield {
    pub fn new(configs: ConfigStore, redis: RedisConnection) -> Self {
        Self { configs, redis }
    }

    /// The current limits. A broken `shield` document is an outage, not the caller's doing:
    /// refusing everyone would be wrong, and so would letting everyone through unchecked.
    pub(super) async fn config(&self) -> Result<ShieldConfig, ServiceError> {
        ShieldConfig::load_or_default(&self.configs)
            .await
            .map_err(ServiceError::internal)
    }

    /// Counts `event`, or refuses it with a message about `what` was asked too often.
    pub(super) async fn count(&self, event: CountEvent, what: &str) -> Result<(), ServiceError> {
        let admission = self
            .redis
            .process(event)
            .await
            .map_err(ServiceError::internal)?;

        // Who was refused is personal data: the log says which limit, not for whom.
        match admission {
            Admission::Counted => Ok(()),
            Admission::Locked { remaining } => {
                let refusal = too_many("failed sign-in attempts", remaining);
                tracing::info!(
                    limit = "lockout",
                    "sign-in refused while the account is locked"
                );
                Err(refusal)
            }
            Admission::Full { kind, remaining } => {
                let refusal = too_many(what, remaining);
                tracing::info!(limit = kind.purpose(), "request refused by a rate limit");
                Err(refusal)
            }
        }
    }
}

/// The counter for one configured limit.
pub(super) fn counter(kind: CounterKind, subject: Subject, limit: RateLimit) -> Counter {
    Counter {
        kind,
        subject,
        max: limit.max,
        window: limit.window.as_duration(),
    }
}

/// Whole seconds until `remaining` has passed, rounded up, so a client that waits exactly
/// that long is never refused again for the same window. Never zero: a zero retry-after
/// invites an immediate retry.
pub(super) fn retry_after_secs(remaining: Duration) -> u64 {
    let seconds = remaining.as_millis().div_ceil(1000);
    u64::try_from(seconds).unwrap_or(u64::MAX).max(1)
}

/// The refusal a frontend shows as it is.
fn too_many(what: &str, remaining: Duration) -> ServiceError {
    let retry_after_secs = retry_after_secs(remaining);
    let unit = if retry_after_secs == 1 {
        "second"
    } else {
        "seconds"
    };
    ServiceError::ResourceExhausted {
        message: format!("Too many {what}; try again in {retry_after_secs} {unit}"),
        retry_after_secs,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_rounds_up_to_whole_seconds_and_is_never_zero() {
        assert_eq!(retry_after_secs(Duration::from_millis(59_001)), 60);
        assert_eq!(retry_after_secs(Duration::from_secs(60)), 60);
        assert_eq!(retry_after_secs(Duration::from_millis(1)), 1);
        assert_eq!(retry_after_secs(Duration::ZERO), 1);
    }

    #[test]
    fn a_refusal_tells_the_caller_what_and_when_in_words_a_frontend_can_show() {
        let refusal = too_many("sign-in attempts", Duration::from_millis(41_200));

        let ServiceError::ResourceExhausted {
            message,
            retry_after_secs,
        } = refusal
        else {
            panic!("a refusal is ResourceExhausted");
        };
        assert_eq!(
            message,
            "Too many sign-in attempts; try again in 42 seconds"
        );
        assert_eq!(retry_after_secs, 42);
    }

    #[test]
    fn one_second_is_singular() {
        let refusal = too_many("emails requested", Duration::from_millis(300));

        assert_eq!(
            refusal.to_string(),
            "Too many emails requested; try again in 1 second"
        );
    }
}
