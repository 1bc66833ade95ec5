package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/callcfg/callcfg/core"
)

type changesExportCmd struct {
	dbSettings `embed:""`
	File       string `name:"file" help:"Write here instead of stdout."`
	Since      string `name:"since" help:"Only changes at or after this time (RFC 3339, e.g. 2026-12-01T00:00:00Z)."`

	since *time.Time
}

func (c *changesExportCmd) Validate() error {
	if c.Since == "" {
		return nil
	}
	t, err := time.Parse(time.RFC3339Nano, c.Since)
	if err != nil {
		return fmt.Errorf("--since %q is not an RFC 3339 time", c.Since)
	}
	t = t.UTC()
	c.since = &t
	return nil
}

func (c *changesExportCmd) Run(ctx context.Context, env *cmdEnv) error {
	return withService(ctx, &c.dbSettings, func(svc *core.Service) error {
		return writeTo(env, c.File, func(w io.Writer) error {
			n, err := svc.ExportChanges(ctx, w, c.since)
			if err == nil {
				fmt.Fprintf(env.stderr, "exported %d change(s)\n", n)
			}
			return err
		})
	})
}
