package paging

import "testing"

// TestFilterHashIsUnambiguous: the parts of a filter are length-prefixed,
// so moving text from one part to the next changes the hash.
func TestFilterHashIsUnambiguous(t *testing.T) {
	pairs := [][2][]string{
		{{"ab", "c"}, {"a", "bc"}},
		{{"", "a"}, {"a", ""}},
		{{"a"}, {"a", ""}},
	}
	for _, p := range pairs {
		if FilterHash("l", p[0]...) == FilterHash("l", p[1]...) {
			t.Errorf("%q and %q share a hash", p[0], p[1])
		}
	}
	if FilterHash("agents") == FilterHash("messages") {
		t.Error("the list's name is not hashed")
	}
}
