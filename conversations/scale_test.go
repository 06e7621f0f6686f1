//go:build scale

// The scale check of the conversation lists (not in the default test run):
//
//	TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable \
//	  go test -tags scale -run TestConversationListsAtScale -v -timeout 30m ./conversations/
//
// It loads 10,000 and 1,000,000 conversations into two workspaces of one
// PostgreSQL database and prints, for the first page of each filter, the
// median latency at both sizes and whether the plan reads an index.
package conversations_test

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"gorm.io/gorm/logger"

	"agentdesk/auth"
	"agentdesk/conversations"
	"agentdesk/db"
	"agentdesk/db/dbtest"
	"agentdesk/models"
	"agentdesk/paging"
	"agentdesk/team"
	"agentdesk/team/teamtest"
)

// lastSQL is a GORM logger that remembers the last statement, with its
// arguments inlined, for EXPLAIN.
type lastSQL struct {
	mu  sync.Mutex
	sql string
}

func (l *lastSQL) LogMode(logger.LogLevel) logger.Interface      { return l }
func (l *lastSQL) Info(context.Context, string, ...interface{})  {}
func (l *lastSQL) Warn(context.Context, string, ...interface{})  {}
func (l *lastSQL) Error(context.Context, string, ...interface{}) {}
func (l *lastSQL) Trace(_ context.Context, _ time.Time, fc func() (string, int64), _ error) {
	sql, _ := fc()
	l.mu.Lock()
	l.sql = sql
	l.mu.Unlock()
}

type scaleWorkspace struct {
	owner, agent *auth.Viewer
	assignee     int64
}

// seed creates a workspace with 50 agents (2 of them removed) and n
// conversations spread over statuses, channels and assignees: 20%
// unassigned, 4% on removed agents.
func seed(t *testing.T, svc *team.Service, name string, n int) scaleWorkspace {
	ctx := context.Background()
	res, err := svc.CreateWorkspace(ctx, models.CreateWorkspaceInput{WorkspaceName: name, OwnerName: "Owner",
		OwnerEmail: strings.ToLower(name) + "@scale.test", Password: "password1"})
	if err != nil {
		t.Fatal(err)
	}
	owner, err := svc.Sessions.ResolveViewer(ctx, res.Token)
	if err != nil {
		t.Fatal(err)
	}
	ws := owner.WorkspaceID
	exec := func(sql string, args ...any) {
		if err := svc.DB.Exec(sql, args...).Error; err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}
	exec(`INSERT INTO agents (workspace_id, email, name, status, invited_at, link_sent_at, link_expires_at, created_at, updated_at)
		SELECT ?, 'agent' || g || '@' || ? || '.test', 'Agent ' || g, CASE WHEN g <= 2 THEN 'REMOVED' ELSE 'ACTIVE' END,
		       now(), now(), now(), now(), now() FROM generate_series(1, 50) g`, ws, strings.ToLower(name))
	exec(`INSERT INTO agent_roles (agent_id, role_id) SELECT a.id, r.id FROM agents a JOIN roles r
		ON r.workspace_id = a.workspace_id AND r.name = 'Agent' WHERE a.workspace_id = ? AND a.status = 'ACTIVE' AND a.name LIKE 'Agent %'`, ws)
	var ids []int64
	svc.DB.Raw(`SELECT id FROM agents WHERE workspace_id = ? AND name LIKE 'Agent %' ORDER BY id`, ws).Scan(&ids)
	exec(`INSERT INTO contacts (workspace_id, name, email, created_at)
		SELECT ?, 'Contact ' || g, 'c' || g || '@customer.test', now() FROM generate_series(1, ?) g`, ws, max(n/10, 1))
	var firstContact int64
	svc.DB.Raw(`SELECT min(id) FROM contacts WHERE workspace_id = ?`, ws).Scan(&firstContact)
	exec(`INSERT INTO conversations (workspace_id, contact_id, subject, status, channel, assignee_id, last_message_at, activity_at, created_at, updated_at)
		SELECT ?, ? + (g % ?), 'Subject ' || g,
		       (ARRAY['OPEN','OPEN','PENDING','RESOLVED'])[1 + g % 4],
		       (ARRAY['EMAIL','WEB_CHAT','WHATSAPP','FACEBOOK','INSTAGRAM','TELEGRAM','SMS','API'])[1 + (g / 7) % 8],
		       CASE WHEN g % 5 = 0 THEN NULL
		            WHEN g % 25 = 1 THEN ?::bigint + (g / 25) % 2
		            ELSE ?::bigint + 2 + (g % 48) END,
		       ts, ts, ts, ts
		FROM (SELECT g, now() - make_interval(secs => ? - g) AS ts FROM generate_series(1, ?) g) s`,
		ws, firstContact, max(n/10, 1), ids[0], ids[0], n, n)
	exec(`ANALYZE`)
	agent := &auth.Viewer{AgentID: ids[10], WorkspaceID: ws, Permissions: models.NewPermissions(models.PermConversationsReply)}
	return scaleWorkspace{owner: owner, agent: agent, assignee: ids[10]}
}

