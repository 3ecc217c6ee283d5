//! Rendering of every email: what each says, and that people's input cannot become markup.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use chrono::{DateTime, TimeZone, Utc};
use helium_mailer::templates::{
    Branding, EmailTemplate, OneTimeLink, RenderedEmail, SecurityEvent,
};

const LINK: &str = "https://vpn.example.com/register?token=t0k3n&lang=en";
/// [`LINK`] as it appears in HTML, where `&` is escaped.
const LINK_IN_HTML: &str = "https://vpn.example.com/register?token=t0k3n&amp;lang=en";

fn brand() -> Branding {
    Branding {
        product_name: "Example VPN".to_owned(),
        support_email: Some("help@example.com".to_owned()),
    }
}

fn link() -> OneTimeLink {
    OneTimeLink::parse(LINK).unwrap()
}

fn when() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 3, 3, 14, 5, 0).unwrap()
}

fn every_template() -> Vec<EmailTemplate> {
    let mut templates = vec![
        EmailTemplate::RegistrationLink {
            link: link(),
            expires_in_minutes: 30,
        },
        EmailTemplate::PasswordReset {
            link: link(),
            expires_in_minutes: 60,
        },
        EmailTemplate::EmailChangeLink {
            link: link(),
            expires_in_minutes: 30,
        },
        EmailTemplate::AdminInvitation {
            link: link(),
            inviter_name: "Ada Lovelace".to_owned(),
            role_name: "Customer Support".to_owned(),
            expires_in_minutes: 24 * 60,
        },
        EmailTemplate::NewSignIn {
            when: when(),
            ip_address: "203.0.113.7".parse().unwrap(),
            device: "Firefox on Linux".to_owned(),
        },
    ];
    templates.extend(every_security_event().into_iter().map(|event| {
        EmailTemplate::SecurityNotice {
            event,
            when: when(),
        }
    }));
    templates
}

fn every_security_event() -> Vec<SecurityEvent> {
    vec![
        SecurityEvent::PasswordChanged,
        SecurityEvent::EmailChanged,
        SecurityEvent::MfaEnabled,
        SecurityEvent::MfaDisabled,
        SecurityEvent::LoginMethodLinked {
            method: "GitHub".to_owned(),
        },
        SecurityEvent::LoginMethodUnlinked {
            method: "Google".to_owned(),
        },
        SecurityEvent::AccountBanned,
        SecurityEvent::EmailChangeRequested,
        SecurityEvent::RecoveryCodesRegenerated,
        SecurityEvent::MfaRemovedBySupport,
    ]
}

/// Asserts that `needle` is in the subject, the text body and the HTML body.
fn assert_everywhere(email: &RenderedEmail, needle: &str) {
    assert!(email.subject.contains(needle), "subject: {}", email.subject);
    assert!(
        email.text_body.contains(needle),
        "text: {}",
        email.text_body
    );
    assert!(
        email.html_body.contains(needle),
        "html: {}",
        email.html_body
    );
}

/// Asserts that `needle` is in both bodies.
fn assert_in_bodies(email: &RenderedEmail, needle: &str) {
    assert!(
        email.text_body.contains(needle),
        "text: {}",
        email.text_body
    );
    assert!(
        email.html_body.contains(needle),
        "html: {}",
        email.html_body
    );
}

#[test]
fn a_registration_email_carries_the_link_and_its_expiry() {
    // Arrange
    let template = EmailTemplate::RegistrationLink {
        link: link(),
        expires_in_minutes: 30,
    };

    // Act
    let email = template.render(&brand()).unwrap();

    // Assert
    assert_eq!(email.subject, "Finish creating your Example VPN account");
    assert!(email.text_body.contains(LINK), "{}", email.text_body);
    assert!(
        email
            .html_body
            .contains(&format!("href=\"{LINK_IN_HTML}\""))
    );
    assert_in_bodies(&email, "expires in 30 minutes");
    assert_in_bodies(&email, "If you did not ask to create an account");
}

