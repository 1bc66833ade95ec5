package core

import "github.com/callcfg/callcfg/db"

// Opt is an optional input value: absent, explicitly null, or a value. The
// faces fill it from their wire formats; the core decides what each means.
type Opt[T any] struct {
	Set   bool
	Null  bool
	Value T
}

func Some[T any](v T) Opt[T] { return Opt[T]{Set: true, Value: v} }
func Null[T any]() Opt[T]    { return Opt[T]{Set: true, Null: true} }

// Field names, as REST spells them; GraphQL maps them to its own.
const (
	FieldCall                         = "call"
	FieldAutoReassignOnDecline        = "auto_reassign_on_decline"
	FieldMaxAutoReassignAttempts      = "max_auto_reassign_attempts"
	FieldAssignmentExpirationDays     = "assignment_expiration_days"
	FieldSendReminderBeforeExpiryDays = "send_reminder_before_expiry_days"
)

// Settings are the four values of a call assignment configuration.
type Settings struct {
	AutoReassignOnDecline        bool
	MaxAutoReassignAttempts      int64
	AssignmentExpirationDays     int64
	SendReminderBeforeExpiryDays int64
}

// Defaults apply to a new configuration and to a call without one.
var Defaults = Settings{
	AutoReassignOnDecline:        false,
	MaxAutoReassignAttempts:      3,
	AssignmentExpirationDays:     7,
	SendReminderBeforeExpiryDays: 2,
}

// MaxInt is the largest value the database's integer columns hold.
const MaxInt = 2147483647

// Patch is a change to the settings: absent fields are left alone (or take
// the default on create). DecodeErrors carries what a face could not even
// decode (a string where an integer belongs); the core reports those together
// with its own findings, and only after the permission checks, so the order
// 401 → 404 → 403 → 400 holds whatever the body says.
type Patch struct {
	AutoReassignOnDecline        Opt[bool]
	MaxAutoReassignAttempts      Opt[int64]
	AssignmentExpirationDays     Opt[int64]
	SendReminderBeforeExpiryDays Opt[int64]
	DecodeErrors                 FieldErrors
	// Unreadable is a body a face could not read at all (malformed, of a
	// media type it does not take, too large), in the face's own error:
	// reported in place of any field error, after the same checks.
	Unreadable error
}

// validate returns every failing field at once.
func (p Patch) validate() FieldErrors {
	fe := FieldErrors{}
	fe.Merge(p.DecodeErrors)
	if p.AutoReassignOnDecline.Null {
		fe.Add(FieldAutoReassignOnDecline, MsgNull)
	}
	checkInt := func(field string, o Opt[int64]) {
		if _, decoded := p.DecodeErrors[field]; decoded || !o.Set {
			return
		}
		switch {
		case o.Null:
			fe.Add(field, MsgNull)
		case o.Value < 0:
			fe.Add(field, MsgMinValue)
		case o.Value > MaxInt:
			fe.Add(field, MsgMaxValue)
		}
	}
	checkInt(FieldMaxAutoReassignAttempts, p.MaxAutoReassignAttempts)
	checkInt(FieldAssignmentExpirationDays, p.AssignmentExpirationDays)
	checkInt(FieldSendReminderBeforeExpiryDays, p.SendReminderBeforeExpiryDays)
	return fe
}

// Apply returns s with the patch's set values.
func (p Patch) Apply(s Settings) Settings {
	if p.AutoReassignOnDecline.Set {
		s.AutoReassignOnDecline = p.AutoReassignOnDecline.Value
	}
	if p.MaxAutoReassignAttempts.Set {
		s.MaxAutoReassignAttempts = p.MaxAutoReassignAttempts.Value
	}
	if p.AssignmentExpirationDays.Set {
		s.AssignmentExpirationDays = p.AssignmentExpirationDays.Value
	}
	if p.SendReminderBeforeExpiryDays.Set {
		s.SendReminderBeforeExpiryDays = p.SendReminderBeforeExpiryDays.Value
	}
	return s
}

// columns lists the columns the patch sets, in a fixed order, for an UPDATE
// that touches only those: two clients changing different fields at once
// both keep their change.
func (p Patch) columns() []db.Assignment {
	var cols []db.Assignment
	if p.AutoReassignOnDecline.Set {
		cols = append(cols, db.Assignment{Column: FieldAutoReassignOnDecline, Value: p.AutoReassignOnDecline.Value})
	}
	if p.MaxAutoReassignAttempts.Set {
		cols = append(cols, db.Assignment{Column: FieldMaxAutoReassignAttempts, Value: p.MaxAutoReassignAttempts.Value})
	}
	if p.AssignmentExpirationDays.Set {
		cols = append(cols, db.Assignment{Column: FieldAssignmentExpirationDays, Value: p.AssignmentExpirationDays.Value})
	}
	if p.SendReminderBeforeExpiryDays.Set {
		cols = append(cols, db.Assignment{Column: FieldSendReminderBeforeExpiryDays, Value: p.SendReminderBeforeExpiryDays.Value})
	}
	return cols
}
