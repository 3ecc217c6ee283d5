-- Admin-side account recovery and admin management: a free-text note on audit rows, and
-- invitations a super admin can withdraw.

-- Why an admin made a change, in their own words: for the removal of a customer's MFA, how
-- the customer's identity was verified. Most actions need none.
ALTER TABLE manage.audit_log
    ADD COLUMN note TEXT CHECK (note IS NULL OR length(note) BETWEEN 1 AND 1000);

-- Set once when a super admin withdraws a pending invitation; acceptance requires it NULL,
-- so a withdrawn invitation can never be accepted. The row stays for the record.
ALTER TABLE manage.admin_invitation ADD COLUMN revoked_at TIMESTAMPTZ;
ALTER TABLE manage.admin_invitation
    ADD CONSTRAINT admin_invitation_accepted_or_revoked
    CHECK (accepted_at IS NULL OR revoked_at IS NULL);
