//! Per-worker memory of live sessions and profiles, so that an authenticated read costs no
//! network round trip.
//!
//! Every authenticated call must know that its session was not revoked, and a profile read
//! needs the account; asking Redis and PostgreSQL each time made those calls wait on two
//! round trips. Instead a worker remembers what it learnt for a short while and forgets it
//! the moment the database says it changed: triggers on `auth.session`, `auth.user_account`
//! and `auth.user_mfa` notify the `auth_cache` channel on commit (see the migration
//! `auth_cache_notify`), and [`AuthCache::watch`] listens.
//!
//! Correctness rests on three rules:
//! - Nothing is served from memory unless the listener is connected. A lost connection
//!   means lost notifications, so the memory is wiped and stays unused until the listener
//!   is back; a worker that never starts the listener never uses the cache at all.
//! - A value read from the database is kept only if no change was heard while it was being
//!   read (a generation counter, bumped by every change), so a slow read cannot put back
//!   what a concurrent change just removed.
//! - The services that make a change also forget it in their own worker at once, so the
//!   caller's next request sees it even before the notification comes back.
//!
//! Entries also expire after [`TIME_TO_LIVE`], which bounds the harm of anything missed.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use moka::sync::Cache;
use sqlx::PgPool;
use sqlx::postgres::PgListener;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use crate::entities::db::user_account::ProfileRow;

/// The channel the migration's triggers notify.
const CHANNEL: &str = "auth_cache";

/// The longest anything is remembered without being looked up again.
pub const TIME_TO_LIVE: Duration = Duration::from_secs(60);

/// Live sessions remembered per worker: a UUID each, so a large number costs little.
const MAX_SESSIONS: u64 = 100_000;

/// Profiles remembered per worker: a few hundred bytes each, about 8 MB when full.
const MAX_PROFILES: u64 = 20_000;

/// How long the listener waits before connecting again after losing PostgreSQL.
const RECONNECT_DELAY: Duration = Duration::from_secs(2);

/// A ticket taken before reading the database: whether what was read may be remembered.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Generation(Option<u64>);

impl Generation {
    /// Whether the listener was connected when the ticket was taken.
    pub(crate) fn is_current(self) -> bool {
        self.0.is_some()
    }
}

/// The worker's memory of sessions and profiles; clones share it.
#[derive(Clone)]
pub struct AuthCache {
    inner: Arc<Inner>,
}

struct Inner {
    live_sessions: Cache<Uuid, ()>,
    profiles: Cache<Uuid, ProfileRow>,
    /// Bumped by every change heard or made, and when the memory is wiped.
    generation: AtomicU64,
    /// Whether the listener is connected, and so whether memory may be trusted.
    listening: AtomicBool,
}

impl Default for AuthCache {
    fn default() -> Self {
        Self::new()
    }
}

impl AuthCache {
    /// An empty memory, unused until [`AuthCache::watch`] connects.
    pub fn new() -> Self {
        let inner = Inner {
            live_sessions: Cache::builder()
                .max_capacity(MAX_SESSIONS)
                .time_to_live(TIME_TO_LIVE)
                .build(),
            profiles: Cache::builder()
                .max_capacity(MAX_PROFILES)
                .time_to_live(TIME_TO_LIVE)
                .build(),
            generation: AtomicU64::new(0),
            listening: AtomicBool::new(false),
        };
        Self {
            inner: Arc::new(inner),
        }
    }

    /// Whether the listener is connected, so that memory is in use.
    pub fn is_listening(&self) -> bool {
        self.inner.listening.load(Ordering::SeqCst)
    }

    /// Takes a ticket before reading the database.
    pub(crate) fn generation(&self) -> Generation {
        if self.is_listening() {
            Generation(Some(self.inner.generation.load(Ordering::SeqCst)))
        } else {
            Generation(None)
        }
    }

    /// Whether `session_id` is known to be live. `false` means "ask Redis", not "revoked".
    pub(crate) fn is_session_live(&self, session_id: Uuid) -> bool {
        self.is_listening() && self.inner.live_sessions.contains_key(&session_id)
    }

    /// Remembers a session Redis said was live, unless something changed since `ticket`.
    pub(crate) fn remember_live_session(&self, session_id: Uuid, ticket: Generation) {
        self.remember(&self.inner.live_sessions, session_id, (), ticket);
    }

    /// The remembered profile of an account, if any.
    pub(crate) fn profile(&self, user_id: Uuid) -> Option<ProfileRow> {
        if !self.is_listening() {
            return None;
        }
        self.inner.profiles.get(&user_id)
    }

    /// Remembers a profile read from PostgreSQL, unless something changed since `ticket`.
    pub(crate) fn remember_profile(&self, profile: ProfileRow, ticket: Generation) {
        self.remember(&self.inner.profiles, profile.id, profile, ticket);
    }

    /// Forgets sessions that just ended.
    pub(crate) fn forget_sessions(&self, session_ids: &[Uuid]) {
        self.inner.generation.fetch_add(1, Ordering::SeqCst);
        for session_id in session_ids {
            self.inner.live_sessions.invalidate(session_id);
        }
    }

