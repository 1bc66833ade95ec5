// Package opstest helps tests read what the service logs and prints.
package opstest

import (
	"bytes"
	"log/slog"
	"sync"
)

// Buffer is a bytes.Buffer that the server's goroutines may write while a
// test reads it.
type Buffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *Buffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *Buffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// Logger returns a logger writing text lines into a new Buffer.
func Logger() (*slog.Logger, *Buffer) {
	buf := &Buffer{}
	return slog.New(slog.NewTextHandler(buf, nil)), buf
}
