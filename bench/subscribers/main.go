// Command subscribers measures the live change feed on one replica over
// PostgreSQL: N concurrent WebSocket subscribers (graphql-transport-ws),
// the latency from a write's response to each subscriber's receipt of the
// change it made (p50, p99, over several changes fanned out to all), and
// the server's memory per idle subscriber (its RSS before and after they
// connect, divided by N). Everything goes to 127.0.0.1 and is bounded in
// time; the server is a `callcfg serve` built from this tree, started and
// stopped here. See bench/README.md and bench/subscribers.sh.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/callcfg/callcfg/core"
	"github.com/callcfg/callcfg/db"
	"github.com/callcfg/callcfg/graph/streamtest"
	"github.com/callcfg/callcfg/links"
)

func main() {
	bin := flag.String("bin", "", "the callcfg binary to serve with")
	dbURL := flag.String("database-url", "", "a fresh PostgreSQL database (it is migrated and seeded)")
	n := flag.Int("subscribers", 1000, "concurrent WebSocket subscribers")
	users := flag.Int("users", 200, "users they belong to (each a manager of the call, one key each)")
	changes := flag.Int("changes", 20, "changes made one after the other, each fanned out to every subscriber")
	limit := flag.Duration("timeout", 5*time.Minute, "bound on the whole run")
	flag.Parse()
	if *bin == "" || *dbURL == "" {
		fmt.Fprintln(os.Stderr, "usage: subscribers -bin BINARY -database-url postgres://… [-subscribers N]")
		os.Exit(2)
	}
	ctx, cancel := context.WithTimeout(context.Background(), *limit)
	defer cancel()
	if err := run(ctx, *bin, *dbURL, *n, *users, *changes); err != nil {
		fmt.Fprintln(os.Stderr, "subscribers:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, bin, dbURL string, n, users, changes int) error {
	// Seed: one call with a configuration, a staff writer, and users who
	// manage the call, each with a key.
	bdb, err := db.Open(ctx, dbURL, db.Options{})
	if err != nil {
		return err
	}
	if _, err := db.Migrate(ctx, bdb); err != nil {
		return err
	}
	svc := core.New(bdb)
	org, err := svc.CreateOrg(ctx, "Bench council")
	if err != nil {
		return err
	}
	call, err := svc.CreateCall(ctx, core.NewCall{Name: "Bench call", State: core.CallStateActive, OrgUUID: org.UUID})
	if err != nil {
		return err
	}
	if _, err := svc.CreateUser(ctx, core.NewUser{Username: "writer", IsStaff: true}); err != nil {
		return err
	}
	writerKey, err := svc.CreateToken(ctx, "writer", 0)
	if err != nil {
		return err
	}
	writer, err := svc.Authenticate(ctx, writerKey)
	if err != nil {
		return err
	}
	cfg, err := svc.CreateConfig(ctx, writer, core.Some(call.UUID), core.Patch{})
	if err != nil {
		return err
	}
	keys := make([]string, users)
	for i := range keys {
		name := fmt.Sprintf("subscriber%04d", i)
		if _, err := svc.CreateUser(ctx, core.NewUser{Username: name}); err != nil {
			return err
		}
		if err := svc.GrantRole(ctx, core.Grant{Username: name, CallUUID: &call.UUID, Role: "manager"}); err != nil {
			return err
		}
		if keys[i], err = svc.CreateToken(ctx, name, 0); err != nil {
			return err
		}
	}
	_ = bdb.Close()

	addr, admin := freePort(), freePort()
	perKey := (n + users - 1) / users
	srv := exec.CommandContext(ctx, bin, "serve", "--addr", addr, "--admin-addr", admin, "--playground=false",
		"--log-level", "warn", "--subscription-connections-per-key", strconv.Itoa(perKey))
	srv.Env = append(os.Environ(), "DATABASE_URL="+dbURL)
	srv.Stdout, srv.Stderr = os.Stderr, os.Stderr
	if err := srv.Start(); err != nil {
		return err
	}
	defer func() {
		_ = srv.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { _ = srv.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			_ = srv.Process.Kill()
		}
	}()
	base := "http://" + addr
	if err := waitFor(ctx, base+"/healthz"); err != nil {
		return err
	}
	time.Sleep(2 * time.Second) // let the server settle before its RSS is read
	rssBefore := rss(srv.Process.Pid)

	streamtest.Buffer = 4
	type subscriber struct {
		ws *streamtest.WS
		ch <-chan streamtest.Event
	}
	subs := make([]subscriber, n)
	sem := make(chan struct{}, 32)
	var wg sync.WaitGroup
	var dialErr error
	var mu sync.Mutex
	for i := range subs {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			ws, err := streamtest.DialWS(ctx, "ws://"+addr+"/graphql", "Token "+keys[i%users], nil)
			var ch <-chan streamtest.Event
			if err == nil {
				ch, err = ws.Subscribe("1", `subscription { callAssignmentConfigurationChanged { cursor after { maxAutoReassignAttempts } } }`, nil)
			}
			mu.Lock()
			defer mu.Unlock()
			if err != nil && dialErr == nil {
				dialErr = fmt.Errorf("subscriber %d: %v", i, err)
			}
			subs[i] = subscriber{ws, ch}
		}()
	}
	wg.Wait()
	if dialErr != nil {
		return dialErr
	}
	defer func() {
		for _, s := range subs {
			s.ws.Close()
		}
	}()
	if err := waitMetric(ctx, "http://"+admin+"/metrics", `callcfg_subscriptions_active{transport="websocket"}`, float64(n)); err != nil {
		return err
	}
	time.Sleep(2 * time.Second)
	rssAfter := rss(srv.Process.Pid)

	// Latency: one change at a time, from the write's response to each
	// subscriber's receipt.
	var lat []time.Duration
	early := 0
	for k := range changes {
		received := make([]time.Time, n)
		var rwg sync.WaitGroup
		for i, s := range subs {
			rwg.Add(1)
			go func() {
				defer rwg.Done()
				select {
				case ev := <-s.ch:
					if len(ev.Errors) == 0 && !ev.Complete && !ev.Closed {
						received[i] = time.Now()
					}
				case <-ctx.Done():
				}
			}()
		}
		body, _ := json.Marshal(map[string]any{"max_auto_reassign_attempts": k + 10})
		req, _ := http.NewRequestWithContext(ctx, http.MethodPatch, base+"/api/call-assignment-configurations/"+links.Hex(cfg.UUID)+"/", bytes.NewReader(body))
		req.Header.Set("Authorization", "Token "+writerKey)
		req.Header.Set("Content-Type", "application/json")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			return err
		}
		_, _ = io.Copy(io.Discard, res.Body)
		res.Body.Close()
		answered := time.Now()
		if res.StatusCode != http.StatusOK {
			return fmt.Errorf("PATCH: %s", res.Status)
		}
		rwg.Wait()
		for i, at := range received {
			if at.IsZero() {
				return fmt.Errorf("change %d did not reach subscriber %d", k, i)
			}
			d := at.Sub(answered)
			if d < 0 {
				early++
				d = 0
			}
			lat = append(lat, d)
		}
	}
	slices.Sort(lat)
	pct := func(p float64) time.Duration { return lat[min(len(lat)-1, int(p*float64(len(lat))))] }
	fmt.Printf("| subscribers | changes | latency p50 | latency p99 | max | received before the response | server RSS before | after | per idle subscriber |\n")
	fmt.Printf("|---|---|---|---|---|---|---|---|---|\n")
	fmt.Printf("| %d | %d | %s | %s | %s | %d of %d | %.1f MiB | %.1f MiB | %.1f KiB |\n", n, changes,
		pct(0.50).Round(10*time.Microsecond), pct(0.99).Round(10*time.Microsecond), lat[len(lat)-1].Round(10*time.Microsecond),
		early, len(lat), float64(rssBefore)/1024, float64(rssAfter)/1024, float64(rssAfter-rssBefore)/float64(n))
	return nil
}

func freePort() string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func waitFor(ctx context.Context, url string) error {
	for {
		res, err := http.Get(url)
		if err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s never answered", url)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// waitMetric waits until the metric line reads want.
func waitMetric(ctx context.Context, url, series string, want float64) error {
	for {
		res, err := http.Get(url)
		if err == nil {
			b, _ := io.ReadAll(res.Body)
			res.Body.Close()
			for line := range strings.SplitSeq(string(b), "\n") {
				if v, ok := strings.CutPrefix(line, series+" "); ok {
					if f, _ := strconv.ParseFloat(v, 64); f == want {
						return nil
					}
				}
			}
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s never reached %v", series, want)
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// rss is a process's resident set in KiB.
func rss(pid int) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb
		}
	}
	return 0
}
