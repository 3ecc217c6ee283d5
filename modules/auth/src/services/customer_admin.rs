//! Customer accounts as admins see them: searching, viewing one account's state, banning and
//! lifting a ban, signing the owner out everywhere, and, during a verified account recovery,
//! removing a second factor or sending a password-reset link.
//!
//! These services keep the account's own rules: what a ban does, which states allow which
//! change, what a search may ask for. Who may call them is the caller's business: the `manage`
//! module checks its permission matrix and keeps the audit log, and the auth module knows
//! nothing of either.

use chrono::{DateTime, Utc};
use helium_framework::config::ConfigStore;
use helium_framework::error::ServiceError;
use helium_framework::processor::{DatabaseProcessor, Processor};
use helium_framework::redis::RedisConnection;
use helium_mailer::SecurityEvent;
use uuid::Uuid;

use super::email;
use super::password_reset::send_reset_link;
use super::registration::claim_resend_slot;
use super::session::{RevokeAllSessions, SessionService};
use crate::cache::AuthCache;
use crate::config::AuthConfig;
use crate::entities::db::customer_admin::{
    self, CustomerRow, CustomerSummaryRow, FindCustomerRow, SearchCustomerRows, UnbanAccount,
};
use crate::entities::db::email_link::LinkPurpose;
use crate::entities::db::mfa::disable_mfa;
use crate::entities::db::session::{ListActiveSessions, SessionRow};
use crate::entities::redis::resend::ResendSlots;
use crate::entities::redis::session::SessionMarkers;

/// The most accounts one search page may hold. A support screen shows a few dozen at most, and
/// a substring search cannot use an index, so a small page also bounds the scan.
pub const MAX_PAGE_SIZE: u32 = 100;
/// The longest ban reason accepted; a reason is a note for the next admin, not a report.
pub const MAX_BAN_REASON_CHARS: usize = 500;

/// Whether an account may sign in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CustomerStatus {
    Active,
    Banned,
}

/// Which accounts to list; every field narrows the list, and none means all.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CustomerFilter {
    pub id: Option<Uuid>,
    /// A part of the email address, in any letter case. `%` and `_` match themselves.
    pub email_contains: Option<String>,
    pub status: Option<CustomerStatus>,
}

/// Searches accounts, newest first (ids are UUID v7).
pub struct SearchCustomers {
    pub filter: CustomerFilter,
    pub page_size: u32,
    /// The previous page's `next_cursor`, or `None` for the first page.
    pub cursor: Option<Uuid>,
}

/// One account's state.
pub struct GetCustomer {
    pub id: Uuid,
}

/// Why an account is banned: trimmed, 1 to [`MAX_BAN_REASON_CHARS`] characters. Parsed before
/// anything is written, so a caller can refuse a bad reason before it records the attempt.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BanReason(String);

impl BanReason {
    /// # Errors
    ///
    /// [`ServiceError::InvalidArgument`] for an empty or too long reason.
    pub fn parse(reason: &str) -> Result<Self, ServiceError> {
        let reason = reason.trim();
        if reason.is_empty() || reason.chars().count() > MAX_BAN_REASON_CHARS {
            return Err(ServiceError::InvalidArgument(format!(
                "give a reason for the ban, up to {MAX_BAN_REASON_CHARS} characters"
            )));
        }
        Ok(Self(reason.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Suspends an account: it can no longer sign in or refresh, every session ends at once, and
/// its owner is told by email.
pub struct BanCustomer {
    pub id: Uuid,
    pub reason: BanReason,
}

/// Lets a banned account sign in again. Its sessions stay ended: the owner signs in anew.
pub struct UnbanCustomer {
    pub id: Uuid,
}

/// Removes an account's authenticator and recovery codes, for a customer who lost both and
/// whose identity support verified some other way. Every session ends, and the owner is told
/// by email. The credentials themselves are never read or set: the customer signs in with
/// their password and may enrol a new authenticator.
pub struct RemoveCustomerMfa {
    pub id: Uuid,
}

/// What removing MFA did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CustomerMfaRemoved {
    /// How many sessions it ended.
    pub sessions_ended: usize,
}

/// One account in a search result.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CustomerSummary {
    pub id: Uuid,
    pub email: String,
    pub status: CustomerStatus,
    pub banned_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

/// A page of accounts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CustomerPage {
    pub customers: Vec<CustomerSummary>,
    /// Where the next page starts; `None` on the last page.
    pub next_cursor: Option<Uuid>,
}

/// A ban in force.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CustomerBan {
    pub reason: String,
    pub banned_at: DateTime<Utc>,
}

/// A signed-in device of an account.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CustomerSession {
    pub id: Uuid,
    pub device: String,
    pub ip_address: String,
    pub created_at: DateTime<Utc>,
    pub last_used_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

/// An account's state, as support needs it to diagnose a problem. Credentials themselves are
/// never part of it: only whether a login method exists.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CustomerDetails {
    pub id: Uuid,
    pub email: String,
    pub created_at: DateTime<Utc>,
    /// `None` while the account is active.
    pub ban: Option<CustomerBan>,
    /// Whether the account can sign in with a password (imported or OAuth accounts may not).
    pub has_password: bool,
    pub mfa_enabled: bool,
    /// The active sessions, most recently used first (at most 100).
    pub sessions: Vec<CustomerSession>,
}

