package team

import (
	"fmt"
	"strings"

	"gorm.io/gorm"

	"agentdesk/models"
)

func audit(tx *gorm.DB, e models.AuditEvent) error {
	return tx.Create(&e).Error
}

func roleNames(roles []models.Role) string {
	names := make([]string, len(roles))
	for i, r := range roles {
		names[i] = r.Name
	}
	return strings.Join(names, ", ")
}

func summaryf(format string, args ...any) string { return fmt.Sprintf(format, args...) }
