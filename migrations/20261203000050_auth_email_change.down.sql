-- Email-change links cannot outlive the purpose that explains them.
DELETE FROM auth.email_link WHERE purpose = 'email_change';
ALTER TABLE auth.email_link DROP CONSTRAINT email_link_purpose_check;
ALTER TABLE auth.email_link ADD CONSTRAINT email_link_purpose_check
    CHECK (purpose IN ('registration', 'password_reset'));
