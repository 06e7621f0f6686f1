package graph_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"syscall"
	"testing"
	"time"

	"agentdesk/db"
)

// hostileShape is a request built to make the server work hard before any
// resolver runs: in parsing, in validation or in the limits themselves.
type hostileShape struct {
	name  string
	query string
	vars  map[string]any
	// want is the answer: "" when the request is answered with data, else
	// the error's extensions.limit, or its reason for gqlgen's own errors.
	want string
}

// repeat writes pattern n times, with {i} and {j} replaced by the turn and
// the next.
func repeat(pattern string, n int) string {
	var b strings.Builder
	for i := range n {
		r := strings.NewReplacer("{i}", fmt.Sprint(i), "{j}", fmt.Sprint(i+1))
		b.WriteString(r.Replace(pattern))
	}
	return b.String()
}

// hostileShapes is the table of the worst shapes we could think of, each
// under the 1 MB body limit.
func hostileShapes() []hostileShape {
	doubling := func(n int) string { // each fragment spreads the next twice: 2^n fields
		return "query{...F0} " + repeat("fragment F{i} on Query{...F{j} ...F{j}} ", n) + fmt.Sprintf("fragment F%d on Query{__typename}", n)
	}
	statuses := make([]any, 60_000)
	for i := range statuses {
		statuses[i] = "ACTIVE"
	}
	var nested any = "ACTIVE"
	for range 4_000 {
		nested = []any{nested}
	}
	long := func(i int) string { return fmt.Sprintf("x%099d", i) } // a 100-byte name
	unknown := func(pattern string, n int) string {
		var b strings.Builder
		for i := range n {
			b.WriteString(strings.ReplaceAll(pattern, "{x}", long(i)))
		}
		return b.String()
	}
	return []hostileShape{
		// Fragments.
		{"fragment doubling, 26 fragments", doubling(26), nil, "size"},
		{"fragment doubling, 600 fragments", doubling(600), nil, "size"},
		{"fragment doubling to 512 fields", doubling(8), nil, "merges"},
		{"fragment doubling to 64 fields", doubling(5), nil, ""},
		{"fragment chain of 1,500", "query{...F0} " + repeat("fragment F{i} on Query{...F{j}} ", 1_500) + "fragment F1500 on Query{__typename}", nil, "size"},
		{"one fragment spread 7,000 times", "{" + strings.Repeat("...F ", 7_000) + "} fragment F on Query{__typename}", nil, "size"},
		{"1,200 fragments with the same field", "{" + repeat("...F{i} ", 1_200) + "}" + repeat("fragment F{i} on Query{viewer{id}} ", 1_200), nil, "size"},
		{"1,600 directives on spreads", "{" + strings.Repeat("...F @skip(if:false) ", 1_600) + "} fragment F on Query{__typename}", nil, "size"},
		{"1,500 unused fragments", "{__typename} " + repeat("fragment F{i} on Query{__typename} ", 1_500), nil, "GRAPHQL_VALIDATION_FAILED"},
		{"fragment spread within itself, 4,000 same fields", "{" + strings.Repeat("a:__typename ", 4_000) + "...F} fragment F on Query{...F}", nil, "GRAPHQL_VALIDATION_FAILED"},
		// Fields that merge: validation compares every pair.
		{"14,000 same-named fields", "{" + strings.Repeat("__typename ", 14_000) + "}", nil, "size"},
		{"4,900 same-named fields", "{viewer{" + strings.Repeat("id ", 4_900) + "}}", nil, "merges"},
		{"4,900 aliases of one field", "{viewer{" + strings.Repeat("a:id ", 4_900) + "}}", nil, "merges"},
		{"4,900 conflicting aliases", "{" + repeat("a:x{i} ", 4_900) + "}", nil, "merges"},
		{"1,600 same fields, different arguments", "{" + repeat(`node(id:"{i}"){id} `, 1_600) + "}", nil, "merges"},
		{"120 same fields of 120 same fields", "{" + strings.Repeat("viewer{"+strings.Repeat("id ", 120)+"} ", 120) + "}", nil, "size"},
		{"40 same fields of 40 same fields", "{" + strings.Repeat("viewer{"+strings.Repeat("id ", 40)+"} ", 40) + "}", nil, "merges"},
		{"22 × 22 × 22 same fields, three levels", "{" + strings.Repeat("viewer{"+strings.Repeat("invitation{"+strings.Repeat("sentAt ", 22)+"} ", 22)+"} ", 22) + "}", nil, "size"},
		{"10 repeats of 111 aliases (4,995 merges)", "{viewer{" + repeat(strings.Repeat("a{i}:id ", 10), 111) + "}}", nil, "aliases"},
		{"10 repeats of 111 aliases, conflicting", "{viewer{" + strings.Repeat(repeat("a{i}:id a{i}:name ", 111), 5) + "}}", nil, "GRAPHQL_VALIDATION_FAILED"},
		// Names: validation suggests a known name for each unknown one.
		{"one unknown field of 1 MB", "{" + strings.Repeat("x", 1<<20-100) + "}", nil, "names"},
		{"32 KB of unknown field names", "{" + unknown("{x} ", 320) + "}", nil, "GRAPHQL_VALIDATION_FAILED"},
		{"32 KB of unknown type names", "{__typename}" + unknown("fragment F{x} on {x}{__typename} ", 150), nil, "GRAPHQL_VALIDATION_FAILED"},
		{"32 KB of unknown argument names", "{agents(" + unknown("{x}:1 ", 320) + "){totalCount}}", nil, "GRAPHQL_VALIDATION_FAILED"},
		{"32 KB of unknown enum values", "{agents(filter:{status:[" + unknown("{x} ", 320) + "]}){totalCount}}", nil, "GRAPHQL_VALIDATION_FAILED"},
		{"32 KB of unknown variable types", "query(" + unknown("${x}:{x} ", 160) + "){__typename}", nil, "GRAPHQL_VALIDATION_FAILED"},
		// Many of one thing.
		{"14,000 unknown fields", "{" + repeat("x{i} ", 14_000) + "}", nil, "size"},
		{"3,700 unused variables", "query(" + repeat("$v{i}:Int ", 3_700) + "){__typename}", nil, "GRAPHQL_VALIDATION_FAILED"},
		{"2,000 repeated directives", "{__typename " + strings.Repeat("@include(if:true) ", 2_000) + "}", nil, "GRAPHQL_VALIDATION_FAILED"},
		{"4,900 arguments on one field", "{agents(" + strings.Repeat("first:1 ", 4_900) + "){totalCount}}", nil, "GRAPHQL_VALIDATION_FAILED"},
		{"3,700 fields in one input object", "{agents(filter:{" + strings.Repeat("status:[] ", 3_700) + "}){totalCount}}", nil, "GRAPHQL_VALIDATION_FAILED"},
		{"3,000 operations", repeat("query Q{i}{__typename} ", 3_000), nil, "operations"},
		{"5,000 anonymous operations", strings.Repeat("{__typename} ", 5_000), nil, "operations"},
		{"16,000 tokens", "{" + strings.Repeat("__typename ", 16_000) + "}", nil, "GRAPHQL_PARSE_FAILED"},
		// Nesting.
		{"list nested 7,000 deep in an argument", "{agents(filter:{status:" + strings.Repeat("[", 7_000) + strings.Repeat("]", 7_000) + "}){totalCount}}", nil, "GRAPHQL_PARSE_FAILED"},
		{"list nested 990 deep in an argument", "{agents(filter:{status:" + strings.Repeat("[", 990) + strings.Repeat("]", 990) + "}){totalCount}}", nil, "GRAPHQL_VALIDATION_FAILED"},
		{"object nested 990 deep in an argument", "{agents(filter:" + strings.Repeat("{status:", 990) + "null" + strings.Repeat("}", 990) + "){totalCount}}", nil, "GRAPHQL_VALIDATION_FAILED"},
		{"selections nested 990 deep", "{" + strings.Repeat("viewer{invitation{invitedBy{", 330) + "id" + strings.Repeat("}}}", 330) + "}", nil, "GRAPHQL_VALIDATION_FAILED"},
		{"introspection nested 990 deep", "{__schema{types{" + strings.Repeat("ofType{", 990) + "name" + strings.Repeat("}", 990) + "}}}", nil, "depth"},
		// Big values.
		{"1 MB of comments", "#" + strings.Repeat("x", 1<<20-100) + "\n{__typename}", nil, ""},
		{"1 MB string argument", `{agents(after:"` + strings.Repeat("x", 1<<20-100) + `"){totalCount}}`, nil, ""},
		{"1 MB block string with many lines", `{agents(after:"""` + strings.Repeat(" x\n", (1<<20-100)/5) + `"""){totalCount}}`, nil, ""},
		{"a variable of 60,000 items used 1,000 times", "query($s:[AgentStatus!]){" + strings.Repeat("agents(filter:{status:$s}){totalCount} ", 1_000) + "}", map[string]any{"s": statuses}, "size"},
		{"a variable of 60,000 items used once", "query($s:[AgentStatus!]){agents(filter:{status:$s}){totalCount}}", map[string]any{"s": statuses}, "size"},
		{"a variable nested 4,000 deep", "query($s:[AgentStatus!]){agents(filter:{status:$s}){totalCount}}", map[string]any{"s": nested}, "GRAPHQL_VALIDATION_FAILED"},
		// Strings where an enum belongs: validation used to compute "did you
		// mean" by edit distance against every enum value (4 s of CPU), once
		// per operation that spreads the fragment, and quote the string in
		// every error (an 11 MB answer).
		{"1 MB string where an enum belongs", `mutation{createRole(input:{name:"a",permissions:["` + strings.Repeat("x", 1<<20-200) + `"]}){role{id}}}`, nil, "GRAPHQL_VALIDATION_FAILED"},
		{"1 MB enum string in a fragment of 10 operations", `fragment F on Mutation{createRole(input:{name:"a",permissions:["` + strings.Repeat("x", 1<<20-400) + `"]}){role{id}}} ` + repeat("mutation q{i}{...F} ", 10), nil, "size"},
		{"10 KB enum strings in 100 fields", "{" + repeat(`c{i}:conversations(filter:{channel:["`+strings.Repeat("x", 10<<10)+`"]}){totalCount} `, 90) + "}", nil, "GRAPHQL_VALIDATION_FAILED"},
		// Price.
		{"30 aliased totalCounts", "{" + repeat("c{i}:conversations(first:1,filter:{caution:ASSIGNEE_REMOVED}){totalCount} ", 30) + "}", nil, "complexity"},
	}
}

