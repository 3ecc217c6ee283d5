//! Data access for the shield module: Redis only, no rules.
//!
//! Everything shield keeps may be lost: a Redis restart forgets counters and locks, which
//! only gives abusers a fresh window. That is why none of it lives in PostgreSQL.

pub mod redis;
