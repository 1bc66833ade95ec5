package core

import (
	"context"
	"net/netip"
	"runtime"
	"sync/atomic"
	"time"

	lru "github.com/hashicorp/golang-lru/v2"
	"golang.org/x/crypto/bcrypt"
	"golang.org/x/sync/semaphore"
	"golang.org/x/time/rate"

	"github.com/callcfg/callcfg/db"
)

// LoginPolicy is how /api-auth/password/ resists password guessing and how
// long the keys it issues live. Start from DefaultLoginPolicy and change
// what differs.
type LoginPolicy struct {
	// ClientRate (attempts per second) and ClientBurst bound the logins of
	// one client address (an IPv6 client by its /64). The buckets live in
	// each replica, in an LRU of at most Clients addresses: with n
	// replicas a client gets up to n times the rate. ClientRate 0 turns
	// the limit off.
	ClientRate  float64
	ClientBurst int
	Clients     int

	// A username may fail FreeFailures times in a row; each further
	// failure locks it for LockBase, doubling with every failure up to
	// LockMax. A login while locked is refused without checking the
	// password, even the right one. The count is kept in the database, so
	// every replica sees it, and is forgotten after ForgetAfter without a
	// failure or at the next success. LockBase 0 turns locking off.
	FreeFailures int
	LockBase     time.Duration
	LockMax      time.Duration
	ForgetAfter  time.Duration

	// At most BcryptSlots password checks run at once in a replica, so
	// logins cannot starve the API of CPU; a login that waits longer than
	// BcryptWait for a slot is throttled.
	BcryptSlots int
	BcryptWait  time.Duration

	// TokenTTL is the lifetime of a key issued by a login (0: no expiry);
	// a user keeps at most MaxKeys live login keys, the oldest being
	// revoked by a new login (0: no cap). Keys made with the CLI are
	// neither limited nor counted.
	TokenTTL time.Duration
	MaxKeys  int

	// Compare checks a password against its bcrypt hash; nil is bcrypt's.
	// Tests wrap it to count and hold comparisons.
	Compare func(hash, password []byte) error
}

// DefaultLoginPolicy is what serve uses unless told otherwise.
func DefaultLoginPolicy() LoginPolicy {
	return LoginPolicy{
		ClientRate: 1, ClientBurst: 10, Clients: 10_000,
		FreeFailures: 5, LockBase: time.Second, LockMax: 15 * time.Minute, ForgetAfter: 24 * time.Hour,
		BcryptSlots: defaultBcryptSlots(), BcryptWait: time.Second,
		TokenTTL: 24 * time.Hour, MaxKeys: 10,
	}
}

// defaultBcryptSlots leaves half the cores to the requests that carry keys.
func defaultBcryptSlots() int { return max(1, runtime.GOMAXPROCS(0)/2) }

// Option adjusts a Service made by New.
type Option func(*Service)

// WithLoginPolicy sets how logins are throttled and what keys they issue.
func WithLoginPolicy(p LoginPolicy) Option {
	return func(s *Service) { s.login = newLoginGuard(p) }
}

// WithRateLimit limits the requests of each API key to perSecond, with
// bursts of burst, in each replica (an LRU of the most recent keys holds the
// buckets). perSecond 0 (the default) turns the limit off.
func WithRateLimit(perSecond float64, burst int) Option {
	return func(s *Service) { s.keyRate = newBuckets[int64](perSecond, burst, maxKeyBuckets) }
}

// WithClock replaces the clock of key lifetimes, locks and rate limits, so
// tests can move time instead of waiting for it.
func WithClock(now func() time.Time) Option {
	return func(s *Service) { s.now = now }
}

// maxKeyBuckets bounds the per-key rate limiter's memory (about 100 bytes a
// key); a key pushed out comes back with a full bucket.
const maxKeyBuckets = 10_000

// buckets holds one token bucket per key in a bounded LRU, so that no number
// of clients or keys can grow it; what is evicted comes back with a full
// bucket. It is purely local, protective state.
type buckets[K comparable] struct {
	limit rate.Limit
	burst int
	cache *lru.Cache[K, *rate.Limiter]
}

// newBuckets returns nil (no limit) when perSecond is not positive.
func newBuckets[K comparable](perSecond float64, burst, size int) *buckets[K] {
	if perSecond <= 0 {
		return nil
	}
	c, err := lru.New[K, *rate.Limiter](max(1, size))
	if err != nil {
		panic(err) // only for a size below 1
	}
	return &buckets[K]{limit: rate.Limit(perSecond), burst: max(1, burst), cache: c}
}

