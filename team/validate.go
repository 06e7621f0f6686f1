package team

import (
	"net/mail"
	"strings"
	"unicode/utf8"

	"agentdesk/apperr"
)

// NormalizeEmail is the one form in which emails are stored and compared:
// trimmed and lower-cased, so sign-in and duplicate checks ignore case.
func NormalizeEmail(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

// MaxEmailLength is the longest address SMTP can carry (RFC 5321 path of
// 256 octets minus the angle brackets).
const MaxEmailLength = 254

// CheckEmail normalises raw and refuses (BAD_USER_INPUT on field) one longer
// than any address can be. It is the cheap check that runs before anything
// else looks at an email, rate limits included, so no work or memory
// follows the size of what a client sent; validEmail does the rest.
func CheckEmail(field, raw string) (string, error) {
	email := NormalizeEmail(raw)
	if len(email) > MaxEmailLength {
		return "", apperr.Input(field, "Enter a valid email address.")
	}
	return email, nil
}

// validEmail normalises and validates an email address: a bare address
// (no display name), at most MaxEmailLength characters, with a dotted domain.
func validEmail(field, raw string) (string, error) {
	bad := apperr.Input(field, "Enter a valid email address.")
	email, err := CheckEmail(field, raw)
	if err != nil || email == "" {
		return "", bad
	}
	addr, err := mail.ParseAddress(email)
	if err != nil || addr.Address != email || addr.Name != "" {
		return "", bad
	}
	at := strings.LastIndexByte(email, '@')
	domain := email[at+1:]
	if !strings.Contains(domain, ".") || strings.HasPrefix(domain, ".") || strings.HasSuffix(domain, ".") {
		return "", bad
	}
	return email, nil
}

// validText trims s and checks its length in characters.
func validText(field, s string, min, max int, what string) (string, error) {
	s = strings.TrimSpace(s)
	n := utf8.RuneCountInString(s)
	if n < min || n > max {
		return "", apperr.Input(field, "%s must be %d to %d characters long.", what, min, max)
	}
	return s, nil
}

// validPassword checks length only (NIST SP 800-63B): 8..128 characters.
func validPassword(field, pw string) error {
	n := utf8.RuneCountInString(pw)
	if n < 8 || n > 128 {
		return apperr.Input(field, "The password must be 8 to 128 characters long.")
	}
	return nil
}
