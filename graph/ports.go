package graph

import (
	"context"

	"agentdesk/auth"
	"agentdesk/models"
	"agentdesk/paging"
)

// The rules the resolvers call, declared here where they are used (as
// authorizer puts its storage behind an interface): graph depends on what
// it asks of the rules, not on the packages that answer it, so it builds
// without GORM. server.go wires the implementations in.

// TeamRules are the rules of a workspace's team: sign-up and sign-in,
// agents, roles, seats and the audit log (implemented by *team.Service).
type TeamRules interface {
	CreateWorkspace(ctx context.Context, in models.CreateWorkspaceInput) (*models.AuthResult, error)
	Login(ctx context.Context, in models.LoginInput) (*models.AuthResult, error)
	Logout(ctx context.Context, token string) error
	PreviewInvitation(ctx context.Context, token string) (*models.InvitationPreview, error)
	ActivateAccount(ctx context.Context, in models.ActivateInput) (*models.AuthResult, error)

	Workspace(ctx context.Context, v *auth.Viewer) (*models.Workspace, error)
	UpdateWorkspace(ctx context.Context, v *auth.Viewer, in models.UpdateWorkspaceInput) (*models.Workspace, error)
	SeatsUsed(ctx context.Context, workspaceID int64) (int, error)

	Agent(ctx context.Context, v *auth.Viewer, id int64) (*models.Agent, error)
	ListAgents(ctx context.Context, v *auth.Viewer, f models.AgentFilter, o models.AgentOrder, p paging.Page) ([]models.AgentRow, bool, error)
	CountAgents(ctx context.Context, v *auth.Viewer, f models.AgentFilter) (int, error)
	InviteAgent(ctx context.Context, v *auth.Viewer, rawEmail string, roleIDs []int64) (*models.Agent, error)
	ResendActivationLink(ctx context.Context, v *auth.Viewer, agentID int64) (*models.Agent, error)
	RemoveAgent(ctx context.Context, v *auth.Viewer, agentID int64) (*models.Agent, int, error)
	UpdateAgentRoles(ctx context.Context, v *auth.Viewer, agentID int64, roleIDs []int64) (*models.Agent, error)
	InviteAgents(ctx context.Context, v *auth.Viewer, rawEmails []string, roleIDs []int64) ([]*models.Agent, []models.InviteFailure, error)
	InvitationOf(v *auth.Viewer, a *models.Agent) *models.Invitation
	CountAgentsByStatus(ctx context.Context, v *auth.Viewer, f models.AgentFilter) (models.AgentCounts, error)

	// Permission hints (Agent.viewerCan): the mutations' own checks on the
	// facts of one request, and the roles the viewer may grant.
	NewWorkspaceFacts(ctx context.Context, v *auth.Viewer) models.WorkspaceFacts
	AgentActions(v *auth.Viewer, agents []*models.Agent, roles map[int64][]models.Role, facts models.WorkspaceFacts) ([]models.AgentActions, error)
	GrantableRoles(ctx context.Context, v *auth.Viewer) ([]models.Role, error)

	Role(ctx context.Context, v *auth.Viewer, id int64) (*models.Role, error)
	Roles(ctx context.Context, v *auth.Viewer) ([]models.Role, error)
	CreateRole(ctx context.Context, v *auth.Viewer, in models.RoleInput) (*models.Role, error)
	UpdateRole(ctx context.Context, v *auth.Viewer, roleID int64, in models.RoleInput) (*models.Role, error)
	DeleteRole(ctx context.Context, v *auth.Viewer, roleID int64) error

	AuditEvent(ctx context.Context, v *auth.Viewer, id int64) (*models.AuditEvent, error)
	AuditLog(ctx context.Context, v *auth.Viewer, p paging.Page) ([]models.AuditEvent, bool, error)
	CountAuditEvents(ctx context.Context, v *auth.Viewer) (int, error)

	// Batch reads behind the request's loaders. What they show of an agent
	// follows v.SeesAgentDetails (auth.DetailsViewer).
	AgentsByID(ctx context.Context, v *auth.Viewer, ids []int64) (map[int64]*models.Agent, error)
	RolesByID(ctx context.Context, workspaceID int64, ids []int64) (map[int64]*models.Role, error)
	RolesByAgent(ctx context.Context, v *auth.Viewer, agentIDs []int64) (map[int64][]models.Role, error)
	AgentCountByRole(ctx context.Context, roleIDs []int64) (map[int64]int, error)

	// Live updates: the changed agent, read once for all the subscribers of
	// an event, and Agent's permission rule, applied per subscriber.
	ChangedAgent(ctx context.Context, workspaceID, id int64) (*models.Agent, error)
	CheckAgentRead(v *auth.Viewer, id int64) error
}

// ConversationRules are the rules of conversations, their messages and
// contacts (implemented by *conversations.Service).
type ConversationRules interface {
	Conversation(ctx context.Context, v *auth.Viewer, id int64) (*models.Conversation, error)
	ListConversations(ctx context.Context, v *auth.Viewer, f models.ConversationFilter, p paging.Page) ([]models.Conversation, bool, error)
	CountConversations(ctx context.Context, v *auth.Viewer, f models.ConversationFilter) (int, error)
	CreateConversation(ctx context.Context, v *auth.Viewer, in models.CreateConversationInput) (*models.Conversation, error)
	AssignConversation(ctx context.Context, v *auth.Viewer, conversationID int64, agentID *int64) (*models.Conversation, error)
	ReassignConversations(ctx context.Context, v *auth.Viewer, fromID int64, toID *int64, statuses []models.ConversationStatus) (int, error)
	SetConversationStatus(ctx context.Context, v *auth.Viewer, id int64, status models.ConversationStatus) (*models.Conversation, error)
	SendMessage(ctx context.Context, v *auth.Viewer, conversationID int64, body string) (*models.Message, error)
	Message(ctx context.Context, v *auth.Viewer, id int64) (*models.Message, error)
	Contact(ctx context.Context, v *auth.Viewer, id int64) (*models.Contact, error)

	// Nested pages of a whole level of parents, and the batch read behind
	// the contact loader.
	AssignedConversationPages(ctx context.Context, v *auth.Viewer, agentIDs []int64, p paging.Page) (map[int64]paging.PageOf[models.Conversation], error)
	CountAssignedConversations(ctx context.Context, v *auth.Viewer, agentIDs []int64) (map[int64]int, error)
	MessagePages(ctx context.Context, v *auth.Viewer, conversationIDs []int64, p paging.Page) (map[int64]paging.PageOf[models.Message], error)
	CountMessagesOf(ctx context.Context, v *auth.Viewer, conversationIDs []int64) (map[int64]int, error)
	ContactsByID(ctx context.Context, workspaceID int64, ids []int64) (map[int64]*models.Contact, error)

	// Live updates: a changed conversation read once per event, and what
	// a subscriber with this filter may see of it (no statement).
	ChangedConversation(ctx context.Context, workspaceID, id int64) (*models.ChangedConversation, error)
	ConversationMatching(v *auth.Viewer, f models.ConversationFilter, changed *models.ChangedConversation) (*models.Conversation, bool)
}
