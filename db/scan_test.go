package db_test

import (
	"context"
	"testing"
	"time"

	"gorm.io/gorm"

	"agentdesk/db"
	"agentdesk/db/dbtest"
	"agentdesk/models"
)

// TestScanRows runs a built query, a raw one and a failing one through
// ScanRows on both databases: rows arrive in order with typed and nullable
// values, each statement is counted once, and errors come back.
func TestScanRows(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, dialect db.Dialect) {
		d := dbtest.Open(t, dialect, nil)
		ctx := context.Background()
		now := time.Now().UTC().Truncate(time.Microsecond)
		ws := models.Workspace{Name: "Scan", CreatedAt: now, UpdatedAt: now}
		if err := d.WithContext(ctx).Create(&ws).Error; err != nil {
			t.Fatal(err)
		}
		desc := "described"
		for i, name := range []string{"B", "A"} {
			r := models.Role{WorkspaceID: ws.ID, Name: name, Permissions: models.NewPermissions(models.PermAgentsRead),
				CreatedAt: now, UpdatedAt: now}
			if i == 0 {
				r.Description = &desc
			}
			if err := d.WithContext(ctx).Create(&r).Error; err != nil {
				t.Fatal(err)
			}
		}

		before := d.Statements.Load()
		var roles []models.Role
		err := db.ScanRows(d.WithContext(ctx).Table("roles").Select(models.RoleColumns).
			Where("workspace_id = ? AND name IN ?", ws.ID, []string{"A", "B"}).Order("name"), func(r db.RowScanner) error {
			roles = append(roles, models.Role{})
			return r.Scan(roles[len(roles)-1].ScanTargets()...)
		})
		if err != nil {
			t.Fatal(err)
		}
		if len(roles) != 2 || roles[0].Name != "A" || roles[1].Name != "B" {
			t.Fatalf("scanned %+v", roles)
		}
		if roles[0].Description != nil || roles[1].Description == nil || *roles[1].Description != desc {
			t.Errorf("descriptions: %v, %v", roles[0].Description, roles[1].Description)
		}
		if !roles[0].CreatedAt.Equal(now) || !roles[0].Permissions.Has(models.PermAgentsRead) || roles[0].WorkspaceID != ws.ID {
			t.Errorf("scanned %+v", roles[0])
		}

		var n int64
		err = db.ScanRows(d.WithContext(ctx).Raw("SELECT count(*) FROM roles WHERE workspace_id = ?", ws.ID),
			func(r db.RowScanner) error { return r.Scan(&n) })
		if err != nil || n != 2 {
			t.Errorf("raw count: %d, %v", n, err)
		}
		if got := d.Statements.Load() - before; got != 2 {
			t.Errorf("counted %d statements for 2", got)
		}

		// Inside a transaction the query runs on the transaction's connection.
		err = d.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
			if err := tx.Model(&models.Role{}).Where("workspace_id = ? AND name = ?", ws.ID, "A").Update("name", "C").Error; err != nil {
				return err
			}
			var names []string
			err := db.ScanRows(tx.Table("roles").Select("name").Where("workspace_id = ?", ws.ID).Order("name"),
				func(r db.RowScanner) error {
					names = append(names, "")
					return r.Scan(&names[len(names)-1])
				})
			if err == nil && (len(names) != 2 || names[0] != "B" || names[1] != "C") {
				t.Errorf("inside the transaction: %v", names)
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}

		err = db.ScanRows(d.WithContext(ctx).Raw("SELECT nope FROM roles"), func(db.RowScanner) error { return nil })
		if err == nil {
			t.Error("a failing statement returned no error")
		}
	})
}
