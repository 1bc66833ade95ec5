package feed

import (
	"context"
	"strconv"
	"sync"
	"time"

	"github.com/callcfg/callcfg/core"
)

// Conn is one client connection of one API key: a WebSocket with its
// subscriptions, or one Server-Sent Events stream with its one.
type Conn struct {
	hub        *Hub
	key        core.KeyID
	transport  string
	onShutdown func()
	single     bool

	mu     sync.Mutex
	subs   map[*sub]struct{}
	closed bool
}

// Connect opens a connection for a (authenticated with a key) over
// transport, refused when the key has ConnsPerKey connections on this
// replica. onShutdown, when given, is called once if the hub shuts down
// while the connection is open, before its subscriptions end: a WebSocket
// closes itself there. single makes the connection close when its first
// subscription ends (a Server-Sent Events stream).
func (h *Hub) Connect(a core.Actor, transport string, single bool, onShutdown func()) (*Conn, error) {
	if err := a.Require(); err != nil {
		return nil, err
	}
	c := &Conn{hub: h, key: a.Key(), transport: transport, onShutdown: onShutdown, single: single, subs: map[*sub]struct{}{}}
	h.mu.Lock()
	defer h.mu.Unlock()
	switch {
	case h.closed:
		return nil, ErrShuttingDown
	case h.perKey[c.key] >= h.opts.ConnsPerKey:
		return nil, &Error{Reason: ReasonConnectionLimit, Message: "This API key has " + strconv.Itoa(h.opts.ConnsPerKey) +
			" subscription connections open on this server, the most allowed; close one first."}
	}
	h.perKey[c.key]++
	h.conns[c] = struct{}{}
	h.opts.Metrics.ConnectionOpened(transport)
	return c, nil
}

// Close ends the connection's subscriptions (the client went away) and
// frees its place among its key's connections. It may be called more than
// once.
func (c *Conn) Close() {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return
	}
	c.closed = true
	subs := make([]*sub, 0, len(c.subs))
	for s := range c.subs {
		subs = append(subs, s)
	}
	c.mu.Unlock()
	for _, s := range subs {
		s.end(ReasonGone)
	}
	h := c.hub
	h.mu.Lock()
	delete(h.conns, c)
	if h.perKey[c.key]--; h.perKey[c.key] <= 0 {
		delete(h.perKey, c.key)
	}
	h.mu.Unlock()
	h.opts.Metrics.ConnectionClosed(c.transport)
}

// Subscribe starts delivering, on the returned channel, the changes that f
// says, as f.Actor may see them at delivery: first those after f.After
// from the store, then live ones, each once and in feed order. The channel
// closes when the subscription ends: when ctx ends (the client completed
// it or went away), or when the server ends it, after calling onEnd with
// the error to report (nil for an end that is no error, as at shutdown).
func (c *Conn) Subscribe(ctx context.Context, f *core.Following, onEnd func(error)) (<-chan *core.Change, error) {
	h := c.hub
	if err := h.waitReady(ctx); err != nil {
		return nil, err
	}
	s := &sub{
		conn: c, actor: f.Actor, filter: f.Filter, onEnd: onEnd,
		out: make(chan *core.Change), notify: make(chan struct{}, 1), ended: make(chan struct{}),
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return nil, errClosedConn
	}
	if len(c.subs) >= h.opts.SubscriptionsPerConn {
		return nil, &Error{Reason: ReasonSubscriptionLimit, Message: "This connection has " + strconv.Itoa(h.opts.SubscriptionsPerConn) +
			" subscriptions, the most allowed; complete one first or open another connection."}
	}
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		return nil, ErrShuttingDown
	}
	// Everything up to the hub's position has been handed out before this
	// subscriber existed: it reads that part from the store.
	s.anchor = h.pos
	s.after = f.After
	s.caughtUp = !before(f.After, s.anchor)
	first := len(h.subs) == 0
	h.subs[s] = struct{}{}
	h.mu.Unlock()
	if first {
		// An idle hub reads the feed only when it polls: bring its
		// position to the end before the live changes pile up.
		h.Wake()
	}
	c.subs[s] = struct{}{}
	h.opts.Metrics.SubscriptionStarted(c.transport)
	go s.run(ctx, f.After)
	return s.out, nil
}

// sub is one subscription.
type sub struct {
	conn   *Conn
	filter core.ChangeFilter
	onEnd  func(error)
	out    chan *core.Change
	notify chan struct{}
	ended  chan struct{}

	mu sync.Mutex
	// actor is as the last check found it.
	actor core.Actor
	// queue holds live changes after anchor, waiting to be delivered.
	queue []*core.Change
	// anchor: what lies up to it must be read from the store before the
	// queue, unless caughtUp says that was done.
	anchor   core.ChangePosition
	caughtUp bool
	// after is where the subscriber started: what lies up to it is never
	// delivered, so it takes no room in the buffer (an idle hub's first
	// reads hand out what was written before anyone subscribed).
	after   core.ChangePosition
	reason  Reason
	isEnded bool
}

func before(a, b core.ChangePosition) bool {
	return a.Txn < b.Txn || (a.Txn == b.Txn && a.ID < b.ID)
}

func (s *sub) currentActor() core.Actor {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.actor
}

