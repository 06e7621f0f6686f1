// Package conversations holds the rules of customer conversations, their
// messages and contacts (BEHAVIOUR.md §5): who sees which conversation,
// assignment, replies. Agents, roles and the transaction every rule runs in
// come from package team; the caution badge, which joins the two, is
// defined once in models (models/conversation.go). It knows nothing of
// GraphQL.
package conversations

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"agentdesk/apperr"
	"agentdesk/auth"
	"agentdesk/db"
	"agentdesk/live"
	"agentdesk/models"
	"agentdesk/paging"
	"agentdesk/sessions"
	"agentdesk/team"
	"agentdesk/validate"
)

// Service applies the rules of conversations against the database.
type Service struct {
	// Team owns the agents conversations are assigned to, and the
	// transactions and clock all rules share.
	Team *team.Service
}

// Conversations (BEHAVIOUR.md §5). Visibility: with CONVERSATIONS_READ_ALL the
// whole workspace; without it, the caller's own and unassigned ones. Anything
// else does not exist for the caller (NOT_FOUND).

// visibleTo limits q (on conversations) to what v may see.
func visibleTo(q *gorm.DB, v *auth.Viewer) *gorm.DB {
	q = q.Where("conversations.workspace_id = ?", v.WorkspaceID)
	if !v.Can(models.PermConversationsReadAll) {
		q = q.Where("(conversations.assignee_id = ? OR conversations.assignee_id IS NULL)", v.AgentID)
	}
	return q
}

// conversationQuery is the conversations v may see that f matches, in SQL;
// ConversationMatching says the same of one changed conversation in Go for
// live events: change both together.
func (s *Service) conversationQuery(ctx context.Context, v *auth.Viewer, f models.ConversationFilter) *gorm.DB {
	q := visibleTo(s.Team.DB.WithContext(ctx).Model(&models.Conversation{}), v)
	if len(f.Statuses) > 0 {
		q = q.Where("conversations.status IN ?", f.Statuses)
	}
	if len(f.Channels) > 0 {
		q = q.Where("conversations.channel IN ?", f.Channels)
	}
	if f.AssigneeID != nil {
		q = q.Where("conversations.assignee_id = ?", *f.AssigneeID)
	}
	if f.Unassigned != nil {
		if *f.Unassigned {
			q = q.Where("conversations.assignee_id IS NULL")
		} else {
			q = q.Where("conversations.assignee_id IS NOT NULL")
		}
	}
	if f.Caution != nil {
		cond, args := models.CautionSQL(v.WorkspaceID)
		q = q.Where(cond, args...)
	}
	return q
}

// ListConversations returns one page of the visible conversations, newest
// activity first, and whether more follow.
// Needs a viewer only: without CONVERSATIONS_READ_ALL the list holds the
// viewer's own and unassigned conversations.
func (s *Service) ListConversations(ctx context.Context, v *auth.Viewer, f models.ConversationFilter, p paging.Page) ([]models.Conversation, bool, error) {
	if err := paging.CheckFirst(p.First); err != nil {
		return nil, false, err
	}
	if err := models.ConversationScope(f).Check(p.After); err != nil {
		return nil, false, err
	}
	q, err := db.Keyset(s.conversationQuery(ctx, v, f), "conversations.activity_at", "conversations.id", true, p, db.TimeKey)
	if err != nil {
		return nil, false, err
	}
	convs, err := db.ScanAll[models.Conversation](q.Select(models.ConversationColumns), p.First+1)
	if err != nil {
		return nil, false, err
	}
	page, hasNext := paging.Trim(convs, p.First)
	return page, hasNext, nil
}

// CountConversations counts the visible conversations a filter matches.
// Needs a viewer only, filtered like ListConversations.
func (s *Service) CountConversations(ctx context.Context, v *auth.Viewer, f models.ConversationFilter) (int, error) {
	var n int64
	err := s.conversationQuery(ctx, v, f).Count(&n).Error
	return int(n), err
}

