-- +goose Up
-- MAIL_WORKSPACE_DAILY_LIMIT counts a workspace's emails of the last 24 hours
-- on every invitation: an index range, not a scan of the outbox.
CREATE INDEX emails_workspace_created_idx ON emails (workspace_id, created_at);

-- +goose Down
DROP INDEX emails_workspace_created_idx;
