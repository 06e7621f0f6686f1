// Package db opens the database named by DATABASE_URL, applies the versioned
// migrations of its dialect, and translates the few driver errors that carry
// meaning (unique violations) into sentinel errors the rules can test for.
package db

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"sync/atomic"
	"time"

	gosqlite "github.com/glebarez/go-sqlite"
	"github.com/glebarez/sqlite"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/riverdriver/riverdatabasesql"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivermigrate"
	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"
)

// Dialect is the SQL dialect of an open database.
type Dialect string

const (
	SQLite   Dialect = "sqlite"
	Postgres Dialect = "postgres"
)

//go:embed migrations
var migrations embed.FS

// ErrUniqueViolation is returned (wrapped) when an insert or update breaks a
// unique constraint, on either dialect.
var ErrUniqueViolation = errors.New("unique constraint violated")

// The unique constraints of the migrations a write can break, named as
// PostgreSQL names them (the index name, or table_column_key and table_pkey
// for those declared in CREATE TABLE). UniqueConstraint answers these names on
// both dialects, so the rules map each to its own message once.
const (
	UniqueAccountEmail    = "accounts_email_key"
	UniqueRoleName        = "roles_workspace_name_key"
	UniqueAgentEmail      = "agents_workspace_email_key"
	UniqueAgentRole       = "agent_roles_pkey"
	UniqueActivationToken = "activation_tokens_token_hash_key"
	UniqueSessionToken    = "sessions_token_hash_key"
)

// UniqueConstraints lists the constants above; a test checks it against the
// unique indexes the migrations create, so a new one cannot go unnamed.
var UniqueConstraints = []string{UniqueAccountEmail, UniqueRoleName, UniqueAgentEmail, UniqueAgentRole,
	UniqueActivationToken, UniqueSessionToken}

// sqliteUniqueColumns maps SQLite's report of a violated constraint to its
// name: SQLite names an index on expressions ("index 'accounts_email_key'")
// but lists the columns of one declared in CREATE TABLE.
var sqliteUniqueColumns = map[string]string{
	"index '" + UniqueAccountEmail + "'":        UniqueAccountEmail,
	"index '" + UniqueRoleName + "'":            UniqueRoleName,
	"index '" + UniqueAgentEmail + "'":          UniqueAgentEmail,
	"agent_roles.agent_id, agent_roles.role_id": UniqueAgentRole,
	"activation_tokens.token_hash":              UniqueActivationToken,
	"sessions.token_hash":                       UniqueSessionToken,
}

const sqliteUniqueFailed = "UNIQUE constraint failed: "

// UniqueConstraint names the unique constraint err (translated or not)
// violated, one of UniqueConstraints, or "" when err is no unique violation
// or one of a constraint not listed there.
func UniqueConstraint(err error) string {
	if err == nil {
		return ""
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		if pgErr.Code == "23505" {
			return pgErr.ConstraintName
		}
		return ""
	}
	msg := err.Error()
	i := strings.Index(msg, sqliteUniqueFailed)
	if i < 0 {
		return ""
	}
	what := msg[i+len(sqliteUniqueFailed):]
	// The driver appends the extended result code, e.g. " (2067)".
	if j := strings.Index(what, " ("); j >= 0 {
		what = what[:j]
	}
	return sqliteUniqueColumns[what]
}

// ErrRetryable is returned (wrapped) when a transaction lost a race with
// another one and was rolled back by the database, not refused by a rule: a
// PostgreSQL deadlock (40P01) or serialization failure (40001), or SQLite
// busy/locked. Running the same transaction again is safe and will succeed.
var ErrRetryable = errors.New("transaction lost a race; retry it")

// Options tune Open; the zero value is what the server uses.
type Options struct {
	// Logger replaces GORM's logger (tests use it to count statements).
	Logger logger.Interface
	// StatementTimeout, on PostgreSQL, ends any statement that runs longer
	// (unless DATABASE_URL sets statement_timeout itself).
	StatementTimeout time.Duration
	// MaxConns bounds this process's PostgreSQL connections, both pools
	// together (DefaultMaxConns when 0): the job queue's pool gets
	// QueueConns of them, GORM's the rest.
	MaxConns int
}

// DefaultMaxConns is a process's PostgreSQL connections when Options leaves
// MaxConns at 0: three replicas stay under PostgreSQL's default
// max_connections of 100 with room for an operator's psql.
const DefaultMaxConns = 25

// QueueConns is the size of the job queue's own pgx pool on PostgreSQL: its
// four email workers' fetches and completions, the leader's maintenance, and
// the connection the LISTEN for new jobs holds (River hijacks that one out
// of the pool, so it is counted here but not by the pool's maximum).
const QueueConns = 5

