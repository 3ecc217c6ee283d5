-- Admin accounts of the `manage` module. Credentials and invitations come with later
-- migrations; this table holds who the admins are and what role each one has.
CREATE SCHEMA manage;

CREATE TABLE manage.admin_account (
    id         UUID PRIMARY KEY,
    name       TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    -- Stored as text with a check rather than a PostgreSQL enum: adding a role later is a
    -- one-line migration instead of an `ALTER TYPE` that cannot run inside a transaction.
    role       TEXT NOT NULL
        CHECK (role IN ('super_admin', 'moderator', 'customer_support', 'support_bot')),
    email      TEXT,
    avatar     TEXT,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- Two admins never share an email address, whatever its letter case.
CREATE UNIQUE INDEX admin_account_email ON manage.admin_account (lower(email));
