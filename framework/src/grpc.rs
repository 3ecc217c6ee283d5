//! Small helpers shared by the modules' gRPC layers.

use chrono::{DateTime, Utc};

/// The caller's address: the first `x-forwarded-for` hop when a proxy in front of Helium set
/// one, else the peer address of the connection, else `unknown`.
///
/// Only meaningful behind a proxy that overwrites `x-forwarded-for`; a client talking to
/// Helium directly could put anything there. The value is recorded (sessions, audit log),
/// never trusted for access decisions.
pub fn client_address<T>(request: &tonic::Request<T>) -> String {
    let forwarded = request
        .metadata()
        .get("x-forwarded-for")
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.split(',').next())
        .map(str::trim)
        .filter(|hop| !hop.is_empty() && hop.len() <= 64);
    match (forwarded, request.remote_addr()) {
        (Some(hop), _) => hop.to_owned(),
        (None, Some(peer)) => peer.ip().to_string(),
        (None, None) => "unknown".to_owned(),
    }
}

/// A protobuf timestamp for a UTC time.
pub fn timestamp(time: DateTime<Utc>) -> prost_types::Timestamp {
    prost_types::Timestamp {
        seconds: time.timestamp(),
        nanos: i32::try_from(time.timestamp_subsec_nanos()).unwrap_or(0),
    }
}