/// What a ban did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CustomerBanned {
    pub ban: CustomerBan,
    /// How many sessions it ended.
    pub sessions_ended: usize,
}

/// Ends every session of an account, access tokens included, without suspending it: for an
/// owner who lost a device or suspects someone else is signed in. Answers how many it ended.
pub struct EndCustomerSessions {
    pub id: Uuid,
}

/// Emails the account's owner a password-reset link, the one `RequestPasswordReset` sends.
///
/// For an owner who cannot ask for it themselves, or whose requests are being refused by the
/// shield's limits. The link goes to the account's address only, never to the admin, so an
/// admin cannot take an account over with it.
pub struct SendPasswordReset {
    pub id: Uuid,
}

#[derive(Clone)]
pub struct CustomerAdminService {
    db: DatabaseProcessor,
    configs: ConfigStore,
    sessions: SessionService,
    resend: ResendSlots,
}

impl CustomerAdminService {
    /// Builds the service over the same connections the module's own services use, so that
    /// another module can hold one without knowing how sessions are stored.
    pub fn new(
        db: DatabaseProcessor,
        redis: RedisConnection,
        configs: ConfigStore,
        cache: AuthCache,
    ) -> Self {
        let resend = ResendSlots::new(redis.clone());
        let markers = SessionMarkers::new(redis);
        let sessions = SessionService::new(db.clone(), markers, configs.clone(), cache);
        Self {
            db,
            configs,
            sessions,
            resend,
        }
    }

    async fn find(&self, id: Uuid) -> Result<CustomerRow, ServiceError> {
        self.db
            .process(FindCustomerRow { id })
            .await?
            .ok_or_else(|| customer_not_found(id))
    }
}

impl Processor<SearchCustomers> for CustomerAdminService {
    type Output = CustomerPage;
    type Error = ServiceError;

    async fn process(&self, input: SearchCustomers) -> Result<CustomerPage, ServiceError> {
        if input.page_size == 0 || input.page_size > MAX_PAGE_SIZE {
            return Err(ServiceError::InvalidArgument(format!(
                "page_size must be between 1 and {MAX_PAGE_SIZE}"
            )));
        }
        let email_pattern = match input.filter.email_contains.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(fragment) if fragment.len() > 254 => {
                return Err(ServiceError::InvalidArgument(
                    "the email fragment is longer than any email address".into(),
                ));
            }
            Some(fragment) => Some(format!("%{}%", escape_like(fragment))),
        };

        // One row more than the page tells whether another page follows, without a count.
        let page_size = usize::try_from(input.page_size).map_err(ServiceError::internal)?;
        let mut rows = self
            .db
            .process(SearchCustomerRows {
                id: input.filter.id,
                email_pattern,
                banned: input
                    .filter
                    .status
                    .map(|status| status == CustomerStatus::Banned),
                before: input.cursor,
                limit: i64::from(input.page_size) + 1,
            })
            .await?;
        let next_cursor = if rows.len() > page_size {
            rows.truncate(page_size);
            rows.last().map(|row| row.id)
        } else {
            None
        };

        Ok(CustomerPage {
            customers: rows.into_iter().map(CustomerSummary::from).collect(),
            next_cursor,
        })
    }
}

impl Processor<GetCustomer> for CustomerAdminService {
    type Output = CustomerDetails;
    type Error = ServiceError;

