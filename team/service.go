// Package team holds the rules of a workspace's team: workspaces, accounts,
// agents and their lifecycle, roles and permissions, seats and the audit log
// (BEHAVIOUR.md §2–4). It knows nothing of GraphQL: callers pass a viewer and
// plain values and get models or *apperr.Error back.
package team

import (
	"context"
	"errors"
	"math/rand/v2"
	"sync"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"agentdesk/apperr"
	"agentdesk/auth"
	"agentdesk/db"
	"agentdesk/live"
	"agentdesk/models"
	"agentdesk/paging"
	"agentdesk/ratelimit"
	"agentdesk/sessions"
)

// Config holds the settings the rules depend on.
type Config struct {
	PublicURL      string
	AllowSignup    bool
	InvitationTTL  time.Duration
	ResendCooldown time.Duration
	// MailWorkspaceDailyLimit caps a workspace's activation emails in any
	// 24 hours; 0 means DefaultMailWorkspaceDailyLimit, never unlimited.
	MailWorkspaceDailyLimit int
	// MailNewWorkspaceDailyLimit caps the activation emails of a workspace
	// younger than a day; 0 means DefaultMailNewWorkspaceDailyLimit.
	MailNewWorkspaceDailyLimit int
	// MailAddressDailyLimit caps the activation emails one address receives
	// in any 24 hours from all workspaces together; 0 means
	// DefaultMailAddressDailyLimit.
	MailAddressDailyLimit int
	// SignupPerIPHourly caps the workspaces created from one client (see
	// models.CreateWorkspaceInput.Client) per hour; 0 means DefaultSignupPerIPHourly.
	SignupPerIPHourly int
}

// EmailQueue queues the job that sends an outbox email, inside the
// transaction that wrote the email.
type EmailQueue interface {
	EnqueueEmail(tx *gorm.DB, emailID int64) error
}

// Service applies the rules against the database.
type Service struct {
	DB        *db.DB
	Sessions  *sessions.Store
	Passwords *auth.Passwords
	Emails    EmailQueue
	// Live carries committed changes to subscribers (nil: nobody listens).
	Live   *live.Broker
	Config Config
	// Now is the clock; tests replace it to expire links without sleeping.
	Now func() time.Time
	// SignupLimit, when set, counts workspace creations per client for
	// every replica (REDIS_URL); nil: counted in this process.
	SignupLimit ratelimit.Spender

	signupOnce sync.Once
	signups    ratelimit.Spender // see signupLimiter
}

// Timestamp is the current time as the rules record it: UTC, to the
// microsecond both databases store.
func (s *Service) Timestamp() time.Time { return s.Now().UTC().Truncate(time.Microsecond) }

// txAttempts bounds how often InTx runs a transaction that keeps losing
// races (deadlock, serialization failure, SQLite busy).
const txAttempts = 5

// txBackoff is the first retry's longest pause; each further retry doubles
// it (5, 10, 20, 40 ms), jittered so the two losers of a deadlock do not
// collide again in step.
var txBackoff = 5 * time.Millisecond

// conflictMessages is what a client reads when a write breaks a unique
// constraint, one message per constraint (db.UniqueConstraints) whichever
// mutation broke it: most are checked before writing, so this is mostly the
// answer to the loser of a race between two equal requests.
var conflictMessages = map[string]string{
	db.UniqueAccountEmail:    "This email already has an account; give its password.",
	db.UniqueRoleName:        roleNameTaken,
	db.UniqueAgentEmail:      "An agent with this email is already in the workspace.",
	db.UniqueAgentRole:       "The agent already holds this role.",
	db.UniqueActivationToken: "The new activation link could not be issued; try again.",
	db.UniqueSessionToken:    "The session could not be started; try again.",
}

// conflictMessage answers a unique violation: the constraint's message, or,
// for a constraint without one, a sentence that names no internals.
func conflictMessage(err error) string {
	if msg, ok := conflictMessages[db.UniqueConstraint(err)]; ok {
		return msg
	}
	return "This would duplicate something that already exists."
}

// InTx runs fn in one transaction: the unit of every mutation, so a failed
// mutation changes nothing. Unique violations become CONFLICT, with the
// message of the constraint (conflictMessages). A transaction
// the database rolled back for losing a race (db.ErrRetryable) runs again,
// up to txAttempts times, so fn must start from scratch on every call (assign,
// don't append, to variables outside it); past that it answers CONFLICT, never
// INTERNAL: the client did nothing wrong and may simply try again.
func (s *Service) InTx(ctx context.Context, fn func(tx *gorm.DB) error) error {
	for attempt := 1; ; attempt++ {
		// Each attempt collects its own events: a rolled-back attempt's
		// never leave.
		txCtx, events := live.Begin(ctx)
		err := db.TranslateError(s.DB.WithContext(txCtx).Transaction(fn))
		if err == nil {
			s.Live.Committed(events)
			return nil
		}
		switch {
		case errors.Is(err, db.ErrUniqueViolation):
			return apperr.New(apperr.Conflict, "%s", conflictMessage(err))
		case !errors.Is(err, db.ErrRetryable):
			return err
		case attempt == txAttempts:
			return apperr.New(apperr.Conflict, "Someone else changed the same data at the same moment; try again.")
		}
		pause := time.NewTimer(rand.N(txBackoff << (attempt - 1)))
		select {
		case <-ctx.Done():
			pause.Stop()
			return ctx.Err()
		case <-pause.C:
		}
	}
}

