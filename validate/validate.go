// Package validate checks the text a client types, and the length of the
// lists it passes, before any rule acts on them. It knows no database.
package validate

import (
	"net/mail"
	"strings"
	"unicode"
	"unicode/utf8"

	"agentdesk/apperr"
)

// Kinds of text a client types (BEHAVIOUR.md §8 "Text"). Each kind has one
// function here, and every rule that takes such text calls it, so nothing a
// user typed reaches the database in a form it refuses (PostgreSQL rejects
// NUL and invalid UTF-8; SQLite refuses LIKE patterns over 50,000 bytes) and
// answers INTERNAL:
//
//   - names (Name): workspace, agent, role and contact names, a
//     conversation's subject, a phone number. One line that people read and
//     that is quoted into emails and audit summaries: no control characters
//     at all (TAB included: it renders differently everywhere and has no
//     place in a label), no bidirectional controls (overrides, embeddings,
//     isolates and the invisible LRM/RLM/ALM marks, which reorder what a
//     reader sees or make two names look alike), no line or paragraph
//     separators, no invisible zero-width spaces or BOM, and no U+FFFD, the
//     trace of invalid UTF-8 that a JSON decoder replaced.
//   - free text (Text): a message body, a role description. Several
//     lines: TAB, LF and CR are text there, and so are bidirectional controls
//     (a customer writing Arabic or Hebrew may need them); NUL and the other
//     control characters are not.
//   - search strings (Search): at most 200 characters, no NUL.
//   - emails (Email) and new passwords (NewPassword).

// MaxSearchLength bounds a search string in characters.
const MaxSearchLength = 200

