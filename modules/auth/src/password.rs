//! Passwords: the minimum policy and argon2id hashing.

use argon2::password_hash::phc::PasswordHash;
use argon2::{Argon2, PasswordHasher, PasswordVerifier};
use helium_framework::error::ServiceError;

/// Shortest password accepted. NIST SP 800-63B asks for at least 8; length matters more than
/// character classes, so no class rules are imposed.
pub const MIN_PASSWORD_CHARS: usize = 8;
/// Longest password accepted, so hashing cost cannot be driven up by a huge input.
pub const MAX_PASSWORD_CHARS: usize = 128;

/// Checks the minimum policy; the message is written for a frontend to show.
pub fn check_policy(password: &str, email: &str) -> Result<(), ServiceError> {
    let length = password.chars().count();
    if length < MIN_PASSWORD_CHARS {
        return Err(ServiceError::InvalidArgument(format!(
            "the password must be at least {MIN_PASSWORD_CHARS} characters long"
        )));
    }
    if length > MAX_PASSWORD_CHARS {
        return Err(ServiceError::InvalidArgument(format!(
            "the password must be at most {MAX_PASSWORD_CHARS} characters long"
        )));
    }
    let mut characters = password.chars();
    let first = characters.next();
    if characters.all(|character| Some(character) == first) {
        return Err(ServiceError::InvalidArgument(
            "the password must not repeat a single character".into(),
        ));
    }
    let local_part = email.split('@').next().unwrap_or_default();
    if password.eq_ignore_ascii_case(email) || password.eq_ignore_ascii_case(local_part) {
        return Err(ServiceError::InvalidArgument(
            "the password must not be the email address".into(),
        ));
    }
    Ok(())
}

/// Hashes with argon2id on the blocking pool: hashing takes tens of milliseconds of CPU,
/// which would stall every other request sharing the async worker thread.
pub async fn hash(password: String) -> Result<String, ServiceError> {
    tokio::task::spawn_blocking(move || {
        Argon2::default()
            .hash_password(password.as_bytes())
            .map(|hash| hash.to_string())
    })
    .await
    .map_err(ServiceError::internal)?
    .map_err(|error| ServiceError::internal(std::io::Error::other(error.to_string())))
}

/// Verifies on the blocking pool. `None` (no account, or no password) still spends the time
/// of a verification, so response times do not reveal which addresses have accounts.
pub async fn verify(password: String, stored: Option<String>) -> Result<bool, ServiceError> {
    tokio::task::spawn_blocking(move || {
        let argon2 = Argon2::default();
        match stored.as_deref().map(PasswordHash::new) {
            Some(Ok(hash)) => argon2.verify_password(password.as_bytes(), &hash).is_ok(),
            _ => {
                let _ = argon2.hash_password(password.as_bytes());
                false
            }
        }
    })
    .await
    .map_err(ServiceError::internal)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_hash_verifies_its_password_only() {
        let hash = hash("correct horse".into()).await.unwrap();

        assert!(hash.starts_with("$argon2id$"));
        assert!(
            verify("correct horse".into(), Some(hash.clone()))
                .await
                .unwrap()
        );
        assert!(!verify("wrong horse".into(), Some(hash)).await.unwrap());
        assert!(!verify("anything".into(), None).await.unwrap());
    }

    #[test]
    fn the_policy_refuses_short_long_repetitive_and_email_passwords() {
        let email = "ann@example.com";
        assert!(check_policy("long enough", email).is_ok());
        for bad in ["short", "aaaaaaaaaa", "ann@example.com", "ANN@EXAMPLE.COM"] {
            assert!(check_policy(bad, email).is_err(), "{bad}");
        }
        assert!(check_policy(&"x1".repeat(65), email).is_err());
    }
}
