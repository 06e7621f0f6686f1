package graph_test

import (
	"maps"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// TestGraphBuildsWithoutGORM: graph calls the rules through the interfaces
// of ports.go and binds only types of gorm-free packages (models, paging,
// auth), so nothing of GORM is compiled into it. A new import of a package
// that uses GORM (team, sessions, db…) fails here, naming the package that
// brought it in.
func TestGraphBuildsWithoutGORM(t *testing.T) {
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
	if _, ok := deps["gorm.io/gorm"]; !ok {
		return
	}
	// Name the packages on the way: those that import GORM's directly.
	pkgs := slices.Sorted(maps.Keys(deps))
	for _, pkg := range pkgs {
		imports := deps[pkg]
		if strings.HasPrefix(pkg, "gorm.io/") {
			continue
		}
		for _, imp := range imports {
			if strings.HasPrefix(imp, "gorm.io/") {
				t.Errorf("%s imports %s", pkg, imp)
				break
			}
		}
	}
	t.Error("agentdesk/graph depends on gorm.io/gorm")
}
