//! Customer accounts from the admin side: search, view, ban and unban, signing a customer out
//! everywhere, and, during a verified recovery, removing MFA or sending a password-reset link.
//!
//! The accounts belong to the auth module, so every operation here is a call to its
//! [`CustomerAdminService`]; this module adds who may do it and the audit log.
//!
//! # The audit row and the ban are two transactions
//!
//! The ban is written by the auth module in its own transaction, and the audit row by this
//! module in another: sharing one would mean auth running SQL on a connection manage opened,
//! which ties the two modules' storage together. So the order decides what a crash in between
//! leaves behind, and the audit row goes first. The log may then hold a row for an attempt
//! whose change failed (the caller saw the error, and the account shows no ban), but it can
//! never miss a change that happened, which is the failure an audit log must not have. To keep
//! such rows rare, the account is looked up first, so an unknown customer or one already in
//! the requested state is refused before anything is written.

use helium_auth::services::customer_admin::{
    self as auth, BanCustomer, BanReason, CustomerAdminService, CustomerBanned, CustomerDetails,
    CustomerFilter, CustomerMfaRemoved, CustomerPage, EndCustomerSessions, GetCustomer,
    RemoveCustomerMfa, SearchCustomers, SendPasswordReset, UnbanCustomer,
};
use helium_framework::error::ServiceError;
use helium_framework::processor::{DatabaseProcessor, Processor};
use uuid::Uuid;

use crate::entities::db::audit_log::{self, NewAuditEntry};
use crate::services::access::{Grant, permission};

pub struct SearchCustomersRequest {
    pub grant: Grant<permission::ViewCustomers>,
    pub filter: CustomerFilter,
    pub page_size: u32,
    /// The previous page's `next_cursor`, or `None` for the first page.
    pub cursor: Option<Uuid>,
}

pub struct GetCustomerRequest {
    pub grant: Grant<permission::ViewCustomers>,
    pub id: Uuid,
}

pub struct BanCustomerRequest {
    pub grant: Grant<permission::BanCustomer>,
    pub id: Uuid,
    pub reason: BanReason,
}

pub struct UnbanCustomerRequest {
    pub grant: Grant<permission::UnbanCustomer>,
    pub id: Uuid,
}

/// The longest verification note accepted, matching the audit log's check constraint.
pub const MAX_VERIFICATION_NOTE_CHARS: usize = 1000;

/// How support verified a customer's identity before a recovery: trimmed, 1 to
/// [`MAX_VERIFICATION_NOTE_CHARS`] characters. It goes into the audit log, so the next admin
/// (and an investigation) can judge whether the recovery was sound.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerificationNote(String);

impl VerificationNote {
    /// # Errors
    ///
    /// [`ServiceError::InvalidArgument`] for an empty or too long note.
    pub fn parse(note: &str) -> Result<Self, ServiceError> {
        let note = note.trim();
        if note.is_empty() || note.chars().count() > MAX_VERIFICATION_NOTE_CHARS {
            return Err(ServiceError::InvalidArgument(format!(
                "verification_note must say how the customer's identity was verified, in 1 to \
                 {MAX_VERIFICATION_NOTE_CHARS} characters"
            )));
        }
        Ok(Self(note.to_owned()))
    }
}

pub struct RemoveCustomerMfaRequest {
    pub grant: Grant<permission::RemoveCustomerMfa>,
    pub id: Uuid,
    pub note: VerificationNote,
}

pub struct SendCustomerPasswordResetRequest {
    pub grant: Grant<permission::SendCustomerPasswordReset>,
    pub id: Uuid,
    pub note: VerificationNote,
}

pub struct EndCustomerSessionsRequest {
    pub grant: Grant<permission::EndCustomerSessions>,
    pub id: Uuid,
    pub note: VerificationNote,
}

#[derive(Clone)]
pub struct CustomerService {
    db: DatabaseProcessor,
    customers: CustomerAdminService,
}

impl CustomerService {
    pub fn new(db: DatabaseProcessor, customers: CustomerAdminService) -> Self {
        Self { db, customers }
    }

    /// Writes `entry` in a transaction of its own; see the module's documentation for why.
    async fn record(&self, entry: &NewAuditEntry) -> Result<(), ServiceError> {
        let mut connection = self.db.pool().acquire().await?;
        audit_log::append(&mut connection, entry).await?;
        Ok(())
    }

