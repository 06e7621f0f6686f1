// Package e2e runs the web pages' browser tests: the seed story of the
// Agents page (../shared/seed/agents-page.txt) in Debian's Chromium, driven
// by Playwright (story.mjs), against the agentdesk binary on SQLite and on
// PostgreSQL, with its activation emails caught by a real SMTP server
// (mail/mailtest) that the browser test reads through a small mailbox
// endpoint.
//
// They need node, this directory's node_modules (npm ci) and
// /usr/bin/chromium, so they run only with AGENTDESK_E2E=1 (.ci/run sets
// it and installs all three); a plain `go test ./...` says it skipped them.
package e2e

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"agentdesk/auth"
	"agentdesk/db"
	"agentdesk/db/dbtest"
	"agentdesk/mail/mailtest"
	"agentdesk/models"
)

const chromium = "/usr/bin/chromium"

func TestBrowserStory(t *testing.T) {
	if os.Getenv("AGENTDESK_E2E") != "1" {
		t.Skip("browser tests run with AGENTDESK_E2E=1 (as .ci/run does): they need node, web/e2e/node_modules and " + chromium)
	}
	for _, need := range []string{chromium, "node_modules/playwright-core", "node_modules/axe-core"} {
		if _, err := os.Stat(need); err != nil {
			t.Fatalf("%s is missing (.ci/run installs Chromium and runs npm ci in web/e2e): %v", need, err)
		}
	}
	bin := buildServer(t)
	dbtest.Each(t, func(t *testing.T, dialect db.Dialect) {
		smtp := mailtest.Start(t)
		databaseURL := dbtest.URL(t, dialect)
		if dialect == db.SQLite {
			// The README's screenshots show the demo workspace.
			loadDemo(t, bin, databaseURL)
		}
		srv := startServer(t, bin, databaseURL, smtp.URL)
		mailbox := httptest.NewServer(testHooks(t, smtp, databaseURL))
		t.Cleanup(mailbox.Close)

		env := []string{"BASE_URL=" + srv.url, "MAILBOX_URL=" + mailbox.URL, "DIALECT=" + string(dialect),
			"CHROMIUM=" + chromium}
		// One run writes the README's screenshots; both check the same.
		if dialect == db.SQLite {
			dir, err := filepath.Abs("../../docs/screenshots")
			if err != nil {
				t.Fatal(err)
			}
			env = append(env, "SCREENSHOT_DIR="+dir)
		}
		// On failure the script saves a screenshot of each page here.
		artifacts, err := os.MkdirTemp("", "agentdesk-e2e-")
		if err != nil {
			t.Fatal(err)
		}
		env = append(env, "ARTIFACT_DIR="+artifacts)
		if err := runNode(t, "story.mjs", env); err != nil {
			t.Fatalf("%v\nscreenshots of the pages: %s\nserver log:\n%s", err, artifacts, srv.logs.String())
		}
		_ = os.RemoveAll(artifacts)
	})
}

// buildServer builds the agentdesk binary from this checkout, unless
// AGENTDESK_BINARY names one already built from it (.ci/run passes the binary
// its earlier steps ran).
func buildServer(t *testing.T) string {
	t.Helper()
	if bin := os.Getenv("AGENTDESK_BINARY"); bin != "" {
		if _, err := os.Stat(bin); err != nil {
			t.Fatalf("AGENTDESK_BINARY: %v", err)
		}
		return bin
	}
	bin := filepath.Join(t.TempDir(), "agentdesk")
	cmd := exec.Command("go", "build", "-o", bin, ".")
	cmd.Dir = "../.."
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// loadDemo runs `agentdesk demo` on the database.
func loadDemo(t *testing.T, bin, databaseURL string) {
	t.Helper()
	cmd := exec.Command(bin, "demo")
	cmd.Env = append(os.Environ(), "DATABASE_URL="+databaseURL, "SMTP_URL=log:")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("agentdesk demo: %v\n%s", err, out)
	}
}

type server struct {
	url  string
	logs *syncBuffer
}

