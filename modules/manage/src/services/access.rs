//! Who may do what: the permission matrix, and the values that prove a check was made.
//!
//! An admin service call that needs a permission takes a [`Grant`] for it in its request. The
//! only ways to obtain one are [`Session::authorize`], which checks the matrix for a signed-in
//! admin, and [`Grant::unchecked_for_operator`], the loudly named door for `helium-cli`. So a
//! handler that forgets the check does not compile, and the grant carries what the audit log
//! needs: who acted, and from where.

use std::fmt;
use std::marker::PhantomData;

use helium_framework::error::ServiceError;
use uuid::Uuid;

use crate::AdminRole;
use crate::entities::db::audit_log::NewAuditEntry;
use crate::services::admin_account::AdminAccount;

/// Everything an admin can be allowed or refused, one variant per row of the matrix.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AdminAction {
    /// Replace one's own credential.
    RotateOwnCredential,
    /// List admin accounts and look one up.
    ViewAdmins,
    CreateAdmin,
    DeleteAdmin,
    /// Invite someone to become an admin.
    InviteAdmin,
    /// Issue a new credential for any admin (today only through `helium-cli`).
    IssueCredential,
    ReadAuditLog,
    /// Search customer accounts and view one's state.
    ViewCustomers,
    /// Suspend a customer account.
    BanCustomer,
    /// Lift a customer's suspension.
    UnbanCustomer,
    /// Remove a customer's authenticator and recovery codes during a verified recovery.
    RemoveCustomerMfa,
    /// Email a customer a password-reset link during a verified recovery.
    SendCustomerPasswordReset,
    /// End every session of a customer without a ban.
    EndCustomerSessions,
    /// Give another admin a different role.
    ChangeAdminRole,
    /// List the invitations not yet accepted.
    ViewInvitations,
    /// Withdraw an invitation before it is accepted.
    RevokeInvitation,
}

impl AdminAction {
    pub const ALL: [AdminAction; 16] = [
        Self::RotateOwnCredential,
        Self::ViewAdmins,
        Self::CreateAdmin,
        Self::DeleteAdmin,
        Self::InviteAdmin,
        Self::IssueCredential,
        Self::ReadAuditLog,
        Self::ViewCustomers,
        Self::BanCustomer,
        Self::UnbanCustomer,
        Self::RemoveCustomerMfa,
        Self::SendCustomerPasswordReset,
        Self::EndCustomerSessions,
        Self::ChangeAdminRole,
        Self::ViewInvitations,
        Self::RevokeInvitation,
    ];
}

impl AdminRole {
    /// The permission matrix; `docs/src/operations/admin-roles.md` is its prose twin.
    ///
    /// There is no wildcard: a new action does not compile until this says who may take it.
    pub fn may(self, action: AdminAction) -> bool {
        match action {
            // A support bot writes nothing, not even its own credential: an operator rotates
            // it with `helium-cli admin credential` and updates the integration's settings.
            AdminAction::RotateOwnCredential => self != AdminRole::SupportBot,
            // Other admins, their credentials and the record of what they did are the
            // platform owner's business alone.
            AdminAction::ViewAdmins
            | AdminAction::CreateAdmin
            | AdminAction::DeleteAdmin
            | AdminAction::InviteAdmin
            | AdminAction::IssueCredential
            | AdminAction::ChangeAdminRole
            | AdminAction::ViewInvitations
            | AdminAction::RevokeInvitation
            | AdminAction::ReadAuditLog => self == AdminRole::SuperAdmin,
            // Finding a customer and reading their account state is where every support case
            // starts, for people and bots alike.
            AdminAction::ViewCustomers => true,
            // Support handles abuse reports and compromised accounts, and a ban is the tool:
            // reversible, audited and announced to the customer, it touches no money and no
            // credential. A bot writes nothing.
            AdminAction::BanCustomer | AdminAction::UnbanCustomer => self != AdminRole::SupportBot,
            // Recovering a customer who lost their authenticator is support's daily work, like a
            // ban: audited with how the identity was verified, announced to the customer, and
            // it neither reveals nor sets a credential. A bot cannot verify anyone.
            AdminAction::RemoveCustomerMfa => self != AdminRole::SupportBot,
            // The link goes to the account's own address, so it gives the admin nothing; like
            // an MFA removal it follows a verification a bot cannot make.
            AdminAction::SendCustomerPasswordReset => self != AdminRole::SupportBot,
            // Signing a customer out everywhere is the first answer to "someone else is in my
            // account": it grants nobody anything, but it is a write, so not for a bot.
            AdminAction::EndCustomerSessions => self != AdminRole::SupportBot,
        }
    }
}

/// A permission as a type, so that a request can demand a grant for exactly that action.
pub trait Permission {
    const ACTION: AdminAction;
}

/// The permission types, one per [`AdminAction`].
pub mod permission {
    use super::{AdminAction, Permission};

