package graph

import (
	"errors"
	"fmt"
	"maps"

	"github.com/google/uuid"

	"github.com/callcfg/callcfg/core"
	"github.com/callcfg/callcfg/graph/model"
)

const typeUser = "User"

// Keys of core.FieldErrors for input fields only this face has; the
// presenter names them (see graphOnlyFields).
const (
	fieldConfigID = "graphql:id"
	fieldCallID   = "graphql:callId"
)

// configRef is the configuration an input names, by its uuid or its global
// id: exactly one of them.
func configRef(u *uuid.UUID, id *string) (uuid.UUID, error) {
	return ref(u, id, model.TypeConfig, "uuid", fieldConfigID, "uuid", "id")
}

// callRef is the call an input names, by its uuid or its global id:
// exactly one of them.
func callRef(u *uuid.UUID, id *string) (uuid.UUID, error) {
	return ref(u, id, model.TypeCall, core.FieldCall, fieldCallID, "callUuid", "callId")
}

func ref(u *uuid.UUID, id *string, typ, uuidField, idField, uuidName, idName string) (uuid.UUID, error) {
	invalid := func(fe core.FieldErrors) error {
		return &core.Error{Kind: core.KindInvalid, Message: "Invalid input.", Fields: fe}
	}
	switch {
	case u != nil && id != nil:
		msg := fmt.Sprintf("Give %s or %s, not both.", uuidName, idName)
		return uuid.Nil, invalid(core.FieldErrors{uuidField: {msg}, idField: {msg}})
	case u != nil:
		return *u, nil
	case id == nil:
		msg := fmt.Sprintf("Give either %s or %s.", uuidName, idName)
		return uuid.Nil, invalid(core.FieldErrors{uuidField: {msg}, idField: {msg}})
	}
	t, v, ok := model.ParseGlobalID(*id)
	if !ok || t != typ {
		return uuid.Nil, invalid(core.FieldErrors{idField: {"Not the global id of a " + typ + "."}})
	}
	return v, nil
}

// asCallID reports the core's errors about the call under callId when the
// client named the call by it, so the form shows them where they belong.
func asCallID(err error, byID bool) error {
	var ce *core.Error
	if !byID || !errors.As(err, &ce) || ce.Fields[core.FieldCall] == nil {
		return err
	}
	renamed := *ce
	renamed.Fields = maps.Clone(ce.Fields)
	renamed.Fields[fieldCallID] = renamed.Fields[core.FieldCall]
	delete(renamed.Fields, core.FieldCall)
	return &renamed
}
