package jobs

import (
	"context"

	"gorm.io/gorm"

	"agentdesk/models"
)

// EmailStates are every state an outbox email can be in.
var EmailStates = []models.EmailState{models.EmailQueued, models.EmailSent, models.EmailFailed, models.EmailDropped}

// EmailsByState counts the outbox emails in each state, every state present
// (0 when none is in it), for the metrics: how far delivery is behind and
// how much of it fails.
func EmailsByState(ctx context.Context, db *gorm.DB) (map[models.EmailState]int64, error) {
	var rows []struct {
		State models.EmailState
		N     int64
	}
	if err := db.WithContext(ctx).Model(&models.Email{}).Select("state, COUNT(*) AS n").Group("state").Scan(&rows).Error; err != nil {
		return nil, err
	}
	counts := make(map[models.EmailState]int64, len(EmailStates))
	for _, s := range EmailStates {
		counts[s] = 0
	}
	for _, r := range rows {
		counts[r.State] = r.N
	}
	return counts, nil
}
