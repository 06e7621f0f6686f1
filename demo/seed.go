package demo

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"

	"agentdesk/auth"
	"agentdesk/db"
	"agentdesk/models"
)

// Size says how big a generated workspace is.
type Size struct {
	Agents        int
	Conversations int
	// MessagesPerConversation beyond the contact's first message.
	MessagesPerConversation int
}

// Seeded is a generated workspace and how to sign in to it.
type Seeded struct {
	WorkspaceID   int64
	OwnerEmail    string
	OwnerPassword string
}

// Seed fills the database with a generated workspace of the given size, for
// benchmarks and load runs: agents across every state and role (about 80%
// ACTIVE, 15% PENDING, 5% REMOVED), conversations over every channel and
// status, a fifth unassigned and some on removed agents, with messages. It
// writes rows in batches, directly, so a 100,000-conversation workspace takes
// seconds; the rules are exercised by the demo and the tests, not here.
func Seed(ctx context.Context, database *db.DB, pw *auth.Passwords, name string, size Size) (Seeded, error) {
	now := time.Now().UTC().Truncate(time.Microsecond)
	out := Seeded{OwnerEmail: fmt.Sprintf("owner@%s.bench.test", slug(name)), OwnerPassword: Password}
	hash := pw.Hash(Password) // one hash shared by every generated account
	err := database.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		ws := models.Workspace{Name: name, CreatedAt: now, UpdatedAt: now}
		if err := tx.Create(&ws).Error; err != nil {
			return err
		}
		out.WorkspaceID = ws.ID
		roles := models.BuiltinRoles(ws.ID)
		roles = append(roles, models.Role{WorkspaceID: ws.ID, Name: "AI agent manager",
			Permissions: models.NewPermissions(models.PermAIAgentManage, models.PermAgentsRead, models.PermConversationsReply)})
		for i := range roles {
			roles[i].CreatedAt, roles[i].UpdatedAt = now, now
		}
		if err := tx.Create(&roles).Error; err != nil {
			return err
		}
		accounts := make([]models.Account, 0, size.Agents)
		agents := make([]models.Agent, 0, size.Agents)
		for i := range size.Agents {
			email := fmt.Sprintf("agent%05d@%s.bench.test", i, slug(name))
			if i == 0 {
				email = out.OwnerEmail
			}
			invited := now.Add(-time.Duration(size.Agents-i) * time.Minute)
			a := models.Agent{WorkspaceID: ws.ID, Email: email, Status: models.AgentActive, InvitedAt: invited,
				LinkSentAt: invited, LinkExpiresAt: invited.Add(7 * 24 * time.Hour), LinkSendCount: 1,
				LinkDeliveryState: models.DeliverySent, CreatedAt: invited, UpdatedAt: invited}
			switch {
			case i > 0 && i%20 == 7:
				a.Status = models.AgentRemoved
			case i > 0 && i%7 == 3:
				a.Status = models.AgentPending
			}
			if a.Status != models.AgentPending {
				a.Name = fmt.Sprintf("Agent %05d", i)
				accounts = append(accounts, models.Account{Email: email, Name: a.Name, PasswordHash: hash, CreatedAt: now, UpdatedAt: now})
			}
			agents = append(agents, a)
		}
		if err := tx.CreateInBatches(&accounts, 500).Error; err != nil {
			return err
		}
		byEmail := map[string]int64{}
		for _, acc := range accounts {
			byEmail[acc.Email] = acc.ID
		}
		for i := range agents {
			if id, ok := byEmail[agents[i].Email]; ok {
				agents[i].AccountID = &id
				agents[i].ActivatedAt = &agents[i].InvitedAt
			}
		}
		if err := tx.CreateInBatches(&agents, 500).Error; err != nil {
			return err
		}
		owner := agents[0].ID
		var agentRoles []models.AgentRole
		var handlers, removed []int64
		for i, a := range agents {
			switch a.Status {
			case models.AgentRemoved:
				removed = append(removed, a.ID)
				continue
			case models.AgentActive:
				if i > 0 {
					handlers = append(handlers, a.ID)
				}
			}
			// Owner; then a few admins and supervisors, the AI role, the rest agents.
			role := roles[3].ID
			switch {
			case i == 0:
				role = roles[0].ID
			case i%50 == 1:
				role = roles[1].ID
			case i%10 == 2:
				role = roles[2].ID
			case i%25 == 4:
				role = roles[4].ID
			}
			agentRoles = append(agentRoles, models.AgentRole{AgentID: a.ID, RoleID: role})
			if i%9 == 5 && role != roles[0].ID { // some hold two roles
				agentRoles = append(agentRoles, models.AgentRole{AgentID: a.ID, RoleID: roles[3].ID})
			}
		}
		if err := tx.Model(&models.Agent{}).Where("workspace_id = ? AND id <> ?", ws.ID, owner).
			Update("invited_by_id", owner).Error; err != nil {
			return err
		}
		if err := tx.Model(&models.Agent{}).Where("workspace_id = ? AND status = ?", ws.ID, models.AgentRemoved).
			Updates(map[string]any{"removed_by_id": owner, "removed_at": now}).Error; err != nil {
			return err
		}
		if err := tx.CreateInBatches(dedupe(agentRoles), 1000).Error; err != nil {
			return err
		}
		return seedConversations(tx, ws.ID, size, handlers, removed, now)
	})
	return out, err
}

