// Package demo loads a realistic workspace for a newcomer to explore: agents
// in every state, the built-in roles plus a custom one, and a few hundred
// conversations, some still assigned to removed agents so the caution badge
// shows. It goes through the same rules as the API.
package demo

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"regexp"
	"time"

	"agentdesk/apperr"
	"agentdesk/auth"
	"agentdesk/conversations"
	"agentdesk/models"
	"agentdesk/team"
)

const (
	// OwnerEmail and Password sign in to the demo workspace (every demo agent
	// has the same password).
	OwnerEmail    = "olivia.owner@demo.agentdesk.test"
	Password      = "demo-password-123"
	WorkspaceName = "Demo Support"
)

// Result says what Load did.
type Result struct {
	Created       bool
	Agents        int
	Conversations int
}

// Load creates the demo workspace unless it exists already (then it changes
// nothing): the second run does not duplicate it.
func Load(ctx context.Context, svc *team.Service) (Result, error) {
	if _, err := svc.Login(ctx, models.LoginInput{Email: OwnerEmail, Password: Password}); err == nil {
		return Result{}, nil
	} else if !apperr.Is(err, apperr.InvalidCredentials) {
		return Result{}, err
	}
	// Timestamps spread over the last weeks: the loader drives the clock.
	realNow := svc.Now
	clock := realNow().Add(-21 * 24 * time.Hour)
	svc.Now = func() time.Time { return clock }
	defer func() { svc.Now = realNow }()
	tick := func(d time.Duration) { clock = clock.Add(d) }

	l := &loader{ctx: ctx, svc: svc, conversations: &conversations.Service{Team: svc}, rnd: rand.New(rand.NewPCG(7, 11))}
	owner, err := svc.CreateWorkspace(ctx, models.CreateWorkspaceInput{WorkspaceName: WorkspaceName,
		OwnerName: "Olivia Owner", OwnerEmail: OwnerEmail, Password: Password})
	if err != nil {
		return Result{}, err
	}
	if l.owner, err = svc.Sessions.ResolveViewer(ctx, owner.Token); err != nil {
		return Result{}, err
	}
	if l.roles, err = l.roleIDs(); err != nil {
		return Result{}, err
	}
	if _, err := svc.CreateRole(ctx, l.owner, models.RoleInput{Name: ptr("AI agent manager"),
		Description: ptr("Configures and supervises the AI agent; handles conversations."),
		Permissions: &[]models.Permission{models.PermAIAgentManage, models.PermAgentsRead, models.PermConversationsReply}}); err != nil {
		return Result{}, err
	}
	if l.roles, err = l.roleIDs(); err != nil {
		return Result{}, err
	}

	active := []struct{ name, role string }{
		{"Adam Admin", models.RoleAdministrator}, {"Alicia Admin", models.RoleAdministrator},
		{"Sam Supervisor", models.RoleSupervisor}, {"Sofia Supervisor", models.RoleSupervisor},
		{"Ana Agent", models.RoleAgent}, {"Bruno Agent", models.RoleAgent}, {"Chen Agent", models.RoleAgent},
		{"Dara Agent", models.RoleAgent}, {"Emil Agent", models.RoleAgent}, {"Farah Agent", models.RoleAgent},
		{"Ida AI-manager", "AI agent manager"},
	}
	var handlers []int64 // agents that can be assigned conversations
	for _, a := range active {
		tick(3 * time.Hour)
		id, err := l.member(a.name, a.role)
		if err != nil {
			return Result{}, fmt.Errorf("demo agent %s: %w", a.name, err)
		}
		handlers = append(handlers, id)
	}
	leavers := make([]int64, 0, 2)
	for _, name := range []string{"Rita Leaver", "Rob Leaver"} {
		tick(3 * time.Hour)
		id, err := l.member(name, models.RoleAgent)
		if err != nil {
			return Result{}, err
		}
		leavers = append(leavers, id)
	}

	// A few hundred conversations over all channels and statuses.
	statuses := []models.ConversationStatus{models.ConversationOpen, models.ConversationOpen, models.ConversationPending, models.ConversationResolved}
	const conversations = 300
	for i := range conversations {
		tick(time.Duration(50+l.rnd.IntN(40)) * time.Minute)
		assignTo := (*int64)(nil)
		switch n := l.rnd.IntN(10); {
		case n < 2: // unassigned
		case n < 4:
			assignTo = &leavers[l.rnd.IntN(len(leavers))]
		default:
			assignTo = &handlers[4+l.rnd.IntN(len(handlers)-4)]
		}
		if err := l.conversation(i, assignTo, statuses[l.rnd.IntN(len(statuses))]); err != nil {
			return Result{}, fmt.Errorf("demo conversation %d: %w", i, err)
		}
	}

	// The two leavers are removed: their conversations keep them as assignee
	// and show the caution badge.
	for _, id := range leavers {
		tick(time.Hour)
		if _, _, err := svc.RemoveAgent(ctx, l.owner, id); err != nil {
			return Result{}, err
		}
	}
	// Pending invitations: one whose link has expired, two fresh ones.
	clock = realNow().Add(-9 * 24 * time.Hour)
	if _, err := svc.InviteAgent(ctx, l.owner, "gina.late@demo.agentdesk.test", []int64{l.roles[models.RoleAgent]}); err != nil {
		return Result{}, err
	}
	clock = realNow().Add(-2 * time.Hour)
	for _, email := range []string{"hugo.new@demo.agentdesk.test", "iris.new@demo.agentdesk.test"} {
		tick(10 * time.Minute)
		if _, err := svc.InviteAgent(ctx, l.owner, email, []int64{l.roles[models.RoleSupervisor]}); err != nil {
			return Result{}, err
		}
	}
	return Result{Created: true, Agents: 1 + len(active) + len(leavers) + 3, Conversations: conversations}, nil
}

