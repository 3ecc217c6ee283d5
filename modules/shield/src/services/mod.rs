//! The shield's use cases: admit or refuse sign-in attempts and email requests, and keep the
//! lock-out. No Redis here: entities do the storage.
//!
//! # How a sign-in uses it
//!
//! Admit the attempt before touching the password, so a refused attempt costs no password
//! hash; then report how it went. Failures for emails without an account are recorded too,
//! so the answers do not reveal which accounts exist.
//!
//! ```no_run
//! use std::net::IpAddr;
//!
//! use helium_framework::error::ServiceError;
//! use helium_framework::processor::Processor;
//! use helium_shield::services::{
//!     AdmitSignInRequest, RecordFailedSignInRequest, RecordSuccessfulSignInRequest, Shield,
//! };
//!
//! async fn sign_in(
//!     shield: &Shield,
//!     email: &str,
//!     address: IpAddr,
//!     password_matches: bool,
//! ) -> Result<(), ServiceError> {
//!     let email = email.to_owned();
//!     shield.process(AdmitSignInRequest { email: email.clone(), address }).await?;
//!
//!     if !password_matches {
//!         shield.process(RecordFailedSignInRequest { email }).await?;
//!         return Err(ServiceError::Unauthenticated("wrong email or password".to_owned()));
//!     }
//!     shield.process(RecordSuccessfulSignInRequest { email }).await
//! }
//! ```
//!
//! Registration and password reset call [`AdmitEmailRequest`] before queueing an email.

mod email;
mod shield;
mod sign_in;

use std::net::{IpAddr, Ipv4Addr};

pub use email::AdmitEmailRequest;
pub use shield::Shield;
pub use sign_in::{
    AdmitAddressSignInRequest, AdmitSignInRequest, FailedSignIn, RecordFailedSignInRequest,
    RecordSuccessfulSignInRequest,
};

/// A caller's address, as the transport reported it, as the IP the per-address limits key on.
/// Unknown or unparsable addresses all become the unspecified address, so they share one limit
/// rather than escaping it.
pub fn source_ip(address: &str) -> IpAddr {
    address.parse().unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED))
}
