// Command agentdesk serves the GraphQL API of a customer-support workspace's
// team: agents, roles and permissions.
//
//	agentdesk          migrate the database, then serve (the default)
//	agentdesk migrate  apply pending migrations and exit
//	agentdesk demo     load the demo workspace (once) and print how to sign in
//	agentdesk healthcheck  exit 0 if the local server answers /readyz (for Docker)
//	agentdesk seed [-agents N] [-conversations N] [-messages N] [-name NAME]
//	                   generate a sized workspace for benchmarks and load runs
//
// Settings come from the environment; see README.md.
package main

//go:generate go run ./internal/gqlgen

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"net/netip"
	"os"
	"os/signal"
	"runtime/debug"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/caarlos0/env/v11"
	"github.com/redis/go-redis/v9"

	"agentdesk/auth"
	"agentdesk/db"
	"agentdesk/demo"
	"agentdesk/graph"
	"agentdesk/httpapi"
	"agentdesk/jobs"
	"agentdesk/live"
	"agentdesk/mail"
	"agentdesk/ratelimit"
	"agentdesk/sessions"
	"agentdesk/team"
)

// config is every setting of BEHAVIOUR.md §1.
type config struct {
	ListenAddr     string        `env:"LISTEN_ADDR" envDefault:":8080"`
	DatabaseURL    string        `env:"DATABASE_URL" envDefault:"sqlite:agentdesk.db"`
	PublicURL      string        `env:"PUBLIC_URL"` // empty: defaultPublicURL(ListenAddr)
	SMTPURL        string        `env:"SMTP_URL"`
	MailFrom       string        `env:"MAIL_FROM" envDefault:"agentdesk <no-reply@localhost>"`
	AppEnv         string        `env:"APP_ENV" envDefault:"development"`
	AllowSignup    bool          `env:"ALLOW_SIGNUP" envDefault:"true"`
	InvitationTTL  time.Duration `env:"INVITATION_TTL" envDefault:"168h"`
	SessionTTL     time.Duration `env:"SESSION_TTL" envDefault:"720h"`
	ResendCooldown time.Duration `env:"RESEND_COOLDOWN" envDefault:"60s"`
	// Email delivery: attempts before FAILED, and the first retry's delay
	// (each next one doubles).
	MailMaxAttempts int           `env:"MAIL_MAX_ATTEMPTS" envDefault:"8"`
	MailRetryBase   time.Duration `env:"MAIL_RETRY_BASE" envDefault:"30s"`
	// SMTPTimeout bounds one delivery; MailRescueAfter is when a send left
	// "running" by a dead process is retried (it must exceed SMTPTimeout
	// plus the job's slack: see jobs.Config).
	SMTPTimeout     time.Duration `env:"SMTP_TIMEOUT" envDefault:"15s"`
	MailRescueAfter time.Duration `env:"MAIL_RESCUE_AFTER" envDefault:"5m"`

	// Running several replicas (README "Running several replicas").
	// ShutdownDrain is how long /readyz answers 503 after SIGTERM, while
	// requests are still served, so the load balancer stops sending any
	// before the listener closes.
	ShutdownDrain time.Duration `env:"SHUTDOWN_DRAIN" envDefault:"5s"`
	// RedisURL, when set, shares the login and activation rate limits
	// between replicas.
	RedisURL string `env:"REDIS_URL"`
	// RedisKeyPrefix lets several deployments (or tests) share one Redis.
	RedisKeyPrefix string `env:"REDIS_KEY_PREFIX" envDefault:"agentdesk:ratelimit:"`
	// DatabaseMaxConns bounds this process's PostgreSQL connections (GORM's
	// pool and the job queue's together).
	DatabaseMaxConns int `env:"DATABASE_MAX_CONNS" envDefault:"25"`

	// Hardening (README "Operations").
	AllowedOrigins    []string      `env:"ALLOWED_ORIGINS" envSeparator:","`
	TrustedProxies    []string      `env:"TRUSTED_PROXIES" envSeparator:","`
	MaxBodyBytes      int64         `env:"MAX_BODY_BYTES" envDefault:"1048576"`
	MaxParserTokens   int           `env:"MAX_PARSER_TOKENS" envDefault:"15000"`
	MaxDepth          int           `env:"MAX_DEPTH" envDefault:"12"`
	MaxConcurrent     int           `env:"MAX_CONCURRENT_REQUESTS" envDefault:"32"`
	MaxPerClient      int           `env:"MAX_REQUESTS_PER_CLIENT" envDefault:"16"`
	MaxAliases        int           `env:"MAX_ALIASES" envDefault:"30"`
	MaxDirectives     int           `env:"MAX_DIRECTIVES" envDefault:"50"`
	MaxOperations     int           `env:"MAX_OPERATIONS" envDefault:"10"`
	MaxComplexity     int           `env:"MAX_COMPLEXITY" envDefault:"5000"`
	MaxQuerySize      int           `env:"MAX_QUERY_SIZE" envDefault:"5000"`
	RequestTimeout    time.Duration `env:"REQUEST_TIMEOUT" envDefault:"10s"`
	RateLimitPerIP    int           `env:"RATE_LIMIT_PER_IP" envDefault:"30"`
	RateLimitPerEmail int           `env:"RATE_LIMIT_PER_EMAIL" envDefault:"5"`
	RateLimitPeriod   time.Duration `env:"RATE_LIMIT_PERIOD" envDefault:"1m"`
	// MailWorkspaceDailyLimit caps the activation emails a workspace sends
	// in any 24 hours (BEHAVIOUR.md §8 "Email as a weapon").
	MailWorkspaceDailyLimit int `env:"MAIL_WORKSPACE_DAILY_LIMIT" envDefault:"500"`
	RateLimitMaxKeys        int `env:"RATE_LIMIT_MAX_KEYS" envDefault:"10000"`
	// Sign-up makes new senders, so: what one address receives from all
	// workspaces, what a workspace younger than a day sends, and how many
	// workspaces one client creates (README "Decisions").
	MailAddressDailyLimit      int `env:"MAIL_ADDRESS_DAILY_LIMIT" envDefault:"5"`
	MailNewWorkspaceDailyLimit int `env:"MAIL_NEW_WORKSPACE_DAILY_LIMIT" envDefault:"20"`
	SignupPerIPHourly          int `env:"SIGNUP_PER_IP_HOURLY" envDefault:"5"`
	// WebApp serves the activation page and the web client (/activate, /app).
	WebApp bool `env:"WEB_APP" envDefault:"true"`
	// MetricsAddr serves /metrics on its own address, and the public one
	// answers 404 for it (empty: /metrics is on LISTEN_ADDR).
	MetricsAddr string `env:"METRICS_ADDR"`
	// MaxSocketsPerAgent bounds one agent's WebSockets (subscriptions).
	MaxSocketsPerAgent int `env:"MAX_SOCKETS_PER_AGENT" envDefault:"10"`
	// PprofAddr serves net/http/pprof on a separate address (off when empty;
	// never expose it publicly).
	PprofAddr string `env:"PPROF_ADDR"`
}

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "agentdesk:", err)
		os.Exit(1)
	}
}