    pub struct RotateOwnCredential;
    pub struct ViewAdmins;
    pub struct CreateAdmin;
    pub struct DeleteAdmin;
    pub struct InviteAdmin;
    pub struct IssueCredential;
    pub struct ReadAuditLog;
    pub struct ViewCustomers;
    pub struct BanCustomer;
    pub struct UnbanCustomer;
    pub struct RemoveCustomerMfa;
    pub struct SendCustomerPasswordReset;
    pub struct EndCustomerSessions;
    pub struct ChangeAdminRole;
    pub struct ViewInvitations;
    pub struct RevokeInvitation;

    impl Permission for RotateOwnCredential {
        const ACTION: AdminAction = AdminAction::RotateOwnCredential;
    }
    impl Permission for ViewAdmins {
        const ACTION: AdminAction = AdminAction::ViewAdmins;
    }
    impl Permission for CreateAdmin {
        const ACTION: AdminAction = AdminAction::CreateAdmin;
    }
    impl Permission for DeleteAdmin {
        const ACTION: AdminAction = AdminAction::DeleteAdmin;
    }
    impl Permission for InviteAdmin {
        const ACTION: AdminAction = AdminAction::InviteAdmin;
    }
    impl Permission for IssueCredential {
        const ACTION: AdminAction = AdminAction::IssueCredential;
    }
    impl Permission for ReadAuditLog {
        const ACTION: AdminAction = AdminAction::ReadAuditLog;
    }
    impl Permission for ViewCustomers {
        const ACTION: AdminAction = AdminAction::ViewCustomers;
    }
    impl Permission for BanCustomer {
        const ACTION: AdminAction = AdminAction::BanCustomer;
    }
    impl Permission for UnbanCustomer {
        const ACTION: AdminAction = AdminAction::UnbanCustomer;
    }
    impl Permission for RemoveCustomerMfa {
        const ACTION: AdminAction = AdminAction::RemoveCustomerMfa;
    }
    impl Permission for SendCustomerPasswordReset {
        const ACTION: AdminAction = AdminAction::SendCustomerPasswordReset;
    }
    impl Permission for EndCustomerSessions {
        const ACTION: AdminAction = AdminAction::EndCustomerSessions;
    }
    impl Permission for ChangeAdminRole {
        const ACTION: AdminAction = AdminAction::ChangeAdminRole;
    }
    impl Permission for ViewInvitations {
        const ACTION: AdminAction = AdminAction::ViewInvitations;
    }
    impl Permission for RevokeInvitation {
        const ACTION: AdminAction = AdminAction::RevokeInvitation;
    }
}

/// Who makes a change, as the audit log records it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Actor {
    Admin(Uuid),
    /// Someone running `helium-cli` with the database's credentials. They could change the
    /// rows by hand, so there is no identity to check, only a change to record.
    Operator,
}

impl Actor {
    pub fn admin_id(self) -> Option<Uuid> {
        match self {
            Self::Admin(id) => Some(id),
            Self::Operator => None,
        }
    }
}

/// Where a request came from, for the audit log.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Origin {
    /// The first `x-forwarded-for` address when present, else the connection's address.
    pub source_address: Option<String>,
    /// The connection's own address.
    pub peer_address: Option<String>,
}

/// An admin whose access token was verified on this request: the account as stored now (so a
/// role change applies at once), and where the request came from.
#[derive(Clone, Debug)]
pub struct Session {
    admin: AdminAccount,
    origin: Origin,
}

impl Session {
    /// Only authentication makes a session.
    pub(crate) fn new(admin: AdminAccount, origin: Origin) -> Self {
        Self { admin, origin }
    }

    pub fn admin(&self) -> &AdminAccount {
        &self.admin
    }

    /// Checks the matrix and returns the grant the service call for `P` needs.
    ///
    /// # Errors
    ///
    /// [`ServiceError::PermissionDenied`], naming the role and the action.
    pub fn authorize<P: Permission>(&self) -> Result<Grant<P>, ServiceError> {
        if !self.admin.role.may(P::ACTION) {
            return Err(ServiceError::PermissionDenied(format!(
                "the {} role may not {}",
                self.admin.role,
                P::ACTION
            )));
        }
        Ok(Grant {
            actor: Actor::Admin(self.admin.id),
            origin: self.origin.clone(),
            permission: PhantomData,
        })
    }
}

/// Proof that the caller may take the action `P`; a service request for `P` holds one.
pub struct Grant<P> {
    actor: Actor,
    origin: Origin,
    permission: PhantomData<P>,
}

impl<P: Permission> Grant<P> {
    /// The grant `helium-cli` uses. The operator connects with the database's own credentials
    /// and could write the rows directly; nothing to verify here. The change is still recorded,
    /// with no actor. Never call this from a network-facing path.
    pub fn unchecked_for_operator() -> Self {
        Self {
            actor: Actor::Operator,
            origin: Origin::default(),
            permission: PhantomData,
        }
    }

