//! Reading the audit log. Writing happens inside each change's own transaction (see the
//! entities); this service only reads, and nothing anywhere edits the log.

use chrono::{DateTime, Utc};
use helium_framework::error::ServiceError;
use helium_framework::processor::{DatabaseProcessor, Processor};
use uuid::Uuid;

use crate::entities::db::audit_log::{AuditLogRow, ListAuditEntries};
use crate::services::access::{Grant, permission};

/// The most entries one page may hold.
pub const MAX_PAGE_SIZE: u32 = 1000;

/// Which entries to list; every field narrows the list, and none means all.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AuditLogFilter {
    pub actor_id: Option<Uuid>,
    pub action: Option<String>,
    pub target: Option<String>,
    /// Entries at or after this time.
    pub since: Option<DateTime<Utc>>,
    /// Entries before this time.
    pub until: Option<DateTime<Utc>>,
}

pub struct ListAuditLogRequest {
    pub grant: Grant<permission::ReadAuditLog>,
    pub filter: AuditLogFilter,
    pub page_size: u32,
    /// The previous page's `next_cursor`, or `None` for the newest entries.
    pub cursor: Option<Uuid>,
}

/// One recorded change.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditLogEntry {
    pub id: Uuid,
    /// `None` for a change made with helium-cli.
    pub actor_id: Option<Uuid>,
    pub action: String,
    pub target: String,
    pub source_address: Option<String>,
    pub peer_address: Option<String>,
    /// Why, in the admin's words, for the actions that ask for it.
    pub note: Option<String>,
    pub created_at: DateTime<Utc>,
}

/// A page of entries, newest first.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditLogPage {
    pub entries: Vec<AuditLogEntry>,
    /// Where the next page starts; `None` on the last page.
    pub next_cursor: Option<Uuid>,
}

#[derive(Clone)]
pub struct AuditLogService {
    db: DatabaseProcessor,
}

impl AuditLogService {
    pub fn new(db: DatabaseProcessor) -> Self {
        Self { db }
    }
}

impl Processor<ListAuditLogRequest> for AuditLogService {
    type Output = AuditLogPage;
    type Error = ServiceError;

    async fn process(&self, input: ListAuditLogRequest) -> Result<Self::Output, Self::Error> {
        if input.page_size == 0 || input.page_size > MAX_PAGE_SIZE {
            return Err(ServiceError::InvalidArgument(format!(
                "page_size must be between 1 and {MAX_PAGE_SIZE}"
            )));
        }
        if let (Some(since), Some(until)) = (input.filter.since, input.filter.until)
            && since >= until
        {
            return Err(ServiceError::InvalidArgument(
                "since must be earlier than until".into(),
            ));
        }

        // One row more than the page tells whether another page follows, without a count.
        let page_size = usize::try_from(input.page_size).map_err(ServiceError::internal)?;
        let mut rows = self
            .db
            .process(ListAuditEntries {
                actor_id: input.filter.actor_id,
                action: input.filter.action,
                target: input.filter.target,
                since: input.filter.since,
                until: input.filter.until,
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

        Ok(AuditLogPage {
            entries: rows.into_iter().map(AuditLogEntry::from).collect(),
            next_cursor,
        })
    }
}

impl From<AuditLogRow> for AuditLogEntry {
    fn from(row: AuditLogRow) -> Self {
        Self {
            id: row.id,
            actor_id: row.actor_id,
            action: row.action,
            target: row.target,
            source_address: row.source_address,
            peer_address: row.peer_address,
            note: row.note,
            created_at: row.created_at,
        }
    }
}
