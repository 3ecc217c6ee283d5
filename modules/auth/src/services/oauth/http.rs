//! The HTTP client that talks to OAuth providers, and its adapter to the `oauth2` crate.
//!
//! `oauth2` is built without its own reqwest (it would bring a second, older one into the
//! tree); it accepts any `Fn(http::Request) -> Future<http::Response>`, and [`send`] is that
//! function over the workspace's reqwest.

use std::time::Duration;

/// How long one call to a provider may take in all. A provider that does not answer in time
/// is reported as unavailable rather than holding the customer's request open.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);
/// How long connecting to a provider may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// The largest answer read from a provider. Token and profile answers are a few kilobytes; a
/// provider that sends more is broken or hostile, and is not allowed to fill the memory.
const MAX_RESPONSE_BYTES: usize = 1024 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum HttpError {
    #[error("HTTP request to the provider failed: {0}")]
    Request(#[from] reqwest::Error),
    #[error("the provider's response could not be rebuilt: {0}")]
    Response(#[from] http::Error),
    #[error("the provider's response is larger than {MAX_RESPONSE_BYTES} bytes")]
    TooLarge,
}

/// Builds the client for provider calls: bounded in time, and following no redirects, so a
/// token endpoint cannot bounce the client secret or a code somewhere else.
pub fn client() -> Result<reqwest::Client, reqwest::Error> {
    // reqwest is built with `rustls-no-provider`: a TLS client needs a process-wide crypto
    // provider. Installing fails harmlessly when one is already there.
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .timeout(REQUEST_TIMEOUT)
        .connect_timeout(CONNECT_TIMEOUT)
        .redirect(reqwest::redirect::Policy::none())
        // GitHub's API refuses requests without a user agent.
        .user_agent(concat!("helium/", env!("CARGO_PKG_VERSION")))
        .build()
}

/// Sends an `oauth2` request with reqwest and hands the response back in `http` types.
pub async fn send(
    client: reqwest::Client,
    request: oauth2::HttpRequest,
) -> Result<oauth2::HttpResponse, HttpError> {
    let request = reqwest::Request::try_from(request)?;
    let mut response = client.execute(request).await?;
    let mut builder = http::Response::builder()
        .status(response.status())
        .version(response.version());
    if let Some(headers) = builder.headers_mut() {
        headers.extend(
            response
                .headers()
                .iter()
                .map(|(name, value)| (name.clone(), value.clone())),
        );
    }
    let body = read_body(&mut response).await?;
    Ok(builder.body(body)?)
}

/// The body of `response`, refused once it grows past [`MAX_RESPONSE_BYTES`].
pub async fn read_body(response: &mut reqwest::Response) -> Result<Vec<u8>, HttpError> {
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await? {
        if body.len() + chunk.len() > MAX_RESPONSE_BYTES {
            return Err(HttpError::TooLarge);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}