// tuneGC trades memory for CPU unless the operator chose: an Agents page
// allocates ~1 MB, and at Go's default GOGC=100 the collector ran on a third
// of the requests' CPU (docs/PERFORMANCE.md). GOGC=400 lets the heap grow to
// five times what is live between collections; the 128 MiB soft memory limit
// caps that growth, so under load the process stays near 130 MB, under the
// 150 MB target, and the collector runs more often only when it must.
func tuneGC() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(400)
	}
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(128 << 20)
	}
}

func run(args []string) error {
	tuneGC()
	var cfg config
	if err := env.Parse(&cfg); err != nil {
		return err
	}
	if cfg.PublicURL == "" {
		cfg.PublicURL = defaultPublicURL(cfg.ListenAddr)
	}
	if len(args) > 0 && args[0] == "healthcheck" {
		return healthcheck(cfg.ListenAddr)
	}
	production := cfg.AppEnv == "production"
	var handler slog.Handler = slog.NewTextHandler(os.Stderr, nil)
	if production {
		handler = slog.NewJSONHandler(os.Stderr, nil)
	}
	log := slog.New(handler)

	trusted, err := parsePrefixes(cfg.TrustedProxies)
	if err != nil {
		return err
	}
	deliverer, err := newDeliverer(cfg, production, log)
	if errors.Is(err, errNoSMTP) && len(args) > 0 {
		// Only serving sends email; migrate, demo and seed queue emails or
		// touch data, so they need no SMTP_URL.
		deliverer, err = mail.LogDeliverer{Log: log}, nil
	}
	if err != nil {
		return err
	}
	// The statement timeout is the database's backstop behind the request
	// timeout's cancellation.
	database, err := db.Open(cfg.DatabaseURL, db.Options{StatementTimeout: cfg.RequestTimeout + 5*time.Second,
		MaxConns: cfg.DatabaseMaxConns})
	if err != nil {
		return err
	}
	defer database.Close()
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	if err := database.Migrate(ctx); err != nil {
		return err
	}
	now := func() time.Time { return time.Now().UTC() }
	var broker *live.Broker // only a serving process has subscribers
	if len(args) == 0 {
		if broker, err = newBroker(ctx, database, log); err != nil {
			return err
		}
		defer broker.Close()
	}
	queue, err := jobs.New(database, deliverer, jobs.Config{MaxAttempts: cfg.MailMaxAttempts, RetryBase: cfg.MailRetryBase,
		PollInterval: time.Second, CleanupEvery: time.Hour, SendTimeout: cfg.SMTPTimeout, RescueAfter: cfg.MailRescueAfter,
		Now: now, Log: log, Live: broker})
	if err != nil {
		return err
	}
	sessions := &sessions.Store{DB: database.DB, TTL: cfg.SessionTTL, Now: now}
	svc := &team.Service{
		DB: database, Sessions: sessions, Passwords: auth.NewPasswords(auth.DefaultArgon2), Now: now, Emails: queue, Live: broker,
		Config: team.Config{PublicURL: cfg.PublicURL, AllowSignup: cfg.AllowSignup,
			InvitationTTL: cfg.InvitationTTL, ResendCooldown: cfg.ResendCooldown,
			MailWorkspaceDailyLimit: cfg.MailWorkspaceDailyLimit, MailNewWorkspaceDailyLimit: cfg.MailNewWorkspaceDailyLimit,
			MailAddressDailyLimit: cfg.MailAddressDailyLimit, SignupPerIPHourly: cfg.SignupPerIPHourly},
	}
	if len(args) > 0 {
		switch args[0] {
		case "migrate":
			log.Info("database migrated", "dialect", database.Dialect)
			return nil
		case "demo":
			return loadDemo(ctx, svc, cfg)
		case "seed":
			return seed(ctx, database, svc.Passwords, args[1:])
		default:
			return fmt.Errorf("unknown command %q (commands: migrate, demo, seed, healthcheck)", args[0])
		}
	}

	var sharedLimits *redis.Client
	if cfg.RedisURL != "" {
		if sharedLimits, err = ratelimit.NewRedisClient(cfg.RedisURL); err != nil {
			return fmt.Errorf("REDIS_URL: %w", err)
		}
		defer sharedLimits.Close()
		// A mistyped or unreachable REDIS_URL would otherwise show only as
		// every login refused; say so at start. A warning, not a refusal:
		// a Redis outage must not keep replicas from restarting, and the
		// limits fail closed until it answers.
		pingCtx, cancelPing := context.WithTimeout(ctx, 2*time.Second)
		if err := sharedLimits.Ping(pingCtx).Err(); err != nil {
			log.Warn("Redis does not answer: login, sign-up and activation answer RATE_LIMITED until it does", "err", err)
		}
		cancelPing()
		signups := cfg.SignupPerIPHourly
		if signups <= 0 {
			signups = team.DefaultSignupPerIPHourly
		}
		svc.SignupLimit = ratelimit.NewShared(sharedLimits, cfg.RedisKeyPrefix+"signup:", signups, time.Hour)
	}
	// draining turns /readyz to 503 from SIGTERM on (see below).
	var draining atomic.Bool
	ready := func(ctx context.Context) error {
		if draining.Load() {
			return errDraining
		}
		return database.Ping(ctx)
	}
	handlers := httpapi.NewHandlers(httpapi.Config{Team: svc, Sessions: sessions, Log: log, Live: broker,
		Production: production, Ready: ready, BodyBytes: cfg.MaxBodyBytes, Timeout: cfg.RequestTimeout,
		Limits: graph.Limits{ParserTokens: cfg.MaxParserTokens, Depth: cfg.MaxDepth,
			Aliases: cfg.MaxAliases, Directives: cfg.MaxDirectives, Operations: cfg.MaxOperations,
			Complexity: cfg.MaxComplexity, Size: cfg.MaxQuerySize},
		RateLimits: graph.RateLimits{PerIP: cfg.RateLimitPerIP, PerSubject: cfg.RateLimitPerEmail, Period: cfg.RateLimitPeriod,
			MaxKeys: cfg.RateLimitMaxKeys, Redis: sharedLimits, RedisPrefix: cfg.RedisKeyPrefix},
		AllowedOrigins: cfg.AllowedOrigins, TrustedProxies: trusted, MaxConcurrent: cfg.MaxConcurrent, MaxPerClient: cfg.MaxPerClient,
		MaxSocketsPerAgent: cfg.MaxSocketsPerAgent,
		HSTS:               strings.HasPrefix(cfg.PublicURL, "https://"), PrivateMetrics: cfg.MetricsAddr != "", WebApp: cfg.WebApp})
	srv := &http.Server{Addr: cfg.ListenAddr, Handler: handlers.Public, ReadHeaderTimeout: 10 * time.Second,
		// Headers are bounded (the default is 1 MB per request); an idle
		// keep-alive connection is closed rather than held for ever.
		MaxHeaderBytes: 64 << 10, IdleTimeout: 2 * time.Minute}
	metricsSrv, err := listenMetrics(cfg.MetricsAddr, handlers.Metrics, log)
	if err != nil {
		return err
	}
	if err := queue.Start(context.Background()); err != nil {
		return err
	}

	if cfg.PprofAddr != "" {
		go func() {
			pprofMux := http.NewServeMux()
			pprofMux.HandleFunc("/debug/pprof/", pprof.Index)
			pprofMux.HandleFunc("/debug/pprof/profile", pprof.Profile)
			pprofMux.HandleFunc("/debug/pprof/heap", pprof.Index)
			log.Info("pprof is listening", "addr", cfg.PprofAddr)
			_ = http.ListenAndServe(cfg.PprofAddr, pprofMux)
		}()
	}
	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.ListenAndServe() }()
	log.Info("agentdesk is listening", "addr", cfg.ListenAddr, "database", database.Dialect,
		"playground", playgroundURL(cfg, production), "app", appURL(cfg), "shared_rate_limits", sharedLimits != nil)

	select {
	case err := <-serveErr:
		_ = queue.Stop(context.Background())
		return err
	case <-ctx.Done():
	}
	// SIGTERM: drain (readiness 503 while still serving, so the load
	// balancer takes this replica out before it refuses anyone), stop
	// accepting, finish in-flight requests (up to 15 s), let the emails
	// being sent finish (up to SMTP_TIMEOUT; queued ones are durable: the
	// next start, or another replica, sends them), exit 0.
	draining.Store(true)
	log.Info("draining: /readyz answers 503 while requests are still served", "for", cfg.ShutdownDrain)
	time.Sleep(cfg.ShutdownDrain)
	log.Info("shutting down")
	// The queue stops beside the HTTP server, not after it, so the whole
	// shutdown takes SHUTDOWN_DRAIN + max(15 s, SMTP_TIMEOUT) at most.
	queueStopped := make(chan error, 1)
	go func() { queueStopped <- queue.Stop(context.Background()) }()
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	err = srv.Shutdown(shutdownCtx)
	// Shutdown does not wait for WebSockets: close them (1001), so clients
	// reconnect to another replica at once.
	handlers.CloseSockets()
	if metricsSrv != nil {
		_ = metricsSrv.Shutdown(shutdownCtx)
	}
	if qerr := <-queueStopped; qerr != nil {
		log.Warn("job queue stop", "err", qerr)
	}
	if err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// newBroker returns the live-update broker of the database: through