func visibleConversation(tx *gorm.DB, v *auth.Viewer, id int64) (*models.Conversation, error) {
	var c models.Conversation
	err := visibleTo(tx.Model(&models.Conversation{}), v).Where("conversations.id = ?", id).Take(&c).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, apperr.New(apperr.NotFound, "No such conversation.")
	}
	return &c, err
}

// Conversation returns a conversation the viewer may see, or NOT_FOUND.
// Needs a viewer only: without CONVERSATIONS_READ_ALL another agent's
// conversation is NOT_FOUND.
func (s *Service) Conversation(ctx context.Context, v *auth.Viewer, id int64) (*models.Conversation, error) {
	return visibleConversation(s.Team.DB.WithContext(ctx), v, id)
}

// CreateConversation records a contact's first message as a new, OPEN,
// unassigned conversation. A contact is reused by email within the workspace.
// Needs CONVERSATIONS_REPLY.
func (s *Service) CreateConversation(ctx context.Context, v *auth.Viewer, in models.CreateConversationInput) (*models.Conversation, error) {
	if err := v.Require(models.PermConversationsReply); err != nil {
		return nil, err
	}
	subject, err := validate.OptionalName("subject", in.Subject, 200, "The subject")
	if err != nil {
		return nil, err
	}
	name, err := validate.OptionalName("contactName", in.ContactName, 100, "The contact's name")
	if err != nil {
		return nil, err
	}
	phone, err := validate.OptionalName("contactPhone", in.ContactPhone, 32, "The phone number")
	if err != nil {
		return nil, err
	}
	var email *string
	if in.ContactEmail != nil && strings.TrimSpace(*in.ContactEmail) != "" {
		e, err := validate.Email("contactEmail", *in.ContactEmail)
		if err != nil {
			return nil, err
		}
		email = &e
	}
	body, err := validate.Text("message", in.Message, 1, 10000, "The message")
	if err != nil {
		return nil, err
	}
	var conv models.Conversation
	err = s.Team.InTx(ctx, func(tx *gorm.DB) error {
		now := s.Team.Timestamp()
		contact := models.Contact{WorkspaceID: v.WorkspaceID, Name: name, Email: email, Phone: phone, CreatedAt: now}
		found := false
		if email != nil {
			err := tx.Where("workspace_id = ? AND lower(email) = ?", v.WorkspaceID, *email).Order("id").Take(&contact).Error
			if err != nil && !errors.Is(err, gorm.ErrRecordNotFound) {
				return err
			}
			found = err == nil
		}
		if !found {
			if err := tx.Create(&contact).Error; err != nil {
				return err
			}
		}
		conv = models.Conversation{WorkspaceID: v.WorkspaceID, ContactID: contact.ID, Subject: subject,
			Status: models.ConversationOpen, Channel: in.Channel, LastMessageAt: &now, ActivityAt: now,
			CreatedAt: now, UpdatedAt: now}
		if err := tx.Create(&conv).Error; err != nil {
			return err
		}
		if err := s.emit(tx, conversationEvents(v.WorkspaceID, live.ConversationCreated, conv.ID)...); err != nil {
			return err
		}
		return tx.Create(&models.Message{WorkspaceID: v.WorkspaceID, ConversationID: conv.ID, Body: body,
			AuthorKind: models.AuthorContact, CreatedAt: now}).Error
	})
	if err != nil {
		return nil, err
	}
	return &conv, nil
}