func (s *sub) setActor(a core.Actor) {
	s.mu.Lock()
	s.actor = a
	s.mu.Unlock()
}

func (s *sub) signal() {
	select {
	case s.notify <- struct{}{}:
	default:
	}
}

// push queues a batch's changes that the subscriber may see; end is the
// batch's last position. A subscriber still reading the store cannot be
// too slow: when its buffer overflows it drops the buffer and reads that
// part from the store too.
func (s *sub) push(list []*core.Change, end core.ChangePosition) {
	s.mu.Lock()
	if s.isEnded {
		s.mu.Unlock()
		return
	}
	for len(list) > 0 && !before(s.after, list[0].Position) {
		list = list[1:]
	}
	if len(list) == 0 {
		s.mu.Unlock()
		return
	}
	limit := s.conn.hub.opts.Buffer
	switch {
	case len(s.queue)+len(list) <= limit:
		s.queue = append(s.queue, list...)
	case !s.caughtUp:
		s.queue, s.anchor = nil, end
	default:
		s.mu.Unlock()
		s.end(ReasonTooSlow)
		return
	}
	s.mu.Unlock()
	s.signal()
}

// rewind makes the subscriber read up to end from the store, as the hub
// could not tell it what lies there.
func (s *sub) rewind(end core.ChangePosition) {
	s.mu.Lock()
	s.queue, s.anchor, s.caughtUp = nil, end, false
	s.mu.Unlock()
	s.signal()
}

// end ends the subscription for r; the first reason wins.
func (s *sub) end(r Reason) {
	s.mu.Lock()
	if s.isEnded {
		s.mu.Unlock()
		return
	}
	s.isEnded, s.reason, s.queue = true, r, nil
	s.mu.Unlock()
	close(s.ended)
	if r != ReasonGone {
		s.conn.hub.opts.Metrics.Dropped(s.conn.transport, r.Label())
	}
}

// run delivers until the subscription ends.
func (s *sub) run(ctx context.Context, last core.ChangePosition) {
	c, h := s.conn, s.conn.hub
	defer func() {
		s.end(ReasonGone)
		h.mu.Lock()
		delete(h.subs, s)
		h.mu.Unlock()
		c.mu.Lock()
		delete(c.subs, s)
		c.mu.Unlock()
		h.opts.Metrics.SubscriptionEnded(c.transport)
		if c.single {
			c.Close()
		}
	}()
	stop := context.AfterFunc(ctx, func() { s.end(ReasonGone) })
	defer stop()
	pause := 100 * time.Millisecond
	for {
		s.mu.Lock()
		if s.isEnded {
			r := s.reason
			s.mu.Unlock()
			s.finish(ctx, r)
			return
		}
		if !s.caughtUp {
			target, actor := s.anchor, s.actor
			if !before(last, target) {
				s.caughtUp = true
				s.mu.Unlock()
				continue
			}
			s.mu.Unlock()
			next, err := s.catchUp(ctx, actor, last, target)
			if err != nil {
				if !s.sleep(pause) {
					continue
				}
				pause = min(2*pause, h.opts.Poll)
				continue
			}
			pause = 100 * time.Millisecond
			last = next
			continue
		}
		if len(s.queue) > 0 {
			items := s.queue
			s.queue = nil
			s.mu.Unlock()
			for _, ch := range items {
				if !before(last, ch.Position) {
					continue // read from the store already
				}
				if !s.send(ch) {
					break
				}
				last = ch.Position
			}
			continue
		}
		s.mu.Unlock()
		select {
		case <-s.notify:
		case <-s.ended:
		}
	}
}

// catchUp delivers one page of the changes after last that the actor may
// see, read from the store, and returns where it got to: up to target
// when the page showed everything up to there.
func (s *sub) catchUp(ctx context.Context, a core.Actor, last, target core.ChangePosition) (core.ChangePosition, error) {
	h := s.conn.hub
	cctx, cancel := context.WithTimeout(ctx, h.opts.Timeout)
	page, err := h.svc.VisibleChangesAfter(cctx, a, s.filter, last, core.MaxPageSize)
	cancel()
	if err != nil {
		return last, err
	}
	for _, ch := range page {
		if before(target, ch.Position) {
			// Past what the store must give: the live stream has it.
			return target, nil
		}
		if !s.send(ch) {
			return last, nil
		}
		last = ch.Position
	}
	if len(page) < core.MaxPageSize && before(last, target) {
		last = target
	}
	return last, nil
}

// send hands one change to the client, unless the subscription ends first.
func (s *sub) send(ch *core.Change) bool {
	select {
	case s.out <- ch:
		s.conn.hub.opts.Metrics.Delivered(s.conn.transport)
		return true
	case <-s.ended:
		return false
	}
}

// sleep pauses after a failed read, unless the subscription ends or is
// rewound meanwhile; it reports whether the pause ran its course.
func (s *sub) sleep(d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-s.ended:
		return false
	}
}

// finish tells the client why the server ended the subscription, if it is
// still there to hear it, and closes the channel.
func (s *sub) finish(ctx context.Context, r Reason) {
	if ctx.Err() == nil && s.onEnd != nil {
		s.onEnd(errOf(r, s.conn.hub.opts.Buffer))
	}
	close(s.out)
}

// Single reports whether the connection carries one subscription only.
func (c *Conn) Single() bool { return c.single }