func TestConversationListsAtScale(t *testing.T) {
	if os.Getenv("TEST_DATABASE_URL") == "" {
		t.Log("using testcontainers for PostgreSQL (TEST_DATABASE_URL not set)")
	}
	last := &lastSQL{}
	database := dbtest.Open(t, db.Postgres, last)
	svc := teamtest.New(t, database, nil)
	conv := &conversations.Service{Team: svc}

	start := time.Now()
	small := seed(t, svc, "Small", 10_000)
	big := seed(t, svc, "Big", 1_000_000)
	t.Logf("loaded 1,010,000 conversations in %s", time.Since(start).Round(time.Second))

	yes, no, open, email := true, false, models.ConversationOpen, models.ChannelEmail
	caution := models.CautionAssigneeRemoved
	cases := []struct {
		name   string
		filter func(w scaleWorkspace) models.ConversationFilter
		agent  bool // as an Agent (own + unassigned) rather than the Owner
	}{
		{"all (newest activity first)", func(scaleWorkspace) models.ConversationFilter { return models.ConversationFilter{} }, false},
		{"status: OPEN", func(scaleWorkspace) models.ConversationFilter {
			return models.ConversationFilter{Statuses: []models.ConversationStatus{open}}
		}, false},
		{"channel: EMAIL", func(scaleWorkspace) models.ConversationFilter {
			return models.ConversationFilter{Channels: []models.Channel{email}}
		}, false},
		{"assigneeId", func(w scaleWorkspace) models.ConversationFilter {
			return models.ConversationFilter{AssigneeID: &w.assignee}
		}, false},
		{"unassigned: true", func(scaleWorkspace) models.ConversationFilter { return models.ConversationFilter{Unassigned: &yes} }, false},
		{"unassigned: false", func(scaleWorkspace) models.ConversationFilter { return models.ConversationFilter{Unassigned: &no} }, false},
		{"caution: ASSIGNEE_REMOVED", func(scaleWorkspace) models.ConversationFilter { return models.ConversationFilter{Caution: &caution} }, false},
		{"as an Agent (own + unassigned)", func(scaleWorkspace) models.ConversationFilter { return models.ConversationFilter{} }, true},
	}
	measure := func(w scaleWorkspace, filter models.ConversationFilter, asAgent bool) (time.Duration, string) {
		v := w.owner
		if asAgent {
			v = w.agent
		}
		ctx := context.Background()
		var runs []time.Duration
		for i := range 60 {
			t0 := time.Now()
			rows, _, err := conv.ListConversations(ctx, v, filter, paging.Page{First: 20})
			d := time.Since(t0)
			if err != nil || len(rows) == 0 {
				t.Fatalf("list: %d rows, %v", len(rows), err)
			}
			if i >= 10 { // the first runs warm the caches
				runs = append(runs, d)
			}
		}
		slices.Sort(runs)
		last.mu.Lock()
		sql := last.sql
		last.mu.Unlock()
		var plan []string
		if err := database.Raw("EXPLAIN " + sql).Scan(&plan).Error; err != nil {
			t.Fatal(err)
		}
		return runs[len(runs)/2], strings.Join(plan, "\n")
	}
	fmt.Printf("\n| first page of | median at 10k | median at 1M | ratio | within 1.5× | plan at 1M |\n|---|---|---|---|---|---|\n")
	for _, c := range cases {
		d10k, _ := measure(small, c.filter(small), c.agent)
		d1m, plan := measure(big, c.filter(big), c.agent)
		usesIndex := strings.Contains(plan, "Index") && !strings.Contains(plan, "Seq Scan on conversations")
		ratio := float64(d1m) / float64(d10k)
		verdict := "yes"
		if ratio > 1.5 {
			verdict = "no"
		}
		how := "index"
		if !usesIndex {
			how = "NO INDEX"
		}
		fmt.Printf("| %s | %s | %s | %.2f | %s | %s |\n", c.name, d10k.Round(time.Microsecond), d1m.Round(time.Microsecond), ratio, verdict, how)
		t.Logf("%s plan at 1M:\n%s", c.name, plan)
		if !usesIndex {
			t.Errorf("%s: the plan at 1M reads no index:\n%s", c.name, plan)
		}
	}
}
