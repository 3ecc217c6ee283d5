-- Multi-factor authentication of customer accounts: one TOTP authenticator per account and
-- its one-time recovery codes.

-- The account's authenticator. A row with no `enabled_at` is an enrolment the customer has
-- not yet confirmed with a code; it does not protect sign-in until then.
CREATE TABLE auth.user_mfa (
    user_id        UUID PRIMARY KEY REFERENCES auth.user_account (id) ON DELETE CASCADE,
    -- The TOTP secret in base32. Kept in clear because every check needs it; unlike a
    -- password, a hash of it would be useless.
    secret         TEXT NOT NULL,
    enabled_at     TIMESTAMPTZ,
    -- The TOTP time step of the last code accepted: a code is accepted only for a later
    -- step, so one code cannot be used twice within its window.
    last_used_step BIGINT,
    created_at     TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- Recovery codes, each usable once. Only the SHA-256 of a code is stored; the codes carry 80
-- random bits, so a fast hash leaves nothing to guess.
CREATE TABLE auth.mfa_recovery_code (
    user_id    UUID NOT NULL REFERENCES auth.user_mfa (user_id) ON DELETE CASCADE,
    code_hash  BYTEA NOT NULL,
    used_at    TIMESTAMPTZ,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, code_hash)
);
