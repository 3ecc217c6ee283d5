//! The error every service returns, and how it reaches a gRPC caller.
//!
//! Services speak in the caller's terms (`InvalidArgument("email is not an address")`); the
//! transport layers map each variant to exactly one status code in one place, with no
//! wildcard, so a new variant cannot compile until every transport handles it.

use tonic::{Code, Status};
use uuid::Uuid;

/// What went wrong in a service call.
///
/// Every variant but [`ServiceError::Internal`] is the caller's doing and carries a message
/// written for a frontend to show. `Internal` is a bug or an outage: its cause goes to the log,
/// never to the caller.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    #[error("{0}")]
    InvalidArgument(String),
    #[error("{0}")]
    Unauthenticated(String),
    #[error("{0}")]
    PermissionDenied(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    AlreadyExists(String),
    #[error("{0}")]
    FailedPrecondition(String),
    /// A rate limit was hit; `retry_after_secs` tells the caller when to try again.
    #[error("{message}")]
    ResourceExhausted {
        message: String,
        retry_after_secs: u64,
    },
    #[error("internal error")]
    Internal(#[source] anyhow::Error),
}

impl ServiceError {
    pub fn internal(error: impl Into<anyhow::Error>) -> Self {
        Self::Internal(error.into())
    }
}

impl From<sqlx::Error> for ServiceError {
    fn from(error: sqlx::Error) -> Self {
        Self::Internal(error.into())
    }
}

impl From<ServiceError> for Status {
    fn from(error: ServiceError) -> Self {
        match error {
            ServiceError::InvalidArgument(message) => Status::invalid_argument(message),
            ServiceError::Unauthenticated(message) => Status::unauthenticated(message),
            ServiceError::PermissionDenied(message) => Status::permission_denied(message),
            ServiceError::NotFound(message) => Status::not_found(message),
            ServiceError::AlreadyExists(message) => Status::already_exists(message),
            ServiceError::FailedPrecondition(message) => Status::failed_precondition(message),
            ServiceError::ResourceExhausted {
                message,
                retry_after_secs,
            } => {
                let mut status = Status::resource_exhausted(message);
                if let Ok(value) = retry_after_secs.to_string().parse() {
                    status.metadata_mut().insert("retry-after", value);
                }
                status
            }
            ServiceError::Internal(cause) => internal_status(&cause),
        }
    }
}

/// Logs the cause under a fresh correlation id and returns a status that carries only the id,
/// so support can find the log line a caller reports without the caller seeing internals.
fn internal_status(cause: &anyhow::Error) -> Status {
    let correlation_id = Uuid::now_v7();
    tracing::error!(
        %correlation_id,
        error.message = %cause,
        error.cause_chain = ?cause,
        "internal error while serving a request",
    );
    let mut status = Status::new(
        Code::Internal,
        format!("internal error; quote correlation id {correlation_id} to support"),
    );
    if let Ok(value) = correlation_id.to_string().parse() {
        status.metadata_mut().insert("x-correlation-id", value);
    }
    status
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn caller_errors_keep_their_message_and_code() {
        let status = Status::from(ServiceError::NotFound("admin 42 does not exist".into()));

        assert_eq!(status.code(), Code::NotFound);
        assert_eq!(status.message(), "admin 42 does not exist");
    }

    #[test]
    fn internal_errors_hide_their_cause_but_carry_a_correlation_id() {
        let cause = anyhow::anyhow!("password authentication failed for user helium");

        let status = Status::from(ServiceError::Internal(cause));

        assert_eq!(status.code(), Code::Internal);
        assert!(!status.message().contains("password"));
        let id = status
            .metadata()
            .get("x-correlation-id")
            .unwrap()
            .to_str()
            .unwrap();
        assert!(status.message().contains(id));
    }

    #[test]
    fn rate_limits_tell_the_caller_when_to_retry() {
        let error = ServiceError::ResourceExhausted {
            message: "too many sign-in attempts".into(),
            retry_after_secs: 30,
        };

        let status = Status::from(error);

        assert_eq!(status.code(), Code::ResourceExhausted);
        assert_eq!(status.metadata().get("retry-after").unwrap(), "30");
    }
}