#[test]
fn a_password_reset_email_carries_the_link_and_says_what_happens_if_unwanted() {
    // Arrange
    let template = EmailTemplate::PasswordReset {
        link: link(),
        expires_in_minutes: 120,
    };

    // Act
    let email = template.render(&brand()).unwrap();

    // Assert
    assert_eq!(email.subject, "Reset your Example VPN password");
    assert!(email.text_body.contains(LINK), "{}", email.text_body);
    assert!(
        email
            .html_body
            .contains(&format!("href=\"{LINK_IN_HTML}\""))
    );
    assert_in_bodies(&email, "expires in 2 hours");
    assert_in_bodies(&email, "signed out on every device");
    assert_in_bodies(&email, "your password stays as it is");
}

#[test]
fn an_admin_invitation_names_the_inviter_the_role_and_the_link() {
    // Arrange
    let template = EmailTemplate::AdminInvitation {
        link: link(),
        inviter_name: "Ada Lovelace".to_owned(),
        role_name: "Customer Support".to_owned(),
        expires_in_minutes: 3 * 24 * 60,
    };

    // Act
    let email = template.render(&brand()).unwrap();

    // Assert
    assert_eq!(
        email.subject,
        "Ada Lovelace invited you to the Example VPN admin team"
    );
    assert_in_bodies(&email, "Ada Lovelace invited you");
    assert_in_bodies(&email, "Customer Support");
    assert_in_bodies(&email, "expires in 3 days");
    assert!(email.text_body.contains(LINK), "{}", email.text_body);
    assert!(
        email
            .html_body
            .contains(&format!("href=\"{LINK_IN_HTML}\""))
    );
}

#[test]
fn a_new_sign_in_email_says_when_from_where_and_on_which_device() {
    // Arrange
    let template = EmailTemplate::NewSignIn {
        when: when(),
        ip_address: "2001:db8::7".parse().unwrap(),
        device: "Firefox on Linux".to_owned(),
    };

    // Act
    let email = template.render(&brand()).unwrap();

    // Assert
    assert_eq!(email.subject, "New sign-in to your Example VPN account");
    assert_in_bodies(&email, "3 March 2025 at 14:05 UTC");
    assert_in_bodies(&email, "2001:db8::7");
    assert_in_bodies(&email, "Firefox on Linux");
    assert_in_bodies(&email, "If this was you, there is nothing to do.");
}

#[test]
fn every_security_notice_states_its_own_change_in_subject_and_bodies() {
    // Arrange
    let expected = [
        "Your password was changed",
        "Your email address was changed",
        "Two-factor authentication was turned on",
        "Two-factor authentication was turned off",
        "GitHub sign-in was added to your account",
        "Google sign-in was removed from your account",
        "Your account was suspended",
    ];

    for (event, headline) in every_security_event().into_iter().zip(expected) {
        // Act
        let email = EmailTemplate::SecurityNotice {
            event,
            when: when(),
        }
        .render(&brand())
        .unwrap();

        // Assert
        assert_eq!(email.subject, format!("Example VPN: {headline}"));
        assert_everywhere(&email, headline);
        assert_in_bodies(&email, "3 March 2025 at 14:05 UTC");
    }
}

#[test]
fn a_ban_notice_points_to_support_instead_of_suggesting_a_new_password() {
    // Arrange
    let template = EmailTemplate::SecurityNotice {
        event: SecurityEvent::AccountBanned,
        when: when(),
    };

    // Act
    let email = template.render(&brand()).unwrap();

    // Assert
    assert!(
        email
            .text_body
            .contains("If you think this is a mistake, write to help@example.com.")
    );
    assert!(email.html_body.contains("If you think this is a mistake,"));
    assert!(email.html_body.contains("href=\"mailto:help@example.com\""));
    assert!(!email.text_body.contains("change your password"));
    assert!(!email.html_body.contains("change your password"));
}

