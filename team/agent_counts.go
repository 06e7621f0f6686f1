package team

import (
	"context"

	"agentdesk/auth"
	"agentdesk/models"
)

// CountAgentsByStatus counts the agents a filter matches per status, in one
// statement; the filter's statuses are ignored (every status is counted).
// Needs AGENTS_READ.
func (s *Service) CountAgentsByStatus(ctx context.Context, v *auth.Viewer, f models.AgentFilter) (models.AgentCounts, error) {
	if err := v.Require(models.PermAgentsRead); err != nil {
		return models.AgentCounts{}, err
	}
	f, err := validAgentFilter(f)
	if err != nil {
		return models.AgentCounts{}, err
	}
	f.Statuses = []models.AgentStatus{models.AgentPending, models.AgentActive, models.AgentRemoved}
	var rows []struct {
		Status models.AgentStatus
		N      int
	}
	err = s.agentFilterQuery(ctx, v, f).Select("agents.status AS status, COUNT(*) AS n").Group("agents.status").Scan(&rows).Error
	var out models.AgentCounts
	for _, r := range rows {
		switch r.Status {
		case models.AgentPending:
			out.Pending = r.N
		case models.AgentActive:
			out.Active = r.N
		case models.AgentRemoved:
			out.Removed = r.N
		}
	}
	return out, err
}
