// Package feed pushes the change feed to live subscribers. One Hub per
// replica follows the feed: one goroutine that knows the feed's position,
// wakes on a notification (or a timer, so that a lost notification costs
// latency, never data), reads what is new once for every subscriber, asks
// the core in one statement per batch who may see which change, and hands
// each subscriber what it may see. Each subscriber has a bounded buffer; one
// too slow to drain it is closed, never waited for. A subscriber that
// resumes after a cursor reads what it missed from the store first, then
// joins the live stream, with no gap and no duplicate: positions only grow,
// and each subscriber delivers only what lies after the last position it
// delivered.
//
// Everything here is per replica and bounded: connections per key,
// subscriptions per connection, changes per buffer. What replicas share
// is the feed in the database.
package feed

import (
	"context"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/callcfg/callcfg/core"
)

// Options bound and pace a Hub; zero fields take the defaults.
type Options struct {
	// Poll is how often the hub reads the feed without a wake-up: the
	// longest a change waits when its notification was lost.
	Poll time.Duration
	// Recheck is how often the keys and call visibility of every
	// subscriber are checked again, so that a revoked key ends even a
	// quiet subscription within this long.
	Recheck time.Duration
	// Buffer is how many changes may wait for one subscriber; beyond it the
	// subscriber is too slow and is closed.
	Buffer int
	// SubscriptionsPerConn bounds the subscriptions of one connection.
	SubscriptionsPerConn int
	// ConnsPerKey bounds the connections of one API key on this replica.
	ConnsPerKey int
	// Timeout bounds each database call of the hub and of a subscriber.
	Timeout time.Duration
	Logger  *slog.Logger
	Metrics Metrics
}

// Defaults.
const (
	DefaultPoll                 = 5 * time.Second
	DefaultRecheck              = time.Minute
	DefaultBuffer               = 256
	DefaultSubscriptionsPerConn = 20
	DefaultConnsPerKey          = 10
	defaultTimeout              = 5 * time.Second
	// batchSize is how many changes one read of the feed takes.
	batchSize = 100
)

func (o Options) withDefaults() Options {
	def := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	defDur := func(v *time.Duration, d time.Duration) {
		if *v <= 0 {
			*v = d
		}
	}
	defDur(&o.Poll, DefaultPoll)
	defDur(&o.Recheck, DefaultRecheck)
	defDur(&o.Timeout, defaultTimeout)
	def(&o.Buffer, DefaultBuffer)
	def(&o.SubscriptionsPerConn, DefaultSubscriptionsPerConn)
	def(&o.ConnsPerKey, DefaultConnsPerKey)
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Metrics == nil {
		o.Metrics = noMetrics{}
	}
	return o
}

// Metrics hears what the hub does; transport and reason are the server's
// words (Transport*, Reason*.Label), never a client's.
type Metrics interface {
	ConnectionOpened(transport string)
	ConnectionClosed(transport string)
	SubscriptionStarted(transport string)
	SubscriptionEnded(transport string)
	Delivered(transport string)
	Dropped(transport, reason string)
}

type noMetrics struct{}

func (noMetrics) ConnectionOpened(string)    {}
func (noMetrics) ConnectionClosed(string)    {}
func (noMetrics) SubscriptionStarted(string) {}
func (noMetrics) SubscriptionEnded(string)   {}
func (noMetrics) Delivered(string)           {}
func (noMetrics) Dropped(string, string)     {}

// Transports, as connections name theirs.
const (
	TransportWebSocket = "websocket"
	TransportSSE       = "sse"
)

// Reason says why the server ended or refused a subscription.
type Reason int

const (
	// ReasonGone: the client went away or completed the subscription.
	ReasonGone Reason = iota
	// ReasonTooSlow: the subscriber did not drain its buffer.
	ReasonTooSlow
	// ReasonUnauthenticated: its key was revoked or expired, or its user
	// deactivated.
	ReasonUnauthenticated
	// ReasonNotFound: the call it follows is no longer visible to it.
	ReasonNotFound
	// ReasonShutdown: the replica is shutting down.
	ReasonShutdown
	// ReasonSubscriptionLimit: refused, the connection has the most
	// subscriptions allowed.
	ReasonSubscriptionLimit
	// ReasonConnectionLimit: refused, the key has the most connections
	// allowed on this replica.
	ReasonConnectionLimit
)

