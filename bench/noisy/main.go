// Command noisy is the noisy-neighbour load test of issue 9: well-behaved
// clients (REST and GraphQL, reads and writes) against one server, first
// alone, then while one abusive client replays each finding of the security
// review in turn. It prints, per phase, the well-behaved clients' latency
// percentiles and errors, what the abuser got, and the server's memory.
// bench/noisy.sh sets up the server and the data and runs it on both
// databases; every load is bounded and goes to the address given.
package main

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

func main() {
	var (
		base      = flag.String("url", "http://127.0.0.1:5090", "the server")
		goodKey   = flag.String("key", "", "API key of the well-behaved clients (a manager of the calls)")
		badKey    = flag.String("abuser-key", "", "API key of the abusive client (a user with no roles)")
		config    = flag.String("config", "", "uuid of a configuration the well-behaved clients read and update")
		clients   = flag.Int("clients", 16, "well-behaved clients")
		phase     = flag.Duration("phase", 5*time.Second, "duration of each phase")
		pid       = flag.Int("pid", 0, "server process, for its memory")
		database  = flag.String("db", "", "label of the database, for the table")
		maxAbuser = flag.Int("abuser-rate", 0, "at most this many abusive requests per second (0: as fast as it can)")
	)
	flag.Parse()
	if *goodKey == "" || *badKey == "" || *config == "" {
		fmt.Fprintln(os.Stderr, "noisy: -key, -abuser-key and -config are required")
		os.Exit(2)
	}
	h := &harness{base: strings.TrimRight(*base, "/"), good: *goodKey, bad: *badKey, config: *config, pid: *pid,
		client: &http.Client{Timeout: 30 * time.Second}}
	abuses := []abuse{
		{"none (baseline)", nil},
		{"1: orderBy of 300 keys + forged cursor", h.orderBy},
		{"2: invented operation names and methods", h.labels},
		{"3: padded documents (distinct, 60 KB and 1 MB)", h.padded},
		{"4: wrong passwords", h.passwords},
		{"5: 450 aliases of totalCount", h.totalCounts},
		{"8: forged Host headers", h.hosts},
	}
	fmt.Printf("\n%s: %d well-behaved clients, %s per phase\n\n", *database, *clients, *phase)
	fmt.Println("| abuse | good req/s | good p50 ms | good p99 ms | good errors | good 5xx | abuser requests | abuser answers | server RSS MiB |")
	fmt.Println("|---|---|---|---|---|---|---|---|---|")
	for _, a := range abuses {
		r := h.run(a, *clients, *phase, *maxAbuser)
		fmt.Printf("| %s | %.0f | %.2f | %.2f | %d | %d | %d | %s | %.1f |\n", a.name, float64(len(r.latencies))/phase.Seconds(),
			pct(r.latencies, 50), pct(r.latencies, 99), r.errors, r.fives, r.abuserSent, r.abuserAnswers(), r.rssMiB)
	}
}

type harness struct {
	base, good, bad, config string
	pid                     int
	client                  *http.Client
	seq                     atomic.Int64
}

type abuse struct {
	name string
	send func() (status int) // one abusive request
}

type result struct {
	mu          sync.Mutex
	latencies   []time.Duration
	errors      int
	fives       int
	abuserSent  int
	abuserCodes map[int]int
	rssMiB      float64
}

func (r *result) abuserAnswers() string {
	if len(r.abuserCodes) == 0 {
		return "-"
	}
	codes := make([]int, 0, len(r.abuserCodes))
	for c := range r.abuserCodes {
		codes = append(codes, c)
	}
	slices.Sort(codes)
	parts := make([]string, len(codes))
	for i, c := range codes {
		parts[i] = fmt.Sprintf("%d×%d", r.abuserCodes[c], c)
	}
	return strings.Join(parts, " ")
}

func (h *harness) run(a abuse, clients int, d time.Duration, maxRate int) *result {
	r := &result{abuserCodes: map[int]int{}}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for i := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := 0; ; n++ {
				select {
				case <-stop:
					return
				default:
				}
				start := time.Now()
				status, gqlErr := h.wellBehaved((i + n) % 4)
				elapsed := time.Since(start)
				r.mu.Lock()
				r.latencies = append(r.latencies, elapsed)
				if status >= 300 || gqlErr {
					r.errors++
				}
				if status >= 500 || status == 0 {
					r.fives++
				}
				r.mu.Unlock()
			}
		}()
	}
	if a.send != nil {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var tick <-chan time.Time
			if maxRate > 0 {
				t := time.NewTicker(time.Second / time.Duration(maxRate))
				defer t.Stop()
				tick = t.C
			}
			for {
				select {
				case <-stop:
					return
				default:
				}
				if tick != nil {
					<-tick
				}
				status := a.send()
				r.mu.Lock()
				r.abuserSent++
				r.abuserCodes[status]++
				r.mu.Unlock()
			}
		}()
	}
	rssDone := make(chan struct{})
	go func() {
		defer close(rssDone)
		for {
			if m := rssMiB(h.pid); m > r.rssMiB {
				r.rssMiB = m
			}
			select {
			case <-stop:
				return
			case <-time.After(100 * time.Millisecond):
			}
		}
	}()
	time.Sleep(d)
	close(stop)
	wg.Wait()
	<-rssDone
	return r
}