    async fn process(&self, input: GetCustomer) -> Result<CustomerDetails, ServiceError> {
        let account = self.find(input.id).await?;
        let sessions = self
            .db
            .process(ListActiveSessions {
                user_id: account.id,
            })
            .await?;

        let ban = match (account.banned_at, account.ban_reason) {
            (Some(banned_at), reason) => Some(CustomerBan {
                reason: reason.unwrap_or_default(),
                banned_at,
            }),
            (None, _) => None,
        };
        Ok(CustomerDetails {
            id: account.id,
            email: account.email,
            created_at: account.created_at,
            ban,
            has_password: account.has_password,
            mfa_enabled: account.mfa_enabled,
            sessions: sessions.into_iter().map(CustomerSession::from).collect(),
        })
    }
}

impl Processor<BanCustomer> for CustomerAdminService {
    type Output = CustomerBanned;
    type Error = ServiceError;

    async fn process(&self, input: BanCustomer) -> Result<CustomerBanned, ServiceError> {
        let config: AuthConfig = self.configs.load().await.map_err(ServiceError::internal)?;

        // The ban and its notice commit together: the owner hears of a ban exactly when there
        // is one.
        let mut transaction = self.db.pool().begin().await?;
        let banned =
            customer_admin::ban_account(&mut transaction, input.id, input.reason.as_str()).await?;
        let Some((email, banned_at)) = banned else {
            transaction.rollback().await?;
            let account = self.find(input.id).await?;
            return Err(already_banned(account.id));
        };
        match email::queue_account_banned(&mut transaction, &config, &email).await {
            Ok(()) => {}
            // An address the mailer cannot parse (an old import, say) must not shield the
            // account from a ban. The mailer refuses it before writing anything, so the
            // transaction is still usable.
            Err(ServiceError::InvalidArgument(_)) => {
                tracing::warn!(user_id = %input.id, "ban notice not queued: unusable address");
            }
            Err(error) => return Err(error),
        }
        transaction.commit().await?;

        // After the commit, so that a refresh racing with the ban already sees it and ends the
        // session itself. If this step fails the ban stands and refresh and sign-in are refused,
        // but access tokens issued before it live until they expire; the caller gets the error.
        let sessions_ended = self
            .sessions
            .process(RevokeAllSessions { user_id: input.id })
            .await?;
        tracing::info!(user_id = %input.id, sessions_ended, "customer banned");
        Ok(CustomerBanned {
            ban: CustomerBan {
                reason: input.reason.0,
                banned_at,
            },
            sessions_ended,
        })
    }
}

impl Processor<UnbanCustomer> for CustomerAdminService {
    type Output = ();
    type Error = ServiceError;

    async fn process(&self, input: UnbanCustomer) -> Result<(), ServiceError> {
        if !self.db.process(UnbanAccount { id: input.id }).await? {
            let account = self.find(input.id).await?;
            return Err(not_banned(account.id));
        }
        tracing::info!(user_id = %input.id, "customer ban lifted");
        Ok(())
    }
}

impl Processor<RemoveCustomerMfa> for CustomerAdminService {
    type Output = CustomerMfaRemoved;
    type Error = ServiceError;

    async fn process(&self, input: RemoveCustomerMfa) -> Result<CustomerMfaRemoved, ServiceError> {
        let config: AuthConfig = self.configs.load().await.map_err(ServiceError::internal)?;
        let account = self.find(input.id).await?;

        let mut transaction = self.db.pool().begin().await?;
        if !disable_mfa(&mut transaction, account.id).await? {
            transaction.rollback().await?;
            return Err(mfa_not_on(account.id));
        }
        let notice = SecurityEvent::MfaRemovedBySupport;
        match email::queue_security_notice(&mut transaction, &config, &account.email, notice).await
        {
            Ok(()) => {}
            // As for a ban: an address the mailer cannot parse must not block the recovery,
            // and the mailer refuses it before writing anything.
            Err(ServiceError::InvalidArgument(_)) => {
                tracing::warn!(user_id = %account.id, "MFA removal notice not queued");
            }
            Err(error) => return Err(error),
        }
        transaction.commit().await?;
        self.sessions.cache().forget_account(account.id);

        // Whoever holds a session may be the one who took the authenticator: all of them end.
        let sessions_ended = self
            .sessions
            .process(RevokeAllSessions {
                user_id: account.id,
            })
            .await?;
        tracing::info!(user_id = %account.id, sessions_ended, "customer MFA removed by an admin");
        Ok(CustomerMfaRemoved { sessions_ended })
    }
}