// Label is the reason as a metric label.
func (r Reason) Label() string {
	switch r {
	case ReasonTooSlow:
		return "too_slow"
	case ReasonUnauthenticated:
		return "unauthenticated"
	case ReasonNotFound:
		return "not_found"
	case ReasonShutdown:
		return "shutdown"
	case ReasonSubscriptionLimit:
		return "subscription_limit"
	case ReasonConnectionLimit:
		return "connection_limit"
	}
	return "gone"
}

// Error is a subscription ended or refused by the server for Reason. The
// reasons that are the core's (a key no longer valid, a call no longer
// visible) are core errors instead, so that faces map them as they map any.
type Error struct {
	Reason  Reason
	Message string
}

func (e *Error) Error() string { return e.Message }

// errOf is what a subscriber that ends for r is told; nil for an end that
// is no error.
func errOf(r Reason, buffer int) error {
	switch r {
	case ReasonTooSlow:
		return &Error{Reason: r, Message: "The subscriber did not keep up: more than " + strconv.Itoa(buffer) +
			" changes waited for it. Subscribe again after the last cursor received."}
	case ReasonUnauthenticated:
		return &core.Error{Kind: core.KindUnauthenticated, Message: core.MsgInvalidToken}
	case ReasonNotFound:
		return &core.Error{Kind: core.KindNotFound, Message: core.MsgCallNotFound}
	}
	return nil
}

// ErrShuttingDown refuses a subscription while the replica shuts down.
var ErrShuttingDown = &core.Error{Kind: core.KindUnavailable, Message: "The server is shutting down; subscribe again."}

// Hub follows the feed for one replica's subscribers.
type Hub struct {
	svc  *core.Service
	opts Options
	log  *slog.Logger

	wake  chan struct{}
	quit  chan struct{}
	ready chan struct{} // closed once pos is known

	mu     sync.Mutex
	pos    core.ChangePosition
	subs   map[*sub]struct{}
	conns  map[*Conn]struct{}
	perKey map[core.KeyID]int
	closed bool
}

// New makes a hub; Run starts it.
func New(svc *core.Service, opts Options) *Hub {
	opts = opts.withDefaults()
	return &Hub{
		svc: svc, opts: opts, log: opts.Logger,
		wake: make(chan struct{}, 1), quit: make(chan struct{}), ready: make(chan struct{}),
		subs: map[*sub]struct{}{}, conns: map[*Conn]struct{}{}, perKey: map[core.KeyID]int{},
	}
}

// Options are the hub's settings, defaults filled in.
func (h *Hub) Options() Options { return h.opts }

// drainGap is the least time between two reads of the feed that wake-ups
// ask for: at thousands of writes a second, reads a few milliseconds apart
// each hand out what was written meanwhile, for a little latency.
const drainGap = 2 * time.Millisecond

// following reports whether any subscriber is registered.
func (h *Hub) following() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.subs) > 0
}

// Wake tells the hub that the feed may have grown. It never blocks: wake-ups
// that come while one is pending are one.
func (h *Hub) Wake() {
	select {
	case h.wake <- struct{}{}:
	default:
	}
}

// Run follows the feed until ctx ends or Close is called; then it closes
// every subscriber.
func (h *Hub) Run(ctx context.Context) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		select {
		case <-h.quit:
			cancel()
		case <-ctx.Done():
		}
	}()
	defer h.Close()

	if !h.start(ctx) {
		return
	}
	timer := time.NewTimer(h.opts.Poll)
	defer timer.Stop()
	recheck := time.NewTicker(h.opts.Recheck)
	defer recheck.Stop()
	soon := time.Duration(0) // the pause while changes wait behind the horizon
	var lastDrain time.Time
	for {
		select {
		case <-ctx.Done():
			return
		case <-recheck.C:
			h.recheck(ctx)
			continue
		case <-h.wake:
			// Nobody to hand changes to: the poll keeps the position
			// near the end, and a new subscriber wakes the hub. Without
			// this, every write of this replica cost a read of the feed.
			if !h.following() {
				continue
			}
			// Writes that commit close together share one read.
			if d := drainGap - time.Since(lastDrain); d > 0 {
				select {
				case <-ctx.Done():
					return
				case <-time.After(d):
				}
			}
		case <-timer.C:
		}
		lastDrain = time.Now()
		pending, err := h.drain(ctx)
		next := h.opts.Poll
		switch {
		case ctx.Err() != nil:
			return
		case err != nil:
			h.log.Warn("feed: reading new changes failed; trying again", "error", err)
			next = min(time.Second, h.opts.Poll)
			soon = 0
		case pending:
			// A transaction older than the new changes is still running:
			// they become final when it ends, which nobody notifies.
			soon = min(max(2*soon, 10*time.Millisecond), h.opts.Poll)
			next = soon
		default:
			soon = 0
		}
		if !timer.Stop() {
			select {
			case <-timer.C:
			default:
			}
		}
		timer.Reset(next)
	}
}

