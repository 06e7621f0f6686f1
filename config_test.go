package main

import (
	"errors"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"agentdesk/mail"
)

// In production an empty SMTP_URL would log every activation link while the
// invitations say SENT: refused, unless SMTP_URL=log: asks for it.
func TestProductionNeedsSMTPURL(t *testing.T) {
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	cases := []struct {
		smtp       string
		production bool
		want       string // "log", "smtp" or "error"
	}{
		{"", true, "error"},
		{"log:", true, "log"},
		{"", false, "log"},
		{"log:", false, "log"},
		{"smtp://user:pass@mail.example.com:587", true, "smtp"},
	}
	for _, c := range cases {
		d, err := newDeliverer(config{SMTPURL: c.smtp, MailFrom: "agentdesk <no-reply@example.com>"}, c.production, log)
		got := "error"
		switch d.(type) {
		case mail.LogDeliverer:
			got = "log"
		case *mail.SMTP:
			got = "smtp"
		}
		if got != c.want {
			t.Errorf("SMTP_URL=%q production=%v: %s (%v), want %s", c.smtp, c.production, got, err, c.want)
		}
		if c.want == "error" && (err == nil || !strings.Contains(err.Error(), "SMTP_URL") || !strings.Contains(err.Error(), "log:")) {
			t.Errorf("the refusal does not say what to set: %v", err)
		}
	}
}

// The binary itself refuses to serve in production without SMTP_URL, and
// serves with SMTP_URL=log:.
func TestProductionBinaryWithoutSMTPURLRefusesToStart(t *testing.T) {
	bin, err := binary()
	if err != nil {
		t.Fatal(err)
	}
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "SMTP_URL=") {
			env = append(env, kv)
		}
	}
	env = append(env, "APP_ENV=production", "LISTEN_ADDR="+freeAddr(t),
		"DATABASE_URL=sqlite:"+filepath.Join(t.TempDir(), "agentdesk.db"))
	cmd := exec.Command(bin)
	cmd.Env = env
	logs := &syncBuffer{}
	cmd.Stdout, cmd.Stderr = logs, logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	select {
	case err := <-exited:
		var exit *exec.ExitError
		if !errors.As(err, &exit) || !strings.Contains(logs.String(), "SMTP_URL") {
			t.Fatalf("exit %v, output %q; want a failure naming SMTP_URL", err, logs)
		}
	case <-time.After(30 * time.Second): // a bound on the test, not a measured time
		_ = cmd.Process.Kill()
		t.Fatalf("served in production without SMTP_URL:\n%s", logs)
	}

	p := startServer(t, "APP_ENV=production", "SMTP_URL=log:",
		"DATABASE_URL=sqlite:"+filepath.Join(t.TempDir(), "agentdesk.db"))
	p.terminate(t)
}

// PUBLIC_URL defaults to the address the server listens on.
func TestDefaultPublicURL(t *testing.T) {
	for listen, want := range map[string]string{
		":9090":          "http://localhost:9090",
		":8080":          "http://localhost:8080",
		"0.0.0.0:9090":   "http://localhost:9090",
		"[::]:9090":      "http://localhost:9090",
		"127.0.0.1:7000": "http://127.0.0.1:7000",
		"[::1]:7000":     "http://[::1]:7000",
		"desk.lan:443":   "http://desk.lan:443",
		":80":            "http://localhost",
		"[::1]:80":       "http://[::1]",
	} {
		if got := defaultPublicURL(listen); got != want {
			t.Errorf("LISTEN_ADDR=%s: %s, want %s", listen, got, want)
		}
	}
}
