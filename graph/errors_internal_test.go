package graph

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/callcfg/callcfg/core"
)

// The presenter is the only way out for errors: a panic or a foreign error
// becomes a generic INTERNAL_SERVER_ERROR and its text goes to the log.
func TestPresenterHidesInternals(t *testing.T) {
	var logs bytes.Buffer
	p := presenter{log: slog.New(slog.NewTextHandler(&logs, nil))}
	ctx := context.Background()

	panicErr := p.recover(ctx, "boom: SELECT * FROM secrets")
	for _, err := range []error{
		panicErr,
		fmt.Errorf("pgdriver: ERROR: relation \"x\" does not exist (SQLSTATE=42P01)"),
		&core.Error{Kind: core.KindInternal, Message: core.MsgServerError},
	} {
		got := p.present(ctx, err)
		if got.Message != core.MsgServerError || got.Extensions["code"] != CodeInternal {
			t.Fatalf("%v presented as %+v", err, got)
		}
	}
	if !strings.Contains(logs.String(), "boom: SELECT") || !strings.Contains(logs.String(), "goroutine") ||
		!strings.Contains(logs.String(), "SQLSTATE") {
		t.Fatalf("causes not logged: %s", logs.String())
	}
	if strings.Count(logs.String(), "boom") != 1 {
		t.Fatalf("a panic is logged once: %s", logs.String())
	}

	conflict := p.present(ctx, &core.Error{Kind: core.KindConflict, Message: core.MsgStale})
	if conflict.Message != core.MsgStale || conflict.Extensions["code"] != CodeConflict {
		t.Fatalf("conflict: %+v", conflict)
	}
	if errors.Is(panicErr, errPanic) == false {
		t.Fatal("recover must return errPanic")
	}
}

func TestFieldNames(t *testing.T) {
	for rest, graph := range map[string]string{
		"call": "callUuid", "max_auto_reassign_attempts": "maxAutoReassignAttempts",
		"non_field_errors": "nonFieldErrors", "after": "after", "call_state": "callState",
	} {
		if got := graphName(rest); got != graph {
			t.Errorf("graphName(%q) = %q, want %q", rest, got, graph)
		}
		if got := restName(graph); got != rest {
			t.Errorf("restName(%q) = %q, want %q", graph, got, rest)
		}
	}
}
