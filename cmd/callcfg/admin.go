package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/callcfg/callcfg/core"
	"github.com/callcfg/callcfg/db"
)

type cmdEnv struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	// hurry ends serve's drain early (a second signal).
	hurry context.Context
}

type command func(ctx context.Context, env *cmdEnv, args []string) error

var commands map[string]command

func init() {
	commands = map[string]command{
		"migrate":        migrateCmd,
		"user create":    userCreate,
		"token create":   tokenCreate,
		"token revoke":   tokenRevoke,
		"org create":     orgCreate,
		"call create":    callCreate,
		"call delete":    callDelete,
		"call export":    callExport,
		"call import":    callImport,
		"changes export": changesExport,
		"role grant":     func(ctx context.Context, env *cmdEnv, args []string) error { return roleCmd(ctx, env, args, true) },
		"role revoke":    func(ctx context.Context, env *cmdEnv, args []string) error { return roleCmd(ctx, env, args, false) },
	}
}

// dbFlags are the database settings every command shares.
type dbFlags struct {
	url, directURL, prepared string
}

// newFlags makes a flag set that reports errors instead of exiting, with the
// database flags every command shares.
func newFlags(env *cmdEnv, name string) (*flag.FlagSet, *dbFlags) {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(env.stderr)
	d := &dbFlags{}
	fs.StringVar(&d.url, "database-url", os.Getenv("DATABASE_URL"), "database URL: postgres://… or sqlite://PATH (env DATABASE_URL; default "+db.DefaultURL+")")
	fs.StringVar(&d.directURL, "database-direct-url", os.Getenv("DATABASE_DIRECT_URL"), "a direct PostgreSQL URL (not through a transaction pooler) for migrations, which need a session; default: --database-url (env DATABASE_DIRECT_URL)")
	fs.StringVar(&d.prepared, "db-prepared-statements", envOr("DB_PREPARED_STATEMENTS", "on"), "on or off: off sends every statement unnamed, as PgBouncer before 1.21 in transaction mode needs (env DB_PREPARED_STATEMENTS)")
	return fs, d
}

// check refuses settings that cannot work.
func (d *dbFlags) check(cmd string) error {
	if d.prepared != "on" && d.prepared != "off" {
		return usageError{fmt.Sprintf("%s: --db-prepared-statements %q: want on or off", cmd, d.prepared)}
	}
	return nil
}

// open connects to the database the requests go to.
func (d *dbFlags) open(ctx context.Context, opts db.Options) (*bun.DB, error) {
	opts.Unprepared = d.prepared == "off"
	return db.Open(ctx, d.url, opts)
}

// openDirect connects over the direct URL, for migrations: their lock,
// which keeps replicas from migrating at once, belongs to a session.
func (d *dbFlags) openDirect(ctx context.Context) (*bun.DB, error) {
	direct := d.directURL
	if direct == "" {
		direct = d.url
	}
	return db.Open(ctx, direct, db.Options{MaxOpenConns: 2, Unprepared: true})
}

// migrate applies pending migrations over the direct URL.
func (d *dbFlags) migrate(ctx context.Context) ([]string, error) {
	bdb, err := d.openDirect(ctx)
	if err != nil {
		return nil, err
	}
	defer bdb.Close()
	return db.Migrate(ctx, bdb)
}

func parse(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return usageError{fs.Name() + ": help shown"}
		}
		return usageError{fs.Name() + ": " + err.Error()}
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Sprintf("%s: unexpected argument %q", fs.Name(), fs.Arg(0))}
	}
	return nil
}

func required(fs *flag.FlagSet, names ...string) error {
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	for _, n := range names {
		if !set[n] || fs.Lookup(n).Value.String() == "" {
			return usageError{fmt.Sprintf("%s: --%s is required", fs.Name(), n)}
		}
	}
	return nil
}

func parseUUID(fs *flag.FlagSet, name, value string) (uuid.UUID, error) {
	id, err := uuid.Parse(value)
	if err != nil {
		return uuid.Nil, usageError{fmt.Sprintf("%s: --%s %q is not a uuid", fs.Name(), name, value)}
	}
	return id, nil
}

// withService applies pending migrations, so that every command works on a
// fresh database as it does on an up-to-date one, and runs fn.
func withService(ctx context.Context, d *dbFlags, fn func(*core.Service) error) error {
	if err := d.check("callcfg"); err != nil {
		return err
	}
	if _, err := d.migrate(ctx); err != nil {
		return err
	}
	bdb, err := d.open(ctx, db.Options{})
	if err != nil {
		return err
	}
	defer bdb.Close()
	return fn(core.New(bdb))
}

// cliOrigin is where the admin commands' writes come from, for the change
// record: the CLI, with neither actor nor request id.
func cliOrigin(ctx context.Context) context.Context {
	return core.WithOrigin(ctx, core.Origin{Via: core.ViaCLI})
}

