package validate

import (
	"strings"
	"testing"

	"agentdesk/apperr"
	"agentdesk/ratelimit"
)

// FuzzEmail: email checks never panic; what they accept is at most
// MaxEmailLength bytes and already normal (normalising again changes
// nothing, validating again accepts it as is); the rate limiter's key for
// any email is fixed-size.
func FuzzEmail(f *testing.F) {
	for _, s := range []string{"", " Ana@Example.COM ", "a@b.co", "Ann <a@b.com>", "a@b", "\u212a@x.com", "İ@x.com",
		"\x85a@x.com\u00a0", "\xff@x.com", strings.Repeat("a", 249) + "@x.co", strings.Repeat("A", 300) + "@x.com",
		strings.Repeat("\u212a", 90) + "@x.com", "\"a b\"@x.com", "a@[127.0.0.1]", "a@b.c\r\nBcc: v@x.com"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		norm := NormalizeEmail(raw)
		if again := NormalizeEmail(norm); again != norm {
			t.Fatalf("NormalizeEmail is not idempotent: %q -> %q -> %q", raw, norm, again)
		}
		checked, err := CheckEmail("email", raw)
		if err != nil {
			if e, ok := apperr.As(err); !ok || e.Code != apperr.BadUserInput || e.Field != "email" {
				t.Fatalf("CheckEmail(%q): %v, want BAD_USER_INPUT on email", raw, err)
			}
			if len(norm) <= MaxEmailLength {
				t.Fatalf("CheckEmail refused %q of %d bytes", raw, len(norm))
			}
		} else if checked != norm || len(checked) > MaxEmailLength {
			t.Fatalf("CheckEmail(%q) = %q (%d bytes)", raw, checked, len(checked))
		}
		if key := ratelimit.KeyOf("password|" + norm); len(key) != 32 {
			t.Fatalf("limiter key of %d bytes", len(key))
		}
		email, err := Email("email", raw)
		if err != nil {
			if e, ok := apperr.As(err); !ok || e.Code != apperr.BadUserInput || e.Field != "email" {
				t.Fatalf("Email(%q): %v, want BAD_USER_INPUT on email", raw, err)
			}
			return
		}
		if len(email) > MaxEmailLength || email != norm {
			t.Fatalf("Email(%q) = %q", raw, email)
		}
		if again, err := Email("email", email); err != nil || again != email {
			t.Fatalf("Email is not idempotent: %q -> %q -> %q, %v", raw, email, again, err)
		}
		if strings.ContainsAny(email, "\r\n\x00") {
			t.Fatalf("Email accepted a control character: %q", email)
		}
	})
}
