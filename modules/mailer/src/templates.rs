//! The emails Helium sends, rendered from templates into subject, plain text and HTML.
//!
//! A sender picks an [`EmailTemplate`] variant, fills in its typed parameters and calls
//! [`EmailTemplate::render`] with the operator's [`Branding`]; the result goes to
//! [`crate::queue::enqueue_email`]. The wording lives in `modules/mailer/templates/`, one
//! `<name>.txt` and one `<name>.html` per email around a shared layout. The files are compiled
//! into the binary, so a deployment ships nothing beside it.
//!
//! The plain-text template also holds the subject, as its `subject` block, so an email's words
//! all sit in one pair of files. The HTML is escaped automatically, because most parameters
//! come from people (a device description is whatever a client sent); the plain text is not
//! escaped, since nothing interprets it.

use std::fmt;
use std::net::IpAddr;
use std::sync::LazyLock;

use chrono::{DateTime, Utc};
use minijinja::syntax::SyntaxConfig;
use minijinja::{AutoEscape, Environment, UndefinedBehavior, Value, context, escape_formatter};
use url::Url;

/// The longest a free-text parameter (a name, a device) may be in an email, in characters.
/// Longer text is cut: it is usually a raw User-Agent, and none of it is worth a paragraph.
const MAX_FREE_TEXT: usize = 100;

/// The template files, by the name templates use to extend or import them.
const TEMPLATE_FILES: [(&str, &str); 16] = [
    ("layout.txt", include_str!("../templates/layout.txt")),
    ("layout.html", include_str!("../templates/layout.html")),
    ("macros.txt", include_str!("../templates/macros.txt")),
    ("macros.html", include_str!("../templates/macros.html")),
    (
        "registration_link.txt",
        include_str!("../templates/registration_link.txt"),
    ),
    (
        "registration_link.html",
        include_str!("../templates/registration_link.html"),
    ),
    (
        "password_reset.txt",
        include_str!("../templates/password_reset.txt"),
    ),
    (
        "password_reset.html",
        include_str!("../templates/password_reset.html"),
    ),
    (
        "email_change.txt",
        include_str!("../templates/email_change.txt"),
    ),
    (
        "email_change.html",
        include_str!("../templates/email_change.html"),
    ),
    (
        "admin_invitation.txt",
        include_str!("../templates/admin_invitation.txt"),
    ),
    (
        "admin_invitation.html",
        include_str!("../templates/admin_invitation.html"),
    ),
    (
        "new_sign_in.txt",
        include_str!("../templates/new_sign_in.txt"),
    ),
    (
        "new_sign_in.html",
        include_str!("../templates/new_sign_in.html"),
    ),
    (
        "security_notice.txt",
        include_str!("../templates/security_notice.txt"),
    ),
    (
        "security_notice.html",
        include_str!("../templates/security_notice.html"),
    ),
];

/// One environment for the process: templates are compiled on first use and kept.
static ENVIRONMENT: LazyLock<Environment<'static>> = LazyLock::new(environment);

/// Who an email comes from, as its recipient knows it.
///
/// Helium is white-labelled: every email names the operator's service, never Helium, so the
/// sender passes the branding along with the template.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Branding {
    /// The service's name as customers know it, e.g. `Example VPN`.
    pub product_name: String,
    /// Where recipients can ask for help. Emails point to it whenever it is set.
    pub support_email: Option<String>,
}

/// The link an email exists for: registration, password reset, invitation.
///
/// Such a link carries a token that opens an account, so its `Debug` output is redacted and it
/// cannot reach a log line by accident. Only absolute `http` and `https` URLs are accepted:
/// anything else (`javascript:`, a relative path) has no place behind a button in an email.
#[derive(Clone, PartialEq, Eq)]
pub struct OneTimeLink(Url);

/// A link that is not an absolute `http` or `https` URL. The link itself is left out of the
/// message, since it may hold a token.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the email link must be an absolute http or https URL")]
pub struct InvalidLink;

impl OneTimeLink {
    pub fn parse(link: &str) -> Result<Self, InvalidLink> {
        let url = Url::parse(link).map_err(|_| InvalidLink)?;
        if !matches!(url.scheme(), "http" | "https") || !url.has_host() {
            return Err(InvalidLink);
        }
        Ok(Self(url))
    }

    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }
}

impl fmt::Debug for OneTimeLink {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("OneTimeLink(<redacted>)")
    }
}

