package sessions_test

import (
	"context"
	"os"
	"slices"
	"testing"
	"time"

	"agentdesk/apperr"
	"agentdesk/auth"
	"agentdesk/db"
	"agentdesk/db/dbtest"
	"agentdesk/models"
	"agentdesk/sessions"
	"agentdesk/team/teamtest"
)

func TestMain(m *testing.M) { os.Exit(dbtest.Run(m)) }

// TestResolveViewersAnswersEachTokenAsResolveViewerWould: many tokens in
// one call (the sockets hearing one event), each answered in its place:
// live sessions with their agent's roles of this moment, and
// UNAUTHENTICATED for revoked, expired, removed and unknown ones. Roles
// come in id order (the built-in Supervisor before Agent).
func TestResolveViewersAnswersEachTokenAsResolveViewerWould(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, dialect db.Dialect) {
		ctx := context.Background()
		database := dbtest.Open(t, dialect, nil)
		svc := teamtest.New(t, database, nil)
		store := svc.Sessions
		owner := teamtest.SignUp(t, svc, "olga@resolve.example.com")
		member := teamtest.Join(t, svc, owner, "mia@resolve.example.com", "Agent", "Supervisor")
		leaving := teamtest.Join(t, svc, owner, "leo@resolve.example.com", "Agent")
		other := teamtest.SignUp(t, svc, "otto@elsewhere.example.com")

		issue := func(s *sessions.Store, agentID int64) string {
			t.Helper()
			token, _, err := s.Create(database.DB, agentID)
			if err != nil {
				t.Fatal(err)
			}
			return token
		}
		ownerToken, memberToken, otherToken := issue(store, owner.AgentID), issue(store, member.AgentID), issue(store, other.AgentID)
		revoked := issue(store, member.AgentID)
		if err := store.Revoke(ctx, revoked); err != nil {
			t.Fatal(err)
		}
		expired := issue(&sessions.Store{DB: database.DB, TTL: -time.Minute, Now: store.Now}, member.AgentID)
		removed := issue(store, leaving.AgentID)
		if _, _, err := svc.RemoveAgent(ctx, owner, leaving.AgentID); err != nil {
			t.Fatal(err)
		}
		unknown, _ := auth.NewToken()

		type want struct {
			agentID, workspaceID int64
			roles                []string
			owner                bool
		}
		cases := []struct {
			token string
			want  *want // nil: UNAUTHENTICATED
		}{
			{memberToken, &want{member.AgentID, owner.WorkspaceID, []string{"Supervisor", "Agent"}, false}},
			{revoked, nil},
			{ownerToken, &want{owner.AgentID, owner.WorkspaceID, []string{"Owner"}, true}},
			{expired, nil},
			{otherToken, &want{other.AgentID, other.WorkspaceID, []string{"Owner"}, true}},
			{removed, nil},
			{unknown, nil},
			{memberToken, &want{member.AgentID, owner.WorkspaceID, []string{"Supervisor", "Agent"}, false}}, // asked twice
			{"", nil},
		}
		tokens := make([]string, len(cases))
		for i, c := range cases {
			tokens[i] = c.token
		}
		viewers, errs := store.ResolveViewers(ctx, tokens)
		if len(viewers) != len(cases) || len(errs) != len(cases) {
			t.Fatalf("%d viewers and %d errors for %d tokens", len(viewers), len(errs), len(cases))
		}
		for i, c := range cases {
			v, err := viewers[i], errs[i]
			if c.want == nil {
				if e, ok := apperr.As(err); !ok || e.Code != apperr.Unauthenticated || v != nil {
					t.Errorf("token %d: viewer %+v, error %v; want UNAUTHENTICATED", i, v, err)
				}
				continue
			}
			if err != nil {
				t.Fatalf("token %d: %v", i, err)
			}
			var names []string
			for _, r := range v.Roles {
				names = append(names, r.Name)
			}
			if v.AgentID != c.want.agentID || v.WorkspaceID != c.want.workspaceID || !slices.Equal(names, c.want.roles) ||
				v.IsOwner != c.want.owner || !slices.Equal(v.Permissions, v.Roles.Permissions()) || v.SessionID == 0 {
				t.Errorf("token %d: viewer %+v (roles %v), want %+v", i, v, names, *c.want)
			}
			if !v.Can(models.PermAgentsRead) && c.want.owner {
				t.Errorf("token %d: an owner without %s", i, models.PermAgentsRead)
			}
		}
		if viewers[0].SessionID == viewers[2].SessionID {
			t.Error("two sessions share a session id")
		}
	})
}

// TestResolveViewersCostsStatementsPerThousandTokens: looking up 2,500
// sessions of several agents costs a statement per thousand tokens and one
// for the roles, not one or two per token.
func TestResolveViewersCostsStatementsPerThousandTokens(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, dialect db.Dialect) {
		ctx := context.Background()
		database := dbtest.Open(t, dialect, nil)
		svc := teamtest.New(t, database, nil)
		owner := teamtest.SignUp(t, svc, "olga@many.example.com")
		member := teamtest.Join(t, svc, owner, "mia@many.example.com", "Agent")
		const n = 2500
		tokens := make([]string, n)
		rows := make([]models.Session, n)
		now := time.Now().UTC()
		for i := range rows {
			token, hash := auth.NewToken()
			agentID := owner.AgentID
			if i%2 == 1 {
				agentID = member.AgentID
			}
			tokens[i], rows[i] = token, models.Session{AgentID: agentID, TokenHash: hash, ExpiresAt: now.Add(time.Hour), CreatedAt: now}
		}
		if err := database.CreateInBatches(rows, 250).Error; err != nil {
			t.Fatal(err)
		}
		before := database.Statements.Load()
		viewers, errs := svc.Sessions.ResolveViewers(ctx, tokens)
		statements := database.Statements.Load() - before
		for i := range tokens {
			if errs[i] != nil {
				t.Fatalf("token %d: %v", i, errs[i])
			}
			want := owner.AgentID
			if i%2 == 1 {
				want = member.AgentID
			}
			if viewers[i].AgentID != want {
				t.Fatalf("token %d: agent %d, want %d", i, viewers[i].AgentID, want)
			}
		}
		// Three chunks of sessions, one read of the two agents' roles.
		if statements != 4 {
			t.Errorf("%d tokens cost %d statements, want 4", n, statements)
		}
	})
}
