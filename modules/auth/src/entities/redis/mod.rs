//! Redis entity processors of the auth module.

pub mod session;
