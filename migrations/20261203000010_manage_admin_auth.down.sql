DROP TABLE manage.audit_log;
DROP TABLE manage.admin_invitation;
DROP TABLE manage.admin_credential;
