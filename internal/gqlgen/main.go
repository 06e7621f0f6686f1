// Command gqlgen generates graph/generated and graph/model from
// schema.graphqls and gqlgen.yml, like `gqlgen generate`, with two changes to
// how the generated executor runs fields (both for speed; docs/PERFORMANCE.md):
//
//   - resolver fields run on the goroutine that marshals their object, not in
//     a goroutine each: every list-level field is a batch resolver
//     (`resolver.batch` in gqlgen.yml) and the rest are single lookups, so
//     there is nothing to overlap;
//   - lists are marshalled element after element (graph/inorder) instead of
//     one goroutine per element.
//
// Run it through `go generate ./...` (server.go).
package main

import (
	"bytes"
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
	return marshalListsInOrder(cfg.Exec.Filename)
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

// marshalListsInOrder replaces every graphql.MarshalSliceConcurrently call
// in the generated executor with inorder.MarshalSlice (same signature). It
// fails when there is none, so a gqlgen upgrade that renames the function is
// noticed instead of silently bringing the goroutines back.
func marshalListsInOrder(filename string) error {
	fset := token.NewFileSet()
	file, err := parser.ParseFile(fset, filename, nil, parser.ParseComments)
	if err != nil {
		return err
	}
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
		return fmt.Errorf("%s: no graphql.MarshalSliceConcurrently call to replace; has gqlgen changed?", filename)
	}
	astutil.AddImport(fset, file, inorderPackage)
	var out bytes.Buffer
	if err := format.Node(&out, fset, file); err != nil {
		return err
	}
	return os.WriteFile(filename, out.Bytes(), 0o644)
}
