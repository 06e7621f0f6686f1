// Command gqlgen generates graph/generated and graph/model from
// schema.graphqls and gqlgen.yml, like `gqlgen generate`, with two changes to
// how the generated executor runs fields (both for speed; docs/PERFORMANCE.md):
//
//   - resolver fields run on the goroutine that marshals their object, not in
//     a goroutine each: every list-level field is a batch resolver
//     (`resolver.batch` in gqlgen.yml) and the rest are single lookups, so
//     there is nothing to overlap;
//   - lists are marshalled element after element (graph/inorder) instead of
//     one goroutine per element;
//   - objects no longer set up a @defer group: the schema declares no
//     @defer, and gqlgen defers only fields that run concurrently, which
//     none does now, so the group (a path, a field set and a map per object
//     marshalled, 12% of an Agents page's allocations) would always stay
//     empty.
//
// Run it through `go generate ./...` (server.go).
package main

import (
	"bytes"
	"errors"
	"fmt"
	"go/ast"
	"go/format"
	"go/parser"
	"go/token"
	"os"

	"github.com/99designs/gqlgen/api"
	"github.com/99designs/gqlgen/codegen"
	"github.com/99designs/gqlgen/codegen/config"
	"golang.org/x/tools/go/ast/astutil"
)

const inorderPackage = "agentdesk/graph/inorder"

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "gqlgen:", err)
		os.Exit(1)
	}
}

func run() error {
	cfg, err := config.LoadConfigFromDefaultLocations()
	if err != nil {
		return err
	}
	if err := api.Generate(cfg, api.AddPlugin(inlineResolvers{})); err != nil {
		return err
	}
	return rewriteExecutor(cfg.Exec.Filename)
}

// inlineResolvers turns off gqlgen's goroutine per resolver field, the way
// gqlgen itself does for Mutation (whose fields must run in order).
type inlineResolvers struct{}

func (inlineResolvers) Name() string { return "inline-resolvers" }

func (inlineResolvers) GenerateCode(data *codegen.Data) error {
	for _, object := range data.Objects {
		object.DisableConcurrency = true
	}
	return nil
}

// rewriteExecutor edits the generated executor as described above. Each step
// fails when it finds nothing to do, so a gqlgen upgrade that changes the
// generated code is noticed instead of silently undoing the change.
func rewriteExecutor(filename string) error {
	fset := token.NewFileSet()
	file, err := parser.ParseFile(fset, filename, nil, parser.ParseComments)
	if err != nil {
		return err
	}
	if err := marshalListsInOrder(file); err != nil {
		return fmt.Errorf("%s: %w", filename, err)
	}
	if err := dropDeferredGroups(file); err != nil {
		return fmt.Errorf("%s: %w", filename, err)
	}
	astutil.AddImport(fset, file, inorderPackage)
	for _, path := range []string{"math", "sync/atomic"} {
		if !astutil.UsesImport(file, path) {
			astutil.DeleteImport(fset, file, path)
		}
	}
	var out bytes.Buffer
	if err := format.Node(&out, fset, file); err != nil {
		return err
	}
	return os.WriteFile(filename, out.Bytes(), 0o644)
}

// marshalListsInOrder replaces every graphql.MarshalSliceConcurrently call
// with inorder.MarshalSlice (same signature).
func marshalListsInOrder(file *ast.File) error {
	replaced := 0
	ast.Inspect(file, func(n ast.Node) bool {
		sel, ok := n.(*ast.SelectorExpr)
		if !ok || sel.Sel.Name != "MarshalSliceConcurrently" {
			return true
		}
		if pkg, ok := sel.X.(*ast.Ident); ok && pkg.Name == "graphql" {
			pkg.Name = "inorder"
			sel.Sel.Name = "MarshalSlice"
			replaced++
		}
		return true
	})
	if replaced == 0 {
		return errors.New("no graphql.MarshalSliceConcurrently call to replace; has gqlgen changed?")
	}
	return nil
}

// dropDeferredGroups removes, from each object's marshal function,
//
//	deferred := graphql.NewDeferredGroup(ctx)
//	...
//	if n := len(deferred.Defers); n > 0 { ... }
//
// and fails if `deferred` is used anywhere else in that function (a field
// that could be deferred after all).
func dropDeferredGroups(file *ast.File) error {
	dropped := 0
	for _, decl := range file.Decls {
		fn, ok := decl.(*ast.FuncDecl)
		if !ok || fn.Body == nil {
			continue
		}
		var kept []ast.Stmt
		removed := 0
		for _, stmt := range fn.Body.List {
			if isDeferredGroupSetup(stmt) || isDeferredGroupDispatch(stmt) {
				removed++
				continue
			}
			kept = append(kept, stmt)
		}
		if removed == 0 {
			continue
		}
		if removed != 2 {
			return fmt.Errorf("%s: found %d of the 2 deferred-group statements", fn.Name.Name, removed)
		}
		fn.Body.List = kept
		if uses := identUses(fn.Body, "deferred"); uses > 0 {
			return fmt.Errorf("%s: uses its deferred group %d more times; a field can be deferred", fn.Name.Name, uses)
		}
		dropped++
	}
	if dropped == 0 {
		return errors.New("no deferred group to drop; has gqlgen changed?")
	}
	return nil
}

// isDeferredGroupSetup matches `deferred := graphql.NewDeferredGroup(...)`.
func isDeferredGroupSetup(stmt ast.Stmt) bool {
	assign, ok := stmt.(*ast.AssignStmt)
	if !ok || len(assign.Lhs) != 1 || len(assign.Rhs) != 1 {
		return false
	}
	if id, ok := assign.Lhs[0].(*ast.Ident); !ok || id.Name != "deferred" {
		return false
	}
	call, ok := assign.Rhs[0].(*ast.CallExpr)
	if !ok {
		return false
	}
	sel, ok := call.Fun.(*ast.SelectorExpr)
	return ok && sel.Sel.Name == "NewDeferredGroup"
}

// isDeferredGroupDispatch matches `if n := len(deferred.Defers); n > 0 {...}`.
func isDeferredGroupDispatch(stmt ast.Stmt) bool {
	ifStmt, ok := stmt.(*ast.IfStmt)
	if !ok || ifStmt.Init == nil {
		return false
	}
	found := false
	ast.Inspect(ifStmt.Init, func(n ast.Node) bool {
		if sel, ok := n.(*ast.SelectorExpr); ok && sel.Sel.Name == "Defers" {
			if id, ok := sel.X.(*ast.Ident); ok && id.Name == "deferred" {
				found = true
			}
		}
		return true
	})
	return found
}

func identUses(node ast.Node, name string) int {
	n := 0
	ast.Inspect(node, func(node ast.Node) bool {
		if id, ok := node.(*ast.Ident); ok && id.Name == name {
			n++
		}
		return true
	})
	return n
}