// startServer runs the binary the way an operator does, with a short
// re-send cooldown (the story re-sends a link it has just sent, and waits
// for the cooldown to end in the page), and two delivery attempts a second
// apart (the story makes one email fail for good).
func startServer(t *testing.T, bin, databaseURL, smtpURL string) *server {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	_ = l.Close()
	url := "http://" + addr
	cmd := exec.Command(bin)
	cmd.Env = append(os.Environ(), "LISTEN_ADDR="+addr, "PUBLIC_URL="+url, "DATABASE_URL="+databaseURL,
		"SMTP_URL="+smtpURL, "APP_ENV=development", "RESEND_COOLDOWN=4s", "MAIL_RETRY_BASE=1s", "MAIL_MAX_ATTEMPTS=2", "WEB_APP=true")
	logs := &syncBuffer{}
	cmd.Stdout, cmd.Stderr = logs, logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(20 * time.Second): // a hang guard, not a measurement
			_ = cmd.Process.Kill()
		}
	})
	for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(200 * time.Millisecond) {
		res, err := http.Get(url + "/readyz")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("the server did not become ready:\n%s", logs)
		}
	}
	return &server{url: url, logs: logs}
}

// linkPattern finds the activation link in an email's text.
var linkPattern = regexp.MustCompile(`https?://\S+/activate\?token=[A-Za-z0-9_\-]+`)

type mailboxMessage struct {
	To      []string `json:"to"`
	Subject string   `json:"subject"`
	Text    string   `json:"text"`
	Links   []string `json:"links"`
}

// testHooks is what the browser script needs from outside the browser:
// GET /messages?to=ADDRESS, the emails the SMTP server received for that
// address, oldest first, decoded; POST /expire?link=LINK, the clock moving
// past that activation link's expiry (its row's expires_at set to an hour
// ago), so the page's answer to a real expired link can be seen without
// waiting INVITATION_TTL; POST /refuse?n=N, the SMTP server refusing the
// next N deliveries (421), so an email's delivery fails for real.
func testHooks(t *testing.T, smtp *mailtest.Server, databaseURL string) http.Handler {
	database, err := db.Open(databaseURL, db.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = database.Close() })
	mux := http.NewServeMux()
	mux.HandleFunc("POST /expire", func(w http.ResponseWriter, r *http.Request) {
		u, err := url.Parse(r.URL.Query().Get("link"))
		if err != nil || u.Query().Get("token") == "" {
			http.Error(w, "no link", http.StatusBadRequest)
			return
		}
		res := database.DB.Model(&models.ActivationToken{}).Where("token_hash = ?", auth.HashToken(u.Query().Get("token"))).
			Update("expires_at", time.Now().UTC().Add(-time.Hour))
		if res.Error != nil || res.RowsAffected != 1 {
			http.Error(w, fmt.Sprintf("expire: %v, %d rows", res.Error, res.RowsAffected), http.StatusInternalServerError)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("POST /refuse", func(w http.ResponseWriter, r *http.Request) {
		n, err := strconv.Atoi(r.URL.Query().Get("n"))
		if err != nil || n < 1 {
			http.Error(w, "n", http.StatusBadRequest)
			return
		}
		smtp.RefuseNext(n)
		w.WriteHeader(http.StatusNoContent)
	})
	mux.Handle("GET /messages", mailboxHandler(smtp))
	return mux
}

func mailboxHandler(smtp *mailtest.Server) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		to := strings.ToLower(r.URL.Query().Get("to"))
		out := []mailboxMessage{}
		for _, m := range smtp.Messages() {
			match := to == ""
			for _, rcpt := range m.To {
				if strings.EqualFold(rcpt, to) {
					match = true
				}
			}
			if !match {
				continue
			}
			text := m.Part("text/plain")
			out = append(out, mailboxMessage{To: m.To, Subject: m.Header("Subject"), Text: text,
				Links: linkPattern.FindAllString(text, -1)})
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(out)
	})
}

// runNode runs a browser script of this directory; its output goes to the
// test log line by line.
func runNode(t *testing.T, script string, env []string) error {
	t.Helper()
	// A hang guard for the whole story, not a measured time.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "node", script)
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		return err
	}
	lines := bufio.NewScanner(out)
	lines.Buffer(make([]byte, 64<<10), 1<<20)
	for lines.Scan() {
		t.Log(lines.Text())
	}
	_, _ = io.Copy(io.Discard, out)
	if err := cmd.Wait(); err != nil {
		return fmt.Errorf("node %s: %w", script, err)
	}
	return nil
}

type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
