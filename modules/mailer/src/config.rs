//! The `mailer` configuration: the SMTP server to deliver through.

use helium_framework::config::{FieldError, ModuleConfig, SecretString, validate};
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject as _;
use serde::{Deserialize, Serialize};

/// The port where SMTP servers speak TLS from the first byte ("SMTPS").
pub const IMPLICIT_TLS_PORT: u16 = 465;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MailerConfig {
    pub host: String,
    pub port: u16,
    /// Empty together with `password` for a relay that needs no login.
    pub username: String,
    pub password: SecretString,
    /// The `From` address.
    pub sender: String,
    /// Upgrade the connection with STARTTLS (port 587). When false, port 465 uses implicit
    /// TLS and any other port sends in the clear, which only suits a relay on the same host.
    pub starttls: bool,
    /// A certificate authority to trust besides the public ones, in PEM: the private CA of a
    /// company relay. Optional, so documents written without it keep working.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ca_certificate: Option<String>,
}

/// How the connection to the SMTP server is protected.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SmtpSecurity {
    StartTls,
    ImplicitTls,
    Plaintext,
}

impl MailerConfig {
    pub fn security(&self) -> SmtpSecurity {
        match (self.starttls, self.port) {
            (true, _) => SmtpSecurity::StartTls,
            (false, IMPLICIT_TLS_PORT) => SmtpSecurity::ImplicitTls,
            (false, _) => SmtpSecurity::Plaintext,
        }
    }
}

impl ModuleConfig for MailerConfig {
    const KEY: &'static str = "mailer";
    const DISPLAY_NAME: &'static str = "Mailer";

    fn defaults() -> Self {
        Self {
            host: "smtp.gmail.com".to_owned(),
            port: 587,
            username: String::new(),
            password: SecretString::default(),
            sender: "noreply@your-domain.com".to_owned(),
            starttls: true,
            ca_certificate: None,
        }
    }

    fn validate(&self) -> Result<(), FieldError> {
        validate::not_blank("host", &self.host)?;
        if self.port == 0 {
            return Err(FieldError::new("port", "must be between 1 and 65535"));
        }
        if self.username.is_empty() != self.password.is_empty() {
            return Err(FieldError::new(
                "password",
                "username and password must be given together or both left empty",
            ));
        }
        validate::email("sender", &self.sender)?;
        if let Some(pem) = &self.ca_certificate {
            validate_certificate(pem)?;
        }
        Ok(())
    }
}

/// Checks that `pem` holds exactly one certificate, so a pasting mistake is reported when the
/// configuration is saved rather than when the first email fails.
fn validate_certificate(pem: &str) -> Result<(), FieldError> {
    let mut certificates = CertificateDer::pem_slice_iter(pem.as_bytes());
    match (certificates.next(), certificates.next()) {
        (Some(Ok(_)), None) => Ok(()),
        _ => Err(FieldError::new(
            "ca_certificate",
            "must be one certificate in PEM (-----BEGIN CERTIFICATE----- ...)",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use helium_framework::config::parse;

    #[test]
    fn the_documented_example_is_valid() {
        let json = r#"{"host": "smtp.gmail.com", "port": 587, "username": "your-smtp-username",
            "password": "your-smtp-password", "sender": "noreply@your-domain.com",
            "starttls": true}"#;

        let config = parse::<MailerConfig>(json).unwrap();

        assert_eq!(config.security(), SmtpSecurity::StartTls);
    }

    #[test]
    fn port_465_without_starttls_means_implicit_tls() {
        let config = MailerConfig {
            port: 465,
            starttls: false,
            ..MailerConfig::defaults()
        };

        assert_eq!(config.security(), SmtpSecurity::ImplicitTls);
    }

    #[test]
    fn a_ca_certificate_must_be_pem() {
        let garbage = MailerConfig {
            ca_certificate: Some("my company CA".to_owned()),
            ..MailerConfig::defaults()
        };
        let pem = MailerConfig {
            ca_certificate: Some(TEST_CA.to_owned()),
            ..MailerConfig::defaults()
        };

        assert_eq!(garbage.validate().unwrap_err().field, "ca_certificate");
        assert!(pem.validate().is_ok());
    }

    /// A CA certificate in PEM, the one the workspace's TLS test servers use.
    const TEST_CA: &str = include_str!("../../../framework/src/testing/tls/ca.pem");

    #[test]
    fn bad_sender_and_port_are_named() {
        let config = MailerConfig {
            sender: "noreply".to_owned(),
            ..MailerConfig::defaults()
        };
        assert_eq!(config.validate().unwrap_err().field, "sender");

        let json = r#"{"host": "h", "port": 70000, "username": "", "password": "",
            "sender": "a@b.com", "starttls": true}"#;
        let error = parse::<MailerConfig>(json).unwrap_err().to_string();
        assert!(error.starts_with("port: invalid value"), "{error}");
    }
}
