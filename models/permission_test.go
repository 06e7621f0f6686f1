package models

import (
	"slices"
	"testing"
)

func TestPermissionsRoundTripAndSetOperations(t *testing.T) {
	ps := NewPermissions(PermAuditRead, PermAgentsRead, PermAuditRead)
	if !slices.Equal(ps, Permissions{PermAgentsRead, PermAuditRead}) {
		t.Fatalf("canonical form = %v", ps)
	}
	v, _ := ps.Value()
	var back Permissions
	if err := back.Scan(v); err != nil || !slices.Equal(back, ps) {
		t.Fatalf("round trip %v -> %v (%v)", ps, back, err)
	}
	if err := back.Scan(""); err != nil || len(back) != 0 {
		t.Fatalf("empty scan = %v, %v", back, err)
	}
	if !ps.Has(PermAgentsRead) || ps.Has(PermAgentsRead, PermRolesManage) {
		t.Fatal("Has is wrong")
	}
	if m := ps.Missing(Permissions{PermAgentsRead, PermRolesManage}); !slices.Equal(m, Permissions{PermRolesManage}) {
		t.Fatalf("Missing = %v", m)
	}
	if u := ps.Union(Permissions{PermWorkspaceManage}); len(u) != 3 || u[2] != PermWorkspaceManage {
		t.Fatalf("Union = %v", u)
	}
}

func TestBuiltinRoles(t *testing.T) {
	roles := BuiltinRoles(1)
	byName := map[string]Role{}
	for _, r := range roles {
		byName[r.Name] = r
		if !r.System {
			t.Fatalf("%s is not a system role", r.Name)
		}
	}
	if len(byName[RoleOwner].Permissions) != len(AllPermissions) {
		t.Fatal("Owner lacks permissions")
	}
	admin := byName[RoleAdministrator].Permissions
	if admin.Has(PermWorkspaceManage) || len(admin) != len(AllPermissions)-1 {
		t.Fatalf("Administrator = %v", admin)
	}
	if sup := byName[RoleSupervisor].Permissions; !slices.Equal(sup, NewPermissions(PermAgentsRead,
		PermConversationsReadAll, PermConversationsReply, PermConversationsAssign, PermTicketsManage)) {
		t.Fatalf("Supervisor = %v", sup)
	}
	if ag := byName[RoleAgent].Permissions; !slices.Equal(ag, Permissions{PermConversationsReply}) {
		t.Fatalf("Agent = %v", ag)
	}
}
