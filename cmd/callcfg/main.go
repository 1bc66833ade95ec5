// Command callcfg runs the call assignment configuration service and its
// admin tasks. Results go to stdout, messages to stderr; a bad invocation
// exits 2 and a failed one 1, so scripts can tell them apart.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"strings"
	"syscall"

	"github.com/callcfg/callcfg/core"
)

const usage = `callcfg: call assignment configurations over REST and GraphQL

Usage:
  callcfg serve [--addr HOST:PORT] [--public-url URL] [--demo]
  callcfg migrate up|down [--yes]|status
  callcfg user create --username U [--email E] [--staff] [--support] [--password-stdin]
  callcfg token create --username U [--ttl DURATION]
  callcfg token revoke --username U
  callcfg org create --name N
  callcfg call create --name N --org ORG_UUID [--state draft|active|archived] [--description D]
  callcfg call delete --uuid CALL_UUID
  callcfg call export [--file F]
  callcfg call import --file F
  callcfg changes export [--since T] [--file F]
  callcfg role grant  --username U (--call CALL_UUID --role manager|reviewer|panel_member | --org ORG_UUID --role call_organizer)
  callcfg role revoke (the same flags as grant)

Every command takes --database-url (env DATABASE_URL; default sqlite://callcfg.db).
Run "callcfg COMMAND -h" for a command's flags.
`

// usageError marks a bad invocation (exit 2) as opposed to a failed one.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

// main stops on the first SIGINT or SIGTERM, gracefully (serve drains and
// finishes requests in flight), and cuts the drain short on a second one.
func main() {
	ctx, stop := context.WithCancel(context.Background())
	hurry, hurryNow := context.WithCancel(context.Background())
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	go func() {
		<-sigs
		stop()
		<-sigs
		hurryNow()
	}()
	os.Exit(runWith(ctx, hurry, os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	return runWith(ctx, context.Background(), args, stdin, stdout, stderr)
}

// runWith runs one command; ctx ends it gracefully, hurry (once ctx has
// ended) cuts serve's drain short.
func runWith(ctx, hurry context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	err := dispatch(ctx, hurry, args, stdin, stdout, stderr)
	if err == nil {
		return 0
	}
	fmt.Fprintln(stderr, "callcfg: "+describe(err))
	var ue usageError
	if errors.As(err, &ue) {
		return 2
	}
	return 1
}

func dispatch(ctx, hurry context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(stdout, usage)
		if len(args) == 0 {
			return usageError{"no command given"}
		}
		return nil
	}
	env := &cmdEnv{stdin: stdin, stdout: stdout, stderr: stderr, hurry: hurry}
	cmd, rest := args[0], args[1:]
	if cmd == "serve" {
		return serve(ctx, env, rest)
	}
	if len(rest) == 0 {
		return usageError{fmt.Sprintf("%q needs a subcommand; see callcfg --help", cmd)}
	}
	key := cmd + " " + rest[0]
	if cmd == "migrate" {
		key = "migrate"
		rest = append([]string{"--action=" + rest[0]}, rest[1:]...)
	}
	fn, ok := commands[key]
	if !ok {
		return usageError{fmt.Sprintf("unknown command %q; see callcfg --help", strings.Join(args[:min(2, len(args))], " "))}
	}
	if key != "migrate" {
		rest = rest[1:]
	}
	return fn(ctx, env, rest)
}

// describe turns an error into one line for an operator.
func describe(err error) string {
	var ce *core.Error
	if !errors.As(err, &ce) {
		return err.Error()
	}
	if ce.Kind == core.KindInvalid && len(ce.Fields) > 0 {
		names := make([]string, 0, len(ce.Fields))
		for f := range ce.Fields {
			names = append(names, f)
		}
		sort.Strings(names)
		parts := make([]string, 0, len(names))
		for _, f := range names {
			parts = append(parts, f+": "+strings.Join(ce.Fields[f], " "))
		}
		msg := strings.Join(parts, "; ")
		var ie *core.ImportError
		if errors.As(err, &ie) {
			msg = fmt.Sprintf("line %d: %s", ie.Line, msg)
		}
		return msg
	}
	var ie *core.ImportError
	if errors.As(err, &ie) {
		return err.Error()
	}
	if ce.Kind == core.KindInternal {
		return err.Error()
	}
	return ce.Message
}
