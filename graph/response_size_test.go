package graph_test

import (
	"fmt"
	"strings"
	"testing"
)

// TestAnswersAreBoundedInSize: an agent who may post messages cannot make
// one small request answer with tens of megabytes (an outside test got
// 16 MB, 63 MB with emoji, from 16 aliases of 100 bodies of 10,000
// characters, and held them in every slot by not reading): bodies are
// priced by their size, and an answer over 2 MB is refused.
func TestAnswersAreBoundedInSize(t *testing.T) {
	eachDB(t, func(t *testing.T, s *testServer) {
		owner := s.createWorkspace("Big")
		conv := s.conversation(owner.Token, "EMAIL")
		body := strings.Repeat("😀", 10_000) // 40 KB each
		for range 55 {
			s.must(owner.Token, sendQ, map[string]any{"c": conv, "b": body}, nil)
		}
		var aliases strings.Builder
		for i := range 16 {
			fmt.Fprintf(&aliases, "a%d: conversation(id: $c) { messages(first: 100) { edges { node { body } } } } ", i)
		}
		res := s.query(owner.Token, "query($c: ID!) { "+aliases.String()+"}", map[string]any{"c": conv})
		if code, limit := limitOf(res); code != "BAD_USER_INPUT" || limit != "complexity" {
			t.Fatalf("16 × 100 bodies: %.300s", res.raw)
		}
		// Under the price, over the size: twice 55 bodies of 40 KB.
		res = s.query(owner.Token, `query($c: ID!) { a: conversation(id: $c) { messages(first: 55) { edges { node { body } } } }
			b: conversation(id: $c) { messages(first: 55) { edges { node { body } } } } }`, map[string]any{"c": conv})
		if code, limit := limitOf(res); code != "BAD_USER_INPUT" || limit != "response" || len(res.raw) > 4<<10 {
			t.Fatalf("110 bodies of 40 KB: %.300s", res.raw)
		}
		// A conversation page of ordinary size is answered.
		s.must(owner.Token, `query($c: ID!) { conversation(id: $c) { messages(first: 30) { edges { node { body } } } } }`, map[string]any{"c": conv}, nil)
	})
}
