// Command callcfg runs the call assignment configuration service and its
// admin tasks. Results go to stdout, messages to stderr; a bad invocation
// (an unknown command or flag, a bad value from a flag or the environment)
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

	"github.com/alecthomas/kong"

	"github.com/callcfg/callcfg/core"
)

// cli is every command; kong parses the command line and the environment
// into it.
type cli struct {
	Serve   serveCmd   `cmd:"" help:"Serve REST, GraphQL, GraphiQL and the operations endpoints."`
	Migrate migrateCmd `cmd:"" help:"Apply (up), roll back (down) or list (status) the migrations."`
	User    struct {
		Create userCreateCmd `cmd:"" help:"Create a user; prints its uuid."`
	} `cmd:"" help:"Users."`
	Token struct {
		Create tokenCreateCmd `cmd:"" help:"Issue an API key; prints it (the only time it is shown)."`
		Revoke tokenRevokeCmd `cmd:"" help:"Revoke every live key of a user; prints how many."`
	} `cmd:"" help:"API keys."`
	Org struct {
		Create orgCreateCmd `cmd:"" help:"Create an organisation; prints its uuid."`
	} `cmd:"" help:"Organisations."`
	Call struct {
		Create callCreateCmd `cmd:"" help:"Create a call; prints its uuid."`
		Delete callDeleteCmd `cmd:"" help:"Delete a call and its configuration."`
		Export callExportCmd `cmd:"" help:"Write every call and its configuration as JSON lines."`
		Import callImportCmd `cmd:"" help:"Create calls and configurations from JSON lines, all in one transaction; prints how many."`
	} `cmd:"" help:"Calls."`
	Role struct {
		Grant  roleGrantCmd  `cmd:"" help:"Grant a role on a call or an organisation."`
		Revoke roleRevokeCmd `cmd:"" help:"Revoke a role."`
	} `cmd:"" help:"Roles."`
	Changes struct {
		Export changesExportCmd `cmd:"" help:"Write the change record as JSON lines, oldest first, for audit archives."`
	} `cmd:"" help:"The change record."`
}

// usageError marks a bad invocation (exit 2) as opposed to a failed one.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

// cmdEnv is what a command reads and writes besides its settings.
type cmdEnv struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	// hurry ends serve's drain early (a second signal).
	hurry context.Context
}

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
	env := &cmdEnv{stdin: stdin, stdout: stdout, stderr: stderr, hurry: hurry}
	var c cli
	helped := false
	parser, err := kong.New(&c,
		kong.Name("callcfg"),
		kong.Description("Call assignment configurations over REST and GraphQL. Every setting is a flag and an environment variable (shown in $NAME)."),
		kong.Writers(stdout, stderr),
		kong.Exit(func(int) { helped = true }), // after help; errors are returned
		settingDefaults(),
		kong.Bind(env),
		kong.BindTo(ctx, (*context.Context)(nil)),
	)
	if err != nil {
		fmt.Fprintln(stderr, "callcfg: "+err.Error())
		return 1
	}
	kctx, err := parser.Parse(args)
	if helped {
		return 0
	}
	if err != nil {
		fmt.Fprintln(stderr, "callcfg: "+oneLine(fromEnv(parser, err))+"; see callcfg --help")
		return 2
	}
	if err := kctx.Run(); err != nil {
		fmt.Fprintln(stderr, "callcfg: "+describe(err))
		var ue usageError
		if errors.As(err, &ue) {
			return 2
		}
		return 1
	}
	return 0
}

func oneLine(s string) string { return strings.ReplaceAll(s, "\n", " ") }

// describe turns an error into one line for an operator.
func describe(err error) string {
	var ce *core.Error
	if !errors.As(err, &ce) {
		return oneLine(err.Error())
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
	if errors.As(err, &ie) || ce.Kind == core.KindInternal {
		return oneLine(err.Error())
	}
	return ce.Message
}
