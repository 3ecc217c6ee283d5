-- Forgets every linked OAuth identity. Accounts that had no password can then no longer sign
-- in until they reset one by email.
DROP TABLE auth.oauth_identity;