// assignee checks that an agent can be assigned conversations: of this
// workspace, ACTIVE, and holding CONVERSATIONS_REPLY (BAD_USER_INPUT on field
// otherwise).
func assignee(tx *gorm.DB, workspaceID, agentID int64, field string) (*models.Agent, error) {
	var a models.Agent
	// FOR SHARE holds a concurrent removeAgent until this assignment has
	// committed (it then counts the conversation as affected), or, when the
	// removal got there first, reads the agent as REMOVED: never an
	// assignment to an agent that a committed removal did not see.
	q := tx
	if tx.Dialector.Name() == "postgres" {
		q = tx.Clauses(clause.Locking{Strength: "SHARE"})
	}
	err := q.Where("id = ? AND workspace_id = ?", agentID, workspaceID).Take(&a).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, apperr.Input(field, "No such agent in this workspace.")
	}
	if err != nil {
		return nil, err
	}
	if a.Status != models.AgentActive {
		return nil, apperr.Input(field, "Only an active agent can be assigned conversations; this one is %s.", a.Status)
	}
	roles, err := sessions.RolesOf(tx, a.ID)
	if err != nil {
		return nil, err
	}
	if !roles.Permissions().Has(models.PermConversationsReply) {
		return nil, apperr.Input(field, "This agent cannot reply to conversations (no CONVERSATIONS_REPLY).")
	}
	return &a, nil
}

// AssignConversation assigns a visible conversation to an agent, or
// unassigns it (agentID nil).
// Needs CONVERSATIONS_ASSIGN.
func (s *Service) AssignConversation(ctx context.Context, v *auth.Viewer, conversationID int64, agentID *int64) (*models.Conversation, error) {
	if err := v.Require(models.PermConversationsAssign); err != nil {
		return nil, err
	}
	return s.changeVisible(ctx, v, conversationID, func(tx *gorm.DB, conv *models.Conversation) error {
		summary := fmt.Sprintf("Unassigned conversation #%d", conv.ID)
		if agentID != nil {
			a, err := assignee(tx, v.WorkspaceID, *agentID, "agentId")
			if err != nil {
				return err
			}
			summary = fmt.Sprintf("Assigned conversation #%d to %s", conv.ID, a.Email)
		}
		before, err := showsCaution(tx, conv.AssigneeID)
		if err != nil {
			return err
		}
		if err := s.emit(tx, conversationEvents(v.WorkspaceID, assignmentChange(before, false), conv.ID)...); err != nil {
			return err
		}
		now := s.Team.Timestamp()
		conv.AssigneeID, conv.UpdatedAt = agentID, now
		if err := tx.Model(conv).Updates(map[string]any{"assignee_id": agentID, "updated_at": now}).Error; err != nil {
			return err
		}
		return tx.Create(&models.AuditEvent{WorkspaceID: v.WorkspaceID, Action: models.AuditConversationAssigned,
			ActorID: &v.AgentID, TargetAgentID: agentID, Summary: summary, CreatedAt: now}).Error
	})
}

// ReassignConversations moves the visible conversations of one agent (a
// removed one, typically) with the given statuses (default OPEN and PENDING)
// to another agent, or unassigns them. Returns how many moved.
// Needs CONVERSATIONS_ASSIGN.
func (s *Service) ReassignConversations(ctx context.Context, v *auth.Viewer, fromID int64, toID *int64, statuses []models.ConversationStatus) (int, error) {
	if err := v.Require(models.PermConversationsAssign); err != nil {
		return 0, err
	}
	if err := validate.CheckListLen("status", len(statuses)); err != nil {
		return 0, err
	}
	if len(statuses) == 0 {
		statuses = []models.ConversationStatus{models.ConversationOpen, models.ConversationPending}
	}
	if toID != nil && *toID == fromID {
		return 0, apperr.Input("toAgentId", "Choose another agent than the one the conversations come from.")
	}
	moved := 0
	err := s.Team.InTx(ctx, func(tx *gorm.DB) error {
		from, err := team.AgentInWorkspace(tx, v.WorkspaceID, fromID)
		if err != nil {
			return err
		}
		target := "nobody (unassigned)"
		if toID != nil {
			to, err := assignee(tx, v.WorkspaceID, *toID, "toAgentId")
			if err != nil {
				return err
			}
			target = to.Email
		}
		now := s.Team.Timestamp()
		var ids []int64
		if err := visibleTo(tx.Model(&models.Conversation{}), v).
			Where("conversations.assignee_id = ? AND conversations.status IN ?", from.ID, statuses).
			Order("conversations.id").Pluck("conversations.id", &ids).Error; err != nil {
			return err
		}
		res := visibleTo(tx.Model(&models.Conversation{}), v).
			Where("conversations.assignee_id = ? AND conversations.status IN ?", from.ID, statuses).
			Updates(map[string]any{"assignee_id": toID, "updated_at": now})
		if res.Error != nil {
			return res.Error
		}
		moved = int(res.RowsAffected)
		// The badge clears when they leave an agent that is not ACTIVE.
		change := assignmentChange(from.Status != models.AgentActive, false)
		if err := s.emit(tx, conversationEvents(v.WorkspaceID, change, ids...)...); err != nil {
			return err
		}
		return tx.Create(&models.AuditEvent{WorkspaceID: v.WorkspaceID, Action: models.AuditConversationsReassigned,
			ActorID: &v.AgentID, TargetAgentID: &from.ID, CreatedAt: now,
			Summary: fmt.Sprintf("Moved %d conversations of %s to %s", moved, from.Email, target)}).Error
	})
	return moved, err
}