// start learns where the feed ends, trying until the database answers.
func (h *Hub) start(ctx context.Context) bool {
	pause := 100 * time.Millisecond
	for {
		cctx, cancel := context.WithTimeout(ctx, h.opts.Timeout)
		pos, err := h.svc.FeedEnd(cctx)
		cancel()
		if err == nil {
			h.mu.Lock()
			h.pos = pos
			h.mu.Unlock()
			close(h.ready)
			return true
		}
		if ctx.Err() != nil {
			return false
		}
		h.log.Warn("feed: cannot read where the feed ends; trying again", "error", err)
		select {
		case <-ctx.Done():
			return false
		case <-time.After(pause):
		}
		pause = min(2*pause, h.opts.Poll)
	}
}

// drain reads and fans out batches until the feed has no more final
// changes; pending says whether committed ones wait behind the horizon.
func (h *Hub) drain(ctx context.Context) (bool, error) {
	if !h.following() {
		return false, h.skipToEnd(ctx)
	}
	for {
		h.mu.Lock()
		pos := h.pos
		h.mu.Unlock()
		cctx, cancel := context.WithTimeout(ctx, h.opts.Timeout)
		batch, pending, err := h.svc.FollowFeed(cctx, pos, batchSize)
		cancel()
		if err != nil {
			return false, err
		}
		if len(batch) > 0 {
			h.fanOut(ctx, batch)
		}
		if len(batch) < batchSize {
			return pending, nil
		}
	}
}

// skipToEnd moves the position of a hub nobody follows to the end of the
// feed without reading what lies before it: there is no one to hand it to.
// A subscriber that registers meanwhile keeps the position where it was.
func (h *Hub) skipToEnd(ctx context.Context) error {
	cctx, cancel := context.WithTimeout(ctx, h.opts.Timeout)
	defer cancel()
	end, err := h.svc.FeedEnd(cctx)
	if err != nil {
		return err
	}
	h.mu.Lock()
	if len(h.subs) == 0 && before(h.pos, end) {
		h.pos = end
	}
	h.mu.Unlock()
	return nil
}

// fanOut hands a batch to every subscriber registered before it. The
// hub's position moves past the batch at the same moment as the list of
// those subscribers is taken, so a subscriber registered later reads the
// batch from the store instead.
func (h *Hub) fanOut(ctx context.Context, batch []core.FeedChange) {
	end := batch[len(batch)-1].Position
	h.mu.Lock()
	h.pos = end
	subs := make([]*sub, 0, len(h.subs))
	for s := range h.subs {
		subs = append(subs, s)
	}
	h.mu.Unlock()
	if len(subs) == 0 {
		return
	}
	calls := make([]uuid.UUID, 0, len(batch))
	seen := map[uuid.UUID]bool{}
	for _, fc := range batch {
		if !seen[fc.CallUUID] {
			seen[fc.CallUUID] = true
			calls = append(calls, fc.CallUUID)
		}
	}
	actors := make([]core.Actor, len(subs))
	for i, s := range subs {
		actors[i] = s.currentActor()
	}
	cctx, cancel := context.WithTimeout(ctx, h.opts.Timeout)
	au, err := h.svc.Audience(cctx, actors, calls)
	cancel()
	if err != nil {
		// Nobody loses the batch: each subscriber reads it from the store,
		// as it sees it, when the database answers again.
		h.log.Warn("feed: deciding who sees new changes failed; subscribers read them from the store", "error", err)
		for _, s := range subs {
			s.rewind(end)
		}
		return
	}
	// A user's view of a batch is the same for all their subscriptions.
	views := map[core.KeyID][]*core.Change{}
	for i, s := range subs {
		now, ok := au.Follower(actors[i])
		if !ok {
			s.end(ReasonUnauthenticated)
			continue
		}
		s.setActor(now)
		view, done := views[now.Key()]
		if !done {
			view = make([]*core.Change, len(batch))
			for j := range batch {
				view[j] = au.Change(now, &batch[j])
			}
			views[now.Key()] = view
		}
		var list []*core.Change
		lost := false
		for j, fc := range batch {
			if f := s.filter.CallUUID; f != nil && *f != fc.CallUUID {
				continue
			}
			if view[j] == nil {
				// Invisible changes are not delivered; the call a
				// subscription follows no longer being visible ends it.
				lost = s.filter.CallUUID != nil
				if lost {
					break
				}
				continue
			}
			list = append(list, view[j])
		}
		if lost {
			s.end(ReasonNotFound)
			continue
		}
		s.push(list, end)
	}
}