// PostgreSQL's LISTEN/NOTIFY, so every replica's subscribers see every
// change, or in process for SQLite (a single process).
func newBroker(ctx context.Context, database *db.DB, log *slog.Logger) (*live.Broker, error) {
	if database.Dialect == db.Postgres {
		return live.NewPostgres(ctx, database.URL, log)
	}
	return live.NewLocal(), nil
}

// smtpToLog is the SMTP_URL that writes emails, activation links included,
// to the log on purpose.
const smtpToLog = "log:"

// errDraining is the readiness answer of a replica that is shutting down.
var errDraining = errors.New("draining: shutting down")

var errNoSMTP = errors.New("SMTP_URL is not set: in production (APP_ENV=production) activation emails must be sent; " +
	"set SMTP_URL=smtp://user:pass@host:port (or smtps://…), or SMTP_URL=log: to write emails and their links to the log on purpose")

// newDeliverer chooses how emails leave from SMTP_URL. In production an
// empty SMTP_URL is refused: emails would go to the log with their live
// activation links (anyone reading the logs could take over an invitation)
// while every invitation says SENT. SMTP_URL=log: asks for exactly that on
// purpose; in development an empty one means the same.
func newDeliverer(cfg config, production bool, log *slog.Logger) (mail.Deliverer, error) {
	switch {
	case cfg.SMTPURL == smtpToLog:
		return mail.LogDeliverer{Log: log}, nil
	case cfg.SMTPURL == "" && production:
		return nil, errNoSMTP
	case cfg.SMTPURL == "":
		return mail.LogDeliverer{Log: log}, nil
	}
	return mail.NewSMTP(cfg.SMTPURL, cfg.MailFrom, cfg.SMTPTimeout)
}