// SetConversationStatus changes the status of a visible conversation.
// Needs CONVERSATIONS_REPLY.
func (s *Service) SetConversationStatus(ctx context.Context, v *auth.Viewer, id int64, status models.ConversationStatus) (*models.Conversation, error) {
	if err := v.Require(models.PermConversationsReply); err != nil {
		return nil, err
	}
	return s.changeVisible(ctx, v, id, func(tx *gorm.DB, conv *models.Conversation) error {
		conv.Status, conv.UpdatedAt = status, s.Team.Timestamp()
		if err := s.emit(tx, conversationEvents(v.WorkspaceID, live.ConversationStatusChanged, conv.ID)...); err != nil {
			return err
		}
		return tx.Model(conv).Updates(map[string]any{"status": status, "updated_at": conv.UpdatedAt}).Error
	})
}

// changeVisible runs change in one transaction on a conversation the viewer
// may see (NOT_FOUND otherwise) and returns the conversation as changed.
func (s *Service) changeVisible(ctx context.Context, v *auth.Viewer, id int64, change func(tx *gorm.DB, conv *models.Conversation) error) (*models.Conversation, error) {
	var conv *models.Conversation
	err := s.Team.InTx(ctx, func(tx *gorm.DB) error {
		var err error
		if conv, err = visibleConversation(tx, v, id); err != nil {
			return err
		}
		return change(tx, conv)
	})
	if err != nil {
		return nil, err
	}
	return conv, nil
}

// SendMessage adds the viewer's reply to a visible conversation.
// Needs CONVERSATIONS_REPLY.
func (s *Service) SendMessage(ctx context.Context, v *auth.Viewer, conversationID int64, body string) (*models.Message, error) {
	if err := v.Require(models.PermConversationsReply); err != nil {
		return nil, err
	}
	body, err := validate.Text("body", body, 1, 10000, "The message")
	if err != nil {
		return nil, err
	}
	var msg models.Message
	err = s.Team.InTx(ctx, func(tx *gorm.DB) error {
		conv, err := visibleConversation(tx, v, conversationID)
		if err != nil {
			return err
		}
		now := s.Team.Timestamp()
		msg = models.Message{WorkspaceID: v.WorkspaceID, ConversationID: conv.ID, Body: body,
			AuthorKind: models.AuthorAgent, AuthorAgentID: &v.AgentID, CreatedAt: now}
		if err := tx.Create(&msg).Error; err != nil {
			return err
		}
		if err := s.emit(tx, conversationEvents(v.WorkspaceID, live.ConversationMessageAdded, conv.ID)...); err != nil {
			return err
		}
		return tx.Model(conv).Updates(map[string]any{"last_message_at": now, "activity_at": now, "updated_at": now}).Error
	})
	if err != nil {
		return nil, err
	}
	return &msg, nil
}

