//! A small SMTP server for tests: it speaks enough of RFC 5321 for lettre to deliver to it,
//! keeps what it receives, and can be told to refuse recipients.
//!
//! It listens in one of three ways, like real submission servers: in the clear, offering
//! STARTTLS (RFC 3207, port 587 in production) or with TLS from the first byte (RFC 8314,
//! port 465). Its certificate is for `localhost` and `127.0.0.1`, signed by the test CA in
//! [`TEST_CA_PEM`], which a client under test must be told to trust. `AUTH PLAIN` is offered
//! only once the connection is encrypted, as real servers do, so a test can tell that a
//! password never crossed the wire in the clear.

use std::sync::{Arc, Mutex};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use rustls::pki_types::pem::PemObject as _;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::TlsAcceptor;

/// The CA that signed the server's certificate, in PEM.
pub const TEST_CA_PEM: &[u8] = include_bytes!("tls/ca.pem");
const SERVER_CERTIFICATE_PEM: &[u8] = include_bytes!("tls/localhost.pem");
const SERVER_KEY_PEM: &[u8] = include_bytes!("tls/localhost.key");

/// How the server protects its connections.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SmtpTls {
    /// Plain text only; STARTTLS is not offered.
    None,
    /// Plain text at first, with STARTTLS offered.
    StartTls,
    /// TLS from the first byte.
    Implicit,
}

/// One message as received: envelope, raw content and how it travelled.
#[derive(Clone, Debug)]
pub struct ReceivedMail {
    pub from: String,
    pub to: Vec<String>,
    pub data: String,
    /// Whether the message arrived over TLS.
    pub encrypted: bool,
    /// The user name the client logged in with, if it did.
    pub username: Option<String>,
}

/// An SMTP server on a random local port.
#[derive(Clone)]
pub struct FakeSmtpServer {
    port: u16,
    tls: SmtpTls,
    acceptor: TlsAcceptor,
    received: Arc<Mutex<Vec<ReceivedMail>>>,
    /// When set, every `RCPT TO` is answered with this permanent failure.
    refusal: Arc<Mutex<Option<String>>>,
}

/// How one conversation ended.
enum Ending<S> {
    Closed,
    /// The client asked for STARTTLS and was told to go ahead: the handshake comes next.
    Upgrade(S),
}

/// A conversation's state between commands.
#[derive(Default)]
struct Envelope {
    from: String,
    to: Vec<String>,
    username: Option<String>,
}

impl FakeSmtpServer {
    /// Starts a plain-text server; it runs until the test's runtime ends.
    pub async fn start() -> Self {
        Self::start_with(SmtpTls::None).await
    }

    /// Starts a server protected as `tls` says, on a free port.
    pub async fn start_with(tls: SmtpTls) -> Self {
        Self::start_at(tls, 0).await
    }

