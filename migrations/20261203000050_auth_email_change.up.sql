-- Changing an account's email address by a link sent to the new address. Such a link is an
-- `auth.email_link` row with purpose 'email_change': `email` holds the NEW address and
-- `user_id` the account whose address it becomes. The purge job deletes it by age like the
-- other links.
ALTER TABLE auth.email_link DROP CONSTRAINT email_link_purpose_check;
ALTER TABLE auth.email_link ADD CONSTRAINT email_link_purpose_check
    CHECK (purpose IN ('registration', 'password_reset', 'email_change'));