// listenMetrics serves /metrics on addr (METRICS_ADDR), if set. It listens
// before returning, so a bad or taken address stops the start.
func listenMetrics(addr string, h http.Handler, log *slog.Logger) (*http.Server, error) {
	if addr == "" {
		return nil, nil
	}
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("METRICS_ADDR: %w", err)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(l) }()
	log.Info("metrics are listening", "addr", l.Addr().String())
	return srv, nil
}

// loadDemo loads the demo workspace and tells how to sign in to it.
func loadDemo(ctx context.Context, svc *team.Service, cfg config) error {
	// The demo signs up through the rules, so it needs sign-up even where
	// the server has it off.
	svc.Config.AllowSignup = true
	res, err := demo.Load(ctx, svc)
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	if res.Created {
		fmt.Printf("Loaded the demo workspace %q: %d agents, %d conversations.\n", demo.WorkspaceName, res.Agents, res.Conversations)
	} else {
		fmt.Printf("The demo workspace %q is already loaded; nothing changed.\n", demo.WorkspaceName)
	}
	fmt.Printf("Open %s/app and sign in as %s with the password %s,\n", cfg.PublicURL, demo.OwnerEmail, demo.Password)
	fmt.Printf("or sign in at the playground, %s/, with\n\n  mutation { login(input: {email: %q, password: %q}) { token } }\n\n",
		cfg.PublicURL, demo.OwnerEmail, demo.Password)
	fmt.Println("then, with the header Authorization: Bearer <token>, try the Agents page and the needs-attention list:")
	fmt.Println("\n  { agents(first: 50) { totalCount edges { node { name email status roles { name } invitation { expired } } } } }")
	fmt.Println("  { conversations(filter: {caution: ASSIGNEE_REMOVED}) { totalCount edges { node { subject status caution assignee { name status } } } } }")
	return nil
}

