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

// validEmail normalises and validates an email address: a bare address
// (no display name), at most 254 characters, with a dotted domain.
func validEmail(field, raw string) (string, error) {
	email := NormalizeEmail(raw)
	bad := apperr.Input(field, "Enter a valid email address.")
	if email == "" || len(email) > 254 {
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