// DB is an open database and its dialect.
type DB struct {
	*gorm.DB
	Dialect Dialect
	// Statements counts the SQL statements run through GORM (for /metrics
	// and the load runner's statements per request).
	Statements *atomic.Int64
	// URL is the DATABASE_URL it was opened with (it may hold a password:
	// never log it).
	URL string
	// Pool is the job queue's pgx pool on PostgreSQL (nil on SQLite): River's
	// pgx driver LISTENs on it, so a committed job wakes a worker at once
	// instead of at the next poll.
	Pool *pgxpool.Pool
}

// ParseURL tells the dialect of a DATABASE_URL and the DSN its driver wants.
func ParseURL(url string) (Dialect, string, error) {
	switch {
	case strings.HasPrefix(url, "postgres://"), strings.HasPrefix(url, "postgresql://"):
		return Postgres, url, nil
	case strings.HasPrefix(url, "sqlite:"):
		path := strings.TrimPrefix(url, "sqlite:")
		if path == "" {
			return "", "", errors.New("DATABASE_URL: sqlite: needs a path or :memory:")
		}
		return SQLite, path, nil
	default:
		return "", "", errors.New("DATABASE_URL must start with postgres://, postgresql:// or sqlite:")
	}
}

// Open connects to url. It does not migrate; call Migrate.
func Open(url string, opts Options) (*DB, error) {
	dialect, dsn, err := ParseURL(url)
	if err != nil {
		return nil, err
	}
	cfg := &gorm.Config{
		Logger:                 opts.Logger,
		SkipDefaultTransaction: true, // every mutation runs its own explicit transaction
		NowFunc:                func() time.Time { return time.Now().UTC().Truncate(time.Microsecond) },
		TranslateError:         false,
	}
	if cfg.Logger == nil {
		cfg.Logger = logger.Discard
	}
	var g *gorm.DB
	maxConns := opts.MaxConns
	if maxConns == 0 {
		maxConns = DefaultMaxConns
	}
	if maxConns < QueueConns+2 {
		return nil, fmt.Errorf("database connections: at least %d are needed (%d for the job queue, 2 for requests)", QueueConns+2, QueueConns)
	}
	var pool *pgxpool.Pool
	switch dialect {
	case Postgres:
		if opts.StatementTimeout > 0 && !strings.Contains(dsn, "statement_timeout=") {
			sep := "?"
			if strings.Contains(dsn, "?") {
				sep = "&"
			}
			dsn += fmt.Sprintf("%sstatement_timeout=%d", sep, opts.StatementTimeout.Milliseconds())
		}
		g, err = gorm.Open(postgres.New(postgres.Config{DSN: dsn}), cfg)
		if err == nil {
			pool, err = openQueuePool(dsn)
		}
	case SQLite:
		g, err = gorm.Open(sqlite.Open(sqliteDSN(dsn)), cfg)
	}
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", dialect, err)
	}
	sqlDB, err := g.DB()
	if err != nil {
		return nil, err
	}
	if dialect == SQLite {
		// SQLite has one writer. A single connection turns concurrent writers
		// into a queue instead of SQLITE_BUSY errors, and keeps ":memory:" one
		// database rather than one per connection.
		sqlDB.SetMaxOpenConns(1)
	} else {
		sqlDB.SetMaxOpenConns(maxConns - QueueConns)
		sqlDB.SetMaxIdleConns((maxConns - QueueConns) / 2)
		sqlDB.SetConnMaxIdleTime(5 * time.Minute)
	}
	d := &DB{DB: g, Dialect: dialect, URL: url, Statements: &atomic.Int64{}, Pool: pool}
	if err := d.countStatements(); err != nil {
		return nil, err
	}
	return d, nil
}

// openQueuePool opens the job queue's pgx pool beside GORM's: QueueConns
// less the listener, which River takes out of the pool for good.
func openQueuePool(dsn string) (*pgxpool.Pool, error) {
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, err
	}
	cfg.MaxConns = QueueConns - 1
	cfg.MinConns = 0
	cfg.MaxConnIdleTime = 5 * time.Minute
	return pgxpool.NewWithConfig(context.Background(), cfg)
}

func sqliteDSN(path string) string {
	pragmas := "_pragma=foreign_keys(1)&_pragma=busy_timeout(5000)"
	if path != ":memory:" {
		pragmas += "&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)"
	}
	sep := "?"
	if strings.Contains(path, "?") {
		sep = "&"
	}
	return path + sep + pragmas
}

