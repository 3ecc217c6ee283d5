-- Sign-in through OAuth providers: which provider account (identity) belongs to which
-- customer account.
CREATE TABLE auth.oauth_identity (
    user_id   UUID NOT NULL REFERENCES auth.user_account (id) ON DELETE CASCADE,
    -- As the configuration spells it: Google, Microsoft, GitHub or Discord.
    provider  TEXT NOT NULL CHECK (provider IN ('Google', 'Microsoft', 'GitHub', 'Discord')),
    -- The provider's stable id of its account (`sub`, or GitHub's and Discord's numeric id).
    -- Never the email: addresses change hands, ids do not.
    subject   TEXT NOT NULL,
    -- The address the provider reported when the identity was linked, for the customer to
    -- recognise it by; NULL when the provider gave none.
    email     TEXT,
    linked_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    -- One provider account signs in to one customer account only.
    CONSTRAINT oauth_identity_subject UNIQUE (provider, subject),
    -- One identity per provider on an account, so "unlink GitHub" names exactly one.
    CONSTRAINT oauth_identity_user_provider UNIQUE (user_id, provider)
);