// Messages returns one page of a conversation's messages, oldest first,
// none unless v may see the conversation (visibleMessages).
// Needs a viewer only, like Conversation.
func (s *Service) Messages(ctx context.Context, v *auth.Viewer, conversationID int64, p paging.Page) ([]models.Message, bool, error) {
	if err := paging.CheckFirst(p.First); err != nil {
		return nil, false, err
	}
	if err := models.MessageScope(conversationID).Check(p.After); err != nil {
		return nil, false, err
	}
	q := s.visibleMessages(ctx, v, []int64{conversationID})
	q, err := db.Keyset(q, "messages.created_at", "messages.id", false, p, db.TimeKey)
	if err != nil {
		return nil, false, err
	}
	var msgs []models.Message
	if err := q.Find(&msgs).Error; err != nil {
		return nil, false, err
	}
	page, hasNext := paging.Trim(msgs, p.First)
	return page, hasNext, nil
}

// visibleMessages are the messages of those of conversationIDs that v may
// see: in v's workspace, and without CONVERSATIONS_READ_ALL only its own or
// unassigned ones (visibleTo). The callers hold conversations they read
// through a visibility-checked method; this is the second line, so an id
// that slipped through shows nothing. One statement still: the check is a
// subquery bounded by the ids.
func (s *Service) visibleMessages(ctx context.Context, v *auth.Viewer, conversationIDs []int64) *gorm.DB {
	visible := visibleTo(s.Team.DB.WithContext(ctx).Model(&models.Conversation{}), v).
		Select("conversations.id").Where("conversations.id IN ?", conversationIDs)
	return s.Team.DB.WithContext(ctx).Model(&models.Message{}).
		Where("messages.workspace_id = ?", v.WorkspaceID).
		Where("messages.conversation_id IN ?", conversationIDs).
		Where("messages.conversation_id IN (?)", visible)
}

// Message returns a message of a conversation the viewer may see, or NOT_FOUND.
// Needs a viewer only: a message of a conversation the viewer cannot see is
// NOT_FOUND.
func (s *Service) Message(ctx context.Context, v *auth.Viewer, id int64) (*models.Message, error) {
	var m models.Message
	tx := s.Team.DB.WithContext(ctx)
	err := tx.Where("id = ? AND workspace_id = ?", id, v.WorkspaceID).Take(&m).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, apperr.New(apperr.NotFound, "No such message.")
	}
	if err != nil {
		return nil, err
	}
	if _, err := visibleConversation(tx, v, m.ConversationID); err != nil {
		return nil, apperr.New(apperr.NotFound, "No such message.")
	}
	return &m, nil
}

// Contact returns a contact of one of the viewer's visible conversations, or
// NOT_FOUND.
// Needs a viewer only: a contact of no conversation the viewer can see is
// NOT_FOUND.
func (s *Service) Contact(ctx context.Context, v *auth.Viewer, id int64) (*models.Contact, error) {
	var n int64
	if err := visibleTo(s.Team.DB.WithContext(ctx).Model(&models.Conversation{}), v).
		Where("conversations.contact_id = ?", id).Limit(1).Count(&n).Error; err != nil {
		return nil, err
	}
	if n == 0 {
		return nil, apperr.New(apperr.NotFound, "No such contact.")
	}
	var c models.Contact
	err := s.Team.DB.WithContext(ctx).Where("id = ? AND workspace_id = ?", id, v.WorkspaceID).Take(&c).Error
	return &c, err
}

// ContactsByID returns the contacts of a workspace by id.
// Checks no permission: the contacts behind visible conversations.
func (s *Service) ContactsByID(ctx context.Context, workspaceID int64, ids []int64) (map[int64]*models.Contact, error) {
	return db.ByID(s.Team.DB.WithContext(ctx), "contacts", models.ContactColumns, workspaceID, ids, func(c *models.Contact) int64 { return c.ID })
}
