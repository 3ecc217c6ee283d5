//! The admin gRPC API end to end: the tonic services run in-process on a loopback port, against
//! a fresh database and a Redis prefix of their own, and the tests call them with the generated
//! clients, as the admin panel would.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod audit_log;
mod bad_input;
mod customer_mfa;
mod customer_password_reset;
mod customer_sessions;
mod customers;
mod invitation_revocation;
mod invitations;
mod role_changes;
mod roles;
mod sessions;
mod support;
