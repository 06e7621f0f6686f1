package team

import (
	"context"
	"errors"
	"slices"

	"gorm.io/gorm"

	"agentdesk/apperr"
	"agentdesk/auth"
	"agentdesk/models"
	"agentdesk/validate"
)

const roleNameTaken = "A role with this name already exists."

func validRole(in models.RoleInput) (models.RoleInput, error) {
	if in.Name != nil {
		name, err := validate.Name("name", *in.Name, 1, 64, "The role name")
		if err != nil {
			return in, err
		}
		in.Name = &name
	}
	if in.Description != nil {
		d, err := validate.Text("description", *in.Description, 0, 500, "The description")
		if err != nil {
			return in, err
		}
		in.Description = &d
	}
	if in.Permissions != nil {
		for _, p := range *in.Permissions {
			if !p.Valid() {
				return in, apperr.Input("permissions", "Unknown permission %q.", p)
			}
		}
		if slices.Contains(*in.Permissions, models.PermWorkspaceManage) {
			return in, apperr.Input("permissions", "WORKSPACE_MANAGE belongs to the built-in Owner role only.")
		}
	}
	return in, nil
}

// checkPermissionGrant: a role may only gain permissions the caller holds.
func checkPermissionGrant(v *auth.Viewer, gained models.Permissions) error {
	if missing := v.Permissions.Missing(gained); len(missing) > 0 {
		return apperr.New(apperr.Forbidden, "You cannot grant permissions you do not hold: %v.", missing)
	}
	return nil
}

// CreateRole creates a custom role.
// Needs ROLES_MANAGE, and every permission the role is given.
func (s *Service) CreateRole(ctx context.Context, v *auth.Viewer, in models.RoleInput) (*models.Role, error) {
	if err := v.Require(models.PermRolesManage); err != nil {
		return nil, err
	}
	if in.Name == nil {
		return nil, apperr.Input("name", "The role name must be 1 to 64 characters long.")
	}
	if in.Permissions == nil {
		in.Permissions = &[]models.Permission{}
	}
	in, err := validRole(in)
	if err != nil {
		return nil, err
	}
	perms := models.NewPermissions(*in.Permissions...)
	if err := checkPermissionGrant(v, perms); err != nil {
		return nil, err
	}
	now := s.Timestamp()
	var role models.Role
	err = s.InTx(ctx, func(tx *gorm.DB) error {
		// Built afresh on every attempt: a retried insert must not reuse the
		// id the rolled-back one was given.
		role = models.Role{WorkspaceID: v.WorkspaceID, Name: *in.Name, Description: emptyToNil(in.Description),
			Permissions: perms, CreatedAt: now, UpdatedAt: now}
		if err := tx.Create(&role).Error; err != nil {
			return err
		}
		return audit(tx, models.AuditEvent{WorkspaceID: v.WorkspaceID, Action: models.AuditRoleCreated,
			ActorID: &v.AgentID, TargetRoleID: &role.ID, CreatedAt: now,
			Summary: summaryf("Created role %s", role.Name)})
	})
	if err != nil {
		return nil, err
	}
	return &role, nil
}

func emptyToNil(s *string) *string {
	if s == nil || *s == "" {
		return nil
	}
	return s
}

// customRole loads a role of the workspace that may be changed: NOT_FOUND for
// none, FORBIDDEN for the built-in ones.
func customRole(tx *gorm.DB, workspaceID, roleID int64) (*models.Role, error) {
	var role models.Role
	err := tx.Where("id = ? AND workspace_id = ?", roleID, workspaceID).Take(&role).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, apperr.New(apperr.NotFound, "No such role.")
	}
	if err != nil {
		return nil, err
	}
	if role.System {
		return nil, apperr.New(apperr.Forbidden, "Built-in roles cannot be changed or deleted.")
	}
	return &role, nil
}

// UpdateRole edits a custom role. Permissions it gains must be the caller's.
// Needs ROLES_MANAGE, and every permission the role gains.
func (s *Service) UpdateRole(ctx context.Context, v *auth.Viewer, roleID int64, in models.RoleInput) (*models.Role, error) {
	if err := v.Require(models.PermRolesManage); err != nil {
		return nil, err
	}
	in, err := validRole(in)
	if err != nil {
		return nil, err
	}
	var role *models.Role
	err = s.InTx(ctx, func(tx *gorm.DB) error {
		// Locked like deleteRole, so the two run one after the other: an
		// update never sees a role that a concurrent delete is removing.
		if err := s.lockWorkspace(tx, v.WorkspaceID); err != nil {
			return err
		}
		var err error
		if role, err = customRole(tx, v.WorkspaceID, roleID); err != nil {
			return err
		}
		if in.Name != nil {
			role.Name = *in.Name
		}
		if in.Description != nil {
			role.Description = emptyToNil(in.Description)
		}
		if in.Permissions != nil {
			next := models.NewPermissions(*in.Permissions...)
			if err := checkPermissionGrant(v, role.Permissions.Missing(next)); err != nil {
				return err
			}
			role.Permissions = next
		}
		role.UpdatedAt = s.Timestamp()
		// Updates, never Save: Save turns an update that finds no row into
		// an insert, which brought a concurrently deleted role back.
		updated := tx.Model(&models.Role{}).Where("id = ? AND workspace_id = ?", role.ID, v.WorkspaceID).
			Updates(map[string]any{"name": role.Name, "description": role.Description,
				"permissions": role.Permissions, "updated_at": role.UpdatedAt})
		if updated.Error != nil {
			return updated.Error
		}
		if updated.RowsAffected != 1 {
			return apperr.New(apperr.NotFound, "No such role.")
		}
		return audit(tx, models.AuditEvent{WorkspaceID: v.WorkspaceID, Action: models.AuditRoleUpdated,
			ActorID: &v.AgentID, TargetRoleID: &role.ID, CreatedAt: role.UpdatedAt,
			Summary: summaryf("Updated role %s", role.Name)})
	})
	if err != nil {
		return nil, err
	}
	return role, nil
}

// DeleteRole deletes a custom role that no PENDING or ACTIVE agent holds.
// Needs ROLES_MANAGE.
func (s *Service) DeleteRole(ctx context.Context, v *auth.Viewer, roleID int64) error {
	if err := v.Require(models.PermRolesManage); err != nil {
		return err
	}
	return s.InTx(ctx, func(tx *gorm.DB) error {
		if err := s.lockWorkspace(tx, v.WorkspaceID); err != nil {
			return err
		}
		role, err := customRole(tx, v.WorkspaceID, roleID)
		if err != nil {
			return err
		}
		var holders int64
		if err := tx.Model(&models.AgentRole{}).Where("role_id = ?", role.ID).Count(&holders).Error; err != nil {
			return err
		}
		if holders > 0 {
			return apperr.New(apperr.Conflict, "%d agents hold this role; give them other roles first.", holders)
		}
		// Earlier audit events keep their summary; their link to the role is
		// cleared by the foreign key (ON DELETE SET NULL).
		if err := tx.Delete(role).Error; err != nil {
			return err
		}
		return audit(tx, models.AuditEvent{WorkspaceID: v.WorkspaceID, Action: models.AuditRoleDeleted,
			ActorID: &v.AgentID, CreatedAt: s.Timestamp(), Summary: summaryf("Deleted role %s", role.Name)})
	})
}
