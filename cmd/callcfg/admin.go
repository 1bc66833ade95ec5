package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync/atomic"
	"time"

	"github.com/google/uuid"

	"github.com/callcfg/callcfg/core"
	"github.com/callcfg/callcfg/db"
)

// The admin commands act with full rights through the core, which validates
// what they are given as the API does. Every one applies pending migrations
// first, so that each works on a fresh database as on an up-to-date one.

// withService applies pending migrations and runs fn.
func withService(ctx context.Context, d *dbSettings, fn func(*core.Service) error) error {
	if _, err := d.migrate(ctx); err != nil {
		return err
	}
	bdb, err := d.open(ctx, db.Options{})
	if err != nil {
		return err
	}
	defer bdb.Close()
	// What the command changed reaches the servers' subscribers now rather
	// than at their next poll: no trigger notifies them (db.ChangesChannel).
	var changed atomic.Bool
	stop := db.OnChangesCommitted(bdb, func() { changed.Store(true) })
	defer stop()
	err = fn(core.New(bdb))
	if changed.Load() {
		_ = db.NotifyChanges(ctx, bdb) // best effort: they poll
	}
	return err
}

// cliOrigin is where the admin commands' writes come from, for the change
// record: the CLI, with neither actor nor request id.
func cliOrigin(ctx context.Context) context.Context {
	return core.WithOrigin(ctx, core.Origin{Via: core.ViaCLI})
}

// parseUUID reads a uuid flag, as a bad invocation when it is not one.
func parseUUID(flag, value string) (uuid.UUID, error) {
	id, err := uuid.Parse(value)
	if err != nil {
		return uuid.Nil, usageError{fmt.Sprintf("--%s %q is not a uuid", flag, value)}
	}
	return id, nil
}

type migrateCmd struct {
	dbSettings `embed:""`
	Action     string `arg:"" enum:"up,down,status" help:"up, down or status."`
	Yes        bool   `name:"yes" help:"down: roll back even though the database holds data, which the rollback destroys."`
}

func (c *migrateCmd) Run(ctx context.Context, env *cmdEnv) error {
	bdb, err := c.openDirect(ctx)
	if err != nil {
		return err
	}
	defer bdb.Close()
	switch c.Action {
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
		if !c.Yes {
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
	}
	return nil
}

type userCreateCmd struct {
	dbSettings    `embed:""`
	Username      string `name:"username" required:"" help:"Login name."`
	Email         string `name:"email" help:"Email address."`
	Staff         bool   `name:"staff" help:"Staff: sees and manages everything."`
	Support       bool   `name:"support" help:"Support: sees everything, changes nothing."`
	PasswordStdin bool   `name:"password-stdin" help:"Read a password from the first line of stdin (for /api-auth/password/)."`
}

func (c *userCreateCmd) Run(ctx context.Context, env *cmdEnv) error {
	in := core.NewUser{Username: c.Username, Email: c.Email, IsStaff: c.Staff, IsSupport: c.Support}
	if c.PasswordStdin {
		line, err := bufio.NewReader(env.stdin).ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return err
		}
		in.Password = strings.TrimRight(line, "\r\n")
		if in.Password == "" {
			return usageError{"user create: --password-stdin read an empty password"}
		}
	}
	return withService(ctx, &c.dbSettings, func(svc *core.Service) error {
		u, err := svc.CreateUser(ctx, in)
		if err != nil {
			return err
		}
		fmt.Fprintln(env.stdout, u.UUID)
		return nil
	})
}

type tokenCreateCmd struct {
	dbSettings `embed:""`
	Username   string        `name:"username" required:"" help:"Whose key."`
	TTL        time.Duration `name:"ttl" help:"Lifetime, e.g. 720h; 0 never expires."`
}

func (c *tokenCreateCmd) Validate() error {
	if c.TTL < 0 {
		return errors.New("--ttl must not be negative")
	}
	return nil
}

func (c *tokenCreateCmd) Run(ctx context.Context, env *cmdEnv) error {
	return withService(ctx, &c.dbSettings, func(svc *core.Service) error {
		key, err := svc.CreateToken(ctx, c.Username, c.TTL)
		if err != nil {
			return err
		}
		fmt.Fprintln(env.stdout, key)
		fmt.Fprintln(env.stderr, "this key is shown once; only its hash is stored")
		return nil
	})
}

type tokenRevokeCmd struct {
	dbSettings `embed:""`
	Username   string `name:"username" required:"" help:"Whose keys."`
}

func (c *tokenRevokeCmd) Run(ctx context.Context, env *cmdEnv) error {
	return withService(ctx, &c.dbSettings, func(svc *core.Service) error {
		n, err := svc.RevokeTokens(ctx, c.Username)
		if err != nil {
			return err
		}
		fmt.Fprintln(env.stdout, n)
		fmt.Fprintf(env.stderr, "revoked %d key(s) of %s\n", n, c.Username)
		return nil
	})
}

type orgCreateCmd struct {
	dbSettings `embed:""`
	Name       string `name:"name" required:"" help:"Organisation name."`
}