/// Every email Helium sends, with what each one needs to say.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EmailTemplate {
    /// The link that completes a registration: the recipient opens it and sets a password.
    RegistrationLink {
        link: OneTimeLink,
        expires_in_minutes: u32,
    },
    /// The link that lets the recipient choose a new password.
    PasswordReset {
        link: OneTimeLink,
        expires_in_minutes: u32,
    },
    /// The link that confirms a new address for an existing account, sent to the new address:
    /// opening it proves the customer can read that mailbox.
    EmailChangeLink {
        link: OneTimeLink,
        expires_in_minutes: u32,
    },
    /// An invitation to become an admin of the deployment.
    AdminInvitation {
        link: OneTimeLink,
        /// The admin who sent the invitation, by name.
        inviter_name: String,
        /// The role offered, as operators read it, e.g. `Customer Support`.
        role_name: String,
        expires_in_minutes: u32,
    },
    /// Someone signed in to the recipient's account.
    NewSignIn {
        when: DateTime<Utc>,
        ip_address: IpAddr,
        /// A short description such as `Firefox on Linux`. A raw User-Agent is accepted but
        /// cut to 100 characters.
        device: String,
    },
    /// A security-relevant change to the recipient's account.
    SecurityNotice {
        event: SecurityEvent,
        when: DateTime<Utc>,
    },
}

/// What changed, for a [`EmailTemplate::SecurityNotice`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SecurityEvent {
    PasswordChanged,
    /// Sent to the previous address, which is the one that can raise the alarm.
    EmailChanged,
    /// A change of address was asked for and waits for the new address to confirm it. Sent to
    /// the current address, so a hijacker cannot move the account away unnoticed.
    EmailChangeRequested,
    MfaEnabled,
    MfaDisabled,
    /// A sign-in method was linked, such as an OAuth provider.
    LoginMethodLinked {
        /// The method as customers know it, e.g. `GitHub`.
        method: String,
    },
    LoginMethodUnlinked {
        method: String,
    },
    AccountBanned,
    /// New recovery codes replaced the old ones, which no longer work.
    RecoveryCodesRegenerated,
    /// Support removed the authenticator during a verified account recovery.
    MfaRemovedBySupport,
}

impl SecurityEvent {
    /// The value templates compare against to choose their advice.
    fn code(&self) -> &'static str {
        match self {
            Self::PasswordChanged => "password_changed",
            Self::EmailChanged => "email_changed",
            Self::MfaEnabled => "mfa_enabled",
            Self::MfaDisabled => "mfa_disabled",
            Self::LoginMethodLinked { .. } => "login_method_linked",
            Self::LoginMethodUnlinked { .. } => "login_method_unlinked",
            Self::AccountBanned => "account_banned",
            Self::EmailChangeRequested => "email_change_requested",
            Self::RecoveryCodesRegenerated => "recovery_codes_regenerated",
            Self::MfaRemovedBySupport => "mfa_removed_by_support",
        }
    }

    /// One sentence, without a full stop, that serves as the subject and the heading.
    fn headline(&self) -> String {
        match self {
            Self::PasswordChanged => "Your password was changed".to_owned(),
            Self::EmailChanged => "Your email address was changed".to_owned(),
            Self::MfaEnabled => "Two-factor authentication was turned on".to_owned(),
            Self::MfaDisabled => "Two-factor authentication was turned off".to_owned(),
            Self::LoginMethodLinked { method } => {
                format!("{} sign-in was added to your account", free_text(method))
            }
            Self::LoginMethodUnlinked { method } => {
                format!(
                    "{} sign-in was removed from your account",
                    free_text(method)
                )
            }
            Self::AccountBanned => "Your account was suspended".to_owned(),
            Self::EmailChangeRequested => {
                "A new email address was requested for your account".to_owned()
            }
            Self::RecoveryCodesRegenerated => "New recovery codes were created".to_owned(),
            Self::MfaRemovedBySupport => {
                "Support removed two-factor authentication from your account".to_owned()
            }
        }
    }
}

/// A rendered email, ready for [`crate::queue::enqueue_email`].
///
/// Its `Debug` output leaves the bodies out: they may hold a one-time link.
#[derive(Clone, PartialEq, Eq)]
pub struct RenderedEmail {
    pub subject: String,
    pub text_body: String,
    pub html_body: String,
}

