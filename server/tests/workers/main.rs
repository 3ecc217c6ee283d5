//! `helium-server` started as a process in each worker mode and probed from outside, as
//! Kubernetes and clients would.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod grpc;
mod lifecycle;
mod process;
