//! Reading the process environment.
//!
//! A worker that starts with a missing or malformed variable must stop at once with one line
//! that names the variable, instead of failing later with a connection error that does not.

use std::str::FromStr;

/// A variable that is required but missing, or present but unusable.
#[derive(Debug, thiserror::Error)]
pub enum EnvError {
    #[error("environment variable {0} is not set")]
    Missing(&'static str),
    #[error("environment variable {name} is invalid: {reason}")]
    Invalid { name: &'static str, reason: String },
}

/// Reads a variable that must be present and non-empty.
pub fn required(name: &'static str) -> Result<String, EnvError> {
    match std::env::var(name) {
        Ok(value) if !value.trim().is_empty() => Ok(value),
        _ => Err(EnvError::Missing(name)),
    }
}

/// Reads an optional variable and parses it, falling back to `default` when it is unset.
pub fn parsed_or<T>(name: &'static str, default: T) -> Result<T, EnvError>
where
    T: FromStr,
    T::Err: std::fmt::Display,
{
    match std::env::var(name) {
        Ok(value) if !value.trim().is_empty() => {
            value
                .trim()
                .parse()
                .map_err(|error: T::Err| EnvError::Invalid {
                    name,
                    reason: format!("{value:?}: {error}"),
                })
        }
        _ => Ok(default),
    }
}
