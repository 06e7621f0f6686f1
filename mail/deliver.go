package mail

import (
	"context"
	"fmt"
	"log/slog"
	"net/url"
	"strconv"
	"time"

	gomail "github.com/wneessen/go-mail"

	"agentdesk/models"
)

// Deliverer hands one email to the outside world.
type Deliverer interface {
	Deliver(ctx context.Context, e *models.Email) error
}

// LogDeliverer writes each email, with its activation link, to the log. It
// is the development default when no SMTP_URL is set, and what SMTP_URL=log:
// asks for (production refuses an empty SMTP_URL).
type LogDeliverer struct{ Log *slog.Logger }

// Deliver implements Deliverer.
func (d LogDeliverer) Deliver(_ context.Context, e *models.Email) error {
	d.Log.Info("email (SMTP_URL is log: or not set, so it is logged instead of sent)",
		"to", e.ToAddress, "subject", e.Subject, "body", e.BodyText)
	return nil
}

// SMTP sends emails through an SMTP server.
type SMTP struct {
	from    string
	host    string
	timeout time.Duration
	options []gomail.Option
}

// DefaultTimeout is SMTP_TIMEOUT's default: the bound on one whole delivery.
const DefaultTimeout = 15 * time.Second

// NewSMTP configures delivery from SMTP_URL: smtp://user:pass@host:port uses
// STARTTLS when the server offers it (port 587 unless given), smtps:// uses
// implicit TLS (port 465 unless given). from is MAIL_FROM; timeout
// (SMTP_TIMEOUT) bounds one whole delivery, connecting included.
func NewSMTP(rawURL, from string, timeout time.Duration) (*SMTP, error) {
	if timeout <= 0 {
		return nil, fmt.Errorf("SMTP_TIMEOUT must be positive")
	}
	u, err := url.Parse(rawURL)
	if err != nil || u.Hostname() == "" {
		return nil, fmt.Errorf("SMTP_URL: want smtp://user:pass@host:port or smtps://…")
	}
	opts := []gomail.Option{gomail.WithTimeout(timeout)}
	port := 587
	switch u.Scheme {
	case "smtp":
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSOpportunistic))
	case "smtps":
		port = 465
		opts = append(opts, gomail.WithSSL())
	default:
		return nil, fmt.Errorf("SMTP_URL: scheme must be smtp or smtps, not %q", u.Scheme)
	}
	if p := u.Port(); p != "" {
		if port, err = strconv.Atoi(p); err != nil {
			return nil, fmt.Errorf("SMTP_URL: bad port %q", p)
		}
	}
	opts = append(opts, gomail.WithPort(port))
	if u.User != nil {
		pass, _ := u.User.Password()
		opts = append(opts, gomail.WithSMTPAuth(gomail.SMTPAuthAutoDiscover),
			gomail.WithUsername(u.User.Username()), gomail.WithPassword(pass))
	}
	return &SMTP{from: from, host: u.Hostname(), timeout: timeout, options: opts}, nil
}

// Deliver implements Deliverer: one connection per email, which is plenty for
// invitations and keeps no idle connection to a server that may time it out.
func (s *SMTP) Deliver(ctx context.Context, e *models.Email) error {
	msg := gomail.NewMsg()
	if err := msg.From(s.from); err != nil {
		return fmt.Errorf("MAIL_FROM: %w", err)
	}
	if err := msg.To(e.ToAddress); err != nil {
		return err
	}
	msg.Subject(e.Subject)
	msg.SetMessageID()
	msg.SetDate()
	msg.SetBodyString(gomail.TypeTextPlain, e.BodyText)
	if e.BodyHTML != "" {
		msg.AddAlternativeString(gomail.TypeTextHTML, e.BodyHTML)
	}
	client, err := gomail.NewClient(s.host, s.options...)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	return client.DialAndSendWithContext(ctx, msg)
}