func dedupe(rows []models.AgentRole) []models.AgentRole {
	seen := map[models.AgentRole]bool{}
	out := rows[:0]
	for _, r := range rows {
		if !seen[r] {
			seen[r] = true
			out = append(out, r)
		}
	}
	return out
}

func seedConversations(tx *gorm.DB, workspaceID int64, size Size, handlers, removed []int64, now time.Time) error {
	const batch = 1000
	contacts := make([]models.Contact, 0, size.Conversations/5+1)
	for i := range cap(contacts) {
		name := fmt.Sprintf("%s %s", firstNames[i%len(firstNames)], lastNames[(i/len(firstNames))%len(lastNames)])
		email := fmt.Sprintf("contact%06d@customer.test", i)
		contacts = append(contacts, models.Contact{WorkspaceID: workspaceID, Name: &name, Email: &email, CreatedAt: now})
	}
	if err := tx.CreateInBatches(&contacts, batch).Error; err != nil {
		return err
	}
	statuses := []models.ConversationStatus{models.ConversationOpen, models.ConversationOpen, models.ConversationPending, models.ConversationResolved}
	for start := 0; start < size.Conversations; start += batch {
		n := min(batch, size.Conversations-start)
		convs := make([]models.Conversation, n)
		for j := range n {
			i := start + j
			at := now.Add(-time.Duration(size.Conversations-i) * time.Minute)
			subject := subjects[i%len(subjects)]
			c := models.Conversation{WorkspaceID: workspaceID, ContactID: contacts[i%len(contacts)].ID, Subject: &subject,
				Status: statuses[i%len(statuses)], Channel: models.AllChannels[(i/3)%len(models.AllChannels)],
				LastMessageAt: &at, ActivityAt: at, CreatedAt: at, UpdatedAt: at}
			switch {
			case i%5 == 0: // unassigned
			case i%25 == 1 && len(removed) > 0:
				c.AssigneeID = &removed[i%len(removed)]
			case len(handlers) > 0:
				c.AssigneeID = &handlers[i%len(handlers)]
			}
			convs[j] = c
		}
		if err := tx.Create(&convs).Error; err != nil {
			return err
		}
		msgs := make([]models.Message, 0, n*(1+size.MessagesPerConversation))
		for _, c := range convs {
			msgs = append(msgs, models.Message{WorkspaceID: workspaceID, ConversationID: c.ID, Body: "Hi! " + *c.Subject,
				AuthorKind: models.AuthorContact, CreatedAt: c.CreatedAt})
			for k := range size.MessagesPerConversation {
				m := models.Message{WorkspaceID: workspaceID, ConversationID: c.ID, Body: replies[k%len(replies)],
					AuthorKind: models.AuthorContact, CreatedAt: c.CreatedAt.Add(time.Duration(k+1) * time.Second)}
				if c.AssigneeID != nil && k%2 == 0 {
					m.AuthorKind, m.AuthorAgentID = models.AuthorAgent, c.AssigneeID
				}
				msgs = append(msgs, m)
			}
		}
		if err := tx.CreateInBatches(&msgs, batch).Error; err != nil {
			return err
		}
	}
	return nil
}