type loader struct {
	ctx           context.Context
	svc           *team.Service
	conversations *conversations.Service
	rnd           *rand.Rand
	owner         *auth.Viewer
	roles         map[string]int64
}

func ptr[T any](v T) *T { return &v }

func (l *loader) roleIDs() (map[string]int64, error) {
	roles, err := l.svc.Roles(l.ctx, l.owner)
	if err != nil {
		return nil, err
	}
	out := map[string]int64{}
	for _, r := range roles {
		out[r.Name] = r.ID
	}
	return out, nil
}

var tokenInLink = regexp.MustCompile(`/activate\?token=([A-Za-z0-9_-]+)`)

// member invites and activates an agent, following the emailed link.
func (l *loader) member(name, role string) (int64, error) {
	email := fmt.Sprintf("%s@demo.agentdesk.test", slug(name))
	agent, err := l.svc.InviteAgent(l.ctx, l.owner, email, []int64{l.roles[role]})
	if err != nil {
		return 0, err
	}
	var e models.Email
	if err := l.svc.DB.WithContext(l.ctx).Where("agent_id = ?", agent.ID).Order("id DESC").Take(&e).Error; err != nil {
		return 0, err
	}
	m := tokenInLink.FindStringSubmatch(e.BodyText)
	if m == nil {
		return 0, errors.New("activation email without a link")
	}
	if _, err := l.svc.ActivateAccount(l.ctx, models.ActivateInput{Token: m[1], Name: &name, Password: Password}); err != nil {
		return 0, err
	}
	return agent.ID, nil
}

func slug(name string) string {
	out := []byte{}
	for _, c := range []byte(name) {
		switch {
		case c >= 'A' && c <= 'Z':
			out = append(out, c+'a'-'A')
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9':
			out = append(out, c)
		case c == ' ' || c == '-':
			out = append(out, '.')
		}
	}
	return string(out)
}

var (
	firstNames = []string{"Maya", "Liam", "Noah", "Zoe", "Omar", "Lena", "Ivan", "Yuki", "Pablo", "Nora", "Tariq", "Elif"}
	lastNames  = []string{"Silva", "Kowalski", "Nguyen", "Okafor", "Larsen", "Haddad", "Rossi", "Tanaka", "Moreau", "Schmidt"}
	subjects   = []string{"Order has not arrived", "Refund request", "Cannot log in", "Change delivery address",
		"Invoice copy", "Product arrived damaged", "Question about pricing", "Cancel my subscription",
		"Discount code not working", "Where is my parcel?"}
	replies = []string{"Thanks for reaching out, I'm looking into it.", "Could you send me your order number?",
		"I've escalated this to our logistics team.", "That should be sorted now — can you check?",
		"Sorry for the trouble, a refund is on its way."}
)

// conversation creates one conversation with a short exchange.
func (l *loader) conversation(i int, assignTo *int64, status models.ConversationStatus) error {
	first, last := firstNames[l.rnd.IntN(len(firstNames))], lastNames[l.rnd.IntN(len(lastNames))]
	contact := first + " " + last
	email := fmt.Sprintf("%s.%s.%d@customer.test", slug(first), slug(last), i%120)
	phone := fmt.Sprintf("+1555%07d", l.rnd.IntN(10_000_000))
	subject := subjects[l.rnd.IntN(len(subjects))]
	channel := models.AllChannels[l.rnd.IntN(len(models.AllChannels))]
	conv, err := l.conversations.CreateConversation(l.ctx, l.owner, models.CreateConversationInput{Channel: channel, Subject: &subject,
		ContactName: &contact, ContactEmail: &email, ContactPhone: &phone, Message: "Hi! " + subject + "."})
	if err != nil {
		return err
	}
	if assignTo == nil {
		return l.setStatus(conv.ID, status)
	}
	if _, err := l.conversations.AssignConversation(l.ctx, l.owner, conv.ID, assignTo); err != nil {
		return err
	}
	agent := &auth.Viewer{AgentID: *assignTo, WorkspaceID: l.owner.WorkspaceID,
		Permissions: models.NewPermissions(models.PermConversationsReply)}
	for range l.rnd.IntN(3) {
		if _, err := l.conversations.SendMessage(l.ctx, agent, conv.ID, replies[l.rnd.IntN(len(replies))]); err != nil {
			return err
		}
	}
	return l.setStatus(conv.ID, status)
}

func (l *loader) setStatus(id int64, status models.ConversationStatus) error {
	if status == models.ConversationOpen {
		return nil
	}
	_, err := l.conversations.SetConversationStatus(l.ctx, l.owner, id, status)
	return err
}
