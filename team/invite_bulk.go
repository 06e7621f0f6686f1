package team

import (
	"context"
	"strings"

	"agentdesk/apperr"
	"agentdesk/auth"
	"agentdesk/models"
)

// MaxBulkInvites is how many addresses one InviteAgents call takes.
const MaxBulkInvites = 100

// InviteAgents invites each address with the same roles exactly as
// InviteAgent would, each in its own transaction, so one bad or taken
// address does not stop the others. Invited agents come back in the order
// of the input; an address given twice (compared trimmed and lower-cased)
// is invited once, at its first place.
//
// The roles are checked once, before any address (an unknown role or one
// the caller may not grant would fail every address alike): that is an error
// of the whole call. Every per-address bound still holds, because each
// address goes through InviteAgent: seats, the re-send cooldown, and the
// daily email limits of the workspace and of each address are counted in
// each invite's transaction, so a bulk call sends no email a series of
// single invites could not. When the request's context ends, the addresses
// not yet tried fail with its error.
// Needs AGENTS_INVITE.
func (s *Service) InviteAgents(ctx context.Context, v *auth.Viewer, rawEmails []string, roleIDs []int64) ([]*models.Agent, []models.InviteFailure, error) {
	if err := v.Require(models.PermAgentsInvite); err != nil {
		return nil, nil, err
	}
	if len(rawEmails) == 0 || len(rawEmails) > MaxBulkInvites {
		return nil, nil, apperr.Input("emails", "Give between 1 and %d email addresses.", MaxBulkInvites)
	}
	if len(roleIDs) == 0 {
		return nil, nil, apperr.Input("roleIds", "Choose at least one role.")
	}
	roles, err := rolesInWorkspace(s.DB.WithContext(ctx), v.WorkspaceID, roleIDs, "roleIds")
	if err != nil {
		return nil, nil, err
	}
	if err := checkGrant(v, roles); err != nil {
		return nil, nil, err
	}
	invited := make([]*models.Agent, 0, len(rawEmails))
	var failures []models.InviteFailure
	seen := make(map[string]bool, len(rawEmails))
	for _, raw := range rawEmails {
		key := strings.ToLower(strings.TrimSpace(raw))
		if seen[key] {
			continue
		}
		seen[key] = true
		if err := ctx.Err(); err != nil {
			failures = append(failures, models.InviteFailure{Email: raw, Err: err})
			continue
		}
		agent, err := s.InviteAgent(ctx, v, raw, roleIDs)
		if err != nil {
			failures = append(failures, models.InviteFailure{Email: raw, Err: err})
			continue
		}
		invited = append(invited, agent)
	}
	return invited, failures, nil
}
