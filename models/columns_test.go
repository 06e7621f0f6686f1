package models_test

import (
	"reflect"
	"strings"
	"sync"
	"testing"

	"gorm.io/gorm/schema"

	"agentdesk/models"
)

// scannable is a model whose hot queries are scanned without GORM.
type scannable interface{ ScanTargets() []any }

// TestColumnListsMatchTheModels checks each hand-written column list against
// the columns GORM derives from the struct (the ones the migrations create),
// and that ScanTargets points at the matching fields in the same order: a
// field added to a model without its column fails here.
func TestColumnListsMatchTheModels(t *testing.T) {
	for _, c := range []struct {
		model   scannable
		columns string
	}{
		{&models.Agent{}, models.AgentColumns},
		{&models.Conversation{}, models.ConversationColumns},
		{&models.Contact{}, models.ContactColumns},
		{&models.Role{}, models.RoleColumns},
	} {
		s, err := schema.Parse(c.model, &sync.Map{}, schema.NamingStrategy{})
		if err != nil {
			t.Fatal(err)
		}
		var want []string
		for _, f := range s.Fields {
			if f.DBName != "" {
				want = append(want, s.Table+"."+f.DBName)
			}
		}
		got := strings.Split(c.columns, ", ")
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s columns\n got %v\nwant %v", s.Name, got, want)
			continue
		}
		targets := c.model.ScanTargets()
		if len(targets) != len(want) {
			t.Errorf("%s: %d scan targets for %d columns", s.Name, len(targets), len(want))
			continue
		}
		base := reflect.ValueOf(c.model).Pointer()
		for i, f := range s.Fields {
			addr := reflect.ValueOf(targets[i]).Pointer()
			if addr != base+f.StructField.Offset {
				t.Errorf("%s: scan target %d does not point at field %s", s.Name, i, f.Name)
			}
		}
	}
}