// wellBehaved is one request of an ordinary frontend or script: a page of
// configurations, one configuration, an update, each through either face.
func (h *harness) wellBehaved(kind int) (status int, gqlErr bool) {
	switch kind {
	case 0:
		return h.rest("GET", "/api/call-assignment-configurations/?page_size=20", h.good, "")
	case 1:
		return h.gql(h.good, `{ callAssignmentConfigurations(first: 20) { totalCount nodes { uuid maxAutoReassignAttempts call { uuid name } } } }`, nil, "")
	case 2:
		return h.rest("PATCH", "/api/call-assignment-configurations/"+h.config+"/", h.good, fmt.Sprintf(`{"max_auto_reassign_attempts": %d}`, h.seq.Add(1)%50))
	default:
		return h.gql(h.good, `mutation($u: UUID!, $n: Int!) { updateCallAssignmentConfiguration(input: {uuid: $u, assignmentExpirationDays: $n}) { callAssignmentConfiguration { modified } } }`,
			map[string]any{"u": h.config, "n": h.seq.Add(1) % 30}, "")
	}
}

func (h *harness) orderBy() int {
	order := make([]map[string]string, 300)
	parts := []any{strings.Repeat("c.name,", 300) + "cfg.id"}
	for i := range order {
		order[i] = map[string]string{"field": "CALL_NAME"}
		parts = append(parts, "Call 5000")
	}
	cursor, _ := json.Marshal(append(parts, 1))
	status, _ := h.gql(h.bad, `query($o: [CallAssignmentConfigurationOrder!], $a: String) { callAssignmentConfigurations(first: 5, orderBy: $o, after: $a) { nodes { uuid } } }`,
		map[string]any{"o": order, "a": base64.RawURLEncoding.EncodeToString(cursor)}, "")
	return status
}

func (h *harness) labels() int {
	n := h.seq.Add(1)
	if n%2 == 0 {
		status, _ := h.do(fmt.Sprintf("INVENT%d", n), "/api/call-assignment-configurations/", "", "", nil)
		return status
	}
	name := "Op" + strconv.FormatInt(n, 10) + strings.Repeat("x", 200_000)
	status, _ := h.gql("", "query "+name+" { __typename }", nil, name)
	return status
}

func (h *harness) padded() int {
	n := h.seq.Add(1)
	size := 60_000
	if n%2 == 0 {
		size = 1 << 20
	}
	doc := "{ __typename } # " + strconv.FormatInt(n, 10) + strings.Repeat(" ", size)
	status, _ := h.gql("", doc, nil, "")
	return status
}

func (h *harness) passwords() int {
	body := fmt.Sprintf(`{"username": "manager", "password": "guess %d"}`, h.seq.Add(1))
	status, _ := h.rest("POST", "/api-auth/password/", "", body)
	return status
}

func (h *harness) totalCounts() int {
	var b strings.Builder
	b.WriteString("{")
	for i := range 450 {
		fmt.Fprintf(&b, " a%d: callAssignmentConfigurations(first: 0) { totalCount }", i)
	}
	b.WriteString(" }")
	status, _ := h.gql(h.bad, b.String(), nil, "")
	return status
}

func (h *harness) hosts() int {
	status, _ := h.do("GET", "/api/call-assignment-configurations/", h.bad, "", map[string]string{"Host": fmt.Sprintf("evil%d.example", h.seq.Add(1))})
	return status
}

func (h *harness) rest(method, path, key, body string) (int, bool) {
	return h.do(method, path, key, body, nil)
}

func (h *harness) gql(key, query string, vars map[string]any, operationName string) (int, bool) {
	req := map[string]any{"query": query}
	if vars != nil {
		req["variables"] = vars
	}
	if operationName != "" {
		req["operationName"] = operationName
	}
	b, _ := json.Marshal(req)
	return h.do("POST", "/graphql", key, string(b), nil)
}

// do sends one request; a GraphQL answer with errors counts as an error.
func (h *harness) do(method, path, key, body string, headers map[string]string) (int, bool) {
	req, err := http.NewRequest(method, h.base+path, bytes.NewReader([]byte(body)))
	if err != nil {
		return 0, true
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if key != "" {
		req.Header.Set("Authorization", "Token "+key)
	}
	for k, v := range headers {
		if k == "Host" {
			req.Host = v
		} else {
			req.Header.Set(k, v)
		}
	}
	res, err := h.client.Do(req)
	if err != nil {
		return 0, true
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	return res.StatusCode, path == "/graphql" && bytes.Contains(raw, []byte(`"errors"`))
}

func pct(d []time.Duration, p int) float64 {
	if len(d) == 0 {
		return 0
	}
	s := slices.Clone(d)
	slices.Sort(s)
	i := min(len(s)-1, len(s)*p/100)
	return float64(s[i].Microseconds()) / 1000
}

// rssMiB is the server's resident memory now (VmRSS).
func rssMiB(pid int) float64 {
	if pid == 0 {
		return 0
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, _ := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 64)
			return kb / 1024
		}
	}
	return 0
}
