//! Small helpers shared by the modules' gRPC layers.

use std::sync::OnceLock;

use chrono::{DateTime, Utc};

/// Whether `x-forwarded-for` is believed: `TRUST_FORWARDED_FOR=true`, read once.
///
/// Off by default, because a client talking to Helium directly can write any address there
/// and so slip past per-address rate limits. Turn it on only behind a proxy that replaces
/// the header with the address it saw.
fn trust_forwarded_for() -> bool {
    static TRUST: OnceLock<bool> = OnceLock::new();
    *TRUST.get_or_init(|| {
        std::env::var("TRUST_FORWARDED_FOR").is_ok_and(|value| value.trim() == "true")
    })
}

/// The caller's address: the first `x-forwarded-for` hop when that header is trusted (see
/// `TRUST_FORWARDED_FOR`) and present, else the peer address of the connection, else
/// `unknown`. Sessions and the audit log record it; shield's per-address limits key on it.
pub fn client_address<T>(request: &tonic::Request<T>) -> String {
    let forwarded = request
        .metadata()
        .get("x-forwarded-for")
        .filter(|_| trust_forwarded_for())
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
