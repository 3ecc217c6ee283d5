//! Failed sign-ins per account, and the lock they set.
//!
//! Failures are counted in a fixed window like any other counter (see [`super::counter`]).
//! The failure that reaches the threshold sets the lock key, with the lock's length as its
//! TTL, and deletes the count, so the account starts afresh once the lock ends. Checking the
//! lock is part of counting a sign-in attempt ([`super::counter::CountEvent::lock`]).

use std::sync::LazyLock;
use std::time::Duration;

use helium_framework::processor::Processor;
use helium_framework::redis::{RedisConnection, RedisError};
use redis::AsyncCommands;

use super::counter::MODULE;
use super::{Subject, milliseconds, remaining};

const FAILURES_PURPOSE: &str = "sign_in_failures";
const LOCK_PURPOSE: &str = "sign_in_lock";

/// Counts one failed sign-in for `account`; the `failures`-th within `window` locks the
/// account's password sign-in for `lock_for`.
#[derive(Clone, Debug)]
pub struct RecordFailure {
    pub account: Subject,
    pub failures: u32,
    pub window: Duration,
    pub lock_for: Duration,
}

/// Forgets the failed sign-ins counted for `account`. A standing lock stays.
#[derive(Clone, Debug)]
pub struct ClearFailures {
    pub account: Subject,
}

/// What a recorded failure left behind.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FailureRecorded {
    /// Counted; the account is not locked.
    Counted,
    /// The account's password sign-in is locked for `remaining` more.
    Locked { remaining: Duration },
}

/// `KEYS[1]`: the failure count, `KEYS[2]`: the lock.
/// `ARGV`: the failures that lock, the window (ms), the lock's length (ms).
///
/// Returns the milliseconds the lock has left, or 0 when the account is not locked.
///
/// A failure that arrives while the lock stands was let in just before the lock was set (its
/// attempt raced the one that set it). It is not counted, so it cannot start the next lock's
/// count early, and the lock is never extended: `lock_for` is the longest anyone waits.
const RECORD_FAILURE: &str = r"
local locked_for = redis.call('PTTL', KEYS[2])
if locked_for > 0 then
    return locked_for
end

local failures = redis.call('INCR', KEYS[1])
if redis.call('PTTL', KEYS[1]) < 0 then
    redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
if failures < tonumber(ARGV[1]) then
    return 0
end

redis.call('DEL', KEYS[1])
redis.call('SET', KEYS[2], '1', 'PX', ARGV[3])
return tonumber(ARGV[3])
";

static RECORD_FAILURE_SCRIPT: LazyLock<redis::Script> =
    LazyLock::new(|| redis::Script::new(RECORD_FAILURE));

/// The key that exists while `account`'s password sign-in is locked.
pub(super) fn lock_key(redis: &RedisConnection, account: &Subject) -> String {
    redis.key(MODULE, LOCK_PURPOSE, account.as_str())
}

fn failures_key(redis: &RedisConnection, account: &Subject) -> String {
    redis.key(MODULE, FAILURES_PURPOSE, account.as_str())
}

impl Processor<RecordFailure> for RedisConnection {
    type Output = FailureRecorded;
    type Error = RedisError;

    async fn process(&self, input: RecordFailure) -> Result<FailureRecorded, RedisError> {
        let mut invocation = RECORD_FAILURE_SCRIPT.prepare_invoke();
        invocation
            .key(failures_key(self, &input.account))
            .key(lock_key(self, &input.account))
            .arg(input.failures)
            .arg(milliseconds(input.window))
            .arg(milliseconds(input.lock_for));

        let mut connection = self.get().await?;
        let locked_for: i64 = invocation.invoke_async(&mut connection).await?;

        Ok(if locked_for > 0 {
            FailureRecorded::Locked {
                remaining: remaining(locked_for),
            }
        } else {
            FailureRecorded::Counted
        })
    }
}

impl Processor<ClearFailures> for RedisConnection {
    type Output = ();
    type Error = RedisError;

    async fn process(&self, input: ClearFailures) -> Result<(), RedisError> {
        let mut connection = self.get().await?;
        let _: () = connection.del(failures_key(self, &input.account)).await?;
        Ok(())
    }
}
