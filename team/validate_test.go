package team

import (
	"strings"
	"testing"

	"agentdesk/apperr"
)

func TestValidEmail(t *testing.T) {
	good := map[string]string{
		"  Ana@Example.COM ":      "ana@example.com",
		"first.last+tag@sub.x.io": "first.last+tag@sub.x.io",
	}
	for in, want := range good {
		got, err := validEmail("email", in)
		if err != nil || got != want {
			t.Errorf("validEmail(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"", "plain", "a@b", "a@.com", "a@com.", "Ann <a@b.com>", "a b@c.com", "@x.com",
		strings.Repeat("a", 250) + "@x.com"} {
		_, err := validEmail("email", in)
		if e, ok := apperr.As(err); !ok || e.Code != apperr.BadUserInput || e.Field != "email" {
			t.Errorf("validEmail(%q) = %v; want BAD_USER_INPUT on email", in, err)
		}
	}
}

func TestValidTextCountsCharactersNotBytes(t *testing.T) {
	if _, err := validText("name", strings.Repeat("é", 100), 1, 100, "Name"); err != nil {
		t.Fatalf("100 two-byte characters refused: %v", err)
	}
	if _, err := validText("name", strings.Repeat("é", 101), 1, 100, "Name"); err == nil {
		t.Fatal("101 characters accepted")
	}
	if got, err := validText("name", "  Ana  ", 1, 100, "Name"); err != nil || got != "Ana" {
		t.Fatalf("trim: %q, %v", got, err)
	}
}
