package mail

import (
	"strings"
	"testing"
	"time"
)

// Names are typed by anyone who signs up: the email quotes them, says they
// are not agentdesk's words, and says which link is agentdesk's; the
// subject line carries none of them.
func TestActivationQuotesNamesAndSaysWhichLinkIsOurs(t *testing.T) {
	a := Activation{WorkspaceName: "Claim your prize at win.example.net", InvitedByName: "Your bank",
		PublicURL: "https://desk.example.com/", Token: "tok", ExpiresAt: time.Date(2026, 1, 2, 3, 4, 0, 0, time.UTC)}
	for _, resend := range []bool{false, true} {
		a.Resend = resend
		m, err := a.Render()
		if err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{`"Your bank" invited you`, `workspace "Claim your prize at win.example.net"`,
			"not by\nagentdesk", "it starts with https://desk.example.com/."} {
			if !strings.Contains(m.Text, want) {
				t.Errorf("text lacks %q:\n%s", want, m.Text)
			}
		}
		if !strings.Contains(m.HTML, "&ldquo;<strong>Claim your prize at win.example.net</strong>&rdquo;") ||
			!strings.Contains(m.HTML, "not by agentdesk") {
			t.Errorf("HTML does not quote the names or say whose they are:\n%s", m.HTML)
		}
		// The subject, read before any disclaimer, carries neither name.
		if strings.Contains(m.Subject, "prize") || strings.Contains(m.Subject, "win.example.net") ||
			strings.Contains(m.Subject, "bank") || !strings.Contains(m.Subject, "agentdesk") {
			t.Errorf("subject %q", m.Subject)
		}
	}
}
