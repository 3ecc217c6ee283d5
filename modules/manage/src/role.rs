//! Admin roles.

use std::fmt;
use std::str::FromStr;

/// What an admin may do; the permission matrix in the operator book says it in full.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AdminRole {
    /// Owns the platform: every action, including managing other admins.
    SuperAdmin,
    /// Runs daily operations and the catalogue.
    Moderator,
    /// Handles customers' issues.
    CustomerSupport,
    /// An automated, read-oriented integration.
    SupportBot,
}

impl AdminRole {
    pub const ALL: [AdminRole; 4] = [
        Self::SuperAdmin,
        Self::Moderator,
        Self::CustomerSupport,
        Self::SupportBot,
    ];

    /// The value stored in `manage.admin_account.role`.
    pub fn as_db(self) -> &'static str {
        match self {
            Self::SuperAdmin => "super_admin",
            Self::Moderator => "moderator",
            Self::CustomerSupport => "customer_support",
            Self::SupportBot => "support_bot",
        }
    }

    pub fn from_db(value: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|role| role.as_db() == value)
    }

    /// How operators read the role, e.g. `Super Admin`.
    pub fn display_name(self) -> &'static str {
        match self {
            Self::SuperAdmin => "Super Admin",
            Self::Moderator => "Moderator",
            Self::CustomerSupport => "Customer Support",
            Self::SupportBot => "Support Bot",
        }
    }
}

impl fmt::Display for AdminRole {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(self.display_name())
    }
}

/// A role name that matches none of the roles.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "Invalid admin role {0:?}: expected one of super_admin, moderator, customer_support, \
     support_bot"
)]
pub struct InvalidRole(pub String);

impl FromStr for AdminRole {
    type Err = InvalidRole;

    /// Accepts `super_admin`, `superadmin` and `super-admin` (and so on for every role) in any
    /// letter case.
    fn from_str(value: &str) -> Result<Self, Self::Err> {
        let folded: String = value
            .trim()
            .chars()
            .filter(|character| !matches!(character, '_' | '-'))
            .flat_map(char::to_lowercase)
            .collect();
        match folded.as_str() {
            "superadmin" => Ok(Self::SuperAdmin),
            "moderator" => Ok(Self::Moderator),
            "customersupport" => Ok(Self::CustomerSupport),
            "supportbot" => Ok(Self::SupportBot),
            _ => Err(InvalidRole(value.to_owned())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_documented_alias_parses_in_any_case() {
        let cases = [
            ("super_admin", AdminRole::SuperAdmin),
            ("SuperAdmin", AdminRole::SuperAdmin),
            ("SUPER-ADMIN", AdminRole::SuperAdmin),
            ("moderator", AdminRole::Moderator),
            ("customer_support", AdminRole::CustomerSupport),
            ("customersupport", AdminRole::CustomerSupport),
            ("Customer-Support", AdminRole::CustomerSupport),
            ("support_bot", AdminRole::SupportBot),
            ("supportbot", AdminRole::SupportBot),
            ("support-bot", AdminRole::SupportBot),
        ];
        for (alias, role) in cases {
            assert_eq!(alias.parse::<AdminRole>(), Ok(role), "{alias}");
        }
    }

    #[test]
    fn unknown_roles_are_refused_with_the_valid_names() {
        let error = "owner".parse::<AdminRole>().unwrap_err().to_string();

        assert!(error.starts_with("Invalid admin role \"owner\""));
        assert!(error.contains("customer_support"));
    }

    #[test]
    fn database_names_round_trip() {
        for role in AdminRole::ALL {
            assert_eq!(AdminRole::from_db(role.as_db()), Some(role));
        }
    }
}
