package graph

import (
	"context"
	"sync"

	"github.com/99designs/gqlgen/graphql"

	"agentdesk/auth"
	"agentdesk/graph/model"
	"agentdesk/models"
	"agentdesk/paging"
)

// Nested connections (Agent.assignedConversations, Conversation.messages)
// cost one statement per level of the response, not one per parent. gqlgen
// batches the fields of a list's items, but an object reached through a
// connection's edges is the only item of its own list (edges[i].node), so
// its batch resolver is called once per parent. The lists therefore record
// which objects they listed together (a level), and the first nested field
// resolved on one of them loads the page of every parent of its level at
// once; its siblings then find theirs here.

// pageKey names one parent's page of one nested field: a field asked with
// other arguments (an alias) is another page.
type pageKey struct {
	parent int64
	first  int
	after  string
}

// nestedPages holds, for one request and one nested field, the levels its
// parents were listed in and the pages loaded so far. Resolvers of one
// response may run on several goroutines (top-level fields), hence the lock.
type nestedPages[P, C any] struct {
	mu     sync.Mutex
	levels map[*P][]*P
	pages  map[pageKey]C
}

// addLevel records that objs were listed together.
func (n *nestedPages[P, C]) addLevel(objs []*P) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.levels == nil {
		n.levels = make(map[*P][]*P, len(objs))
	}
	for _, o := range objs {
		n.levels[o] = objs
	}
}

// resolve returns the page of each parent: from the pages already loaded,
// or loaded by load in one go for the missing parents and the rest of their
// levels. A failed load fails only the parents it was for (per item, as
// graphql.BatchErrorList), so pages already loaded keep their data.
func (n *nestedPages[P, C]) resolve(objs []*P, id func(*P) int64, first int, after string, load func([]*P) (map[int64]C, error)) ([]C, error) {
	key := func(o *P) pageKey { return pageKey{parent: id(o), first: first, after: after} }
	out := make([]C, len(objs))
	found := make([]bool, len(objs))
	var missing []*P
	seen := map[*P]bool{}
	n.mu.Lock()
	for i, o := range objs {
		if out[i], found[i] = n.pages[key(o)]; found[i] {
			continue
		}
		level := n.levels[o]
		if level == nil {
			level = []*P{o}
		}
		for _, s := range level {
			if _, done := n.pages[key(s)]; !done && !seen[s] {
				seen[s] = true
				missing = append(missing, s)
			}
		}
	}
	n.mu.Unlock()
	if len(missing) == 0 {
		return out, nil
	}
	pages, err := load(missing)
	if err != nil {
		return out, failMissing(found, err)
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.pages == nil {
		n.pages = make(map[pageKey]C, len(pages))
	}
	for _, o := range missing {
		if c, ok := pages[id(o)]; ok {
			n.pages[key(o)] = c
		}
	}
	for i, o := range objs {
		if !found[i] {
			out[i] = n.pages[key(o)]
		}
	}
	return out, nil
}

// failMissing answers err for every item not found (and nothing for the
// others), as gqlgen's per-item errors.
func failMissing(found []bool, err error) error {
	errs := make(graphql.BatchErrorList, len(found))
	for i, ok := range found {
		if !ok {
			errs[i] = err
		}
	}
	return errs
}

// levelCounts counts the items of a nested connection for every parent of
// a level with one statement, the first time one of them asks for its
// totalCount (only then: counting is not free).
type levelCounts struct {
	once   sync.Once
	ids    []int64
	count  func(ctx context.Context, ids []int64) (map[int64]int, error)
	counts map[int64]int
	err    error
}

func (l *levelCounts) of(id int64) model.Counter {
	return func(ctx context.Context) (int, error) {
		l.once.Do(func() { l.counts, l.err = l.count(ctx, l.ids) })
		return l.counts[id], l.err
	}
}

// assignedConversations answers Agent.assignedConversations for agents the
// viewer may see in full.
func (r *Resolver) assignedConversations(ctx context.Context, v *auth.Viewer, objs []*models.Agent, p paging.Page, after string) ([]*model.ConversationConnection, error) {
	return loadersFrom(ctx).assigned.resolve(objs, func(a *models.Agent) int64 { return a.ID }, p.First, after,
		func(agents []*models.Agent) (map[int64]*model.ConversationConnection, error) {
			var ids []int64
			for _, a := range agents {
				// Siblings hidden from the viewer answer an empty page
				// without asking (withDetails).
				if auth.SeesAgentDetails(ctx, a.ID) {
					ids = append(ids, a.ID)
				}
			}
			if ids = paging.UniqueIDs(ids); len(ids) == 0 {
				return nil, nil
			}
			pages, err := r.ConversationRules.AssignedConversationPages(ctx, v, ids, p)
			if err != nil {
				return nil, err
			}
			counts := &levelCounts{ids: ids, count: func(ctx context.Context, ids []int64) (map[int64]int, error) {
				return r.ConversationRules.CountAssignedConversations(ctx, v, ids)
			}}
			return levelConnections(ids, pages, func(all []models.Conversation) error {
				return r.prefetchConversationPage(ctx, v.WorkspaceID, all)
			}, func(id int64, rows []models.Conversation, hasNext bool) *model.ConversationConnection {
				sc := models.ConversationScope(models.ConversationFilter{AssigneeID: &id})
				return conversationConnection(p, sc, rows, hasNext, counts.of(id))
			})
		})
}

// conversationMessages answers Conversation.messages.
func (r *Resolver) conversationMessages(ctx context.Context, v *auth.Viewer, objs []*models.Conversation, p paging.Page, after string) ([]*model.MessageConnection, error) {
	return loadersFrom(ctx).messages.resolve(objs, func(c *models.Conversation) int64 { return c.ID }, p.First, after,
		func(convs []*models.Conversation) (map[int64]*model.MessageConnection, error) {
			ids := make([]int64, len(convs))
			for i, c := range convs {
				ids[i] = c.ID
			}
			ids = paging.UniqueIDs(ids)
			pages, err := r.ConversationRules.MessagePages(ctx, v, ids, p)
			if err != nil {
				return nil, err
			}
			counts := &levelCounts{ids: ids, count: func(ctx context.Context, ids []int64) (map[int64]int, error) {
				return r.ConversationRules.CountMessagesOf(ctx, v, ids)
			}}
			return levelConnections(ids, pages, func(all []models.Message) error {
				return r.prefetchMessagePage(ctx, v.WorkspaceID, all)
			}, func(id int64, rows []models.Message, hasNext bool) *model.MessageConnection {
				return messageConnection(p, id, rows, hasNext, counts.of(id))
			})
		})
}

// levelConnections makes the connection of each parent of a level from its
// page. The rows of all pages go into one array first, so that prefetch
// primes their own fields (and records them as one level for the next
// nested list) together; each connection then holds its slice of it.
func levelConnections[T, C any](ids []int64, pages map[int64]paging.PageOf[T], prefetch func([]T) error, conn func(id int64, rows []T, hasNext bool) C) (map[int64]C, error) {
	var all []T
	for _, id := range ids {
		all = append(all, pages[id].Rows...)
	}
	if err := prefetch(all); err != nil {
		return nil, err
	}
	out := make(map[int64]C, len(ids))
	for _, id := range ids {
		n := len(pages[id].Rows)
		out[id] = conn(id, all[:n:n], pages[id].HasNext)
		all = all[n:]
	}
	return out, nil
}

// deref is the value of an optional argument ("" when absent).
func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
