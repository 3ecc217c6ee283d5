-- Turns multi-factor authentication off for every account, recovery codes included.
DROP TABLE auth.mfa_recovery_code;
DROP TABLE auth.user_mfa;