// Migrate applies every migration of the database's dialect that has not been
// applied yet: agentdesk's own (goose), then those of the River job queue.
// On PostgreSQL both run under one session-level advisory lock, so replicas
// starting together on an empty database take turns: the first migrates, the
// others find nothing left to do. (River's migrations outside the lock
// raced: two replicas creating the same enum type, one exited.)
func (d *DB) Migrate(ctx context.Context) error {
	if d.Dialect != Postgres {
		return d.migrateUnlocked(ctx)
	}
	sqlDB, err := d.DB.DB()
	if err != nil {
		return err
	}
	conn, err := sqlDB.Conn(ctx)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	defer conn.Close()
	lockCtx, cancel := context.WithTimeout(ctx, migrationLockWait)
	defer cancel()
	if _, err := conn.ExecContext(lockCtx, `SELECT pg_advisory_lock($1)`, migrationLockID); err != nil {
		return fmt.Errorf("migrate: waiting for the migration lock: %w", err)
	}
	// Unlocked whatever happens; a connection that died took the lock with it.
	defer conn.ExecContext(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1)`, migrationLockID) //nolint:errcheck
	return d.migrateUnlocked(ctx)
}

// migrationLockID is goose's own lock id, so a binary from before this lock
// (which locked goose's step alone) and this one still exclude each other
// during a rolling upgrade.
const migrationLockID = lock.DefaultLockID

// migrationLockWait bounds how long a starting replica waits for another's
// migrations.
const migrationLockWait = 5 * time.Minute

func (d *DB) migrateUnlocked(ctx context.Context) error {
	if err := d.migrateSchema(ctx); err != nil {
		return err
	}
	migrator, err := rivermigrate.New(d.RiverDriver(), nil)
	if err != nil {
		return err
	}
	if _, err := migrator.Migrate(ctx, rivermigrate.DirectionUp, nil); err != nil {
		return fmt.Errorf("migrate job queue: %w", err)
	}
	return nil
}

// RiverDriver returns the River driver that inserts jobs in GORM's
// transactions (database/sql) and runs River's migrations.
func (d *DB) RiverDriver() riverdriver.Driver[*sql.Tx] {
	sqlDB, _ := d.DB.DB() // cannot fail: Open built d from a *sql.DB
	if d.Dialect == SQLite {
		return riversqlite.New(sqlDB)
	}
	return riverdatabasesql.New(sqlDB)
}

// RiverPgxDriver returns River's pgx driver on the queue's pool, which
// supports LISTEN/NOTIFY; nil on SQLite.
func (d *DB) RiverPgxDriver() *riverpgxv5.Driver {
	if d.Pool == nil {
		return nil
	}
	return riverpgxv5.New(d.Pool)
}

func (d *DB) migrateSchema(ctx context.Context) error {
	sqlDB, err := d.DB.DB()
	if err != nil {
		return err
	}
	sub, err := fs.Sub(migrations, "migrations/"+string(d.Dialect))
	if err != nil {
		return err
	}
	gooseDialect := goose.DialectSQLite3
	if d.Dialect == Postgres {
		gooseDialect = goose.DialectPostgres // locked by Migrate
	}
	provider, err := goose.NewProvider(gooseDialect, sqlDB, sub)
	if err != nil {
		return err
	}
	if _, err := provider.Up(ctx); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	return nil
}

// countStatements registers GORM callbacks that count every statement.
func (d *DB) countStatements() error {
	count := func(*gorm.DB) { d.Statements.Add(1) }
	cb := d.DB.Callback()
	for _, err := range []error{
		cb.Create().After("gorm:create").Register("agentdesk:count", count),
		cb.Query().After("gorm:query").Register("agentdesk:count", count),
		cb.Update().After("gorm:update").Register("agentdesk:count", count),
		cb.Delete().After("gorm:delete").Register("agentdesk:count", count),
		cb.Row().After("gorm:row").Register("agentdesk:count", count),
		cb.Raw().After("gorm:raw").Register("agentdesk:count", count),
	} {
		if err != nil {
			return err
		}
	}
	return nil
}

// Close closes the connection pools.
func (d *DB) Close() error {
	if d.Pool != nil {
		d.Pool.Close()
	}
	sqlDB, err := d.DB.DB()
	if err != nil {
		return err
	}
	return sqlDB.Close()
}

// Ping checks that the database answers.
func (d *DB) Ping(ctx context.Context) error {
	sqlDB, err := d.DB.DB()
	if err != nil {
		return err
	}
	return sqlDB.PingContext(ctx)
}

// TranslateError maps driver errors with a meaning to this package's sentinels,
// wrapping the original so logs keep the detail.
func TranslateError(err error) error {
	if err == nil {
		return nil
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch pgErr.Code {
		case "23505":
			return fmt.Errorf("%w: %w", ErrUniqueViolation, err)
		case "40P01", "40001":
			return fmt.Errorf("%w: %w", ErrRetryable, err)
		}
	}
	// SQLITE_BUSY (5) and SQLITE_LOCKED (6), with their extended codes in
	// the high bits: another connection or process holds the database past
	// busy_timeout, or a WAL read transaction could not be upgraded.
	var liteErr *gosqlite.Error
	if errors.As(err, &liteErr) {
		if c := liteErr.Code() & 0xff; c == 5 || c == 6 {
			return fmt.Errorf("%w: %w", ErrRetryable, err)
		}
	}
	// The pure-Go SQLite driver reports constraint failures only in its text.
	if strings.Contains(err.Error(), "UNIQUE constraint failed") {
		return fmt.Errorf("%w: %w", ErrUniqueViolation, err)
	}
	return err
}
