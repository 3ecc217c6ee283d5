//! `helium-server` started as a process in each worker mode and probed from outside, as
//! Kubernetes and clients would.

mod grpc;
mod lifecycle;
mod process;
