//! Probing RPCs with bad input: which ones blamed themselves for the caller's mistake.
//!
//! A refusal of bad input must carry a status the caller can act on (`INVALID_ARGUMENT`,
//! `UNAUTHENTICATED`, `NOT_FOUND`, ...). `INTERNAL` or `UNKNOWN` for such input means the
//! server took the caller's mistake for its own failure, which hides the mistake from the
//! caller and pages the operator for nothing.

use tonic::Code;

/// One probed call: the RPC's method name and the code it was refused with, if it was.
pub type Outcome = (&'static str, Option<Code>);

/// Calls `$client.$method` with `$message`, carrying `authorization: Bearer <token>` when
/// `$token` (an `Option<&str>`) is `Some`, and pushes its [`Outcome`] onto `$outcomes`.
#[macro_export]
macro_rules! probe_rpc {
    ($outcomes:ident, $client:expr, $method:ident, $message:expr, $token:expr) => {{
        let token: Option<&str> = $token;
        let mut request = ::tonic::Request::new($message);
        if let Some(token) = token {
            let value = format!("Bearer {token}")
                .parse()
                .expect("a token is a valid header value");
            request.metadata_mut().insert("authorization", value);
        }
        let outcome = $client.$method(request).await;
        $outcomes.push((
            stringify!($method),
            outcome.err().map(|status| status.code()),
        ));
    }};
}

/// The calls refused as the server's own failure: `INTERNAL` or `UNKNOWN`.
pub fn server_faults(outcomes: &[Outcome]) -> Vec<(&'static str, Code)> {
    outcomes
        .iter()
        .filter_map(|(rpc, code)| code.map(|code| (*rpc, code)))
        .filter(|(_, code)| matches!(code, Code::Internal | Code::Unknown))
        .collect()
}
