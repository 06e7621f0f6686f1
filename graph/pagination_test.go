package graph_test

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"
)

type agentPage struct {
	Agents struct {
		TotalCount int
		Edges      []struct {
			Cursor string
			Node   struct {
				ID, Email string
				Name      *string
			}
		}
		PageInfo struct {
			HasNextPage, HasPreviousPage bool
			StartCursor, EndCursor       *string
		}
	}
}

const pageQ = `query($first: Int, $after: String, $order: AgentOrder, $filter: AgentFilter) {
	agents(first: $first, after: $after, orderBy: $order, filter: $filter) {
		edges { cursor node { id email name } }
		pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } }`

// walk reads every page of the agent list and returns the emails in order.
func walk(s *testServer, token string, first int, order map[string]any, between func(page int)) []string {
	var emails []string
	var after any
	for page := 0; ; page++ {
		var out agentPage
		s.must(token, pageQ, map[string]any{"first": first, "after": after, "order": order}, &out)
		for _, e := range out.Agents.Edges {
			emails = append(emails, e.Node.Email)
		}
		if page > 0 != out.Agents.PageInfo.HasPreviousPage {
			s.t.Fatalf("page %d: hasPreviousPage = %v", page, out.Agents.PageInfo.HasPreviousPage)
		}
		if !out.Agents.PageInfo.HasNextPage {
			return emails
		}
		after = *out.Agents.PageInfo.EndCursor
		if between != nil {
			between(page)
		}
	}
}

func TestKeysetPagination(t *testing.T) {
	eachDB(t, func(t *testing.T, s *testServer) {
		owner := s.createWorkspace("Acme")
		names := []string{"zoe", "Yann", "xavier", "Wen", "vic", "Uma", "tom", "Sia", "rex", "Quinn", "pat", "Omar"}
		for i, n := range names {
			s.clock.Advance(time.Second)
			s.invite(owner.Token, fmt.Sprintf("%s@example.com", strings.ToLower(n)), "Agent")
			if i%2 == 0 {
				s.activate(fmt.Sprintf("%s@example.com", strings.ToLower(n)), n)
			}
		}
		// Default: newest invitations first.
		got := walk(s, owner.Token, 5, nil, nil)
		want := []string{"omar@example.com", "pat@example.com", "quinn@example.com", "rex@example.com", "sia@example.com",
			"tom@example.com", "uma@example.com", "vic@example.com", "wen@example.com", "xavier@example.com",
			"yann@example.com", "zoe@example.com", owner.Email}
		if !slices.Equal(got, want) {
			t.Fatalf("newest first:\n got %v\nwant %v", got, want)
		}
		// EMAIL ascending and descending.
		sorted := slices.Clone(want)
		sort.Strings(sorted)
		if got := walk(s, owner.Token, 4, map[string]any{"field": "EMAIL"}, nil); !slices.Equal(got, sorted) {
			t.Fatalf("EMAIL ASC:\n got %v\nwant %v", got, sorted)
		}
		slices.Reverse(sorted)
		if got := walk(s, owner.Token, 3, map[string]any{"field": "EMAIL", "direction": "DESC"}, nil); !slices.Equal(got, sorted) {
			t.Fatalf("EMAIL DESC:\n got %v\nwant %v", got, sorted)
		}
		// NAME is case-insensitive; agents without a name yet ('') come first.
		byName := walk(s, owner.Token, 4, map[string]any{"field": "NAME"}, nil)
		if len(byName) != len(want) {
			t.Fatalf("NAME lists %d agents, want %d", len(byName), len(want))
		}
		activeInOrder := []string{}
		for _, e := range byName {
			for i, n := range names {
				if i%2 == 0 && e == strings.ToLower(n)+"@example.com" {
					activeInOrder = append(activeInOrder, strings.ToLower(n))
				}
			}
		}
		if !slices.IsSorted(activeInOrder) {
			t.Fatalf("NAME order not case-insensitive: %v", activeInOrder)
		}

		// Stable under inserts: an agent invited between two pages does not
		// shift the pages (no duplicate, nothing skipped).
		seen := walk(s, owner.Token, 5, nil, func(page int) {
			s.clock.Advance(time.Second)
			s.invite(owner.Token, fmt.Sprintf("late%d@example.com", page), "Agent")
		})
		if !slices.Equal(seen, want) {
			t.Fatalf("pages shifted by inserts:\n got %v\nwant %v", seen, want)
		}
	})
}

