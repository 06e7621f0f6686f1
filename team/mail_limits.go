package team

import (
	"hash/fnv"
	"strings"
	"time"

	"gorm.io/gorm"

	"agentdesk/db"
	"agentdesk/models"
)

// The mail limits beyond the per-workspace ones of BEHAVIOUR.md §8: sign-up
// is public, so every workspace is a sender anyone can make. What one
// address receives is therefore bounded across all workspaces together
// (checkRecipient), and a workspace sends little until it is a day old
// (checkDailyEmails).

// DefaultMailAddressDailyLimit is MAIL_ADDRESS_DAILY_LIMIT's default.
const DefaultMailAddressDailyLimit = 5

// DefaultMailNewWorkspaceDailyLimit is MAIL_NEW_WORKSPACE_DAILY_LIMIT's
// default.
const DefaultMailNewWorkspaceDailyLimit = 20

// newWorkspaceAge is how long a workspace counts as new for
// MAIL_NEW_WORKSPACE_DAILY_LIMIT.
const newWorkspaceAge = 24 * time.Hour

// RecipientKey is the mailbox an address reaches, as the per-address limits
// count it: normalised like every email (trimmed, lower case), and without
// a "+tag" in the local part, which most providers deliver to the untagged
// mailbox. Otherwise victim+1@, victim+2@… would each get their own limits
// while all landing in one inbox.
func RecipientKey(email string) string {
	e := NormalizeEmail(email)
	at := strings.LastIndexByte(e, '@')
	if at <= 0 {
		return e
	}
	local := e[:at]
	if plus := strings.IndexByte(local, '+'); plus > 0 {
		local = local[:plus]
	}
	return local + e[at:]
}

// recipientLockClass namespaces the advisory locks of checkRecipient (the
// two-key form of pg_advisory_xact_lock: this class, the recipient's hash).
const recipientLockClass int32 = 0x6d61696c // "mail"

// checkRecipient answers RATE_LIMITED when the recipient (a RecipientKey)
// was sent an activation email by any workspace within RESEND_COOLDOWN, or
// has received MAIL_ADDRESS_DAILY_LIMIT of them in the last 24 hours.
// Counted from the emails table in the caller's transaction. The workspace
// lock does not serialise two workspaces mailing one address, so on
// PostgreSQL the recipient gets its own transaction lock, taken after the
// workspace's (every caller locks in that order, so no deadlock); SQLite's
// single connection already runs one transaction at a time. The messages
// say nothing of who else mailed the address.
func (s *Service) checkRecipient(tx *gorm.DB, key string, now time.Time) error {
	if s.DB.Dialect == db.Postgres {
		h := fnv.New32a()
		h.Write([]byte(key))
		if err := tx.Exec("SELECT pg_advisory_xact_lock(?, ?)", recipientLockClass, int32(h.Sum32())).Error; err != nil {
			return err
		}
	}
	var last []models.Email
	if err := tx.Model(&models.Email{}).Select("created_at").Where("recipient_key = ?", key).
		Order("created_at DESC").Limit(1).Find(&last).Error; err != nil {
		return err
	}
	if len(last) == 1 {
		if wait := last[0].CreatedAt.Add(s.Config.ResendCooldown).Sub(now); wait > 0 {
			return rateLimited("An invitation was sent to this address moments ago; try again shortly.", wait)
		}
	}
	limit := positiveOr(s.Config.MailAddressDailyLimit, DefaultMailAddressDailyLimit)
	sent, frees, err := emailsInWindow(tx, now, limit, "recipient_key = ?", key)
	if err != nil || sent < int64(limit) {
		return err
	}
	return rateLimited("This address has received as many invitation emails as it may in 24 hours; try again later.", frees)
}

// emailsInWindow counts the emails matching where queued in the last 24
// hours and, when there are limit or more, how long until fewer than limit
// remain in the window (the moment enough of the oldest ones leave it).
func emailsInWindow(tx *gorm.DB, now time.Time, limit int, where string, args ...any) (sent int64, frees time.Duration, err error) {
	window := func() *gorm.DB {
		return tx.Model(&models.Email{}).Where(where, args...).Where("created_at > ?", now.Add(-mailWindow))
	}
	if err := window().Count(&sent).Error; err != nil || sent < int64(limit) {
		return sent, 0, err
	}
	var freeing models.Email
	if err := window().Select("created_at").Order("created_at, id").Offset(int(sent) - limit).Limit(1).
		Take(&freeing).Error; err != nil {
		return sent, 0, err
	}
	return sent, freeing.CreatedAt.Add(mailWindow).Sub(now), nil
}

// positiveOr is a limit's setting, or its default when the setting is 0 or
// less: a limit is never off.
func positiveOr(setting, def int) int {
	if setting <= 0 {
		return def
	}
	return setting
}