    /// Writes the audit row of a recovery operation with its note, before the operation itself
    /// (like a ban's; see the module's documentation).
    async fn record_noted(
        &self,
        mut entry: NewAuditEntry,
        note: VerificationNote,
    ) -> Result<(), ServiceError> {
        entry.note = Some(note.0);
        self.record(&entry).await
    }

    async fn current(&self, id: Uuid) -> Result<CustomerDetails, ServiceError> {
        self.customers.process(GetCustomer { id }).await
    }
}

impl Processor<SearchCustomersRequest> for CustomerService {
    type Output = CustomerPage;
    type Error = ServiceError;

    async fn process(&self, input: SearchCustomersRequest) -> Result<CustomerPage, ServiceError> {
        let search = SearchCustomers {
            filter: input.filter,
            page_size: input.page_size,
            cursor: input.cursor,
        };
        self.customers.process(search).await
    }
}

impl Processor<GetCustomerRequest> for CustomerService {
    type Output = CustomerDetails;
    type Error = ServiceError;

    async fn process(&self, input: GetCustomerRequest) -> Result<CustomerDetails, ServiceError> {
        self.current(input.id).await
    }
}

impl Processor<BanCustomerRequest> for CustomerService {
    type Output = CustomerBanned;
    type Error = ServiceError;

    async fn process(&self, input: BanCustomerRequest) -> Result<CustomerBanned, ServiceError> {
        if self.current(input.id).await?.ban.is_some() {
            return Err(auth::already_banned(input.id));
        }

        // The reason goes into the log too: the account keeps it only until the ban is lifted.
        let mut entry = input.grant.audit("customer.ban", customer_target(input.id));
        entry.note = Some(input.reason.as_str().to_owned());
        self.record(&entry).await?;

        let ban = BanCustomer {
            id: input.id,
            reason: input.reason,
        };
        self.customers.process(ban).await
    }
}

impl Processor<UnbanCustomerRequest> for CustomerService {
    type Output = ();
    type Error = ServiceError;

    async fn process(&self, input: UnbanCustomerRequest) -> Result<(), ServiceError> {
        if self.current(input.id).await?.ban.is_none() {
            return Err(auth::not_banned(input.id));
        }

        let entry = input
            .grant
            .audit("customer.unban", customer_target(input.id));
        self.record(&entry).await?;

        self.customers.process(UnbanCustomer { id: input.id }).await
    }
}

impl Processor<RemoveCustomerMfaRequest> for CustomerService {
    type Output = CustomerMfaRemoved;
    type Error = ServiceError;

    async fn process(
        &self,
        input: RemoveCustomerMfaRequest,
    ) -> Result<CustomerMfaRemoved, ServiceError> {
        if !self.current(input.id).await?.mfa_enabled {
            return Err(auth::mfa_not_on(input.id));
        }

        let entry = input
            .grant
            .audit("customer.mfa.remove", customer_target(input.id));
        self.record_noted(entry, input.note).await?;

        self.customers
            .process(RemoveCustomerMfa { id: input.id })
            .await
    }
}

impl Processor<SendCustomerPasswordResetRequest> for CustomerService {
    type Output = ();
    type Error = ServiceError;

    async fn process(&self, input: SendCustomerPasswordResetRequest) -> Result<(), ServiceError> {
        if self.current(input.id).await?.ban.is_some() {
            return Err(auth::banned_cannot_reset(input.id));
        }

        let entry = input
            .grant
            .audit("customer.password_reset.send", customer_target(input.id));
        self.record_noted(entry, input.note).await?;

        self.customers
            .process(SendPasswordReset { id: input.id })
            .await
    }
}

impl Processor<EndCustomerSessionsRequest> for CustomerService {
    type Output = usize;
    type Error = ServiceError;

    async fn process(&self, input: EndCustomerSessionsRequest) -> Result<usize, ServiceError> {
        self.current(input.id).await?;

        let entry = input
            .grant
            .audit("customer.sessions.end", customer_target(input.id));
        self.record_noted(entry, input.note).await?;

        self.customers
            .process(EndCustomerSessions { id: input.id })
            .await
    }
}

/// How the audit log names a customer account: `customer:<id>`.
pub(crate) fn customer_target(id: Uuid) -> String {
    format!("customer:{id}")
}