#[test]
fn a_script_in_a_parameter_is_escaped_in_html_and_left_as_text_in_the_plain_part() {
    // Arrange: a device description is whatever the signing-in client claimed to be.
    let script = "<script>alert('x')</script>";
    let template = EmailTemplate::NewSignIn {
        when: when(),
        ip_address: "203.0.113.7".parse().unwrap(),
        device: script.to_owned(),
    };
    let brand = Branding {
        product_name: "Evil \"VPN\" <b>".to_owned(),
        support_email: None,
    };

    // Act
    let email = template.render(&brand).unwrap();

    // Assert
    assert!(!email.html_body.contains("<script"), "{}", email.html_body);
    assert!(!email.html_body.contains("<b>"), "{}", email.html_body);
    assert!(
        email
            .html_body
            .contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;")
    );
    assert!(email.html_body.contains("Evil &quot;VPN&quot; &lt;b&gt;"));
    assert!(email.text_body.contains(script), "{}", email.text_body);
}

#[test]
fn a_line_break_in_a_parameter_cannot_add_lines_to_the_subject_or_the_body() {
    // Arrange
    let template = EmailTemplate::AdminInvitation {
        link: link(),
        inviter_name: "Mallory\r\nBcc: victim@example.com\n\nVisit evil.example".to_owned(),
        role_name: "Moderator".to_owned(),
        expires_in_minutes: 60,
    };

    // Act
    let email = template.render(&brand()).unwrap();

    // Assert
    assert!(!email.subject.contains(['\r', '\n']), "{}", email.subject);
    assert!(
        email
            .text_body
            .contains("Mallory Bcc: victim@example.com Visit evil.example invited you")
    );
}

#[test]
fn the_support_address_appears_only_when_the_operator_set_one() {
    // Arrange
    let template = EmailTemplate::SecurityNotice {
        event: SecurityEvent::PasswordChanged,
        when: when(),
    };
    let without_support = Branding {
        support_email: None,
        ..brand()
    };

    // Act
    let with = template.render(&brand()).unwrap();
    let without = template.render(&without_support).unwrap();

    // Assert
    assert_in_bodies(&with, "help@example.com");
    assert!(with.html_body.contains("href=\"mailto:help@example.com\""));
    assert!(!without.text_body.contains('@'), "{}", without.text_body);
    assert!(
        !without.html_body.contains("mailto:"),
        "{}",
        without.html_body
    );
    assert_in_bodies(&without, "contact Example VPN support");
}

#[test]
fn every_email_has_a_plain_text_part_and_a_whole_html_document_named_after_the_brand() {
    for template in every_template() {
        // Act
        let email = template.render(&brand()).unwrap();

        // Assert
        let name = template.name();
        assert!(
            email.subject.contains("Example VPN"),
            "{name}: {}",
            email.subject
        );
        assert!(email.text_body.starts_with("Hello,\n\n"), "{name}");
        assert!(email.text_body.contains("Example VPN"), "{name}");
        assert!(!email.text_body.contains("{{"), "{name}: a tag was left");
        assert!(
            !email.text_body.contains("\n\n\n"),
            "{name}: stray blank lines"
        );
        assert!(email.html_body.starts_with("<!DOCTYPE html>"), "{name}");
        assert!(email.html_body.trim_end().ends_with("</html>"), "{name}");
        assert!(
            email
                .html_body
                .contains(&format!("<title>{}</title>", email.subject)),
            "{name}"
        );
    }
}

#[test]
fn emails_without_a_link_contain_none() {
    // Arrange: notices carry no link, so a look-alike that asks to click one stands out.
    let notices = every_template()
        .into_iter()
        .filter(|template| {
            matches!(
                template,
                EmailTemplate::NewSignIn { .. } | EmailTemplate::SecurityNotice { .. }
            )
        })
        .collect::<Vec<_>>();

    for template in notices {
        // Act
        let email = template.render(&brand()).unwrap();

        // Assert
        assert!(!email.text_body.contains("http"), "{}", template.name());
        assert!(
            !email.html_body.contains("href=\"http"),
            "{}",
            template.name()
        );
    }
}
