// Package mail builds the emails agentdesk sends and hands them to an SMTP
// server, or to the log when none is configured.
package mail

import (
	"bytes"
	"embed"
	"fmt"
	htmltemplate "html/template"
	"net/url"
	"strings"
	texttemplate "text/template"
	"time"
)

//go:embed templates
var templates embed.FS

var (
	activationText = texttemplate.Must(texttemplate.ParseFS(templates, "templates/activation.txt.tmpl"))
	activationHTML = htmltemplate.Must(htmltemplate.ParseFS(templates, "templates/activation.html.tmpl"))
)

// Activation is what an activation email says. It carries no secret but the
// link's own token.
//
// The workspace and inviter names are typed by whoever signed up, which is
// anyone: the caller passes names without control or bidi characters, and
// the email quotes them and says they are not agentdesk's words, and which
// link is. Names may still look like a URL ("acme.com" is a fair workspace
// name), and mail clients link those; they are not rewritten, since the
// per-address and per-workspace limits are what make a relay worthless. The
// subject carries no name at all (see Subject).
type Activation struct {
	WorkspaceName string
	InvitedByName string
	PublicURL     string
	Token         string
	ExpiresAt     time.Time
	// Resend: this link replaces an earlier one, which no longer works.
	Resend bool
}

// Link is the activation link: {PUBLIC_URL}/activate?token=…
func (a Activation) Link() string {
	return strings.TrimRight(a.PublicURL, "/") + "/activate?token=" + url.QueryEscape(a.Token)
}

// Rendered is an email ready to queue.
type Rendered struct {
	Subject, Text, HTML string
}

// Render returns the subject, plain-text and HTML bodies of the email.
func (a Activation) Render() (Rendered, error) {
	data := map[string]any{
		"WorkspaceName": a.WorkspaceName,
		"InvitedByName": a.InvitedByName,
		"Link":          a.Link(),
		"Base":          strings.TrimRight(a.PublicURL, "/"),
		"ExpiresAt":     a.ExpiresAt.UTC().Format("2006-01-02 15:04 MST"),
		"Resend":        a.Resend,
	}
	var text, html bytes.Buffer
	if err := activationText.Execute(&text, data); err != nil {
		return Rendered{}, fmt.Errorf("render activation email: %w", err)
	}
	if err := activationHTML.Execute(&html, data); err != nil {
		return Rendered{}, fmt.Errorf("render activation email: %w", err)
	}
	return Rendered{Subject: a.Subject(), Text: text.String(), HTML: html.String()}, nil
}

// Subject is the email's subject line: agentdesk's words only. The names
// are typed by anyone who signs up ("Claim your prize at https://…") and
// a subject is read before any disclaimer, often alone in a notification,
// so they appear only in the body, quoted, next to the words that say
// whose they are.
func (a Activation) Subject() string {
	if a.Resend {
		return "Your new activation link for agentdesk"
	}
	return "Your invitation to join a workspace on agentdesk"
}
