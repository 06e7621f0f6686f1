package team

import (
	"hash/fnv"
	"strings"
	"time"

	"gorm.io/gorm"

	"agentdesk/db"
	"agentdesk/models"
	"agentdesk/validate"
)

// The mail limits beyond the per-workspace ones of BEHAVIOUR.md §8: sign-up
// is public, so every workspace is a sender anyone can make, and a workspace
// sends little until it is a day old (checkDailyEmails). What one address
// receives is bounded by checkRecipient: across all workspaces one email per
// RESEND_COOLDOWN; from one workspace MAIL_ADDRESS_DAILY_LIMIT a day; and
// from young workspaces together MAIL_ADDRESS_DAILY_LIMIT a day. That last
// cap binds only young senders: were it to bind every sender, a stranger's
// free workspace could spend an address's allowance and lock its real
// employer out for a day (the outside tester's round-2 F3).

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
	e := validate.NormalizeEmail(email)
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
// has received MAIL_ADDRESS_DAILY_LIMIT of them in the last 24 hours from
// this workspace, or (when this workspace is young) from workspaces that
// were young when they sent. Counted from the emails table in the caller's
// transaction. The workspace lock does not serialise two workspaces mailing
// one address, so on PostgreSQL the recipient gets its own transaction
// lock, taken after the workspace's (every caller locks in that order, so no
// deadlock); SQLite's single connection already runs one transaction at a
// time. The messages say nothing of who else mailed the address.
func (s *Service) checkRecipient(tx *gorm.DB, workspaceID int64, young bool, key string, now time.Time) error {
	if s.DB.Dialect == db.Postgres {
		h := fnv.New32a()
		h.Write([]byte(key))
		if err := tx.Exec("SELECT pg_advisory_xact_lock(?, ?)", recipientLockClass, int32(h.Sum32())).Error; err != nil {
			return err
		}
	}
	// Across all workspaces: the worst a stranger does to an established
	// sender is delay its email by up to the cooldown.
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
	// From this workspace, young or not: an established workspace may not
	// mail one person once per cooldown all day either.
	sent, frees, err := emailsInWindow(tx, now, limit, "workspace_id = ? AND recipient_key = ?", workspaceID, key)
	if err != nil {
		return err
	}
	if sent >= int64(limit) {
		return rateLimited("This workspace has sent this address as many invitation emails as it may in 24 hours; try again later.", frees)
	}
	if !young {
		return nil
	}
	frees, full, err := youngSendersFull(tx, key, now, limit)
	if err != nil || !full {
		return err
	}
	return rateLimited("This address has received as many invitation emails as it may in 24 hours; try again later.", frees)
}

// youngSendersFull says whether the recipient got limit or more emails in
// the last 24 hours from workspaces younger than a day when they sent, and
// how long until fewer than limit remain. "Young when it sent" compares two
// timestamps of a row, which SQLite's text times cannot do in SQL, so the
// candidate rows are read and compared here: only emails of the last day
// from workspaces of the last two days (older ones were not young for any
// of it). They are at most one per RESEND_COOLDOWN (checked above, under
// the recipient lock): 1,440 a day with the default, two times per row.
// Workspaces are never deleted, so the join loses no email.
func youngSendersFull(tx *gorm.DB, key string, now time.Time, limit int) (frees time.Duration, full bool, err error) {
	var rows []struct {
		Sent             time.Time
		WorkspaceCreated time.Time
	}
	if err := tx.Table("emails").Select("emails.created_at AS sent, workspaces.created_at AS workspace_created").
		Joins("JOIN workspaces ON workspaces.id = emails.workspace_id").
		Where("emails.recipient_key = ? AND emails.created_at > ? AND workspaces.created_at > ?",
			key, now.Add(-mailWindow), now.Add(-mailWindow-newWorkspaceAge)).
		Order("emails.created_at, emails.id").Scan(&rows).Error; err != nil {
		return 0, false, err
	}
	var young []time.Time // oldest first
	for _, r := range rows {
		if r.Sent.Before(r.WorkspaceCreated.Add(newWorkspaceAge)) {
			young = append(young, r.Sent)
		}
	}
	if len(young) < limit {
		return 0, false, nil
	}
	return young[len(young)-limit].Add(mailWindow).Sub(now), true, nil
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
