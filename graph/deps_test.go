package graph_test

import (
	"maps"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// forbiddenInGraph are the modules graph must not be built with: GORM
// belongs to the rules and the database (graph calls the rules through the
// interfaces of ports.go and binds only types of gorm-free packages:
// models, paging, auth), Prometheus to the HTTP layer (httpapi's /metrics).
var forbiddenInGraph = []string{"gorm.io/", "github.com/prometheus/"}

// TestGraphBuildsWithoutGORMOrPrometheus: nothing of GORM or Prometheus is
// compiled into graph. A new import of a package that uses either (team,
// sessions, db, httpapi…) fails here, naming the packages that import the
// module directly.
func TestGraphBuildsWithoutGORMOrPrometheus(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "-f", `{{.ImportPath}}|{{join .Imports " "}}`, ".").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	deps := map[string][]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		pkg, imports, _ := strings.Cut(line, "|")
		deps[pkg] = strings.Fields(imports)
	}
	if _, ok := deps["agentdesk/graph"]; !ok {
		t.Fatalf("go list did not list agentdesk/graph itself:\n%s", out)
	}
	pkgs := slices.Sorted(maps.Keys(deps))
	for _, module := range forbiddenInGraph {
		if !slices.ContainsFunc(pkgs, func(p string) bool { return strings.HasPrefix(p, module) }) {
			continue
		}
		// Name the packages on the way: those that import the module directly.
		for _, pkg := range pkgs {
			if strings.HasPrefix(pkg, module) {
				continue
			}
			if i := slices.IndexFunc(deps[pkg], func(imp string) bool { return strings.HasPrefix(imp, module) }); i >= 0 {
				t.Errorf("%s imports %s", pkg, deps[pkg][i])
			}
		}
		t.Errorf("agentdesk/graph depends on %s…", module)
	}
}
