package main

import (
	"bufio"
	"os"
	"regexp"
	"testing"
)

// TestExecutorSaysItIsRewritten: the committed executor's first line says
// internal/gqlgen rewrote it, in the one-line form Go tools recognise as
// generated code (https://go.dev/s/generatedcode).
func TestExecutorSaysItIsRewritten(t *testing.T) {
	f, err := os.Open("../../graph/generated/generated.go")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	first, err := bufio.NewReader(f).ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	if first != rewrittenHeader {
		t.Fatalf("first line %q, want %q (run go generate ./...)", first, rewrittenHeader)
	}
	generated := regexp.MustCompile(`^// Code generated .* DO NOT EDIT\.$`)
	if !generated.MatchString(first[:len(first)-1]) {
		t.Fatalf("%q is not recognised as generated code", first)
	}
}
