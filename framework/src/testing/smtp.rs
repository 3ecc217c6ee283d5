//! A small SMTP server for tests: it speaks enough of RFC 5321 for lettre to deliver to it,
//! keeps what it receives, and can be told to refuse recipients.

use std::sync::{Arc, Mutex};

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

/// One message as received: envelope and raw content.
#[derive(Clone, Debug)]
pub struct ReceivedMail {
    pub from: String,
    pub to: Vec<String>,
    pub data: String,
}

/// An SMTP server on a random local port.
#[derive(Clone)]
pub struct FakeSmtpServer {
    port: u16,
    received: Arc<Mutex<Vec<ReceivedMail>>>,
    /// When set, every `RCPT TO` is answered with this permanent failure.
    refusal: Arc<Mutex<Option<String>>>,
}

impl FakeSmtpServer {
    /// Starts listening; the server runs until the test's runtime ends.
    #[allow(clippy::expect_used)]
    pub async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("binding the fake SMTP port");
        let port = listener
            .local_addr()
            .expect("reading the fake SMTP port")
            .port();
        let server = Self {
            port,
            received: Arc::new(Mutex::new(Vec::new())),
            refusal: Arc::new(Mutex::new(None)),
        };
        let accepting = server.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let session = accepting.clone();
                tokio::spawn(async move { session.serve(stream).await });
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

    async fn serve(&self, stream: TcpStream) -> std::io::Result<()> {
        let (reader, mut writer) = stream.into_split();
        let mut lines = BufReader::new(reader).lines();
        writer.write_all(b"220 fake-smtp ready\r\n").await?;
        let mut from = String::new();
        let mut to = Vec::new();

        while let Some(line) = lines.next_line().await? {
            let command = line.to_ascii_uppercase();
            let reply = if command.starts_with("EHLO") || command.starts_with("HELO") {
                "250-fake-smtp\r\n250 8BITMIME\r\n".to_owned()
            } else if command.starts_with("MAIL FROM:") {
                from = line[10..].trim().to_owned();
                "250 OK\r\n".to_owned()
            } else if command.starts_with("RCPT TO:") {
                match self.refusal.lock().ok().and_then(|refusal| refusal.clone()) {
                    Some(reason) => format!("550 {reason}\r\n"),
                    None => {
                        to.push(line[8..].trim().to_owned());
                        "250 OK\r\n".to_owned()
                    }
                }
            } else if command == "DATA" {
                writer.write_all(b"354 end with <CRLF>.<CRLF>\r\n").await?;
                let mut data = String::new();
                while let Some(line) = lines.next_line().await? {
                    if line == "." {
                        break;
                    }
                    data.push_str(&line);
                    data.push('\n');
                }
                let mail = ReceivedMail {
                    from: from.clone(),
                    to: std::mem::take(&mut to),
                    data,
                };
                if let Ok(mut received) = self.received.lock() {
                    received.push(mail);
                }
                "250 OK queued\r\n".to_owned()
            } else if command == "QUIT" {
                writer.write_all(b"221 bye\r\n").await?;
                return Ok(());
            } else if command == "RSET" || command == "NOOP" {
                "250 OK\r\n".to_owned()
            } else {
                "502 command not implemented\r\n".to_owned()
            };
            writer.write_all(reply.as_bytes()).await?;
        }
        Ok(())
    }
}