// wait takes a token from k's bucket at now and returns 0, or, when the
// bucket is empty, takes nothing and returns how long until it has one.
func (b *buckets[K]) wait(k K, now time.Time) time.Duration {
	lim, ok := b.cache.Get(k)
	if !ok {
		lim = rate.NewLimiter(b.limit, b.burst)
		if prev, found, _ := b.cache.PeekOrAdd(k, lim); found {
			lim = prev
		}
	}
	if lim.AllowN(now, 1) {
		return 0
	}
	missing := 1 - lim.TokensAt(now)
	return max(time.Nanosecond, time.Duration(missing/float64(b.limit)*float64(time.Second)))
}

// loginGuard applies a LoginPolicy.
type loginGuard struct {
	p       LoginPolicy
	clients *buckets[string]
	bcrypt  *semaphore.Weighted
	// nextSweep (Unix nanoseconds) spaces the deletions of stale failure
	// rows: one replica's sweep is enough for all, and none is urgent.
	nextSweep atomic.Int64
}

// sweepEvery is how often a replica deletes stale failure rows, at most.
const sweepEvery = 10 * time.Minute

func newLoginGuard(p LoginPolicy) *loginGuard {
	p.ClientBurst = max(1, p.ClientBurst)
	if p.Clients <= 0 {
		p.Clients = 10_000
	}
	p.FreeFailures = max(0, p.FreeFailures)
	p.LockMax = max(p.LockMax, p.LockBase)
	// A row must outlive its longest lock, or forgetting it would unlock.
	p.ForgetAfter = max(p.ForgetAfter, p.LockMax, time.Second)
	if p.BcryptSlots <= 0 {
		p.BcryptSlots = defaultBcryptSlots()
	}
	if p.BcryptWait <= 0 {
		p.BcryptWait = time.Second
	}
	p.TokenTTL = max(0, p.TokenTTL)
	p.MaxKeys = max(0, p.MaxKeys)
	if p.Compare == nil {
		p.Compare = bcrypt.CompareHashAndPassword
	}
	return &loginGuard{
		p:       p,
		clients: newBuckets[string](p.ClientRate, p.ClientBurst, p.Clients),
		bcrypt:  semaphore.NewWeighted(int64(p.BcryptSlots)),
	}
}

// clientWait is how long the client at addr must wait before its next
// login; 0 takes one attempt from its bucket.
func (g *loginGuard) clientWait(addr string, now time.Time) time.Duration {
	if g.clients == nil {
		return 0
	}
	return g.clients.wait(clientKey(addr), now)
}

// maxClientKey bounds what a caller that passes no IP address (an
// in-process one) can make the LRU hold.
const maxClientKey = 64

// clientKey is the bucket of an address: an IPv4 address, or the /64 of an
// IPv6 one, the block one subscriber usually holds.
func clientKey(addr string) string {
	ip, err := netip.ParseAddr(addr)
	if err != nil {
		if len(addr) > maxClientKey {
			addr = addr[:maxClientKey]
		}
		return addr
	}
	ip = ip.Unmap().WithZone("")
	if ip.Is6() {
		p, _ := ip.Prefix(64)
		return p.String()
	}
	return ip.String()
}

// lockedUntil is when a username with these failures may try again.
func (g *loginGuard) lockedUntil(f db.LoginFailures) time.Time {
	return f.LastFailure.Add(g.lockFor(f.Failures))
}

// lockFor is the lock after n failures in a row: none for the free ones,
// then LockBase doubling with each failure, up to LockMax.
func (g *loginGuard) lockFor(n int) time.Duration {
	k := n - g.p.FreeFailures
	if k <= 0 || g.p.LockBase <= 0 {
		return 0
	}
	d := g.p.LockBase
	for i := 1; i < k && d < g.p.LockMax; i++ {
		d *= 2
	}
	return min(d, g.p.LockMax)
}

// checkPassword compares password with hash (the dummy hash when there is
// none, so an unknown user costs what a known one does) in one of the
// bounded bcrypt slots.
func (g *loginGuard) checkPassword(ctx context.Context, hash, password string) (bool, error) {
	wait, cancel := context.WithTimeout(ctx, g.p.BcryptWait)
	err := g.bcrypt.Acquire(wait, 1)
	cancel()
	if err != nil {
		if ctx.Err() != nil {
			return false, errInternal(ctx.Err())
		}
		return false, errThrottled(time.Second)
	}
	defer g.bcrypt.Release(1)
	if hash == "" {
		_ = g.p.Compare(dummyHash(), []byte(password))
		return false, nil
	}
	return g.p.Compare([]byte(hash), []byte(password)) == nil, nil
}

// sweepDue says whether this replica should delete stale failure rows now.
func (g *loginGuard) sweepDue(now time.Time) bool {
	next := g.nextSweep.Load()
	return now.UnixNano() >= next && g.nextSweep.CompareAndSwap(next, now.Add(sweepEvery).UnixNano())
}
