-- +goose Up
CREATE TABLE workspaces (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    name        TEXT NOT NULL,
    seat_limit  INTEGER CHECK (seat_limit IS NULL OR seat_limit > 0),
    created_at  DATETIME NOT NULL,
    updated_at  DATETIME NOT NULL
);

CREATE TABLE accounts (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    email         TEXT NOT NULL,
    name          TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    created_at    DATETIME NOT NULL,
    updated_at    DATETIME NOT NULL
);
CREATE UNIQUE INDEX accounts_email_key ON accounts (lower(email));

CREATE TABLE roles (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    workspace_id INTEGER NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    name         TEXT NOT NULL,
    description  TEXT,
    permissions  TEXT NOT NULL,
    system       BOOLEAN NOT NULL DEFAULT 0,
    created_at   DATETIME NOT NULL,
    updated_at   DATETIME NOT NULL
);
CREATE UNIQUE INDEX roles_workspace_name_key ON roles (workspace_id, lower(name));

CREATE TABLE agents (
    id                  INTEGER PRIMARY KEY AUTOINCREMENT,
    workspace_id        INTEGER NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    account_id          INTEGER REFERENCES accounts (id),
    email               TEXT NOT NULL,
    name                TEXT NOT NULL DEFAULT '',
    status              TEXT NOT NULL CHECK (status IN ('PENDING', 'ACTIVE', 'REMOVED')),
    invited_at          DATETIME NOT NULL,
    invited_by_id       INTEGER REFERENCES agents (id),
    activated_at        DATETIME,
    removed_at          DATETIME,
    removed_by_id       INTEGER REFERENCES agents (id),
    link_sent_at        DATETIME NOT NULL,
    link_expires_at     DATETIME NOT NULL,
    link_send_count     INTEGER NOT NULL DEFAULT 1,
    link_delivery_state TEXT NOT NULL DEFAULT 'QUEUED',
    link_email_id       INTEGER,
    created_at          DATETIME NOT NULL,
    updated_at          DATETIME NOT NULL
);
-- One membership per email and workspace; also serves ORDER BY EMAIL.
CREATE UNIQUE INDEX agents_workspace_email_key ON agents (workspace_id, lower(email));
-- The Agents page's default order (newest invitations first) and the other two.
CREATE INDEX agents_workspace_invited_idx ON agents (workspace_id, invited_at, id);
CREATE INDEX agents_workspace_name_idx ON agents (workspace_id, lower(name), id);
CREATE INDEX agents_account_idx ON agents (account_id);

CREATE TABLE agent_roles (
    agent_id INTEGER NOT NULL REFERENCES agents (id) ON DELETE CASCADE,
    role_id  INTEGER NOT NULL REFERENCES roles (id),
    PRIMARY KEY (agent_id, role_id)
);
CREATE INDEX agent_roles_role_idx ON agent_roles (role_id);

CREATE TABLE activation_tokens (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    agent_id    INTEGER NOT NULL REFERENCES agents (id) ON DELETE CASCADE,
    token_hash  TEXT NOT NULL UNIQUE,
    expires_at  DATETIME NOT NULL,
    consumed_at DATETIME,
    revoked_at  DATETIME,
    created_at  DATETIME NOT NULL
);
CREATE INDEX activation_tokens_agent_idx ON activation_tokens (agent_id);

CREATE TABLE sessions (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    agent_id   INTEGER NOT NULL REFERENCES agents (id) ON DELETE CASCADE,
    token_hash TEXT NOT NULL UNIQUE,
    expires_at DATETIME NOT NULL,
    revoked_at DATETIME,
    created_at DATETIME NOT NULL
);
CREATE INDEX sessions_agent_idx ON sessions (agent_id);

CREATE TABLE audit_events (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    workspace_id    INTEGER NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    action          TEXT NOT NULL,
    actor_id        INTEGER REFERENCES agents (id),
    target_agent_id INTEGER REFERENCES agents (id),
    target_role_id  INTEGER REFERENCES roles (id) ON DELETE SET NULL,
    summary         TEXT NOT NULL,
    created_at      DATETIME NOT NULL
);
CREATE INDEX audit_events_workspace_idx ON audit_events (workspace_id, id);

CREATE TABLE emails (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    workspace_id    INTEGER NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    agent_id        INTEGER NOT NULL REFERENCES agents (id) ON DELETE CASCADE,
    token_id        INTEGER NOT NULL REFERENCES activation_tokens (id) ON DELETE CASCADE,
    to_address      TEXT NOT NULL,
    subject         TEXT NOT NULL,
    body_text       TEXT NOT NULL,
    state           TEXT NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at DATETIME NOT NULL,
    last_error      TEXT NOT NULL DEFAULT '',
    sent_at         DATETIME,
    created_at      DATETIME NOT NULL,
    updated_at      DATETIME NOT NULL
);
-- The sender's queue scan touches only what is still due.
CREATE INDEX emails_due_idx ON emails (next_attempt_at, id) WHERE state = 'QUEUED';

-- +goose Down
DROP TABLE emails;
DROP TABLE audit_events;
DROP TABLE sessions;
DROP TABLE activation_tokens;
DROP TABLE agent_roles;
DROP TABLE agents;
DROP TABLE roles;
DROP TABLE accounts;
DROP TABLE workspaces;
