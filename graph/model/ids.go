package model

import (
	"encoding/base64"
	"strings"

	"github.com/google/uuid"

	"github.com/callcfg/callcfg/links"
)

// Global ids are base64url("<Type>:<uuid hex>"): opaque to clients, stable
// across replicas and databases (the uuid, not the row id), and enough for
// node(id:) to know which lookup to make.
const (
	TypeConfig = "CallAssignmentConfiguration"
	TypeCall   = "Call"
)

// GlobalID is the global id of the object of type typ with uuid id.
func GlobalID(typ string, id uuid.UUID) string {
	b := make([]byte, 0, len(typ)+33)
	b = append(b, typ...)
	b = append(b, ':')
	return base64.RawURLEncoding.EncodeToString(links.AppendHex(b, id))
}

// ParseGlobalID returns ok false for anything GlobalID did not make.
func ParseGlobalID(id string) (typ string, u uuid.UUID, ok bool) {
	raw, err := base64.RawURLEncoding.DecodeString(id)
	if err != nil {
		return "", uuid.Nil, false
	}
	typ, hex, found := strings.Cut(string(raw), ":")
	if !found || len(hex) != 32 {
		return "", uuid.Nil, false
	}
	u, err = uuid.Parse(hex)
	if err != nil {
		return "", uuid.Nil, false
	}
	return typ, u, true
}
