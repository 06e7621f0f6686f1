-- +goose Up
-- MAIL_ADDRESS_DAILY_LIMIT and the cross-workspace RESEND_COOLDOWN count the
-- emails to one recipient, from every workspace, on every invitation: the
-- recipient as team.RecipientKey normalises it, and an index range on it.
-- Rows written before this migration get their lowercased address (exact
-- but for "+tag" variants, and they leave the 24-hour window within a day).
ALTER TABLE emails ADD COLUMN recipient_key TEXT NOT NULL DEFAULT '';
UPDATE emails SET recipient_key = lower(trim(to_address));
CREATE INDEX emails_recipient_created_idx ON emails (recipient_key, created_at);

-- +goose Down
DROP INDEX emails_recipient_created_idx;
ALTER TABLE emails DROP COLUMN recipient_key;