// cpuTime is the CPU the process has used so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// Every hostile shape is refused (or answered) by the right check. The CPU
// each one costs is logged (go test -v -run TestHostileShapes ./graph), not
// asserted: the work is bounded by counting in TestShapeWalkerWorkIsLinear
// and FuzzShapeLimits.
func TestHostileShapesAreRefusedBeforeAnyResolver(t *testing.T) {
	s := newServer(t, db.SQLite)
	owner := s.createWorkspace("Acme")
	for _, tc := range hostileShapes() {
		body, _ := json.Marshal(map[string]any{"query": tc.query, "variables": tc.vars})
		if len(body) > 1<<20 {
			t.Fatalf("%s: body of %d bytes is over the limit", tc.name, len(body))
		}
		before := cpuTime()
		res := s.post(owner.Token, body)
		used := cpuTime() - before
		code, limit := limitOf(res)
		// "" is an answer from the resolvers: data, or a rule's error.
		if tc.want == "" && limit != "" || tc.want != "" && (code != "BAD_USER_INPUT" || limit != tc.want) {
			t.Errorf("%s: code %q limit %q, want %q: %.300s", tc.name, code, limit, tc.want, res.raw)
		}
		// No answer echoes the request back: messages are cut.
		if len(res.raw) > 64<<10 {
			t.Errorf("%s: an answer of %d bytes", tc.name, len(res.raw))
		}
		t.Logf("%-45s %8d bytes %-26s %6.1f ms CPU", tc.name, len(body), limit, used.Seconds()*1000)
	}
}
