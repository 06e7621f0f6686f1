package main

import (
	"os"
	"regexp"
	"testing"
)

// readmeFileBlock is a code block the README says is a file of the
// repository, word for word: a line <!-- file: PATH --> before the fence.
var readmeFileBlock = regexp.MustCompile("(?s)<!-- file: ([^ ]+) -->\n```[a-z]*\n(.*?)```\n")

// The README's Apollo Client setup and codegen configuration are the files
// .ci/run runs, not copies that drift from them.
func TestReadmeQuotesFilesVerbatim(t *testing.T) {
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	blocks := readmeFileBlock.FindAllSubmatch(readme, -1)
	quoted := map[string]bool{}
	for _, b := range blocks {
		path, text := string(b[1]), string(b[2])
		quoted[path] = true
		file, err := os.ReadFile(path)
		if err != nil {
			t.Errorf("README quotes %s: %v", path, err)
			continue
		}
		if string(file) != text {
			t.Errorf("README's copy of %s differs from the file: copy it again", path)
		}
	}
	for _, path := range []string{"clients/apollo/client.mjs", "clients/codegen.ts"} {
		if !quoted[path] {
			t.Errorf("README does not quote %s", path)
		}
	}
}