func migrateCmd(ctx context.Context, env *cmdEnv, args []string) error {
	fs, dbf := newFlags(env, "migrate")
	action := fs.String("action", "", "up, down or status")
	yes := fs.Bool("yes", false, "down: roll back even though the database holds data, which the rollback destroys")
	if err := parse(fs, args); err != nil {
		return err
	}
	bdb, err := dbf.openDirect(ctx)
	if err != nil {
		return err
	}
	defer bdb.Close()
	switch *action {
	case "up":
		names, err := db.Migrate(ctx, bdb)
		if err != nil {
			return err
		}
		if len(names) == 0 {
			fmt.Fprintln(env.stderr, "no pending migrations")
		}
		for _, n := range names {
			fmt.Fprintln(env.stdout, "applied", n)
		}
	case "down":
		if !*yes {
			full, err := db.HasData(ctx, bdb)
			if err != nil {
				return err
			}
			if full {
				return usageError{"migrate down: the database holds data, and rolling back destroys it; run again with --yes to do so"}
			}
		}
		names, err := db.Rollback(ctx, bdb)
		if err != nil {
			return err
		}
		if len(names) == 0 {
			fmt.Fprintln(env.stderr, "nothing to roll back")
		}
		for _, n := range names {
			fmt.Fprintln(env.stdout, "rolled back", n)
		}
	case "status":
		st, err := db.Status(ctx, bdb)
		if err != nil {
			return err
		}
		for _, s := range st {
			state := "pending"
			if s.Applied {
				state = "applied"
			}
			fmt.Fprintf(env.stdout, "%s\t%s\n", s.Name, state)
		}
	default:
		return usageError{fmt.Sprintf("migrate: want up, down or status, not %q", *action)}
	}
	return nil
}

func userCreate(ctx context.Context, env *cmdEnv, args []string) error {
	fs, dbf := newFlags(env, "user create")
	username := fs.String("username", "", "login name (required)")
	email := fs.String("email", "", "email address")
	staff := fs.Bool("staff", false, "staff: sees and manages everything")
	support := fs.Bool("support", false, "support: sees everything, changes nothing")
	pwStdin := fs.Bool("password-stdin", false, "read a password from the first line of stdin (for /api-auth/password/)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := required(fs, "username"); err != nil {
		return err
	}
	in := core.NewUser{Username: *username, Email: *email, IsStaff: *staff, IsSupport: *support}
	if *pwStdin {
		line, err := bufio.NewReader(env.stdin).ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return err
		}
		in.Password = strings.TrimRight(line, "\r\n")
		if in.Password == "" {
			return usageError{"user create: --password-stdin read an empty password"}
		}
	}
	return withService(ctx, dbf, func(svc *core.Service) error {
		u, err := svc.CreateUser(ctx, in)
		if err != nil {
			return err
		}
		fmt.Fprintln(env.stdout, u.UUID)
		return nil
	})
}

func tokenCreate(ctx context.Context, env *cmdEnv, args []string) error {
	fs, dbf := newFlags(env, "token create")
	username := fs.String("username", "", "whose key (required)")
	ttl := fs.Duration("ttl", 0, "lifetime, e.g. 720h; 0 never expires")
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := required(fs, "username"); err != nil {
		return err
	}
	if *ttl < 0 {
		return usageError{"token create: --ttl must not be negative"}
	}
	return withService(ctx, dbf, func(svc *core.Service) error {
		key, err := svc.CreateToken(ctx, *username, *ttl)
		if err != nil {
			return err
		}
		fmt.Fprintln(env.stdout, key)
		fmt.Fprintln(env.stderr, "this key is shown once; only its hash is stored")
		return nil
	})
}

func tokenRevoke(ctx context.Context, env *cmdEnv, args []string) error {
	fs, dbf := newFlags(env, "token revoke")
	username := fs.String("username", "", "whose keys (required)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := required(fs, "username"); err != nil {
		return err
	}
	return withService(ctx, dbf, func(svc *core.Service) error {
		n, err := svc.RevokeTokens(ctx, *username)
		if err != nil {
			return err
		}
		fmt.Fprintln(env.stdout, n)
		fmt.Fprintf(env.stderr, "revoked %d key(s) of %s\n", n, *username)
		return nil
	})
}

func orgCreate(ctx context.Context, env *cmdEnv, args []string) error {
	fs, dbf := newFlags(env, "org create")
	name := fs.String("name", "", "organisation name (required)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := required(fs, "name"); err != nil {
		return err
	}
	return withService(ctx, dbf, func(svc *core.Service) error {
		o, err := svc.CreateOrg(ctx, *name)
		if err != nil {
			return err
		}
		fmt.Fprintln(env.stdout, o.UUID)
		return nil
	})
}

