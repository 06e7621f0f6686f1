// Package mail builds the emails agentdesk sends and delivers them from the
// outbox table, where each one was queued in its mutation's transaction.
package mail

import (
	"bytes"
	"embed"
	"fmt"
	"net/url"
	"strings"
	"text/template"
	"time"
)

//go:embed templates
var templates embed.FS

var activationText = template.Must(template.ParseFS(templates, "templates/activation.txt.tmpl"))

// Activation is what an activation email says.
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

// Render returns the subject and plain-text body of the email.
func (a Activation) Render() (subject, body string, err error) {
	var buf bytes.Buffer
	err = activationText.Execute(&buf, map[string]any{
		"WorkspaceName": a.WorkspaceName,
		"InvitedByName": a.InvitedByName,
		"Link":          a.Link(),
		"ExpiresAt":     a.ExpiresAt.UTC().Format("2006-01-02 15:04 MST"),
		"Resend":        a.Resend,
	})
	if err != nil {
		return "", "", fmt.Errorf("render activation email: %w", err)
	}
	subject = fmt.Sprintf("You're invited to %s on agentdesk", a.WorkspaceName)
	if a.Resend {
		subject = fmt.Sprintf("Your new activation link for %s", a.WorkspaceName)
	}
	return subject, buf.String(), nil
}