    /// Starts a server protected as `tls` says, on `127.0.0.1:<port>`. A fixed port is for
    /// behaviour tied to a port number, such as implicit TLS on 465; binding it needs root.
    #[allow(clippy::expect_used)]
    pub async fn start_at(tls: SmtpTls, port: u16) -> Self {
        let listener = TcpListener::bind(("127.0.0.1", port))
            .await
            .expect("binding the fake SMTP port");
        let port = listener
            .local_addr()
            .expect("reading the fake SMTP port")
            .port();
        let server = Self {
            port,
            tls,
            acceptor: test_acceptor(),
            received: Arc::new(Mutex::new(Vec::new())),
            refusal: Arc::new(Mutex::new(None)),
        };
        let accepting = server.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let session = accepting.clone();
                tokio::spawn(async move { session.session(stream).await });
            }
        });
        server
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Everything delivered so far.
    pub fn received(&self) -> Vec<ReceivedMail> {
        self.received
            .lock()
            .map(|mails| mails.clone())
            .unwrap_or_default()
    }

    /// Makes the server refuse recipients with `550 <reason>`.
    pub fn refuse_recipients(&self, reason: &str) {
        if let Ok(mut refusal) = self.refusal.lock() {
            *refusal = Some(reason.to_owned());
        }
    }

    async fn session(&self, stream: TcpStream) -> std::io::Result<()> {
        match self.tls {
            SmtpTls::None => self.converse(stream, false, false).await.map(drop),
            SmtpTls::Implicit => {
                let stream = self.acceptor.accept(stream).await?;
                self.converse(stream, true, false).await.map(drop)
            }
            SmtpTls::StartTls => {
                if let Ending::Upgrade(stream) = self.converse(stream, false, true).await? {
                    let stream = self.acceptor.accept(stream).await?;
                    self.converse(stream, true, false).await?;
                }
                Ok(())
            }
        }
    }

    /// Answers commands until the client quits, hangs up or upgrades to TLS.
    async fn converse<S>(
        &self,
        stream: S,
        encrypted: bool,
        offer_starttls: bool,
    ) -> std::io::Result<Ending<S>>
    where
        S: AsyncRead + AsyncWrite + Unpin,
    {
        let mut stream = BufReader::new(stream);
        // After STARTTLS the client speaks first (EHLO again); otherwise the server greets.
        if !encrypted || self.tls == SmtpTls::Implicit {
            stream
                .get_mut()
                .write_all(b"220 fake-smtp ready\r\n")
                .await?;
        }
        let mut envelope = Envelope::default();

        let mut line = String::new();
        loop {
            line.clear();
            if stream.read_line(&mut line).await? == 0 {
                return Ok(Ending::Closed);
            }
            let command = line.trim_end().to_owned();
            let upper = command.to_ascii_uppercase();
            let reply = if upper.starts_with("EHLO") || upper.starts_with("HELO") {
                let mut reply = "250-fake-smtp\r\n".to_owned();
                if offer_starttls {
                    reply.push_str("250-STARTTLS\r\n");
                }
                if encrypted {
                    reply.push_str("250-AUTH PLAIN\r\n");
                }
                reply.push_str("250 8BITMIME\r\n");
                reply
            } else if upper == "STARTTLS" && offer_starttls {
                stream.get_mut().write_all(b"220 go ahead\r\n").await?;
                return Ok(Ending::Upgrade(stream.into_inner()));
            } else if upper.starts_with("AUTH PLAIN ") && encrypted {
                envelope.username = plain_username(&command[11..]);
                "235 authenticated\r\n".to_owned()
            } else if upper.starts_with("MAIL FROM:") {
                envelope.from = command[10..].trim().to_owned();
                "250 OK\r\n".to_owned()
            } else if upper.starts_with("RCPT TO:") {
                match self.refusal.lock().ok().and_then(|refusal| refusal.clone()) {
                    Some(reason) => format!("550 {reason}\r\n"),
                    None => {
                        envelope.to.push(command[8..].trim().to_owned());
                        "250 OK\r\n".to_owned()
                    }
                }
            } else if upper == "DATA" {
                stream
                    .get_mut()
                    .write_all(b"354 end with <CRLF>.<CRLF>\r\n")
                    .await?;
                let data = read_data(&mut stream).await?;
                self.keep(&mut envelope, data, encrypted);
                "250 OK queued\r\n".to_owned()
            } else if upper == "QUIT" {
                stream.get_mut().write_all(b"221 bye\r\n").await?;
                return Ok(Ending::Closed);
            } else if upper == "RSET" || upper == "NOOP" {
                "250 OK\r\n".to_owned()
            } else {
                "502 command not implemented\r\n".to_owned()
            };
            stream.get_mut().write_all(reply.as_bytes()).await?;
        }
    }

    fn keep(&self, envelope: &mut Envelope, data: String, encrypted: bool) {
        let mail = ReceivedMail {
            from: envelope.from.clone(),
            to: std::mem::take(&mut envelope.to),
            data,
            encrypted,
            username: envelope.username.clone(),
        };
        if let Ok(mut received) = self.received.lock() {
            received.push(mail);
        }
    }
}

/// The message lines up to the lone `.`, joined with `\n`.
async fn read_data<R: AsyncBufReadExt + Unpin>(stream: &mut R) -> std::io::Result<String> {
    let mut data = String::new();
    let mut line = String::new();
    loop {
        line.clear();
        if stream.read_line(&mut line).await? == 0 {
            return Ok(data);
        }
        let line = line.trim_end_matches(['\r', '\n']);
        if line == "." {
            return Ok(data);
        }
        data.push_str(line);
        data.push('\n');
    }
}

/// The user name of an `AUTH PLAIN` initial response: `authzid NUL user NUL password`.
fn plain_username(response: &str) -> Option<String> {
    let decoded = BASE64.decode(response.trim()).ok()?;
    let decoded = String::from_utf8(decoded).ok()?;
    decoded.split('\0').nth(1).map(str::to_owned)
}

/// A TLS acceptor with the test certificate for `localhost`.
#[allow(clippy::expect_used)]
fn test_acceptor() -> TlsAcceptor {
    let certificates = CertificateDer::pem_slice_iter(SERVER_CERTIFICATE_PEM)
        .collect::<Result<Vec<_>, _>>()
        .expect("the test certificate is valid PEM");
    let key = PrivateKeyDer::from_pem_slice(SERVER_KEY_PEM).expect("the test key is valid PEM");
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("ring supports the default TLS versions")
        .with_no_client_auth()
        .with_single_cert(certificates, key)
        .expect("the test certificate and key match");
    TlsAcceptor::from(Arc::new(config))
}
