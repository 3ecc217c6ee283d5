//! Data access for the auth module: SQL and Redis only, no rules.

pub mod db;
pub mod redis;