impl fmt::Debug for RenderedEmail {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter
            .debug_struct("RenderedEmail")
            .field("subject", &self.subject)
            .field(
                "text_body",
                &format_args!("<{} bytes>", self.text_body.len()),
            )
            .field(
                "html_body",
                &format_args!("<{} bytes>", self.html_body.len()),
            )
            .finish()
    }
}

/// A template failed to render. Every template is rendered by the tests, so this means a
/// template was changed without running them.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the {template} email template failed to render: {reason}")]
pub struct RenderError {
    pub template: &'static str,
    pub reason: String,
}

impl EmailTemplate {
    /// The template's file name without extension, e.g. `password_reset`.
    pub fn name(&self) -> &'static str {
        match self {
            Self::RegistrationLink { .. } => "registration_link",
            Self::PasswordReset { .. } => "password_reset",
            Self::EmailChangeLink { .. } => "email_change",
            Self::AdminInvitation { .. } => "admin_invitation",
            Self::NewSignIn { .. } => "new_sign_in",
            Self::SecurityNotice { .. } => "security_notice",
        }
    }

    /// Renders the subject, the plain text and the HTML of this email for `brand`.
    pub fn render(&self, brand: &Branding) -> Result<RenderedEmail, RenderError> {
        let template = self.name();
        let failed = |error: minijinja::Error| RenderError {
            template,
            reason: error.to_string(),
        };
        let values = self.values(brand);

        // The subject block is rendered from the state the body left behind, so it sees the
        // same values without a second pass over the template.
        let text = ENVIRONMENT
            .get_template(&format!("{template}.txt"))
            .map_err(failed)?;
        let mut captured = text.render_captured(values.clone()).map_err(failed)?;
        let subject = captured
            .with_state_mut(|state| state.render_block("subject"))
            .map_err(failed)?;
        let subject = one_line(&subject);
        let text_body = captured.into_output();

        // The HTML layout repeats the subject as the document title.
        let html = ENVIRONMENT
            .get_template(&format!("{template}.html"))
            .map_err(failed)?;
        let html_body = html
            .render(context! { subject => subject.as_str(), ..values })
            .map_err(failed)?;

        Ok(RenderedEmail {
            subject,
            text_body,
            html_body,
        })
    }

    /// The values the templates see: `brand`, plus the parameters of this email made ready
    /// to print.
    fn values(&self, brand: &Branding) -> Value {
        let brand = context! {
            product_name => free_text(&brand.product_name),
            support_email => brand.support_email.as_deref().map(one_line),
        };
        let parameters = match self {
            Self::RegistrationLink {
                link,
                expires_in_minutes,
            }
            | Self::PasswordReset {
                link,
                expires_in_minutes,
            }
            | Self::EmailChangeLink {
                link,
                expires_in_minutes,
            } => context! {
                link => link.as_str(),
                expires_in => minutes_in_words(*expires_in_minutes),
            },
            Self::AdminInvitation {
                link,
                inviter_name,
                role_name,
                expires_in_minutes,
            } => context! {
                link => link.as_str(),
                inviter_name => free_text(inviter_name),
                role_name => free_text(role_name),
                expires_in => minutes_in_words(*expires_in_minutes),
            },
            Self::NewSignIn {
                when,
                ip_address,
                device,
            } => context! {
                when => timestamp_in_words(when),
                ip_address => ip_address.to_string(),
                device => free_text(device),
            },
            Self::SecurityNotice { event, when } => context! {
                event => event.code(),
                headline => event.headline(),
                when => timestamp_in_words(when),
            },
        };
        context! { brand, ..parameters }
    }
}

fn environment() -> Environment<'static> {
    let mut environment = Environment::new();
    environment.set_loader(embedded_template);

    // A misspelt variable fails the render, and so the tests, instead of printing nothing.
    environment.set_undefined_behavior(UndefinedBehavior::Strict);

    // Debug information in an error quotes the values in scope, one of which is the link.
    environment.set_debug(false);

    // Block tags on lines of their own then leave no blank lines behind in the plain text.
    // Building a syntax with the default delimiters cannot fail; if it ever did, the
    // templates would still render, only with more blank lines.
    let syntax = SyntaxConfig::builder()
        .trim_blocks(true)
        .lstrip_blocks(true)
        .build();
    if let Ok(syntax) = syntax {
        environment.set_syntax(syntax);
    }

    // HTML escaping follows the file extension: on for `.html`, off for `.txt`. minijinja's
    // own escaping also turns `/` into `&#x2f;`, which buys nothing inside quoted attributes
    // and makes every link in the source unreadable, so strings get the five that matter.
    environment.set_formatter(|output, state, value| match value.as_str() {
        Some(text) if *state.auto_escape() == AutoEscape::Html && !value.is_safe() => {
            Ok(output.write_str(&escape_html(text))?)
        }
        _ => escape_formatter(output, state, value),
    });
    environment
}

