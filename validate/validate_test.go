package validate

import (
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"agentdesk/apperr"
)

func TestValidEmail(t *testing.T) {
	good := map[string]string{
		"  Ana@Example.COM ":      "ana@example.com",
		"first.last+tag@sub.x.io": "first.last+tag@sub.x.io",
	}
	for in, want := range good {
		got, err := Email("email", in)
		if err != nil || got != want {
			t.Errorf("Email(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"", "plain", "a@b", "a@.com", "a@com.", "Ann <a@b.com>", "a b@c.com", "@x.com",
		strings.Repeat("a", 250) + "@x.com"} {
		_, err := Email("email", in)
		if e, ok := apperr.As(err); !ok || e.Code != apperr.BadUserInput || e.Field != "email" {
			t.Errorf("Email(%q) = %v; want BAD_USER_INPUT on email", in, err)
		}
	}
}

// The outside tester's round 2, F4: mail.ParseAddress accepts domains that
// name no host we should mail (an IP literal picks any host, internal ones
// included; '#' and other punctuation). The domain is dot-separated labels
// of letters, digits and hyphens; the local part is as before.
func TestValidEmailDomain(t *testing.T) {
	for _, in := range []string{"a@x-y.example.com", "a@b.co", "a@bücher.de", "a@пример.рф", "a@例子.中国",
		"a@भारत.भारत", "a@x1.io", "a@123.example.com", "victim+tag@corp.test", "a.b#$&'*/=?^_`{|}~-@corp.test"} {
		if got, err := Email("email", in); err != nil || got != in {
			t.Errorf("Email(%q) = %q, %v; want it accepted", in, got, err)
		}
	}
	for _, in := range []string{"victim@[1.2.3.4]", "victim@[ipv6:::1]", "victim@1.2.3.4", "victim@127.0.0.1",
		"victim@corp.test#x", "victim%x@corp.test", "victim!x@corp.test", "host!victim@corp.test", "victim@corp#.test", "victim@corp.test!", "victim@corp_x.test", "victim@corp.test:25",
		"victim@-corp.test", "victim@corp-.test", "victim@corp.-test", "victim@corp..test", "victim@localhost",
		"victim@corp.test.", "victim@corp.t%st", "victim@corp.t'est", "victim@corp.t{est", "victim@́corp.test",
		"victim@corp.test/x", "victim@x.123"} {
		_, err := Email("email", in)
		if e, ok := apperr.As(err); !ok || e.Code != apperr.BadUserInput || e.Field != "email" {
			t.Errorf("Email(%q) = %v; want BAD_USER_INPUT on email", in, err)
		}
	}
}

func TestValidTextCountsCharactersNotBytes(t *testing.T) {
	if _, err := Text("name", strings.Repeat("é", 100), 1, 100, "Name"); err != nil {
		t.Fatalf("100 two-byte characters refused: %v", err)
	}
	if _, err := Text("name", strings.Repeat("é", 101), 1, 100, "Name"); err == nil {
		t.Fatal("101 characters accepted")
	}
	if got, err := Text("name", "  Ana  ", 1, 100, "Name"); err != nil || got != "Ana" {
		t.Fatalf("trim: %q, %v", got, err)
	}
}

// hostile are the values every text input is tried with.
var hostile = map[string]string{
	"NUL":          "Ana\x00Bell",
	"CR":           "Ana\rBell",
	"LF":           "Ana\nBell",
	"TAB":          "Ana\tBell",
	"RLO":          "Ana\u202eBell",
	"LRI":          "Ana\u2066Bell",
	"RLM":          "Ana\u200fBell",
	"LS":           "Ana\u2028Bell",
	"ZWSP":         "Ana\u200bBell",
	"C1 NEL":       "Ana\u0085Bell",
	"invalid UTF8": "Ana\xffBell",
	"U+FFFD":       "Ana\ufffdBell",
	"100k":         strings.Repeat("a", 100_000),
}

func TestValidNameRefusesControlAndBidi(t *testing.T) {
	for what, in := range hostile {
		_, err := Name("name", in, 1, 100, "The name")
		if e, ok := apperr.As(err); !ok || e.Code != apperr.BadUserInput || e.Field != "name" {
			t.Errorf("%s: Name = %v; want BAD_USER_INPUT on name", what, err)
		}
	}
	for _, in := range []string{"Ana Bell", "Zoë O'Brien-Łukasz", "مريم", "שרה", "李小龙", "👩‍👩‍👧 team",
		"Acme.com", "نیم\u200cفاصله"} {
		if got, err := Name("name", " "+in+" ", 1, 100, "The name"); err != nil || got != in {
			t.Errorf("Name(%q) = %q, %v", in, got, err)
		}
	}
}

func TestValidTextAllowsLinesButNotNUL(t *testing.T) {
	for _, in := range []string{"line one\nline two\r\n\tindented", "שלום \u200fעולם"} {
		if _, err := Text("body", in, 1, 100, "The message"); err != nil {
			t.Errorf("Text(%q): %v", in, err)
		}
	}
	for _, in := range []string{"a\x00b", "a\x1bb", "a\xffb", strings.Repeat("a", 100_000)} {
		_, err := Text("body", in, 1, 10_000, "The message")
		if e, ok := apperr.As(err); !ok || e.Code != apperr.BadUserInput || e.Field != "body" {
			t.Errorf("Text(%q) = %v; want BAD_USER_INPUT on body", in, err)
		}
	}
}

func TestValidSearchIsBounded(t *testing.T) {
	if got, err := Search("search", "  "+strings.Repeat("é", MaxSearchLength)+" "); err != nil ||
		got != strings.Repeat("é", MaxSearchLength) {
		t.Fatalf("200 characters refused: %v", err)
	}
	for _, in := range []string{strings.Repeat("a", MaxSearchLength+1), strings.Repeat("a", 100_000), "a\x00", "a\xff"} {
		_, err := Search("search", in)
		if e, ok := apperr.As(err); !ok || e.Code != apperr.BadUserInput || e.Field != "search" {
			t.Errorf("Search(%.20q) = %v; want BAD_USER_INPUT on search", in, err)
		}
	}
}

func TestValidPasswordRefusesNUL(t *testing.T) {
	if err := NewPassword("password", "any thing\ttab\u202e ok"); err != nil {
		t.Fatalf("a password with a tab and RLO refused: %v", err)
	}
	for _, in := range []string{"password\x00x", "password\xff", strings.Repeat("p", 100_000)} {
		if e, ok := apperr.As(NewPassword("password", in)); !ok || e.Field != "password" {
			t.Errorf("NewPassword(%.20q) accepted", in)
		}
	}
}

func TestValidEmailRefusesControlAndBidi(t *testing.T) {
	for _, in := range []string{"a\x00@x.com", "a\u202e@x.com", "a@x\u202e.com", "a\r\n@x.com", strings.Repeat("a", 100_000)} {
		if _, err := Email("email", in); err == nil {
			t.Errorf("Email(%.20q) accepted", in)
		}
	}
}

func TestDisplayNameDropsWhatNamesRefuse(t *testing.T) {
	if got := DisplayName("Acme\r\nBcc: x\u202e\x00\xff Inc"); got != "AcmeBcc: x Inc" {
		t.Fatalf("DisplayName = %q", got)
	}
}

// FuzzValidName: Name never panics, and what it accepts is a trimmed,
// valid UTF-8 name within the length limit, without control, bidi or
// invisible characters.
func FuzzValidName(f *testing.F) {
	for _, in := range hostile {
		f.Add(in)
	}
	for _, in := range []string{"", " ", "Ana", "  Zoë  ", "مريم", "👩‍👩‍👧", "\u202e", "a\u0085", "\xed\xa0\x80"} {
		f.Add(in)
	}
	const max = 64
	f.Fuzz(func(t *testing.T, in string) {
		got, err := Name("name", in, 1, max, "The name")
		if err != nil {
			if e, ok := apperr.As(err); !ok || e.Code != apperr.BadUserInput || e.Field != "name" {
				t.Fatalf("Name(%q) failed with %v; want BAD_USER_INPUT on name", in, err)
			}
			return
		}
		if !utf8.ValidString(got) {
			t.Fatalf("accepted invalid UTF-8 %q", got)
		}
		if n := utf8.RuneCountInString(got); n < 1 || n > max {
			t.Fatalf("accepted %d characters: %q", n, got)
		}
		if got != strings.TrimSpace(got) {
			t.Fatalf("accepted untrimmed %q", got)
		}
		for _, r := range got {
			if unicode.IsControl(r) || unicode.Is(unicode.Bidi_Control, r) || r == utf8.RuneError ||
				unicode.Is(unicode.Zl, r) || unicode.Is(unicode.Zp, r) {
				t.Fatalf("accepted %q holding %U", got, r)
			}
		}
	})
}