    pub fn actor(&self) -> Actor {
        self.actor
    }

    /// The audit log row for doing `action` to `target` under this grant.
    pub(crate) fn audit(&self, action: &'static str, target: String) -> NewAuditEntry {
        NewAuditEntry {
            id: Uuid::now_v7(),
            actor_id: self.actor.admin_id(),
            action,
            target,
            source_address: self.origin.source_address.clone(),
            peer_address: self.origin.peer_address.clone(),
            note: None,
        }
    }
}

impl fmt::Display for AdminAction {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(match self {
            Self::RotateOwnCredential => "rotate their own credential",
            Self::ViewAdmins => "view admin accounts",
            Self::CreateAdmin => "create admin accounts",
            Self::DeleteAdmin => "delete admin accounts",
            Self::InviteAdmin => "invite admins",
            Self::IssueCredential => "issue credentials for other admins",
            Self::ReadAuditLog => "read the audit log",
            Self::ViewCustomers => "view customer accounts",
            Self::BanCustomer => "ban customers",
            Self::UnbanCustomer => "unban customers",
            Self::RemoveCustomerMfa => "remove customers' two-factor authentication",
            Self::SendCustomerPasswordReset => "send customers password-reset links",
            Self::EndCustomerSessions => "end customers' sessions",
            Self::ChangeAdminRole => "change admin roles",
            Self::ViewInvitations => "view admin invitations",
            Self::RevokeInvitation => "revoke admin invitations",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn session(role: AdminRole) -> Session {
        let admin = AdminAccount {
            id: Uuid::now_v7(),
            name: "Someone".into(),
            role,
            email: None,
            avatar: None,
            created_at: chrono::Utc::now(),
        };
        Session::new(admin, Origin::default())
    }

    #[test]
    fn only_super_admins_may_manage_admins_and_read_the_audit_log() {
        let admin_actions = [
            AdminAction::ViewAdmins,
            AdminAction::CreateAdmin,
            AdminAction::DeleteAdmin,
            AdminAction::InviteAdmin,
            AdminAction::IssueCredential,
            AdminAction::ReadAuditLog,
            AdminAction::ChangeAdminRole,
            AdminAction::ViewInvitations,
            AdminAction::RevokeInvitation,
        ];
        for action in admin_actions {
            for role in AdminRole::ALL {
                assert_eq!(
                    role.may(action),
                    role == AdminRole::SuperAdmin,
                    "{role} / {action}"
                );
            }
        }
    }

    #[test]
    fn every_role_but_the_support_bot_may_rotate_its_own_credential() {
        let allowed: Vec<AdminRole> = AdminRole::ALL
            .into_iter()
            .filter(|role| role.may(AdminAction::RotateOwnCredential))
            .collect();

        assert_eq!(
            allowed,
            [
                AdminRole::SuperAdmin,
                AdminRole::Moderator,
                AdminRole::CustomerSupport
            ]
        );
    }

    #[test]
    fn every_role_may_view_customers_but_only_people_may_ban_or_unban_them() {
        for role in AdminRole::ALL {
            let person = role != AdminRole::SupportBot;

            assert!(role.may(AdminAction::ViewCustomers), "{role}");
            assert_eq!(role.may(AdminAction::BanCustomer), person, "{role}");
            assert_eq!(role.may(AdminAction::UnbanCustomer), person, "{role}");
            assert_eq!(role.may(AdminAction::RemoveCustomerMfa), person, "{role}");
            let reset = AdminAction::SendCustomerPasswordReset;
            assert_eq!(role.may(reset), person, "{role}");
            let sign_out = AdminAction::EndCustomerSessions;
            assert_eq!(role.may(sign_out), person, "{role}");
        }
    }

    #[test]
    fn a_refusal_names_the_role_and_the_action() {
        let refused = session(AdminRole::Moderator).authorize::<permission::DeleteAdmin>();

        match refused {
            Err(ServiceError::PermissionDenied(message)) => {
                assert_eq!(message, "the Moderator role may not delete admin accounts");
            }
            Err(other) => panic!("unexpected error {other:?}"),
            Ok(_) => panic!("a moderator was allowed to delete admins"),
        }
    }

    #[test]
    fn a_grant_records_the_admin_and_where_the_request_came_from() {
        let mut session = session(AdminRole::SuperAdmin);
        session.origin = Origin {
            source_address: Some("203.0.113.7".into()),
            peer_address: Some("10.0.0.2:5123".into()),
        };

        let grant = session.authorize::<permission::CreateAdmin>().unwrap();
        let entry = grant.audit("admin.create", "admin:x".into());

        assert_eq!(entry.actor_id, Some(session.admin().id));
        assert_eq!(entry.source_address.as_deref(), Some("203.0.113.7"));
        assert_eq!(entry.peer_address.as_deref(), Some("10.0.0.2:5123"));
    }
}
