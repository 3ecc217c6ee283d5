ALTER TABLE manage.admin_invitation DROP CONSTRAINT admin_invitation_accepted_or_revoked;
ALTER TABLE manage.admin_invitation DROP COLUMN revoked_at;
ALTER TABLE manage.audit_log DROP COLUMN note;