// seed generates a sized workspace (see demo.Seed).
func seed(ctx context.Context, database *db.DB, pw *auth.Passwords, args []string) error {
	fs := flag.NewFlagSet("seed", flag.ContinueOnError)
	agents := fs.Int("agents", 1000, "agents in the workspace")
	conversations := fs.Int("conversations", 100_000, "conversations")
	messages := fs.Int("messages", 2, "messages per conversation after the contact's first")
	name := fs.String("name", fmt.Sprintf("Bench %d", time.Now().Unix()), "workspace name")
	if err := fs.Parse(args); err != nil {
		return err
	}
	start := time.Now()
	res, err := demo.Seed(ctx, database, pw, *name, demo.Size{Agents: *agents, Conversations: *conversations,
		MessagesPerConversation: *messages})
	if err != nil {
		return fmt.Errorf("seed: %w", err)
	}
	fmt.Printf("Seeded %q (%d agents, %d conversations) in %s. Sign in as %s / %s\n", *name, *agents, *conversations,
		time.Since(start).Round(time.Millisecond), res.OwnerEmail, res.OwnerPassword)
	return nil
}

// healthcheck asks the server on this machine whether it is ready; the
// container image has no shell or curl to do it.
func healthcheck(listenAddr string) error {
	_, port, err := net.SplitHostPort(listenAddr)
	if err != nil {
		return err
	}
	client := &http.Client{Timeout: 3 * time.Second}
	res, err := client.Get("http://127.0.0.1:" + port + "/readyz")
	if err != nil {
		return err
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("readyz answered %d", res.StatusCode)
	}
	return nil
}

