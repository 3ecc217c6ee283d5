DROP TRIGGER user_mfa_changed ON auth.user_mfa;
DROP TRIGGER user_account_changed ON auth.user_account;
DROP TRIGGER session_ended ON auth.session;
DROP FUNCTION auth.notify_cache();
