//! Small checks shared by the module configuration types.

use super::{FieldError, Seconds};

/// A secret long enough to resist guessing: 32 characters, as the operator guide asks.
pub fn secret(field: &str, value: &str) -> Result<(), FieldError> {
    if value.chars().count() < 32 {
        return Err(FieldError::new(
            field,
            "must be at least 32 characters long",
        ));
    }
    Ok(())
}

pub fn not_blank(field: &str, value: &str) -> Result<(), FieldError> {
    if value.trim().is_empty() {
        return Err(FieldError::new(field, "must not be empty"));
    }
    Ok(())
}

pub fn positive(field: &str, value: Seconds) -> Result<(), FieldError> {
    if value.0 == 0 {
        return Err(FieldError::new(field, "must be at least \"1\" second"));
    }
    Ok(())
}

/// An absolute `http` or `https` URL.
pub fn http_url(field: &str, value: &str) -> Result<(), FieldError> {
    match url::Url::parse(value) {
        Ok(url) if matches!(url.scheme(), "http" | "https") && url.has_host() => Ok(()),
        Ok(_) => Err(FieldError::new(field, "must be an http or https URL")),
        Err(error) => Err(FieldError::new(
            field,
            format!("is not a valid URL ({error})"),
        )),
    }
}

/// A plausible email address: one `@` with something on each side and a dot in the domain.
/// Deliverability is the mail server's business.
pub fn email(field: &str, value: &str) -> Result<(), FieldError> {
    let valid = value.split_once('@').is_some_and(|(local, domain)| {
        !local.is_empty()
            && !domain.contains('@')
            && domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !value.chars().any(char::is_whitespace)
    });
    if !valid {
        return Err(FieldError::new(
            field,
            format!("{value:?} is not an email address"),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn email_accepts_ordinary_addresses_and_refuses_the_rest() {
        assert!(email("f", "noreply@example.com").is_ok());
        for bad in [
            "",
            "a@",
            "@b.com",
            "a@b",
            "a b@c.com",
            "a@@b.com",
            "a@b.com.",
        ] {
            assert!(email("f", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn urls_must_be_absolute_http() {
        assert!(http_url("f", "https://example.com/cb").is_ok());
        assert!(http_url("f", "ftp://example.com").is_err());
        assert!(http_url("f", "/relative").is_err());
    }
}