// parsePrefixes reads TRUSTED_PROXIES: addresses or CIDR prefixes.
func parsePrefixes(items []string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, item := range items {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		if p, err := netip.ParsePrefix(item); err == nil {
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(item)
		if err != nil {
			return nil, fmt.Errorf("TRUSTED_PROXIES: %q is neither an address nor a CIDR prefix", item)
		}
		out = append(out, netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()))
	}
	return out, nil
}

func appURL(cfg config) string {
	if !cfg.WebApp {
		return "off (WEB_APP=false)"
	}
	return cfg.PublicURL + "/app"
}

// defaultPublicURL is the URL of the address the server listens on, so
// that activation links of a server started with LISTEN_ADDR=:9090 point at
// it: a wildcard or empty host is this machine (localhost).
func defaultPublicURL(listenAddr string) string {
	host, port, err := net.SplitHostPort(listenAddr)
	if err != nil {
		return "http://localhost:8080"
	}
	if ip, err := netip.ParseAddr(host); host == "" || (err == nil && ip.IsUnspecified()) {
		host = "localhost"
	}
	if port == "80" || port == "http" {
		return "http://" + bracketIPv6(host)
	}
	return "http://" + net.JoinHostPort(host, port)
}

func bracketIPv6(host string) string {
	if strings.Contains(host, ":") {
		return "[" + host + "]"
	}
	return host
}

func playgroundURL(cfg config, production bool) string {
	if production {
		return "off in production"
	}
	return cfg.PublicURL + "/"
}