func TestListArgumentsAreValidated(t *testing.T) {
	eachDB(t, func(t *testing.T, s *testServer) {
		owner := s.createWorkspace("Acme")
		for _, first := range []int{0, -1, 101} {
			res := s.expectCode(owner.Token, pageQ, map[string]any{"first": first}, "BAD_USER_INPUT")
			if res.Errors[0].Extensions["field"] != "first" {
				t.Fatalf("first=%d: field = %v", first, res.Errors[0].Extensions["field"])
			}
			s.expectCode(owner.Token, `query($f: Int) { auditLog(first: $f) { edges { cursor } } }`, map[string]any{"f": first}, "BAD_USER_INPUT")
		}
		s.must(owner.Token, pageQ, map[string]any{"first": 100}, nil)
		for _, after := range []string{"garbage", "eyJrIjoxfQ"} {
			res := s.expectCode(owner.Token, pageQ, map[string]any{"first": 1, "after": after}, "BAD_USER_INPUT")
			if res.Errors[0].Extensions["field"] != "after" {
				t.Fatalf("after=%q: field = %v", after, res.Errors[0].Extensions["field"])
			}
		}
	})
}

func TestAgentFilters(t *testing.T) {
	eachDB(t, func(t *testing.T, s *testServer) {
		owner := s.createWorkspace("Acme")
		s.member(owner, "ana.lima@example.com", "Supervisor")
		s.invite(owner.Token, "bruno@example.com", "Agent")
		s.invite(owner.Token, "carla@lima.example.org", "Agent", "Supervisor")
		s.invite(owner.Token, "under_score@example.com", "Agent")
		emails := func(filter map[string]any) []string {
			var out agentPage
			s.must(owner.Token, pageQ, map[string]any{"first": 100, "filter": filter, "order": map[string]any{"field": "EMAIL"}}, &out)
			var got []string
			for _, e := range out.Agents.Edges {
				got = append(got, e.Node.Email)
			}
			return got
		}
		if got := emails(map[string]any{"search": "LIMA"}); !slices.Equal(got, []string{"ana.lima@example.com", "carla@lima.example.org"}) {
			t.Fatalf("search LIMA = %v", got)
		}
		if got := emails(map[string]any{"search": "Agent ana"}); !slices.Equal(got, []string{"ana.lima@example.com"}) {
			t.Fatalf("search by name = %v", got)
		}
		// LIKE wildcards in the search are literal.
		if got := emails(map[string]any{"search": "_"}); !slices.Equal(got, []string{"under_score@example.com"}) {
			t.Fatalf("search _ = %v", got)
		}
		sup := s.roleID(owner.Token, "Supervisor")
		if got := emails(map[string]any{"roleIds": []string{sup}}); !slices.Equal(got, []string{"ana.lima@example.com", "carla@lima.example.org"}) {
			t.Fatalf("roleIds Supervisor = %v", got)
		}
		if got := emails(map[string]any{"status": []string{"PENDING"}}); len(got) != 3 {
			t.Fatalf("PENDING = %v", got)
		}
		var out agentPage
		s.must(owner.Token, `query($f: AgentFilter) { agents(filter: $f) { totalCount } }`, map[string]any{"f": map[string]any{"status": []string{"ACTIVE"}}}, &out)
		if out.Agents.TotalCount != 2 {
			t.Fatalf("totalCount ACTIVE = %d", out.Agents.TotalCount)
		}
	})
}
