package models_test

import (
	"slices"
	"testing"

	"agentdesk/db"
	"agentdesk/db/dbtest"
	"agentdesk/models"
)

// TestRolesPermissionsAndOwner: an agent's permissions are the canonical
// union of its roles' (none for no roles), and it is an Owner exactly when
// it holds the built-in Owner role: a custom role named "Owner", or one
// granting every permission, does not make it one.
func TestRolesPermissionsAndOwner(t *testing.T) {
	builtin := models.BuiltinRoles(1)
	byName := map[string]models.Role{}
	for _, r := range builtin {
		byName[r.Name] = r
	}
	impostor := models.Role{Name: models.RoleOwner, Permissions: models.NewPermissions(models.AllPermissions...)}
	custom := models.Role{Name: "Night shift", Permissions: models.Permissions{models.PermAuditRead, models.PermAgentsRead}}
	for _, c := range []struct {
		name  string
		roles models.Roles
		perms models.Permissions
		owner bool
	}{
		{"no roles", nil, models.Permissions{}, false},
		{"agent", models.Roles{byName[models.RoleAgent]}, models.Permissions{models.PermConversationsReply}, false},
		{"agent and custom, canonical order, no repeats", models.Roles{custom, byName[models.RoleAgent], custom},
			models.Permissions{models.PermAgentsRead, models.PermConversationsReply, models.PermAuditRead}, false},
		{"owner", models.Roles{byName[models.RoleOwner]}, models.NewPermissions(models.AllPermissions...), true},
		{"owner among others", models.Roles{byName[models.RoleAgent], byName[models.RoleOwner]},
			models.NewPermissions(models.AllPermissions...), true},
		{"custom role named Owner", models.Roles{impostor}, models.NewPermissions(models.AllPermissions...), false},
		{"administrator", models.Roles{byName[models.RoleAdministrator]}, byName[models.RoleAdministrator].Permissions, false},
	} {
		if got := c.roles.Permissions(); got == nil || !slices.Equal(got, c.perms) {
			t.Errorf("%s: Permissions() = %#v, want %v", c.name, got, c.perms)
		}
		if got := c.roles.HasOwner(); got != c.owner {
			t.Errorf("%s: HasOwner() = %v, want %v", c.name, got, c.owner)
		}
	}
}

// TestOwnerRoleSQLAgreesWithIsOwner: the SQL form of "is the Owner role"
// picks, on both databases, exactly the roles Role.IsOwner accepts.
func TestOwnerRoleSQLAgreesWithIsOwner(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, dialect db.Dialect) {
		d := dbtest.Open(t, dialect, nil)
		ws := models.Workspace{Name: "w"}
		if err := d.Create(&ws).Error; err != nil {
			t.Fatal(err)
		}
		roles := models.BuiltinRoles(ws.ID)
		roles = append(roles,
			models.Role{WorkspaceID: ws.ID, Name: "owner ", Permissions: models.Permissions{}},
			models.Role{WorkspaceID: ws.ID, Name: "Owners", System: true, Permissions: models.Permissions{}})
		if err := d.Create(&roles).Error; err != nil {
			t.Fatal(err)
		}
		var want []int64
		for _, r := range roles {
			if r.IsOwner() {
				want = append(want, r.ID)
			}
		}
		cond, args := models.OwnerRoleSQL()
		var got []int64
		if err := d.Model(&models.Role{}).Where(cond, args...).Order("id").Pluck("id", &got).Error; err != nil {
			t.Fatal(err)
		}
		if len(want) != 1 || !slices.Equal(got, want) {
			t.Fatalf("SQL picks %v, IsOwner %v", got, want)
		}
	})
}
