package main

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// The baseline is the physical limit of this design on this machine: the
// same SQL statements agentdesk runs for each scenario, through pgx with no
// ORM and no GraphQL, encoding the same JSON. Each agentdesk scenario's
// throughput is reported as a ratio to it. It understands exactly the four
// bodies of Scenarios, nothing else.

type baseline struct{ pool *pgxpool.Pool }

func serveBaseline(ctx context.Context, dbURL, listen string) error {
	pool, err := pgxpool.New(ctx, dbURL)
	if err != nil {
		return err
	}
	defer pool.Close()
	b := &baseline{pool: pool}
	srv := &http.Server{Addr: listen, Handler: b}
	go func() { <-ctx.Done(); _ = srv.Close() }()
	if err := srv.ListenAndServe(); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

type viewerRow struct {
	agentID, workspaceID int64
	perms                []string
}

func (b *baseline) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	body, _ := io.ReadAll(r.Body)
	var req struct {
		Query     string
		Variables map[string]string
	}
	if err := json.Unmarshal(body, &req); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	v, err := b.viewer(ctx, strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer "))
	var data any
	if err == nil {
		switch {
		case strings.HasPrefix(req.Query, "{ agents"):
			data, err = b.agents(ctx, v)
		case strings.HasPrefix(req.Query, "{ conversations"):
			data, err = b.conversations(ctx, v)
		case strings.HasPrefix(req.Query, "{ viewer"):
			data, err = b.viewerAgent(ctx, v)
		case strings.Contains(req.Query, "inviteAgent"):
			data, err = b.invite(ctx, v, req.Variables["e"], req.Variables["r"])
		default:
			err = errors.New("unknown scenario")
		}
	}
	w.Header().Set("Content-Type", "application/json")
	if err != nil {
		_ = json.NewEncoder(w).Encode(map[string]any{"errors": []map[string]string{{"message": err.Error()}}})
		return
	}
	_ = json.NewEncoder(w).Encode(map[string]any{"data": data})
}

func hashToken(t string) string {
	sum := sha256.Sum256([]byte(t))
	return hex.EncodeToString(sum[:])
}

func gid(typ string, id int64) string {
	return base64.RawURLEncoding.EncodeToString([]byte(typ + ":" + strconv.FormatInt(id, 10)))
}

var allPermissions = []string{"AGENTS_READ", "AGENTS_INVITE", "AGENTS_REMOVE", "AGENTS_UPDATE_ROLES", "ROLES_MANAGE",
	"CONVERSATIONS_READ_ALL", "CONVERSATIONS_REPLY", "CONVERSATIONS_ASSIGN", "TICKETS_MANAGE", "AI_AGENT_MANAGE",
	"AUDIT_READ", "WORKSPACE_MANAGE"}

func union(sets ...string) []string {
	out := []string{}
	for _, p := range allPermissions {
		for _, s := range sets {
			if slices.Contains(strings.Split(s, ","), p) {
				out = append(out, p)
				break
			}
		}
	}
	return out
}

// viewer: the session, then the roles (two statements, as agentdesk).
func (b *baseline) viewer(ctx context.Context, token string) (viewerRow, error) {
	var v viewerRow
	err := b.pool.QueryRow(ctx, `SELECT a.id, a.workspace_id FROM sessions s JOIN agents a ON a.id = s.agent_id
		WHERE s.token_hash = $1 AND s.revoked_at IS NULL AND s.expires_at > $2 AND a.status = 'ACTIVE'`,
		hashToken(token), time.Now().UTC()).Scan(&v.agentID, &v.workspaceID)
	if err != nil {
		return v, err
	}
	rows, err := b.pool.Query(ctx, `SELECT r.permissions FROM roles r JOIN agent_roles ar ON ar.role_id = r.id WHERE ar.agent_id = $1`, v.agentID)
	if err != nil {
		return v, err
	}
	perms, err := pgx.CollectRows(rows, pgx.RowTo[string])
	v.perms = union(perms...)
	return v, err
}

type roleJSON struct {
	Name string `json:"name"`
}

type nameJSON struct {
	Name *string `json:"name"`
}

type invitationJSON struct {
	SentAt         time.Time `json:"sentAt"`
	ExpiresAt      time.Time `json:"expiresAt"`
	SendCount      int       `json:"sendCount"`
	DeliveryStatus string    `json:"deliveryStatus"`
	InvitedBy      *nameJSON `json:"invitedBy"`
}

type agentJSON struct {
	ID          string          `json:"id"`
	Name        *string         `json:"name"`
	Email       string          `json:"email"`
	Status      string          `json:"status"`
	Roles       []roleJSON      `json:"roles"`
	Permissions []string        `json:"permissions"`
	Invitation  *invitationJSON `json:"invitation"`
}

type edge[T any] struct {
	Node T `json:"node"`
}

func nullName(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func (b *baseline) agents(ctx context.Context, v viewerRow) (any, error) {
	if !slices.Contains(v.perms, "AGENTS_READ") {
		return nil, errors.New("forbidden")
	}
	rows, err := b.pool.Query(ctx, `SELECT id, name, email, status, link_sent_at, link_expires_at, link_send_count,
		link_delivery_state, invited_by_id FROM agents WHERE workspace_id = $1 AND status IN ('PENDING', 'ACTIVE')
		ORDER BY invited_at DESC, id DESC LIMIT 51`, v.workspaceID)
	if err != nil {
		return nil, err
	}
	type agentRow struct {
		id                  int64
		name, email, status string
		sent, expires       time.Time
		count               int
		delivery            string
		invitedBy           *int64
	}
	var list []agentRow
	for rows.Next() {
		var a agentRow
		if err := rows.Scan(&a.id, &a.name, &a.email, &a.status, &a.sent, &a.expires, &a.count, &a.delivery, &a.invitedBy); err != nil {
			return nil, err
		}
		list = append(list, a)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	list = list[:min(len(list), 50)]
	ids, inviters := make([]int64, len(list)), []int64{}
	for i, a := range list {
		ids[i] = a.id
		if a.status == "PENDING" && a.invitedBy != nil {
			inviters = append(inviters, *a.invitedBy)
		}
	}
	roleRows, err := b.pool.Query(ctx, `SELECT ar.agent_id, r.name, r.permissions FROM roles r JOIN agent_roles ar
		ON ar.role_id = r.id WHERE ar.agent_id = ANY($1) ORDER BY r.id`, ids)
	if err != nil {
		return nil, err
	}
	roles, perms := map[int64][]roleJSON{}, map[int64][]string{}
	for roleRows.Next() {
		var id int64
		var name, p string
		if err := roleRows.Scan(&id, &name, &p); err != nil {
			return nil, err
		}
		roles[id] = append(roles[id], roleJSON{name})
		perms[id] = append(perms[id], p)
	}
	names, err := b.names(ctx, v.workspaceID, inviters)
	if err != nil {
		return nil, err
	}
	edges := make([]edge[agentJSON], len(list))
	for i, a := range list {
		j := agentJSON{ID: gid("Agent", a.id), Name: nullName(a.name), Email: a.email, Status: a.status,
			Roles: append([]roleJSON{}, roles[a.id]...), Permissions: union(perms[a.id]...)}
		if a.status == "PENDING" {
			j.Invitation = &invitationJSON{SentAt: a.sent.UTC(), ExpiresAt: a.expires.UTC(), SendCount: a.count, DeliveryStatus: a.delivery}
			if a.invitedBy != nil {
				j.Invitation.InvitedBy = &nameJSON{nullName(names[*a.invitedBy].name)}
			}
		}
		edges[i] = edge[agentJSON]{j}
	}
	return map[string]any{"agents": map[string]any{"edges": edges}}, nil
}

type agentRef struct {
	name, status string
}

func (b *baseline) names(ctx context.Context, workspaceID int64, ids []int64) (map[int64]agentRef, error) {
	out := map[int64]agentRef{}
	if len(ids) == 0 {
		return out, nil
	}
	rows, err := b.pool.Query(ctx, `SELECT id, name, status FROM agents WHERE workspace_id = $1 AND id = ANY($2)`, workspaceID, ids)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var id int64
		var r agentRef
		if err := rows.Scan(&id, &r.name, &r.status); err != nil {
			return nil, err
		}
		out[id] = r
	}
	return out, rows.Err()
}

type conversationJSON struct {
	ID       string  `json:"id"`
	Subject  *string `json:"subject"`
	Status   string  `json:"status"`
	Channel  string  `json:"channel"`
	Caution  *string `json:"caution"`
	Assignee *struct {
		Name   *string `json:"name"`
		Status string  `json:"status"`
	} `json:"assignee"`
	Contact       nameJSON   `json:"contact"`
	LastMessageAt *time.Time `json:"lastMessageAt"`
}

func (b *baseline) conversations(ctx context.Context, v viewerRow) (any, error) {
	q := `SELECT id, subject, status, channel, assignee_id, contact_id, last_message_at FROM conversations
		WHERE workspace_id = $1 ORDER BY activity_at DESC, id DESC LIMIT 51`
	args := []any{v.workspaceID}
	if !slices.Contains(v.perms, "CONVERSATIONS_READ_ALL") {
		q = strings.Replace(q, "WHERE workspace_id = $1", "WHERE workspace_id = $1 AND (assignee_id = $2 OR assignee_id IS NULL)", 1)
		args = append(args, v.agentID)
	}
	rows, err := b.pool.Query(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	type convRow struct {
		c        conversationJSON
		assignee *int64
		contact  int64
	}
	var list []convRow
	for rows.Next() {
		var r convRow
		var id int64
		if err := rows.Scan(&id, &r.c.Subject, &r.c.Status, &r.c.Channel, &r.assignee, &r.contact, &r.c.LastMessageAt); err != nil {
			return nil, err
		}
		r.c.ID = gid("Conversation", id)
		list = append(list, r)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	list = list[:min(len(list), 50)]
	var assignees, contacts []int64
	for _, r := range list {
		if r.assignee != nil {
			assignees = append(assignees, *r.assignee)
		}
		contacts = append(contacts, r.contact)
	}
	agents, err := b.names(ctx, v.workspaceID, assignees)
	if err != nil {
		return nil, err
	}
	contactNames := map[int64]*string{}
	crows, err := b.pool.Query(ctx, `SELECT id, name FROM contacts WHERE workspace_id = $1 AND id = ANY($2)`, v.workspaceID, contacts)
	if err != nil {
		return nil, err
	}
	for crows.Next() {
		var id int64
		var name *string
		if err := crows.Scan(&id, &name); err != nil {
			return nil, err
		}
		contactNames[id] = name
	}
	removed := "ASSIGNEE_REMOVED"
	edges := make([]edge[conversationJSON], len(list))
	for i, r := range list {
		c := r.c
		if r.assignee != nil {
			a := agents[*r.assignee]
			c.Assignee = &struct {
				Name   *string `json:"name"`
				Status string  `json:"status"`
			}{nullName(a.name), a.status}
			if a.status != "ACTIVE" {
				c.Caution = &removed
			}
		}
		c.Contact = nameJSON{contactNames[r.contact]}
		if c.LastMessageAt != nil {
			t := c.LastMessageAt.UTC()
			c.LastMessageAt = &t
		}
		edges[i] = edge[conversationJSON]{c}
	}
	return map[string]any{"conversations": map[string]any{"edges": edges}}, nil
}

func (b *baseline) viewerAgent(ctx context.Context, v viewerRow) (any, error) {
	var name, email, status string
	if err := b.pool.QueryRow(ctx, `SELECT name, email, status FROM agents WHERE id = $1 AND workspace_id = $2`,
		v.agentID, v.workspaceID).Scan(&name, &email, &status); err != nil {
		return nil, err
	}
	rows, err := b.pool.Query(ctx, `SELECT r.name FROM roles r JOIN agent_roles ar ON ar.role_id = r.id WHERE ar.agent_id = $1 ORDER BY r.id`, v.agentID)
	if err != nil {
		return nil, err
	}
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, err
	}
	roles := make([]roleJSON, len(names))
	for i, n := range names {
		roles[i] = roleJSON{n}
	}
	return map[string]any{"viewer": map[string]any{"id": gid("Agent", v.agentID), "name": nullName(name), "email": email,
		"status": status, "roles": roles, "permissions": v.perms}}, nil
}

// invite runs the writes of inviteAgent in one transaction: lock the
// workspace, check the roles, the email and the seats, insert the agent, its
// role, its token, the email, the job and the audit event.
func (b *baseline) invite(ctx context.Context, v viewerRow, email, roleGID string) (any, error) {
	raw, _ := base64.RawURLEncoding.DecodeString(roleGID)
	roleID, _ := strconv.ParseInt(strings.TrimPrefix(string(raw), "Role:"), 10, 64)
	tx, err := b.pool.Begin(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback(ctx)
	now := time.Now().UTC()
	var n int64
	var seat *int
	steps := []func() error{
		func() error {
			return tx.QueryRow(ctx, `SELECT id FROM workspaces WHERE id = $1 FOR UPDATE`, v.workspaceID).Scan(&n)
		},
		func() error {
			return tx.QueryRow(ctx, `SELECT count(*) FROM roles WHERE workspace_id = $1 AND id = $2`, v.workspaceID, roleID).Scan(&n)
		},
		func() error {
			err := tx.QueryRow(ctx, `SELECT id FROM agents WHERE workspace_id = $1 AND lower(email) = $2`, v.workspaceID, email).Scan(&n)
			if errors.Is(err, pgx.ErrNoRows) {
				return nil
			}
			if err == nil {
				return errors.New("conflict")
			}
			return err
		},
		func() error {
			return tx.QueryRow(ctx, `SELECT seat_limit FROM workspaces WHERE id = $1`, v.workspaceID).Scan(&seat)
		},
	}
	for _, step := range steps {
		if err := step(); err != nil {
			return nil, err
		}
	}
	var agentID, tokenID, emailID int64
	if err := tx.QueryRow(ctx, `INSERT INTO agents (workspace_id, email, name, status, invited_at, invited_by_id, link_sent_at,
		link_expires_at, link_send_count, link_delivery_state, created_at, updated_at)
		VALUES ($1, $2, '', 'PENDING', $3, $4, $3, $3, 0, 'QUEUED', $3, $3) RETURNING id`,
		v.workspaceID, email, now, v.agentID).Scan(&agentID); err != nil {
		return nil, err
	}
	if _, err := tx.Exec(ctx, `DELETE FROM agent_roles WHERE agent_id = $1`, agentID); err != nil {
		return nil, err
	}
	if _, err := tx.Exec(ctx, `INSERT INTO agent_roles (agent_id, role_id) VALUES ($1, $2)`, agentID, roleID); err != nil {
		return nil, err
	}
	secret := make([]byte, 32)
	_, _ = rand.Read(secret)
	token := base64.RawURLEncoding.EncodeToString(secret)
	if err := tx.QueryRow(ctx, `INSERT INTO activation_tokens (agent_id, token_hash, expires_at, created_at)
		VALUES ($1, $2, $3, $4) RETURNING id`, agentID, hashToken(token), now.Add(168*time.Hour), now).Scan(&tokenID); err != nil {
		return nil, err
	}
	var wsName, inviter string
	if err := tx.QueryRow(ctx, `SELECT w.name, a.name FROM workspaces w JOIN agents a ON a.id = $1 WHERE w.id = $2`,
		v.agentID, v.workspaceID).Scan(&wsName, &inviter); err != nil {
		return nil, err
	}
	text := fmt.Sprintf("%s invited you to %s: https://example.test/activate?token=%s", inviter, wsName, token)
	if err := tx.QueryRow(ctx, `INSERT INTO emails (workspace_id, agent_id, token_id, to_address, subject, body_text, body_html,
		state, attempts, last_error, created_at, updated_at) VALUES ($1, $2, $3, $4, 'Invitation', $5, $5, 'QUEUED', 0, '', $6, $6)
		RETURNING id`, v.workspaceID, agentID, tokenID, email, text, now).Scan(&emailID); err != nil {
		return nil, err
	}
	if _, err := tx.Exec(ctx, `INSERT INTO river_job (args, kind, max_attempts, queue, state, scheduled_at, priority, metadata)
		VALUES ($1, 'send_email', 8, 'default', 'available', $2, 1, '{}')`, fmt.Sprintf(`{"email_id":%d}`, emailID), now); err != nil {
		return nil, err
	}
	if _, err := tx.Exec(ctx, `UPDATE agents SET link_sent_at = $1, link_expires_at = $2, link_send_count = 1,
		link_delivery_state = 'QUEUED', link_email_id = $3, updated_at = $1 WHERE id = $4`, now, now.Add(168*time.Hour), emailID, agentID); err != nil {
		return nil, err
	}
	if _, err := tx.Exec(ctx, `INSERT INTO audit_events (workspace_id, action, actor_id, target_agent_id, summary, created_at)
		VALUES ($1, 'AGENT_INVITED', $2, $3, $4, $5)`, v.workspaceID, v.agentID, agentID, "Invited "+email, now); err != nil {
		return nil, err
	}
	if err := tx.Commit(ctx); err != nil {
		return nil, err
	}
	return map[string]any{"inviteAgent": map[string]any{"agent": map[string]string{"id": gid("Agent", agentID), "status": "PENDING"}}}, nil
}
