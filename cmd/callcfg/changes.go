package main

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/callcfg/callcfg/core"
)

// changesExport writes the change record as JSON lines, oldest first, for
// audit archives.
func changesExport(ctx context.Context, env *cmdEnv, args []string) error {
	fs, dbf := newFlags(env, "changes export")
	file := fs.String("file", "", "write here instead of stdout")
	sinceFlag := fs.String("since", "", "only changes at or after this time (RFC 3339, e.g. 2026-12-01T00:00:00Z)")
	if err := parse(fs, args); err != nil {
		return err
	}
	var since *time.Time
	if *sinceFlag != "" {
		t, err := time.Parse(time.RFC3339Nano, *sinceFlag)
		if err != nil {
			return usageError{fmt.Sprintf("changes export: --since %q is not an RFC 3339 time", *sinceFlag)}
		}
		t = t.UTC()
		since = &t
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
		n, err := svc.ExportChanges(ctx, w, since)
		if f != nil {
			if cerr := f.Close(); err == nil {
				err = cerr
			}
		}
		if err != nil {
			return err
		}
		fmt.Fprintf(env.stderr, "exported %d change(s)\n", n)
		return nil
	})
}
