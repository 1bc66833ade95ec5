package main

import (
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/callcfg/callcfg/graph/trusted"
	"github.com/callcfg/callcfg/ops"
)

// knownOperationNames are the operation names the metrics count by name:
// those listed in --graphql-operation-names, then the manifest's, as long
// as the observer's bound allows (the rest count as "other"); dropped is
// how many of the manifest's did not fit.
func knownOperationNames(listed []string, m *trusted.Manifest) (names []string, dropped int) {
	names = append(names, listed...)
	if m == nil {
		return names, 0
	}
	seen := map[string]bool{}
	for _, n := range listed {
		seen[n] = true
	}
	for _, n := range m.OperationNames() {
		switch {
		case seen[n]:
		case len(names) >= ops.MaxOperationNames || len(n) > ops.MaxOperationNameChars:
			dropped++
		default:
			seen[n] = true
			names = append(names, n)
		}
	}
	return names, dropped
}

// setOperationNames gives the observer the names of the manifest in force.
func setOperationNames(o *ops.Observer, listed []string, m *trusted.Manifest, logger *slog.Logger) {
	names, dropped := knownOperationNames(listed, m)
	if dropped > 0 {
		logger.Warn("trusted documents: some operation names count as \"other\" in the metrics",
			"dropped", dropped, "limit", ops.MaxOperationNames)
	}
	if err := o.SetOperationNames(names); err != nil {
		logger.Error("trusted documents: operation names for the metrics", "error", err)
	}
}

// reloadOnHangup reloads the trusted documents on each SIGHUP until stop
// is called. A file that cannot be used is logged and the documents in
// force stay. Without trusted documents SIGHUP is only logged, so that a
// reload meant for another setting never kills a replica.
func reloadOnHangup(store *trusted.Store, o *ops.Observer, listed []string, logger *slog.Logger) (stop func()) {
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	done := make(chan struct{})
	go func() {
		for {
			select {
			case <-done:
				return
			case <-hup:
			}
			if store == nil {
				logger.Info("SIGHUP: nothing to reload (no --trusted-documents)")
				continue
			}
			m, err := store.Reload()
			if err != nil {
				logger.Error("trusted documents: reload failed, the previous ones stay in force", "error", err)
				continue
			}
			setOperationNames(o, listed, m, logger)
			logger.Info("trusted documents reloaded", "path", store.Path(), "documents", m.Len())
		}
	}()
	return func() {
		signal.Stop(hup)
		close(done)
	}
}