// NormalizeEmail is the one form in which emails are stored and compared:
// trimmed and lower-cased, so sign-in and duplicate checks ignore case.
func NormalizeEmail(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

// MaxEmailLength is the longest address SMTP can carry (RFC 5321 path of
// 256 octets minus the angle brackets).
const MaxEmailLength = 254

// CheckEmail normalises raw and refuses (BAD_USER_INPUT on field) one longer
// than any address can be. It is the cheap check that runs before anything
// else looks at an email, rate limits included, so no work or memory
// follows the size of what a client sent; Email does the rest.
func CheckEmail(field, raw string) (string, error) {
	// Checked before normalising too, so a huge input costs no copy.
	if len(raw) > 4*MaxEmailLength {
		return "", apperr.Input(field, "Enter a valid email address.")
	}
	email := NormalizeEmail(raw)
	if len(email) > MaxEmailLength {
		return "", apperr.Input(field, "Enter a valid email address.")
	}
	return email, nil
}

// Email normalises and validates an email address: a bare address
// (no display name), at most MaxEmailLength characters, with a dotted domain.
func Email(field, raw string) (string, error) {
	bad := apperr.Input(field, "Enter a valid email address.")
	email, err := CheckEmail(field, raw)
	// Addresses are shown to admins and written into emails: the same
	// characters as in a name are refused.
	if err != nil || email == "" || nameProblem(email) != "" {
		return "", bad
	}
	addr, err := mail.ParseAddress(email)
	if err != nil || addr.Address != email || addr.Name != "" {
		return "", bad
	}
	at := strings.LastIndexByte(email, '@')
	if !validDomain(email[at+1:]) {
		return "", bad
	}
	// '%' and '!' in a local part are old source-routing syntax
	// (user%host@relay, host!user): some relays still forward on them.
	if strings.ContainsAny(email[:at], "%!") {
		return "", bad
	}
	return email, nil
}

// validDomain: a host name of at least two dot-separated labels, each of
// letters (any script, with their combining marks), digits and hyphens, not
// starting or ending with a hyphen; the last label not all digits. Whatever
// mail.ParseAddress lets through beyond that is refused: an IP literal
// (a@[10.0.0.1], or a@10.0.0.1 written bare) would let whoever invites pick
// the host our mail relay connects to, internal ones included, and a '#'
// or other punctuation in a domain names no host at all.
func validDomain(domain string) bool {
	labels := strings.Split(domain, ".")
	if len(labels) < 2 {
		return false
	}
	for _, label := range labels {
		if label == "" || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for i, r := range label {
			switch {
			case unicode.IsLetter(r), r >= '0' && r <= '9', r == '-':
			case unicode.Is(unicode.M, r) && i > 0: // a mark after the letter it marks
			default:
				return false
			}
		}
	}
	tld := labels[len(labels)-1]
	return strings.ContainsFunc(tld, func(r rune) bool { return r < '0' || r > '9' })
}

// nameProblem says why s cannot be a name, or "" when it can.
func nameProblem(s string) string {
	if !utf8.ValidString(s) {
		return "is not valid UTF-8"
	}
	for _, r := range s {
		if p := runeProblem(r); p != "" {
			return p
		}
	}
	return ""
}

// runeProblem says why a name cannot hold r, or "" when it can.
func runeProblem(r rune) string {
	switch {
	case unicode.IsControl(r):
		return "contains a control character (such as a line break, tab or NUL)"
	case isBidiControl(r):
		return "contains a bidirectional control character"
	case isInvisibleOrBreak(r):
		return "contains an invisible character or a line separator"
	case r == utf8.RuneError:
		return "contains U+FFFD (the text was not valid UTF-8)"
	}
	return ""
}

// DisplayName is a stored name as an email may quote it: what Name
// refuses is dropped. Names stored before Name refused those
// characters must not carry them into an email either.
func DisplayName(s string) string {
	s = strings.ToValidUTF8(s, "")
	return strings.Map(func(r rune) rune {
		if runeProblem(r) != "" {
			return -1
		}
		return r
	}, s)
}

// isBidiControl: the characters that change the display order of text
// (Unicode's Bidi_Control property).
func isBidiControl(r rune) bool {
	switch {
	case r == '\u061C', r == '\u200E', r == '\u200F': // ALM, LRM, RLM
		return true
	case r >= '\u202A' && r <= '\u202E': // LRE, RLE, PDF, LRO, RLO
		return true
	case r >= '\u2066' && r <= '\u2069': // LRI, RLI, FSI, PDI
		return true
	}
	return false
}

// isInvisibleOrBreak: zero-width space, word joiner and BOM (make two names
// look identical), line and paragraph separators (break a line like LF).
// ZWNJ and ZWJ (U+200C, U+200D) stay: Persian, Indic scripts and emoji
// sequences need them.
func isInvisibleOrBreak(r rune) bool {
	switch r {
	case '\u200B', '\u2060', '\uFEFF', '\u2028', '\u2029':
		return true
	}
	return false
}

// Name trims s and checks it is a name (see the top of this file) of
// min..max characters.
func Name(field, s string, min, max int, what string) (string, error) {
	s, err := checkLength(field, s, min, max, what)
	if err != nil {
		return "", err
	}
	if p := nameProblem(s); p != "" {
		return "", apperr.Input(field, "%s %s.", what, p)
	}
	return s, nil
}

// OptionalName is Name for an optional field: nil or blank is nil.
func OptionalName(field string, s *string, max int, what string) (*string, error) {
	if s == nil {
		return nil, nil
	}
	t, err := Name(field, *s, 0, max, what)
	if err != nil || t == "" {
		return nil, err
	}
	return &t, nil
}

// Text trims s and checks it is free text (see the top of this file)
// of min..max characters.
func Text(field, s string, min, max int, what string) (string, error) {
	s, err := checkLength(field, s, min, max, what)
	if err != nil {
		return "", err
	}
	if !utf8.ValidString(s) {
		return "", apperr.Input(field, "%s is not valid UTF-8.", what)
	}
	if strings.ContainsFunc(s, func(r rune) bool { return unicode.IsControl(r) && r != '\t' && r != '\n' && r != '\r' }) {
		return "", apperr.Input(field, "%s contains a control character (such as NUL).", what)
	}
	return s, nil
}

// checkLength trims s and checks its length in characters. An input far
// over the limit is refused from its byte length, before any copy or count.
func checkLength(field, s string, min, max int, what string) (string, error) {
	tooLong := apperr.Input(field, "%s must be %d to %d characters long.", what, min, max)
	if len(s) > 4*max+1024 { // 4 bytes a character, and room for spaces to trim
		return "", tooLong
	}
	s = strings.TrimSpace(s)
	if n := utf8.RuneCountInString(s); n < min || n > max {
		return "", tooLong
	}
	return s, nil
}

// Search trims a search string and bounds it: at most MaxSearchLength
// characters, valid UTF-8, no NUL. Other characters only ever fail to match.
func Search(field, s string) (string, error) {
	if len(s) > 4*MaxSearchLength+1024 {
		return "", apperr.Input(field, "A search is at most %d characters long.", MaxSearchLength)
	}
	s = strings.TrimSpace(s)
	switch {
	case utf8.RuneCountInString(s) > MaxSearchLength:
		return "", apperr.Input(field, "A search is at most %d characters long.", MaxSearchLength)
	case !utf8.ValidString(s):
		return "", apperr.Input(field, "The search is not valid UTF-8.")
	case strings.ContainsRune(s, 0):
		return "", apperr.Input(field, "The search contains a NUL character.")
	}
	return s, nil
}

// NewPassword checks a new password's length only (NIST SP 800-63B):
// 8..128 characters, any of them, except NUL and invalid UTF-8. The password
// itself is never stored, but NUL ends a string for many password managers
// and C libraries, so a password holding one could not be typed back.
func NewPassword(field, pw string) error {
	if len(pw) > 4*128 {
		return apperr.Input(field, "The password must be 8 to 128 characters long.")
	}
	n := utf8.RuneCountInString(pw)
	if n < 8 || n > 128 {
		return apperr.Input(field, "The password must be 8 to 128 characters long.")
	}
	if !utf8.ValidString(pw) || strings.ContainsRune(pw, 0) {
		return apperr.Input(field, "The password contains a NUL character or invalid UTF-8.")
	}
	return nil
}

// MaxPasswordBytes is the most bytes a password NewPassword accepts can
// have (128 characters of up to 4 bytes).
const MaxPasswordBytes = 4 * 128

// MaxListInput bounds every list a client passes (role ids, statuses,
// channels): each entry becomes a bound parameter, and PostgreSQL (65,535)
// and SQLite (32,766) refuse statements with more, which a 1 MB variables
// object could otherwise reach. No real list comes near it.
const MaxListInput = 100

// CheckListLen validates the length of a list input named field.
func CheckListLen(field string, n int) error {
	if n > MaxListInput {
		return apperr.Input(field, "%s may list at most %d entries.", field, MaxListInput)
	}
	return nil
}