impl Processor<EndCustomerSessions> for CustomerAdminService {
    type Output = usize;
    type Error = ServiceError;

    async fn process(&self, input: EndCustomerSessions) -> Result<usize, ServiceError> {
        let account = self.find(input.id).await?;
        let sessions_ended = self
            .sessions
            .process(RevokeAllSessions {
                user_id: account.id,
            })
            .await?;
        tracing::info!(user_id = %account.id, sessions_ended, "customer sessions ended by an admin");
        Ok(sessions_ended)
    }
}

impl Processor<SendPasswordReset> for CustomerAdminService {
    type Output = ();
    type Error = ServiceError;

    async fn process(&self, input: SendPasswordReset) -> Result<(), ServiceError> {
        let config: AuthConfig = self.configs.load().await.map_err(ServiceError::internal)?;
        let account = self.find(input.id).await?;
        if account.banned_at.is_some() {
            return Err(banned_cannot_reset(account.id));
        }

        // The same slot a customer's own request takes, so owner and support together cannot
        // send more than one link per `resend_interval`.
        claim_resend_slot(
            &self.resend,
            &config,
            &account.email,
            LinkPurpose::PasswordReset,
        )
        .await?;
        send_reset_link(&self.db, &config, account.id, &account.email).await?;
        tracing::info!(user_id = %account.id, "password-reset link sent by an admin");
        Ok(())
    }
}

/// The refusal of a reset link for a banned account, which could not sign in with it anyway.
pub fn banned_cannot_reset(id: Uuid) -> ServiceError {
    ServiceError::FailedPrecondition(format!(
        "customer {id} is banned; lift the ban before sending a password-reset link"
    ))
}

/// The refusal of an MFA removal on an account without MFA, for callers that find it out first.
pub fn mfa_not_on(id: Uuid) -> ServiceError {
    ServiceError::FailedPrecondition(format!(
        "customer {id} has no two-factor authentication to remove"
    ))
}

fn customer_not_found(id: Uuid) -> ServiceError {
    ServiceError::NotFound(format!("Customer not found: {id}"))
}

/// The refusal of a ban on a banned account, for callers that find it out first.
pub fn already_banned(id: Uuid) -> ServiceError {
    ServiceError::FailedPrecondition(format!("customer {id} is already banned"))
}

/// The refusal of an unban on an active account, for callers that find it out first.
pub fn not_banned(id: Uuid) -> ServiceError {
    ServiceError::FailedPrecondition(format!("customer {id} is not banned"))
}

/// `fragment` with the characters `LIKE` treats specially escaped, so they match themselves.
fn escape_like(fragment: &str) -> String {
    let mut escaped = String::with_capacity(fragment.len());
    for character in fragment.chars() {
        if matches!(character, '\\' | '%' | '_') {
            escaped.push('\\');
        }
        escaped.push(character);
    }
    escaped
}

impl From<CustomerSummaryRow> for CustomerSummary {
    fn from(row: CustomerSummaryRow) -> Self {
        Self {
            id: row.id,
            email: row.email,
            status: if row.banned_at.is_some() {
                CustomerStatus::Banned
            } else {
                CustomerStatus::Active
            },
            banned_at: row.banned_at,
            created_at: row.created_at,
        }
    }
}

impl From<SessionRow> for CustomerSession {
    fn from(row: SessionRow) -> Self {
        Self {
            id: row.id,
            device: row.device,
            ip_address: row.ip_address,
            created_at: row.created_at,
            last_used_at: row.last_used_at,
            expires_at: row.expires_at,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn like_wildcards_in_a_fragment_match_only_themselves() {
        assert_eq!(escape_like("a_b%c\\d"), "a\\_b\\%c\\\\d");
        assert_eq!(escape_like("ann@example"), "ann@example");
    }

    #[test]
    fn a_ban_reason_is_trimmed_and_must_say_something() {
        assert_eq!(BanReason::parse("  spam  ").unwrap().as_str(), "spam");
        assert!(BanReason::parse("   ").is_err());
        assert!(BanReason::parse(&"x".repeat(MAX_BAN_REASON_CHARS + 1)).is_err());
    }
}
