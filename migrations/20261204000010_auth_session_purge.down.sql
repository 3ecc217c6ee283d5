DROP TRIGGER live_session_deleted ON auth.session;
DROP TRIGGER session_revoked ON auth.session;

CREATE TRIGGER session_ended
    AFTER UPDATE OF revoked_at OR DELETE ON auth.session
    FOR EACH ROW EXECUTE FUNCTION auth.notify_cache();

DROP INDEX auth.session_ended_at;
