-- How admins prove who they are, how they join, and what they did: credentials, invitations and
-- the audit log of the `manage` module.

-- One active credential per admin. The credential itself is a random secret shown to its owner
-- once; only its SHA-256 is kept, so a copy of this table signs nobody in.
CREATE TABLE manage.admin_credential (
    -- The primary key is the admin: a second credential for the same admin replaces the first
    -- (`ON CONFLICT (admin_id) DO UPDATE`), which is what makes rotation immediate.
    admin_id      UUID PRIMARY KEY REFERENCES manage.admin_account (id) ON DELETE CASCADE,
    -- Changes with every rotation. Access tokens carry it as their `sid` claim and are checked
    -- against it on every request, so replacing (or, through the cascade, deleting) this row
    -- ends every session that was signed in with the old credential.
    credential_id UUID NOT NULL UNIQUE,
    secret_hash   BYTEA NOT NULL UNIQUE,
    issued_at     TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- Invitations a super admin sends to a future admin's e-mail address. The link's token is,
-- like a credential, kept only as its SHA-256.
CREATE TABLE manage.admin_invitation (
    id                UUID PRIMARY KEY,
    email             TEXT NOT NULL,
    -- The role the account will get; the same values as `admin_account.role`.
    role              TEXT NOT NULL
        CHECK (role IN ('super_admin', 'moderator', 'customer_support', 'support_bot')),
    token_hash        BYTEA NOT NULL UNIQUE,
    -- An invitation dies with the admin who sent it: if that admin is removed (perhaps for
    -- abusing the role), their pending invitations must not outlive them.
    invited_by        UUID NOT NULL REFERENCES manage.admin_account (id) ON DELETE CASCADE,
    created_at        TIMESTAMPTZ NOT NULL DEFAULT now(),
    expires_at        TIMESTAMPTZ NOT NULL,
    -- Set once, by the single `UPDATE ... WHERE accepted_at IS NULL` that accepts the
    -- invitation; that condition is what lets only one of two racing acceptances through.
    accepted_at       TIMESTAMPTZ,
    -- Kept as NULL when the account is deleted later; `accepted_at` still says it was used.
    accepted_admin_id UUID REFERENCES manage.admin_account (id) ON DELETE SET NULL,
    CHECK (expires_at > created_at)
);

-- The audit log: one row per change an admin (or an operator with helium-cli) makes, written in
-- the same transaction as the change. The application never updates or deletes a row, and no
-- code path offers to. The database cannot enforce that here: the application connects as the
-- role that owns the schema (it runs these migrations), and an owner can always update its own
-- tables. A deployment that separates a migration role from the application role should
-- `REVOKE UPDATE, DELETE, TRUNCATE ON manage.audit_log` from the application role.
CREATE TABLE manage.audit_log (
    -- UUID v7: ordering by id is ordering by time, which the cursor of the paginated listing
    -- relies on.
    id             UUID PRIMARY KEY,
    -- No foreign key: the log must outlive the admins it names. NULL means an operator with
    -- database access, through helium-cli, who has no admin identity.
    actor_id       UUID,
    -- What was done, as `<entity>.<verb>`, e.g. `admin.create`.
    action         TEXT NOT NULL CHECK (length(action) BETWEEN 1 AND 100),
    -- What it was done to, as `<kind>:<id>`, e.g. `admin:0193...`.
    target         TEXT NOT NULL CHECK (length(target) BETWEEN 1 AND 200),
    -- Where the request came from: the first `x-forwarded-for` address when a proxy set one,
    -- else the connection's address.
    source_address TEXT,
    -- The connection's own address. A client can write any `x-forwarded-for` it likes; this
    -- column is what a reviewer checks it against.
    peer_address   TEXT,
    created_at     TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- Reviews filter by who acted or what was touched, newest first.
CREATE INDEX audit_log_actor ON manage.audit_log (actor_id, id);
CREATE INDEX audit_log_target ON manage.audit_log (target, id);
CREATE INDEX audit_log_created_at ON manage.audit_log (created_at);