// recheck ends the subscriptions whose key is no longer valid, or whose
// call is no longer visible, even if no change came for them.
func (h *Hub) recheck(ctx context.Context) {
	h.mu.Lock()
	subs := make([]*sub, 0, len(h.subs))
	for s := range h.subs {
		subs = append(subs, s)
	}
	h.mu.Unlock()
	if len(subs) == 0 {
		return
	}
	for start := 0; start < len(subs); start += core.MaxAudience {
		chunk := subs[start:min(start+core.MaxAudience, len(subs))]
		actors := make([]core.Actor, len(chunk))
		var calls []uuid.UUID
		seen := map[uuid.UUID]bool{}
		for i, s := range chunk {
			actors[i] = s.currentActor()
			if f := s.filter.CallUUID; f != nil && !seen[*f] {
				seen[*f] = true
				calls = append(calls, *f)
			}
		}
		cctx, cancel := context.WithTimeout(ctx, h.opts.Timeout)
		au, err := h.svc.Audience(cctx, actors, calls)
		cancel()
		if err != nil {
			h.log.Warn("feed: re-checking subscribers failed; trying at the next interval", "error", err)
			return
		}
		for i, s := range chunk {
			now, ok := au.Follower(actors[i])
			switch {
			case !ok:
				s.end(ReasonUnauthenticated)
			case s.filter.CallUUID != nil && !au.Sees(now, *s.filter.CallUUID):
				s.end(ReasonNotFound)
			default:
				s.setActor(now)
			}
		}
	}
}

// Close ends every connection and subscription and stops the hub; new ones
// are refused. WebSocket connections are told through their Conn's
// shutdown function first, so that they close as a whole.
func (h *Hub) Close() {
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		return
	}
	h.closed = true
	close(h.quit)
	conns := make([]*Conn, 0, len(h.conns))
	for c := range h.conns {
		conns = append(conns, c)
	}
	subs := make([]*sub, 0, len(h.subs))
	for s := range h.subs {
		subs = append(subs, s)
	}
	h.mu.Unlock()
	for _, c := range conns {
		if c.onShutdown != nil {
			c.onShutdown()
		}
	}
	for _, s := range subs {
		s.end(ReasonShutdown)
	}
}

// waitReady waits until the hub knows where the feed ends.
func (h *Hub) waitReady(ctx context.Context) error {
	select {
	case <-h.ready:
		return nil
	default:
	}
	t := time.NewTimer(h.opts.Timeout)
	defer t.Stop()
	select {
	case <-h.ready:
		return nil
	case <-h.quit:
		return ErrShuttingDown
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return &core.Error{Kind: core.KindUnavailable, Message: core.MsgUnavailable}
	}
}

// errClosedConn refuses a subscription on a connection that is closing.
var errClosedConn = &core.Error{Kind: core.KindUnavailable, Message: "The connection is closing."}

// Active is how many subscriptions the hub serves now.
func (h *Hub) Active() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.subs)
}

// Connections is how many connections the hub serves now.
func (h *Hub) Connections() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.conns)
}