func (c *orgCreateCmd) Run(ctx context.Context, env *cmdEnv) error {
	return withService(ctx, &c.dbSettings, func(svc *core.Service) error {
		o, err := svc.CreateOrg(ctx, c.Name)
		if err != nil {
			return err
		}
		fmt.Fprintln(env.stdout, o.UUID)
		return nil
	})
}

type callCreateCmd struct {
	dbSettings  `embed:""`
	Name        string `name:"name" required:"" help:"Call name, at most 150 characters."`
	Org         string `name:"org" required:"" help:"Uuid of the managing organisation."`
	State       string `name:"state" default:"draft" help:"draft, active or archived."`
	Description string `name:"description" help:"Description, at most 4096 characters."`
}

func (c *callCreateCmd) Run(ctx context.Context, env *cmdEnv) error {
	orgID, err := parseUUID("org", c.Org)
	if err != nil {
		return err
	}
	return withService(ctx, &c.dbSettings, func(svc *core.Service) error {
		call, err := svc.CreateCall(ctx, core.NewCall{Name: c.Name, Description: c.Description, State: c.State, OrgUUID: orgID})
		if err != nil {
			return err
		}
		fmt.Fprintln(env.stdout, call.UUID)
		return nil
	})
}

type callDeleteCmd struct {
	dbSettings `embed:""`
	UUID       string `name:"uuid" required:"" help:"The call's uuid."`
}

func (c *callDeleteCmd) Run(ctx context.Context, env *cmdEnv) error {
	callID, err := parseUUID("uuid", c.UUID)
	if err != nil {
		return err
	}
	return withService(ctx, &c.dbSettings, func(svc *core.Service) error {
		if err := svc.DeleteCall(cliOrigin(ctx), callID); err != nil {
			return err
		}
		fmt.Fprintln(env.stderr, "deleted call", callID, "and its configuration")
		return nil
	})
}

type callExportCmd struct {
	dbSettings `embed:""`
	File       string `name:"file" help:"Write here instead of stdout."`
}

func (c *callExportCmd) Run(ctx context.Context, env *cmdEnv) error {
	return withService(ctx, &c.dbSettings, func(svc *core.Service) error {
		return writeTo(env, c.File, func(w io.Writer) error {
			n, err := svc.Export(ctx, w)
			if err == nil {
				fmt.Fprintf(env.stderr, "exported %d call(s)\n", n)
			}
			return err
		})
	})
}

// writeTo runs write on the named file (created), or on stdout without one.
func writeTo(env *cmdEnv, file string, write func(io.Writer) error) error {
	if file == "" {
		return write(env.stdout)
	}
	f, err := os.Create(file)
	if err != nil {
		return err
	}
	err = write(f)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

type callImportCmd struct {
	dbSettings `embed:""`
	File       string `name:"file" required:"" help:"JSON lines as call export writes them; - for stdin."`
}

func (c *callImportCmd) Run(ctx context.Context, env *cmdEnv) error {
	r := env.stdin
	if c.File != "-" {
		f, err := os.Open(c.File)
		if err != nil {
			return err
		}
		defer f.Close()
		r = f
	}
	return withService(ctx, &c.dbSettings, func(svc *core.Service) error {
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

// roleFlags name a role of a user on a call or on an organisation.
type roleFlags struct {
	dbSettings `embed:""`
	Username   string `name:"username" required:"" help:"The user."`
	Call       string `name:"call" help:"Uuid of a call (for manager, reviewer, panel_member)."`
	Org        string `name:"org" help:"Uuid of an organisation (for call_organizer)."`
	Role       string `name:"role" required:"" help:"manager, reviewer, panel_member or call_organizer."`
}

func (r *roleFlags) Validate() error {
	if (r.Call == "") == (r.Org == "") {
		return errors.New("give exactly one of --call and --org")
	}
	return nil
}

func (r *roleFlags) grant() (core.Grant, error) {
	g := core.Grant{Username: r.Username, Role: r.Role}
	flag, value := "org", r.Org
	if r.Call != "" {
		flag, value = "call", r.Call
	}
	id, err := parseUUID(flag, value)
	if err != nil {
		return g, err
	}
	if r.Call != "" {
		g.CallUUID = &id
	} else {
		g.OrgUUID = &id
	}
	return g, nil
}

type roleGrantCmd struct {
	roleFlags `embed:""`
}

func (c *roleGrantCmd) Run(ctx context.Context, env *cmdEnv) error {
	g, err := c.grant()
	if err != nil {
		return err
	}
	return withService(ctx, &c.dbSettings, func(svc *core.Service) error {
		if err := svc.GrantRole(ctx, g); err != nil {
			return err
		}
		fmt.Fprintf(env.stderr, "granted %s to %s\n", g.Role, g.Username)
		return nil
	})
}

type roleRevokeCmd struct {
	roleFlags `embed:""`
}

func (c *roleRevokeCmd) Run(ctx context.Context, env *cmdEnv) error {
	g, err := c.grant()
	if err != nil {
		return err
	}
	return withService(ctx, &c.dbSettings, func(svc *core.Service) error {
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
