//! Redis entity processors: counters with fixed windows, and the sign-in lock-out.
//!
//! Services call them on the process's [`RedisConnection`], as in
//! `redis.process(CountEvent { .. })`, the way SQL entities are called on a
//! `DatabaseProcessor`.
//!
//! # Key layout
//!
//! Every key is `<prefix>:shield:<purpose>:<subject>`, where `<subject>` is a [`Subject`]:
//! the SHA-256 of an email or an address, never the value itself. Every key carries a TTL.
//!
//! | purpose | holds | expires |
//! | --- | --- | --- |
//! | `sign_in_per_account` | attempts counted for one email | when its window closes |
//! | `sign_in_per_address` | attempts counted from one address | when its window closes |
//! | `email_per_address` | emails requested from one address | when its window closes |
//! | `email_per_recipient` | emails requested for one email | when its window closes |
//! | `sign_in_failures` | failed sign-ins for one email | when its window closes |
//! | `sign_in_lock` | present while password sign-in is locked | when the lock ends |
//!
//! The scripts touch several keys at once, which a Redis Cluster would refuse unless they
//! shared a hash slot; Helium talks to a single Redis server, so the keys carry no hash tag.
//!
//! [`RedisConnection`]: helium_framework::redis::RedisConnection

pub mod counter;
pub mod lockout;
pub mod subject;

pub use subject::Subject;

use std::time::Duration;

/// A duration as the whole milliseconds Redis expiries take. Configuration bounds windows
/// far below the point where this would saturate.
fn milliseconds(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

/// A time left as `PTTL` reports it. Scripts only report positive ones, so the fallback to
/// zero is never taken.
fn remaining(milliseconds: i64) -> Duration {
    Duration::from_millis(u64::try_from(milliseconds).unwrap_or(0))
}
