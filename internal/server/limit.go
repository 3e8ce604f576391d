package server

import (
	"net"
	"net/http"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// sourceLimiter gives every source address its own token bucket, so that one client hammering
// the token API cannot starve the others. Buckets idle for a while are dropped.
type sourceLimiter struct {
	limit rate.Limit
	burst int

	mu      sync.Mutex
	buckets map[string]*bucket
	swept   time.Time
}

type bucket struct {
	lim  *rate.Limiter
	seen time.Time
}

// idleBucket is how long a source's bucket outlives its last request.
const idleBucket = 10 * time.Minute

func newSourceLimiter(perSecond float64, burst int) *sourceLimiter {
	if perSecond <= 0 {
		return nil
	}
	return &sourceLimiter{limit: rate.Limit(perSecond), burst: max(burst, 1), buckets: make(map[string]*bucket)}
}

// allow takes a token from the bucket of r's source. A nil limiter allows everything.
func (l *sourceLimiter) allow(r *http.Request, now time.Time) bool {
	if l == nil {
		return true
	}
	src, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		src = r.RemoteAddr
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if now.Sub(l.swept) > idleBucket {
		for k, b := range l.buckets {
			if now.Sub(b.seen) > idleBucket {
				delete(l.buckets, k)
			}
		}
		l.swept = now
	}
	b := l.buckets[src]
	if b == nil {
		b = &bucket{lim: rate.NewLimiter(l.limit, l.burst)}
		l.buckets[src] = b
	}
	b.seen = now
	return b.lim.AllowN(now, 1)
}