/// `text` with the characters that could close an element or a quoted attribute escaped.
fn escape_html(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for character in text.chars() {
        match character {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&#39;"),
            other => escaped.push(other),
        }
    }
    escaped
}

fn embedded_template(name: &str) -> Result<Option<String>, minijinja::Error> {
    let source = TEMPLATE_FILES
        .iter()
        .find(|(file, _)| *file == name)
        .map(|(_, source)| (*source).to_owned());
    Ok(source)
}

/// `text` on one line, without control characters: a line break in a name must not start a
/// paragraph of its own in an email.
fn one_line(text: &str) -> String {
    let cleaned: String = text
        .chars()
        .map(|character| {
            if character.is_control() {
                ' '
            } else {
                character
            }
        })
        .collect();
    cleaned.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Text from people, made safe to print: on one line and at most [`MAX_FREE_TEXT`] characters.
fn free_text(text: &str) -> String {
    let line = one_line(text);
    if line.chars().count() <= MAX_FREE_TEXT {
        return line;
    }
    let mut cut: String = line.chars().take(MAX_FREE_TEXT - 1).collect();
    cut.push('…');
    cut
}

/// `30 minutes`, `1 hour`, `2 days`: the largest unit that states the time exactly.
fn minutes_in_words(minutes: u32) -> String {
    let (count, unit) = match minutes {
        minutes if minutes > 0 && minutes.is_multiple_of(24 * 60) => (minutes / (24 * 60), "day"),
        minutes if minutes > 0 && minutes.is_multiple_of(60) => (minutes / 60, "hour"),
        minutes => (minutes, "minute"),
    };
    let plural = if count == 1 { "" } else { "s" };
    format!("{count} {unit}{plural}")
}

/// `3 March 2025 at 14:05 UTC`: the day spelt out, so no reader mistakes it for another date.
fn timestamp_in_words(when: &DateTime<Utc>) -> String {
    when.format("%-d %B %Y at %H:%M UTC").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_are_stated_in_the_largest_exact_unit() {
        assert_eq!(minutes_in_words(1), "1 minute");
        assert_eq!(minutes_in_words(30), "30 minutes");
        assert_eq!(minutes_in_words(60), "1 hour");
        assert_eq!(minutes_in_words(90), "90 minutes");
        assert_eq!(minutes_in_words(120), "2 hours");
        assert_eq!(minutes_in_words(24 * 60), "1 day");
        assert_eq!(minutes_in_words(0), "0 minutes");
    }

    #[test]
    fn free_text_is_put_on_one_line_and_cut_to_length() {
        assert_eq!(
            free_text("  Firefox\r\n\ton\u{0}Linux "),
            "Firefox on Linux"
        );

        let long = free_text(&"a".repeat(500));

        assert_eq!(long.chars().count(), MAX_FREE_TEXT);
        assert!(long.ends_with('…'));
    }

    #[test]
    fn only_absolute_web_links_are_accepted() {
        assert!(OneTimeLink::parse("https://vpn.example.com/register?token=abc").is_ok());
        assert!(OneTimeLink::parse("http://localhost:3000/reset#abc").is_ok());
        for bad in [
            "javascript:alert(1)",
            "/register?token=abc",
            "mailto:a@b.com",
            "",
        ] {
            assert_eq!(OneTimeLink::parse(bad), Err(InvalidLink), "{bad}");
        }
    }

    #[test]
    fn debug_output_never_shows_the_link_or_the_bodies() {
        let link = OneTimeLink::parse("https://vpn.example.com/reset?token=secret").unwrap();
        let email = EmailTemplate::PasswordReset {
            link,
            expires_in_minutes: 30,
        }
        .render(&Branding {
            product_name: "Example VPN".to_owned(),
            support_email: None,
        })
        .unwrap();

        let printed = format!("{email:?} {:?}", OneTimeLink::parse("https://a.b/secret"));

        assert!(!printed.contains("secret"), "{printed}");
        assert!(
            printed.contains("Reset your Example VPN password"),
            "{printed}"
        );
    }
}
