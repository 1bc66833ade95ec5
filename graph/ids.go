package graph

import (
	"encoding/base64"
	"strings"

	"github.com/google/uuid"

	"github.com/callcfg/callcfg/core"
	"github.com/callcfg/callcfg/links"
)

// Global ids are base64url("<Type>:<uuid hex>"): opaque to clients, stable
// across replicas and databases (the uuid, not the row id), and enough for
// node(id:) to know which lookup to make.
const (
	typeConfig = "CallAssignmentConfiguration"
	typeCall   = "Call"
)

func globalID(typ string, id uuid.UUID) string {
	return base64.RawURLEncoding.EncodeToString([]byte(typ + ":" + links.Hex(id)))
}

// parseGlobalID returns ok false for anything globalID did not make.
func parseGlobalID(id string) (typ string, u uuid.UUID, ok bool) {
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

// errInvalidID is an input error of node(id:)'s argument.
func errInvalidID() error {
	return &core.Error{Kind: core.KindInvalid, Message: "Invalid input.", Fields: core.FieldErrors{"id": {"Not a valid global id."}}}
}