func callCreate(ctx context.Context, env *cmdEnv, args []string) error {
	fs, dbf := newFlags(env, "call create")
	name := fs.String("name", "", "call name, at most 150 characters (required)")
	org := fs.String("org", "", "uuid of the managing organisation (required)")
	state := fs.String("state", core.CallStateDraft, "draft, active or archived")
	desc := fs.String("description", "", "description, at most 4096 characters")
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := required(fs, "name", "org"); err != nil {
		return err
	}
	orgID, err := parseUUID(fs, "org", *org)
	if err != nil {
		return err
	}
	return withService(ctx, dbf, func(svc *core.Service) error {
		c, err := svc.CreateCall(ctx, core.NewCall{Name: *name, Description: *desc, State: *state, OrgUUID: orgID})
		if err != nil {
			return err
		}
		fmt.Fprintln(env.stdout, c.UUID)
		return nil
	})
}

func callDelete(ctx context.Context, env *cmdEnv, args []string) error {
	fs, dbf := newFlags(env, "call delete")
	id := fs.String("uuid", "", "the call's uuid (required)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := required(fs, "uuid"); err != nil {
		return err
	}
	callID, err := parseUUID(fs, "uuid", *id)
	if err != nil {
		return err
	}
	return withService(ctx, dbf, func(svc *core.Service) error {
		if err := svc.DeleteCall(cliOrigin(ctx), callID); err != nil {
			return err
		}
		fmt.Fprintln(env.stderr, "deleted call", callID, "and its configuration")
		return nil
	})
}

func callExport(ctx context.Context, env *cmdEnv, args []string) error {
	fs, dbf := newFlags(env, "call export")
	file := fs.String("file", "", "write here instead of stdout")
	if err := parse(fs, args); err != nil {
		return err
	}
	return withService(ctx, dbf, func(svc *core.Service) error {
		w := env.stdout
		var f *os.File
		if *file != "" {
			var err error
			if f, err = os.Create(*file); err != nil {
				return err
			}
			w = f
		}
		n, err := svc.Export(ctx, w)
		if f != nil {
			if cerr := f.Close(); err == nil {
				err = cerr
			}
		}
		if err != nil {
			return err
		}
		fmt.Fprintf(env.stderr, "exported %d call(s)\n", n)
		return nil
	})
}

func callImport(ctx context.Context, env *cmdEnv, args []string) error {
	fs, dbf := newFlags(env, "call import")
	file := fs.String("file", "", "JSON lines as call export writes them; - for stdin (required)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := required(fs, "file"); err != nil {
		return err
	}
	r := env.stdin
	if *file != "-" {
		f, err := os.Open(*file)
		if err != nil {
			return err
		}
		defer f.Close()
		r = f
	}
	return withService(ctx, dbf, func(svc *core.Service) error {
		start := time.Now()
		n, err := svc.Import(cliOrigin(ctx), r)
		if err != nil {
			return err
		}
		fmt.Fprintln(env.stdout, n)
		fmt.Fprintf(env.stderr, "imported %d call(s) in %s\n", n, time.Since(start).Round(time.Millisecond))
		return nil
	})
}

func roleCmd(ctx context.Context, env *cmdEnv, args []string, grant bool) error {
	name := "role revoke"
	if grant {
		name = "role grant"
	}
	fs, dbf := newFlags(env, name)
	username := fs.String("username", "", "the user (required)")
	call := fs.String("call", "", "uuid of a call (for manager, reviewer, panel_member)")
	org := fs.String("org", "", "uuid of an organisation (for call_organizer)")
	role := fs.String("role", "", "manager, reviewer, panel_member or call_organizer (required)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := required(fs, "username", "role"); err != nil {
		return err
	}
	if (*call == "") == (*org == "") {
		return usageError{name + ": give exactly one of --call and --org"}
	}
	g := core.Grant{Username: *username, Role: *role}
	if *call != "" {
		id, err := parseUUID(fs, "call", *call)
		if err != nil {
			return err
		}
		g.CallUUID = &id
	} else {
		id, err := parseUUID(fs, "org", *org)
		if err != nil {
			return err
		}
		g.OrgUUID = &id
	}
	return withService(ctx, dbf, func(svc *core.Service) error {
		if grant {
			if err := svc.GrantRole(ctx, g); err != nil {
				return err
			}
			fmt.Fprintf(env.stderr, "granted %s to %s\n", g.Role, g.Username)
			return nil
		}
		held, err := svc.RevokeRole(ctx, g)
		if err != nil {
			return err
		}
		if !held {
			fmt.Fprintf(env.stderr, "%s did not hold %s there\n", g.Username, g.Role)
		} else {
			fmt.Fprintf(env.stderr, "revoked %s from %s\n", g.Role, g.Username)
		}
		return nil
	})
}
