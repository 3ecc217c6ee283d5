-- Ended sessions (expired or revoked) are deleted a while after they end by the cron job
-- `auth.purge_sessions`. The index finds them by the moment they ended; LEAST ignores a NULL
-- `revoked_at`, so a session that was never revoked ended when it expired.
CREATE INDEX session_ended_at ON auth.session (LEAST(expires_at, revoked_at));

-- Deleting a session that had already ended tells the caches nothing they need: they forgot
-- it when it was revoked, or never trusted it past its expiry. Without this condition a purge
-- of many old rows would send each worker a notification per row.
DROP TRIGGER session_ended ON auth.session;

CREATE TRIGGER session_revoked
    AFTER UPDATE OF revoked_at ON auth.session
    FOR EACH ROW EXECUTE FUNCTION auth.notify_cache();

CREATE TRIGGER live_session_deleted
    AFTER DELETE ON auth.session
    FOR EACH ROW
    WHEN (OLD.revoked_at IS NULL AND OLD.expires_at > now())
    EXECUTE FUNCTION auth.notify_cache();
