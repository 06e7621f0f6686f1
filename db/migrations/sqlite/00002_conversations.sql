-- +goose Up
CREATE TABLE contacts (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    workspace_id INTEGER NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    name         TEXT,
    email        TEXT,
    phone        TEXT,
    created_at   DATETIME NOT NULL
);
-- createConversation reuses a contact by email.
CREATE INDEX contacts_workspace_email_idx ON contacts (workspace_id, lower(email));

CREATE TABLE conversations (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    workspace_id    INTEGER NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    contact_id      INTEGER NOT NULL REFERENCES contacts (id),
    subject         TEXT,
    status          TEXT NOT NULL CHECK (status IN ('OPEN', 'PENDING', 'RESOLVED')),
    channel         TEXT NOT NULL,
    assignee_id     INTEGER REFERENCES agents (id),
    last_message_at DATETIME,
    activity_at     DATETIME NOT NULL,
    created_at      DATETIME NOT NULL,
    updated_at      DATETIME NOT NULL
);
-- Each list and filter: workspace first, then the filter, then the order key
-- (newest activity first) and id. The assignee index also serves
-- "unassigned", the caution list (assignees that are not ACTIVE) and the
-- visibility of agents without CONVERSATIONS_READ_ALL.
CREATE INDEX conversations_activity_idx ON conversations (workspace_id, activity_at, id);
CREATE INDEX conversations_status_idx ON conversations (workspace_id, status, activity_at, id);
CREATE INDEX conversations_channel_idx ON conversations (workspace_id, channel, activity_at, id);
CREATE INDEX conversations_assignee_idx ON conversations (workspace_id, assignee_id, activity_at, id);
-- Removal counts an agent's OPEN and PENDING conversations.
CREATE INDEX conversations_assignee_status_idx ON conversations (assignee_id, status) WHERE assignee_id IS NOT NULL;
-- The caution list finds the workspace's agents that are not ACTIVE.
CREATE INDEX agents_workspace_status_idx ON agents (workspace_id, status);

CREATE TABLE messages (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    workspace_id    INTEGER NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    conversation_id INTEGER NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    body            TEXT NOT NULL,
    author_kind     TEXT NOT NULL CHECK (author_kind IN ('CONTACT', 'AGENT')),
    author_agent_id INTEGER REFERENCES agents (id),
    created_at      DATETIME NOT NULL
);
CREATE INDEX messages_conversation_idx ON messages (conversation_id, created_at, id);

-- +goose Down
DROP TABLE messages;
DROP TABLE conversations;
DROP TABLE contacts;
DROP INDEX agents_workspace_status_idx;