// lockWorkspace serialises the mutations of one workspace that check counts
// (seats, last owner, duplicate emails) or change agents and roles. It is the
// first lock such a transaction takes, so they all lock in the same order
// (workspace, then its rows) and cannot deadlock one another. FOR NO KEY
// UPDATE, not FOR UPDATE: it still excludes the other lockers, but not the
// FOR KEY SHARE lock every insert referencing the workspace takes for its
// foreign key (audit events, messages), which would otherwise wait on it or
// close a deadlock cycle. SQLite needs no lock: its single connection
// already runs one transaction at a time.
func (s *Service) lockWorkspace(tx *gorm.DB, workspaceID int64) error {
	q := tx.Model(&models.Workspace{}).Select("id").Where("id = ?", workspaceID)
	if s.DB.Dialect == db.Postgres {
		q = q.Clauses(clause.Locking{Strength: "NO KEY UPDATE"})
	}
	var id int64
	return q.Scan(&id).Error
}

// lockedAgent locks the workspace (lockWorkspace) and then loads one of its
// agents, or NOT_FOUND: how every change to an agent starts.
func (s *Service) lockedAgent(tx *gorm.DB, workspaceID, agentID int64) (*models.Agent, error) {
	if err := s.lockWorkspace(tx, workspaceID); err != nil {
		return nil, err
	}
	return AgentInWorkspace(tx, workspaceID, agentID)
}

// AgentInWorkspace loads an agent of the viewer's workspace, or NOT_FOUND:
// an id from another workspace is indistinguishable from no id at all.
func AgentInWorkspace(tx *gorm.DB, workspaceID, agentID int64) (*models.Agent, error) {
	var a models.Agent
	err := tx.Where("id = ? AND workspace_id = ?", agentID, workspaceID).Take(&a).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, apperr.New(apperr.NotFound, "No such agent.")
	}
	return &a, err
}

// rolesInWorkspace loads the roles of ids, all of which must belong to the
// workspace (BAD_USER_INPUT on field otherwise).
func rolesInWorkspace(tx *gorm.DB, workspaceID int64, ids []int64, field string) (models.Roles, error) {
	if len(ids) == 0 {
		return nil, apperr.Input(field, "Choose at least one role.")
	}
	ids = paging.UniqueIDs(ids)
	var roles []models.Role
	if err := tx.Where("workspace_id = ? AND id IN ?", workspaceID, ids).Order("id").Find(&roles).Error; err != nil {
		return nil, err
	}
	if len(roles) != len(ids) {
		return nil, apperr.Input(field, "One or more roles do not exist in this workspace.")
	}
	return roles, nil
}

func setRoles(tx *gorm.DB, agentID int64, roles []models.Role) error {
	if err := tx.Where("agent_id = ?", agentID).Delete(&models.AgentRole{}).Error; err != nil {
		return err
	}
	if len(roles) == 0 {
		return nil
	}
	rows := make([]models.AgentRole, len(roles))
	for i, r := range roles {
		rows[i] = models.AgentRole{AgentID: agentID, RoleID: r.ID}
	}
	return tx.Create(&rows).Error
}

// checkGrant enforces "no escalation": a caller grants only permissions it
// holds, and only an Owner grants the Owner role.
func checkGrant(v *auth.Viewer, granted models.Roles) error {
	if granted.HasOwner() && !v.IsOwner {
		return apperr.New(apperr.Forbidden, "Only an Owner can grant the Owner role.")
	}
	if missing := v.Permissions.Missing(granted.Permissions()); len(missing) > 0 {
		return apperr.New(apperr.Forbidden, "You cannot grant permissions you do not hold: %v.", missing)
	}
	return nil
}

// activeOwnerCount counts the ACTIVE agents holding the Owner role.
func activeOwnerCount(tx *gorm.DB, workspaceID int64) (int64, error) {
	var n int64
	isOwner, args := models.OwnerRoleSQL()
	err := tx.Model(&models.Agent{}).
		Joins("JOIN agent_roles ON agent_roles.agent_id = agents.id").
		Joins("JOIN roles ON roles.id = agent_roles.role_id").
		Where("agents.workspace_id = ? AND agents.status = ?", workspaceID, models.AgentActive).
		Where(isOwner, args...).
		Count(&n).Error
	return n, err
}

// emit records changes of the transaction tx for the subscribers of live
// updates: they leave only once it has committed (see package live).
func (s *Service) emit(tx *gorm.DB, events ...live.Event) error {
	return EmitIn(s.Live, tx, events...)
}

// EmitIn records events of the transaction tx with broker.
func EmitIn(broker *live.Broker, tx *gorm.DB, events ...live.Event) error {
	return broker.Emit(tx.Statement.Context, func(sql string, args ...any) error { return tx.Exec(sql, args...).Error }, events...)
}
