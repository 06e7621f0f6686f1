package db

import (
	"database/sql"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	"gorm.io/gorm"
)

// RowScanner is one row of a result: *sql.Rows and pgx.Rows both are.
type RowScanner interface {
	Scan(dest ...any) error
}

// ScanRows runs the query q has built and calls scan for each row, for the
// reads that run on every page view (the Agents page, the conversation list,
// the session check). GORM still builds the statement and counts it; the rows
// are scanned by the caller straight into typed fields instead of through
// GORM's reflection. On PostgreSQL the statement goes to the pgx connection
// underneath database/sql, whose rows are decoded once, into the targets,
// instead of into driver.Values first and converted after: together about a
// fifth of a page's CPU under load (docs/PERFORMANCE.md).
func ScanRows(q *gorm.DB, scan func(RowScanner) error) error {
	sqlDB, pooled := q.Statement.ConnPool.(*sql.DB)
	if q.Dialector.Name() != "postgres" || !pooled {
		// SQLite, or a query inside a transaction: database/sql's rows.
		rows, err := q.Rows()
		if err != nil {
			return err
		}
		return scanEach(rows, scan)
	}
	// A dry run of GORM's row callbacks on a copy of the statement builds
	// the SQL (and counts it) without running it.
	built := q.Session(&gorm.Session{DryRun: true}).Set("rows", true)
	built = built.Callback().Row().Execute(built)
	if built.Error != nil {
		return built.Error
	}
	query, args := built.Statement.SQL.String(), built.Statement.Vars
	ctx := q.Statement.Context
	conn, err := sqlDB.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	return conn.Raw(func(driverConn any) error {
		rows, err := driverConn.(*stdlib.Conn).Conn().Query(ctx, query, args...)
		if err != nil {
			return err
		}
		return scanEach(pgxRows{rows}, scan)
	})
}

type rowIterator interface {
	RowScanner
	Next() bool
	Err() error
	Close() error
}

func scanEach(rows rowIterator, scan func(RowScanner) error) error {
	defer rows.Close()
	for rows.Next() {
		if err := scan(rows); err != nil {
			return err
		}
	}
	return rows.Err()
}

// pgxRows gives pgx.Rows the Close() error of *sql.Rows.
type pgxRows struct{ pgx.Rows }

func (r pgxRows) Close() error {
	r.Rows.Close()
	return r.Rows.Err()
}
