package coretest

import (
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/callcfg/callcfg/db"
)

// Clock is a clock that moves only when a test says, for core.WithClock:
// locks, key lifetimes and rate limits then expire without waiting.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

func NewClock() *Clock { return &Clock{t: db.Now()} }

func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// Comparer is a core.LoginPolicy.Compare that runs bcrypt and counts: the
// comparisons made, and the most that ran at once. With Hold set, each
// comparison first sends on Entered and then waits until Hold is closed or
// receives, so a test can keep a bcrypt slot busy.
type Comparer struct {
	calls, running, most atomic.Int64

	Entered chan struct{}
	Hold    chan struct{}
}

func (c *Comparer) Compare(hash, password []byte) error {
	c.calls.Add(1)
	n := c.running.Add(1)
	defer c.running.Add(-1)
	for m := c.most.Load(); n > m && !c.most.CompareAndSwap(m, n); m = c.most.Load() {
	}
	if c.Hold != nil {
		c.Entered <- struct{}{}
		<-c.Hold
	}
	return bcrypt.CompareHashAndPassword(hash, password)
}

// Calls is how many comparisons were made.
func (c *Comparer) Calls() int64 { return c.calls.Load() }

// Most is the largest number of comparisons that ran at once.
func (c *Comparer) Most() int64 { return c.most.Load() }
