//! Data access for the manage module: SQL only, no rules.

pub mod db;
