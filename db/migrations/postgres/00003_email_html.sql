-- +goose Up
-- Activation emails are sent as plain text with an HTML alternative.
ALTER TABLE emails ADD COLUMN body_html TEXT NOT NULL DEFAULT '';
-- Sending is scheduled by the River job queue now, not by a scan of this table.
DROP INDEX emails_due_idx;
ALTER TABLE emails DROP COLUMN next_attempt_at;

-- +goose Down
ALTER TABLE emails ADD COLUMN next_attempt_at TIMESTAMP;
CREATE INDEX emails_due_idx ON emails (next_attempt_at, id) WHERE state = 'QUEUED';
ALTER TABLE emails DROP COLUMN body_html;
