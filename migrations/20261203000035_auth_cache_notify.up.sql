-- Workers keep recently checked sessions and profiles in memory so that an authenticated
-- read costs no network round trip. These triggers tell every worker, on commit, what it
-- must forget: `session:<id>` when a session ends, `account:<id>` when an account or its
-- second factor changes. Firing from the database means no code path can forget to say so.
CREATE FUNCTION auth.notify_cache() RETURNS trigger AS $$
DECLARE
    changed RECORD;
BEGIN
    IF TG_OP = 'DELETE' THEN
        changed := OLD;
    ELSE
        changed := NEW;
    END IF;
    IF TG_TABLE_NAME = 'session' THEN
        PERFORM pg_notify('auth_cache', 'session:' || changed.id);
    ELSIF TG_TABLE_NAME = 'user_account' THEN
        PERFORM pg_notify('auth_cache', 'account:' || changed.id);
    ELSE
        PERFORM pg_notify('auth_cache', 'account:' || changed.user_id);
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

-- A session matters to the caches only when it ends: revoked, or deleted with its account.
CREATE TRIGGER session_ended
    AFTER UPDATE OF revoked_at OR DELETE ON auth.session
    FOR EACH ROW EXECUTE FUNCTION auth.notify_cache();

CREATE TRIGGER user_account_changed
    AFTER UPDATE OR DELETE ON auth.user_account
    FOR EACH ROW EXECUTE FUNCTION auth.notify_cache();

CREATE TRIGGER user_mfa_changed
    AFTER INSERT OR UPDATE OR DELETE ON auth.user_mfa
    FOR EACH ROW EXECUTE FUNCTION auth.notify_cache();
