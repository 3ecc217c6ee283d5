//! `manage.audit_log`: appended to inside other writes' transactions, and read. Nothing here
//! updates or deletes a row, and nothing ever should.

use chrono::{DateTime, Utc};
use helium_framework::processor::{DatabaseProcessor, Processor};
use sqlx::PgConnection;
use uuid::Uuid;

/// A row to append, built by a service from its grant ([`crate::services::access::Grant`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewAuditEntry {
    pub id: Uuid,
    pub actor_id: Option<Uuid>,
    pub action: &'static str,
    pub target: String,
    pub source_address: Option<String>,
    pub peer_address: Option<String>,
    /// What the action and target alone do not say: the admin's own words for a ban (the
    /// reason) and an MFA removal (how the customer was verified), the old and new role for a
    /// role change.
    pub note: Option<String>,
}

/// A stored row.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditLogRow {
    pub id: Uuid,
    pub actor_id: Option<Uuid>,
    pub action: String,
    pub target: String,
    pub source_address: Option<String>,
    pub peer_address: Option<String>,
    pub note: Option<String>,
    pub created_at: DateTime<Utc>,
}

/// Appends `entry` on `connection`: the transaction of the change it records, so the log holds
/// a row exactly when the change happened. The one exception is a change another module makes,
/// which cannot share the transaction: then the row is written first, on its own (see
/// [`crate::services::customer`]).
pub async fn append(
    connection: &mut PgConnection,
    entry: &NewAuditEntry,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "INSERT INTO manage.audit_log
             (id, actor_id, action, target, source_address, peer_address, note)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
        entry.id,
        entry.actor_id,
        entry.action,
        entry.target,
        entry.source_address,
        entry.peer_address,
        entry.note,
    )
    .execute(connection)
    .await?;
    Ok(())
}

/// One page of the log, newest first. Every filter is optional; `before` is the cursor (the id
/// of the last row of the previous page).
pub struct ListAuditEntries {
    pub actor_id: Option<Uuid>,
    pub action: Option<String>,
    pub target: Option<String>,
    pub since: Option<DateTime<Utc>>,
    pub until: Option<DateTime<Utc>>,
    pub before: Option<Uuid>,
    pub limit: i64,
}

impl Processor<ListAuditEntries> for DatabaseProcessor {
    type Output = Vec<AuditLogRow>;
    type Error = sqlx::Error;

    async fn process(&self, input: ListAuditEntries) -> Result<Self::Output, Self::Error> {
        sqlx::query_as!(
            AuditLogRow,
            "SELECT id, actor_id, action, target, source_address, peer_address, note, created_at
             FROM manage.audit_log
             WHERE ($1::uuid IS NULL OR actor_id = $1)
               AND ($2::text IS NULL OR action = $2)
               AND ($3::text IS NULL OR target = $3)
               AND ($4::timestamptz IS NULL OR created_at >= $4)
               AND ($5::timestamptz IS NULL OR created_at < $5)
               AND ($6::uuid IS NULL OR id < $6)
             ORDER BY id DESC
             LIMIT $7",
            input.actor_id,
            input.action,
            input.target,
            input.since,
            input.until,
            input.before,
            input.limit,
        )
        .fetch_all(self.pool())
        .await
    }
}