    /// Forgets an account whose profile just changed.
    pub(crate) fn forget_account(&self, user_id: Uuid) {
        self.inner.generation.fetch_add(1, Ordering::SeqCst);
        self.inner.profiles.invalidate(&user_id);
    }

    /// Stores `value` under `key` if the ticket is still current. The counter is read again
    /// after storing: a change that bumped it meanwhile may have run its forget before the
    /// store, so the store is undone; a change that bumps it later forgets the key itself.
    fn remember<V>(&self, cache: &Cache<Uuid, V>, key: Uuid, value: V, ticket: Generation)
    where
        V: Clone + Send + Sync + 'static,
    {
        let Generation(Some(seen)) = ticket else {
            return;
        };
        if self.inner.generation.load(Ordering::SeqCst) != seen {
            return;
        }
        cache.insert(key, value);
        if self.inner.generation.load(Ordering::SeqCst) != seen {
            cache.invalidate(&key);
        }
    }

    /// Wipes everything and stops serving from memory until [`Self::resume`].
    fn suspend(&self) {
        self.inner.listening.store(false, Ordering::SeqCst);
        self.inner.generation.fetch_add(1, Ordering::SeqCst);
        self.inner.live_sessions.invalidate_all();
        self.inner.profiles.invalidate_all();
    }

    fn resume(&self) {
        self.inner.generation.fetch_add(1, Ordering::SeqCst);
        self.inner.listening.store(true, Ordering::SeqCst);
    }

    /// Listens for changes until `shutdown` fires, reconnecting after a lost connection.
    /// The memory is in use only while this runs and is connected.
    pub async fn watch(&self, db: PgPool, shutdown: CancellationToken) {
        while !shutdown.is_cancelled() {
            let listened = self.listen(&db, &shutdown).await;
            self.suspend();
            // A pool closed by the worker's shutdown is the end, not an outage to report.
            if matches!(listened, Err(sqlx::Error::PoolClosed)) {
                return;
            }
            if let Err(error) = listened {
                tracing::warn!(%error, "auth cache listener lost PostgreSQL; memory unused");
            }
            tokio::select! {
                _ = shutdown.cancelled() => return,
                _ = tokio::time::sleep(RECONNECT_DELAY) => {}
            }
        }
    }

    async fn listen(&self, db: &PgPool, shutdown: &CancellationToken) -> Result<(), sqlx::Error> {
        let mut listener = PgListener::connect_with(db).await?;
        listener.listen(CHANNEL).await?;
        self.resume();
        loop {
            // `try_recv` answers `None` when the connection dropped; `recv` would reconnect
            // silently and hide that notifications were lost.
            let notification = tokio::select! {
                _ = shutdown.cancelled() => return Ok(()),
                notification = listener.try_recv() => notification?,
            };
            let Some(notification) = notification else {
                return Err(sqlx::Error::Protocol("listener connection closed".into()));
            };
            self.apply(notification.payload());
        }
    }

    /// Applies one notification: `session:<id>` or `account:<id>`.
    fn apply(&self, payload: &str) {
        let parsed = payload
            .split_once(':')
            .and_then(|(kind, id)| Some((kind, id.parse::<Uuid>().ok()?)));
        match parsed {
            Some(("session", session_id)) => self.forget_sessions(&[session_id]),
            Some(("account", user_id)) => self.forget_account(user_id),
            _ => {
                tracing::warn!(payload, "unexpected auth cache notification; memory wiped");
                self.suspend();
                self.resume();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn profile(id: Uuid) -> ProfileRow {
        ProfileRow {
            id,
            email: "a@example.com".into(),
            referral_code: None,
            created_at: chrono::Utc::now(),
            mfa_enabled: false,
        }
    }

    #[test]
    fn nothing_is_remembered_while_not_listening() {
        let cache = AuthCache::new();
        let session_id = Uuid::now_v7();

        cache.remember_live_session(session_id, cache.generation());

        assert!(!cache.is_session_live(session_id));
    }

    #[test]
    fn a_change_heard_during_a_read_keeps_the_read_out_of_memory() {
        let cache = AuthCache::new();
        cache.resume();
        let user_id = Uuid::now_v7();

        let ticket = cache.generation();
        cache.forget_account(user_id);
        cache.remember_profile(profile(user_id), ticket);

        assert!(cache.profile(user_id).is_none());
    }

    #[test]
    fn notifications_forget_sessions_and_accounts() {
        let cache = AuthCache::new();
        cache.resume();
        let (session_id, user_id) = (Uuid::now_v7(), Uuid::now_v7());
        cache.remember_live_session(session_id, cache.generation());
        cache.remember_profile(profile(user_id), cache.generation());
        assert!(cache.is_session_live(session_id));
        assert!(cache.profile(user_id).is_some());

        cache.apply(&format!("session:{session_id}"));
        cache.apply(&format!("account:{user_id}"));

        assert!(!cache.is_session_live(session_id));
        assert!(cache.profile(user_id).is_none());
    }

    #[test]
    fn losing_the_listener_wipes_memory() {
        let cache = AuthCache::new();
        cache.resume();
        let session_id = Uuid::now_v7();
        cache.remember_live_session(session_id, cache.generation());

        cache.suspend();
        cache.resume();

        assert!(!cache.is_session_live(session_id));
    }
}
