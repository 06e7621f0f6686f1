package models

import (
	"testing"

	"agentdesk/apperr"
	"agentdesk/paging"
)

// TestCursorScopeCheck: a list takes no cursor, or one of its own scope;
// a cursor of another order or filter is BAD_USER_INPUT on after.
func TestCursorScopeCheck(t *testing.T) {
	sc := AgentScope(AgentFilter{}, AgentOrder{Field: AgentOrderName})
	for _, tc := range []struct {
		name  string
		after *paging.Cursor
		ok    bool
	}{
		{"no cursor", nil, true},
		{"same list", &paging.Cursor{Key: "ada", ID: 1, CursorScope: sc}, true},
		{"another order", &paging.Cursor{Key: "ada", ID: 1, CursorScope: paging.CursorScope{Order: "EMAIL:ASC", Filter: sc.Filter}}, false},
		{"another filter", &paging.Cursor{Key: "ada", ID: 1, CursorScope: paging.CursorScope{Order: sc.Order, Filter: "AAAAAAAAAAA"}}, false},
		{"no filter", &paging.Cursor{Key: "ada", ID: 1, CursorScope: paging.CursorScope{Order: sc.Order}}, false},
		{"no scope", &paging.Cursor{Key: "ada", ID: 1}, false},
	} {
		err := sc.Check(tc.after)
		if tc.ok != (err == nil) {
			t.Errorf("%s: %v", tc.name, err)
		}
		if e, isApp := apperr.As(err); err != nil && (!isApp || e.Code != apperr.BadUserInput || e.Field != "after") {
			t.Errorf("%s: %#v, want BAD_USER_INPUT on after", tc.name, err)
		}
	}
}

// TestCursorScopesNameTheirList: two requests get the same scope exactly
// when they ask for the same list: however its filter is spelled (a set in
// any order, the default statuses, search case and spaces), and never for
// another order, filter, parent or kind of list.
func TestCursorScopesNameTheirList(t *testing.T) {
	id := func(n int64) *int64 { return &n }
	yes, no := true, false
	removed := CautionAssigneeRemoved
	same := [][]paging.CursorScope{
		{AgentScope(AgentFilter{}, AgentOrder{}), AgentScope(AgentFilter{}, AgentOrder{Field: AgentOrderInvitedAt, Desc: true}),
			AgentScope(AgentFilter{Statuses: []AgentStatus{AgentActive, AgentPending, AgentActive}}, AgentOrder{})},
		{AgentScope(AgentFilter{Search: "ada", RoleIDs: []int64{2, 1}}, AgentOrder{Field: AgentOrderName}),
			AgentScope(AgentFilter{Search: "  ADA ", RoleIDs: []int64{1, 2, 2}}, AgentOrder{Field: AgentOrderName})},
		{ConversationScope(ConversationFilter{Statuses: []ConversationStatus{ConversationOpen, ConversationPending}}),
			ConversationScope(ConversationFilter{Statuses: []ConversationStatus{ConversationPending, ConversationOpen}})},
		{MessageScope(7), MessageScope(7)},
	}
	for i, group := range same {
		for _, sc := range group[1:] {
			if sc != group[0] {
				t.Errorf("group %d: %+v and %+v name the same list", i, group[0], sc)
			}
		}
	}

	distinct := []paging.CursorScope{AuditScope, MessageScope(1), MessageScope(2), MessageScope(12),
		ConversationScope(ConversationFilter{}),
		ConversationScope(ConversationFilter{AssigneeID: id(1)}), ConversationScope(ConversationFilter{AssigneeID: id(2)}),
		ConversationScope(ConversationFilter{Unassigned: &yes}), ConversationScope(ConversationFilter{Unassigned: &no}),
		ConversationScope(ConversationFilter{Caution: &removed}),
		ConversationScope(ConversationFilter{Channels: []Channel{ChannelEmail}}),
		ConversationScope(ConversationFilter{Statuses: []ConversationStatus{ConversationOpen}}),
		// A status list and a channel list holding the same text differ.
		ConversationScope(ConversationFilter{Statuses: []ConversationStatus{"X"}}),
		ConversationScope(ConversationFilter{Channels: []Channel{"X"}}),
		AgentScope(AgentFilter{Search: "ada"}, AgentOrder{}), AgentScope(AgentFilter{Search: "bob"}, AgentOrder{}),
		AgentScope(AgentFilter{RoleIDs: []int64{1}}, AgentOrder{}), AgentScope(AgentFilter{RoleIDs: []int64{12}}, AgentOrder{}),
		AgentScope(AgentFilter{Statuses: []AgentStatus{AgentRemoved}}, AgentOrder{}),
	}
	for _, field := range []AgentOrderField{AgentOrderInvitedAt, AgentOrderName, AgentOrderEmail} {
		for _, desc := range []bool{false, true} {
			distinct = append(distinct, AgentScope(AgentFilter{}, AgentOrder{Field: field, Desc: desc}))
		}
	}
	for i, a := range distinct {
		for _, b := range distinct[i+1:] {
			if a == b {
				t.Errorf("%+v names two lists", a)
			}
		}
	}
}
