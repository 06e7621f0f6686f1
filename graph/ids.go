package graph

import (
	"encoding/base64"
	"strconv"
	"strings"
)

// Global IDs are base64url("Type:number"): opaque to clients (the contract
// says never parse them) and self-describing for node(id).
const (
	typeWorkspace    = "Workspace"
	typeAgent        = "Agent"
	typeRole         = "Role"
	typeAuditEvent   = "AuditEvent"
	typeConversation = "Conversation"
	typeContact      = "Contact"
	typeMessage      = "Message"
)

func globalID(typ string, id int64) string {
	return base64.RawURLEncoding.EncodeToString([]byte(typ + ":" + strconv.FormatInt(id, 10)))
}

// maxGlobalIDLen is longer than any id globalID writes ("Conversation:"
// and 19 digits, in base64).
const maxGlobalIDLen = 64

// parseGlobalID returns the type and number of a global ID; ok is false for
// anything that is not one of ours. Only the one spelling globalID writes is
// accepted ("Agent:+7", "Agent:007" or non-zero trailing base64 bits would
// otherwise name the same object under another id, and clients cache by id).
func parseGlobalID(gid string) (typ string, id int64, ok bool) {
	if len(gid) > maxGlobalIDLen {
		return "", 0, false
	}
	raw, err := base64.RawURLEncoding.DecodeString(gid)
	if err != nil {
		return "", 0, false
	}
	typ, num, found := strings.Cut(string(raw), ":")
	if !found {
		return "", 0, false
	}
	id, err = strconv.ParseInt(num, 10, 64)
	if err != nil || id <= 0 || globalID(typ, id) != gid {
		return "", 0, false
	}
	return typ, id, true
}

// localID returns the number of a global ID of the wanted type; ok is false
// for a malformed ID or one of another type.
func localID(gid, wantType string) (int64, bool) {
	typ, id, ok := parseGlobalID(gid)
	if !ok || typ != wantType {
		return 0, false
	}
	return id, true
}
