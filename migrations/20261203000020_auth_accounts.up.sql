-- Customer accounts of the `auth` module: accounts, the single-use email links that create
-- and recover them, and sign-in sessions.
CREATE SCHEMA auth;

CREATE TABLE auth.user_account (
    id            UUID PRIMARY KEY,
    email         TEXT NOT NULL,
    -- argon2id in PHC string form; NULL for an account that only signs in through OAuth.
    password_hash TEXT,
    -- The referral code given at registration, kept for the referral programme.
    referral_code TEXT,
    banned_at     TIMESTAMPTZ,
    ban_reason    TEXT,
    created_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at    TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- One account per address, whatever its letter case.
CREATE UNIQUE INDEX user_account_email ON auth.user_account (lower(email));

-- Registration and password-reset links. Only the SHA-256 of the link's token is stored, so
-- a database leak yields no usable link.
CREATE TABLE auth.email_link (
    token_hash    BYTEA PRIMARY KEY,
    purpose       TEXT NOT NULL CHECK (purpose IN ('registration', 'password_reset')),
    email         TEXT NOT NULL,
    -- Set for password resets: the account the link recovers.
    user_id       UUID REFERENCES auth.user_account (id) ON DELETE CASCADE,
    referral_code TEXT,
    expires_at    TIMESTAMPTZ NOT NULL,
    used_at       TIMESTAMPTZ,
    created_at    TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- The purge job deletes by age.
CREATE INDEX email_link_created ON auth.email_link (created_at);

-- A signed-in device. The refresh token is `<session id>.<secret>`; only the secret's
-- SHA-256 is stored, and it changes on every refresh.
CREATE TABLE auth.session (
    id                 UUID PRIMARY KEY,
    user_id            UUID NOT NULL REFERENCES auth.user_account (id) ON DELETE CASCADE,
    refresh_token_hash BYTEA NOT NULL,
    device             TEXT NOT NULL,
    ip_address         TEXT NOT NULL,
    created_at         TIMESTAMPTZ NOT NULL DEFAULT now(),
    last_used_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
    expires_at         TIMESTAMPTZ NOT NULL,
    revoked_at         TIMESTAMPTZ
);

CREATE INDEX session_active_by_user ON auth.session (user_id) WHERE revoked_at IS NULL;
