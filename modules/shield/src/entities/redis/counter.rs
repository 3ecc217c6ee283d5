//! Counting events against fixed windows, all counters of one event at once.
//!
//! # Why fixed windows
//!
//! Each counter is one integer key. The first event of a window creates it with the window's
//! length as its TTL, later events increment it, and when the TTL runs out the window is over.
//! So a counter costs one small key whatever its limit, and the time until a refused caller
//! may try again is simply the key's TTL.
//!
//! The price is the edge between two windows: a client can spend a whole window's allowance
//! at its end and the next one at the start of the next, `2 × max` events in a short time. A
//! sliding log (a sorted set of timestamps) would close that gap at the cost of one entry per
//! event. For sign-ins the lock-out already bounds password guessing, and for emails a double
//! allowance once per window is harmless, so the simpler counter wins.
//!
//! # Why a script
//!
//! Checking a counter and incrementing it are two steps, and many requests for one subject
//! arrive at once; done as separate commands, all of them could see room before any counted.
//! A Lua script runs in Redis without any other command in between, so "check every counter,
//! then increment them all" is one indivisible step, and exactly `max` events pass however
//! many race. It also means a counter is never left without a TTL by a crash between an
//! `INCR` and its `EXPIRE`.

use std::sync::LazyLock;
use std::time::Duration;

use helium_framework::processor::Processor;
use helium_framework::redis::{RedisConnection, RedisError};

use super::{Subject, lockout, milliseconds, remaining};

/// The module name in every key shield writes.
pub(super) const MODULE: &str = "shield";

/// What a counter counts, which is also the purpose part of its key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CounterKind {
    SignInPerAccount,
    SignInPerAddress,
    EmailPerAddress,
    EmailPerRecipient,
}

impl CounterKind {
    /// The purpose in the key, spelled like the configuration field that sets the limit.
    pub fn purpose(self) -> &'static str {
        match self {
            Self::SignInPerAccount => "sign_in_per_account",
            Self::SignInPerAddress => "sign_in_per_address",
            Self::EmailPerAddress => "email_per_address",
            Self::EmailPerRecipient => "email_per_recipient",
        }
    }
}

/// One counter an event is counted on: at most `max` events per `window` for `subject`.
#[derive(Clone, Debug)]
pub struct Counter {
    pub kind: CounterKind,
    pub subject: Subject,
    pub max: u32,
    pub window: Duration,
}

/// Counts one event on every counter, unless a counter is full or `lock` is held.
///
/// Nothing is counted when the event is refused. That keeps one limit from spending another:
/// attempts refused at an address's limit do not use up the allowance of the accounts they
/// aimed at, so the owner signing in from elsewhere is not locked out by someone else's
/// refusals.
#[derive(Clone, Debug)]
pub struct CountEvent {
    /// An account whose sign-in lock refuses the event while it stands.
    pub lock: Option<Subject>,
    pub counters: Vec<Counter>,
}

/// Whether an event was counted, and if not, what refused it for how long.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Admission {
    Counted,
    /// The sign-in lock stands for `remaining` more.
    Locked {
        remaining: Duration,
    },
    /// The `kind` counter is full until its window closes in `remaining`.
    Full {
        kind: CounterKind,
        remaining: Duration,
    },
}

/// `KEYS`: the lock keys first (`ARGV[1]` says how many), then the counters.
/// `ARGV[2j]` and `ARGV[2j + 1]` are the limit and window (ms) of the `j`-th counter.
///
/// Returns `{0, 0}` when the event was counted, or `{i, ms}` when `KEYS[i]` refused it for
/// `ms` more milliseconds.
const COUNT_EVENT: &str = r"
local lock_count = tonumber(ARGV[1])

for i = 1, lock_count do
    local locked_for = redis.call('PTTL', KEYS[i])
    if locked_for > 0 then
        return {i, locked_for}
    end
end

for i = lock_count + 1, #KEYS do
    local j = i - lock_count
    local max = tonumber(ARGV[2 * j])
    local count = tonumber(redis.call('GET', KEYS[i]) or '0')
    if count >= max then
        local left = redis.call('PTTL', KEYS[i])
        if left < 0 then
            -- A full counter without a TTL would refuse forever; give it its window.
            left = tonumber(ARGV[2 * j + 1])
            redis.call('PEXPIRE', KEYS[i], left)
        end
        return {i, left}
    end
end

for i = lock_count + 1, #KEYS do
    local j = i - lock_count
    redis.call('INCR', KEYS[i])
    if redis.call('PTTL', KEYS[i]) < 0 then
        redis.call('PEXPIRE', KEYS[i], ARGV[2 * j + 1])
    end
end
return {0, 0}
";

/// Compiled once: `Script` keeps the digest, so calls send `EVALSHA` and the body only after
/// Redis has forgotten it.
static COUNT_EVENT_SCRIPT: LazyLock<redis::Script> =
    LazyLock::new(|| redis::Script::new(COUNT_EVENT));

pub(super) fn counter_key(redis: &RedisConnection, kind: CounterKind, subject: &Subject) -> String {
    redis.key(MODULE, kind.purpose(), subject.as_str())
}

impl Processor<CountEvent> for RedisConnection {
    type Output = Admission;
    type Error = RedisError;

    async fn process(&self, input: CountEvent) -> Result<Admission, RedisError> {
        let locks: Vec<String> = input
            .lock
            .iter()
            .map(|account| lockout::lock_key(self, account))
            .collect();
        let mut invocation = COUNT_EVENT_SCRIPT.prepare_invoke();
        invocation.arg(locks.len());
        for key in &locks {
            invocation.key(key);
        }
        for counter in &input.counters {
            invocation
                .key(counter_key(self, counter.kind, &counter.subject))
                .arg(counter.max)
                .arg(milliseconds(counter.window));
        }

        let mut connection = self.get().await?;
        let (refused_by, left): (usize, i64) = invocation.invoke_async(&mut connection).await?;

        // `refused_by` is 1-based over the keys, locks first, as the script numbers them.
        let admission = match refused_by.checked_sub(1) {
            None => Admission::Counted,
            Some(index) if index < locks.len() => Admission::Locked {
                remaining: remaining(left),
            },
            Some(index) => match input.counters.get(index - locks.len()) {
                Some(counter) => Admission::Full {
                    kind: counter.kind,
                    remaining: remaining(left),
                },
                None => return Err(unexpected_reply(refused_by)),
            },
        };
        Ok(admission)
    }
}

fn unexpected_reply(refused_by: usize) -> RedisError {
    RedisError::Command(redis::RedisError::from((
        redis::ErrorKind::UnexpectedReturnType,
        "counting script named a key it was not given",
        refused_by.to_string(),
    )))
}
