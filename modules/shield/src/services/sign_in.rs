//! Sign-in attempts: limits per account and per address, and the lock-out after failures.

use std::net::IpAddr;

use helium_framework::error::ServiceError;
use helium_framework::processor::Processor;

use super::shield::{Shield, counter, retry_after_secs};
use crate::entities::redis::Subject;
use crate::entities::redis::counter::{CountEvent, CounterKind};
use crate::entities::redis::lockout::{ClearFailures, FailureRecorded, RecordFailure};

/// A password sign-in about to be checked: counted, or refused with `ResourceExhausted`.
///
/// Refused while the account's password sign-in is locked, or when the account or the source
/// address has used up its attempts for the current window. A refused attempt is not counted
/// anywhere.
pub struct AdmitSignInRequest {
    /// The email the attempt signs in as, whether or not an account has it.
    pub email: String,
    /// Where the attempt comes from, as the transport layer determined it.
    pub address: IpAddr,
}

/// A sign-in step with no account to count against: counted against the source address's
/// sign-in limit, the one password sign-ins from that address also use, or refused with
/// `ResourceExhausted`.
///
/// It admits admin sign-ins and credential rotations, and each start and completion of an
/// OAuth flow. An admin credential is a long random secret that no number of guesses will
/// find, so a per-admin limit or lock-out would only let anyone who knows an admin's address
/// lock that admin out; an OAuth flow names its account only once the provider has answered.
/// The address limit keeps a flood from costing a database lookup or a stored flow each.
pub struct AdmitAddressSignInRequest {
    pub address: IpAddr,
}

/// A password sign-in that failed; enough of them lock the account's password sign-in.
pub struct RecordFailedSignInRequest {
    pub email: String,
}

/// A password sign-in that succeeded: the failures counted so far are forgotten.
///
/// A standing lock is not lifted, since no attempt is admitted while it stands.
pub struct RecordSuccessfulSignInRequest {
    pub email: String,
}

/// What a failed sign-in led to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FailedSignIn {
    /// Counted; the account may still try.
    Counted,
    /// The account's password sign-in is locked; attempts are refused for `retry_after_secs`.
    LockedOut { retry_after_secs: u64 },
}

impl Processor<AdmitSignInRequest> for Shield {
    type Output = ();
    type Error = ServiceError;

    #[tracing::instrument(name = "Admitting a sign-in attempt", skip_all, level = "debug")]
    async fn process(&self, input: AdmitSignInRequest) -> Result<(), ServiceError> {
        let config = self.config().await?;

        let account = Subject::email(&input.email);
        let event = CountEvent {
            lock: Some(account.clone()),
            counters: vec![
                counter(
                    CounterKind::SignInPerAddress,
                    Subject::address(input.address),
                    config.sign_in_per_address,
                ),
                counter(
                    CounterKind::SignInPerAccount,
                    account,
                    config.sign_in_per_account,
                ),
            ],
        };
        self.count(event, "sign-in attempts").await
    }
}

impl Processor<AdmitAddressSignInRequest> for Shield {
    type Output = ();
    type Error = ServiceError;

    #[tracing::instrument(name = "Admitting a sign-in step", skip_all, level = "debug")]
    async fn process(&self, input: AdmitAddressSignInRequest) -> Result<(), ServiceError> {
        let config = self.config().await?;

        let event = CountEvent {
            lock: None,
            counters: vec![counter(
                CounterKind::SignInPerAddress,
                Subject::address(input.address),
                config.sign_in_per_address,
            )],
        };
        self.count(event, "sign-in attempts").await
    }
}

impl Processor<RecordFailedSignInRequest> for Shield {
    type Output = FailedSignIn;
    type Error = ServiceError;

    #[tracing::instrument(name = "Recording a failed sign-in", skip_all, level = "debug")]
    async fn process(
        &self,
        input: RecordFailedSignInRequest,
    ) -> Result<FailedSignIn, ServiceError> {
        let lockout = self.config().await?.lockout;

        let failure = RecordFailure {
            account: Subject::email(&input.email),
            failures: lockout.failures,
            window: lockout.window.as_duration(),
            lock_for: lockout.lock_for.as_duration(),
        };
        let recorded = self
            .redis
            .process(failure)
            .await
            .map_err(ServiceError::internal)?;

        match recorded {
            FailureRecorded::Counted => Ok(FailedSignIn::Counted),
            FailureRecorded::Locked { remaining } => {
                tracing::info!("password sign-in locked after repeated failures");
                Ok(FailedSignIn::LockedOut {
                    retry_after_secs: retry_after_secs(remaining),
                })
            }
        }
    }
}

impl Processor<RecordSuccessfulSignInRequest> for Shield {
    type Output = ();
    type Error = ServiceError;

    #[tracing::instrument(name = "Recording a successful sign-in", skip_all, level = "debug")]
    async fn process(&self, input: RecordSuccessfulSignInRequest) -> Result<(), ServiceError> {
        let clear = ClearFailures {
            account: Subject::email(&input.email),
        };
        self.redis
            .process(clear)
            .await
            .map_err(ServiceError::internal)
    }
}
