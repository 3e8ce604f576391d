// Package limit owns the server's token buckets: a bounded table of buckets by key (used for
// AWS's emulated quotas and for the per-source limits) and the per-source limiter, which keys
// a request by its address (an IPv6 source by its /64). It answers nothing itself.
package limit

import (
	"encoding/binary"
	"math"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"time"
)

// tokenBucket holds up to burst tokens and gains rate of them a second; a request takes one.
type tokenBucket struct {
	tokens, rate, burst float64
	last                time.Time
}

func newTokenBucket(now time.Time, rate, burst float64) *tokenBucket {
	return &tokenBucket{tokens: burst, rate: rate, burst: burst, last: now}
}

// take takes a token at now, or says how long until one is there.
func (b *tokenBucket) take(now time.Time) (bool, time.Duration) {
	// A clock that went back refills nothing (and never drains a bucket).
	if elapsed := now.Sub(b.last); elapsed > 0 {
		b.tokens = min(b.burst, b.tokens+elapsed.Seconds()*b.rate)
		b.last = now
	}
	if b.tokens >= 1 {
		b.tokens--
		return true, 0
	}
	return false, time.Duration((1 - b.tokens) / b.rate * float64(time.Second))
}

// full says whether the bucket has refilled by now: from then on it is no different from a
// bucket never used, and can be dropped.
func (b *tokenBucket) full(now time.Time) bool {
	return b.tokens+now.Sub(b.last).Seconds()*b.rate >= b.burst
}

// Bounds of a Table's memory. A full table is swept of buckets that have refilled (which
// loses nothing: a full bucket is a new bucket) at most once per sweepGap; while it stays
// full, new keys share one overflow bucket, so a flood of distinct keys (spoofed-looking
// sources, IPv6 addresses) costs a fixed amount of memory and cannot reset the buckets of the
// keys already in the table.
const (
	MaxBuckets = 1 << 16
	sweepGap   = time.Second
	sweepEvery = time.Minute
)

// Table is a set of token buckets by key, bounded to MaxBuckets.
type Table[K comparable] struct {
	mu       sync.Mutex
	buckets  map[K]*tokenBucket
	overflow *tokenBucket
	swept    time.Time
	// max is MaxBuckets; tests lower it.
	max int
}

func NewTable[K comparable]() *Table[K] {
	return &Table[K]{buckets: make(map[K]*tokenBucket), max: MaxBuckets}
}

// Take takes a token from key's bucket at now; a new key's bucket has this rate and burst.
func (t *Table[K]) Take(key K, now time.Time, rate, burst float64) (bool, time.Duration) {
	t.mu.Lock()
	b := t.buckets[key]
	if b == nil {
		b = t.add(key, now, rate, burst)
	}
	ok, wait := b.take(now)
	t.mu.Unlock()
	return ok, wait
}

// add makes key's bucket, or hands out the overflow bucket when the table is full.
func (t *Table[K]) add(key K, now time.Time, rate, burst float64) *tokenBucket {
	if now.Sub(t.swept) >= sweepEvery || len(t.buckets) >= t.max && now.Sub(t.swept) >= sweepGap {
		t.sweep(now)
	}
	if len(t.buckets) >= t.max {
		if t.overflow == nil {
			t.overflow = newTokenBucket(now, rate, burst)
		}
		return t.overflow
	}
	b := newTokenBucket(now, rate, burst)
	t.buckets[key] = b
	return b
}

func (t *Table[K]) sweep(now time.Time) {
	for k, b := range t.buckets {
		if b.full(now) {
			delete(t.buckets, k)
		}
	}
	t.swept = now
}

// Size is how many keys have a bucket of their own.
func (t *Table[K]) Size() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.buckets)
}

// Sources gives every source address its own token bucket, so that one client hammering
// the server cannot starve the others. An IPv6 source is its /64, the block one host is
// usually given, so that walking the addresses of a block gains nothing.
type Sources struct {
	rate, burst float64
	table       *Table[source]
}

// source is a source's key: an IPv6 address's first 64 bits, or an IPv4 address in the
// reserved block 0:ffff::/32, where no IPv6 source can be. A uint64 is the cheapest map key.
type source uint64

// NewSources returns a limiter of perSecond requests and burst above it per source; nil,
// which allows everything, for a rate of 0.
func NewSources(perSecond float64, burst int) *Sources {
	if !(perSecond > 0) {
		return nil
	}
	return &Sources{rate: perSecond, burst: float64(max(burst, 1)), table: NewTable[source]()}
}

// Allow takes a token from the bucket of r's source. A nil limiter allows everything.
func (l *Sources) Allow(r *http.Request, now time.Time) bool {
	ok, _ := l.Admit(r, now)
	return ok
}

// Admit takes a token from the bucket of r's source, or says how long until it has one.
func (l *Sources) Admit(r *http.Request, now time.Time) (bool, time.Duration) {
	if l == nil {
		return true, 0
	}
	return l.table.Take(sourceOf(r.RemoteAddr), now, l.rate, l.burst)
}

// sourceOf is the key of a remote address: the IP, an IPv6 address's /64. Addresses that do
// not parse (a Unix socket's) share the zero key. It runs on every request: an IPv4 address
// with its port, what net/http's RemoteAddr nearly always is, is read by hand, at a fraction
// of netip's cost.
func sourceOf(remoteAddr string) source {
	host := remoteAddr
	if strings.HasPrefix(host, "[") {
		if end := strings.IndexByte(host, ']'); end > 0 {
			host = host[1:end]
		}
	} else if i := strings.IndexByte(host, ':'); i >= 0 && strings.LastIndexByte(host, ':') == i {
		host = host[:i]
	}
	if v4, ok := parseIPv4(host); ok {
		return 0xffff<<32 | source(v4)
	}
	a, err := netip.ParseAddr(host)
	if err != nil {
		return 0
	}
	if a = a.Unmap(); a.Is4() {
		return 0xffff<<32 | source(binary.BigEndian.Uint32(a.AsSlice()))
	}
	v6 := a.As16()
	return source(binary.BigEndian.Uint64(v6[:8]))
}

// parseIPv4 reads a dotted quad.
func parseIPv4(s string) (uint32, bool) {
	var v, part uint32
	dots, digits := 0, 0
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= '0' && c <= '9':
			part = part*10 + uint32(c-'0')
			if digits++; digits > 3 || part > 255 {
				return 0, false
			}
		case c == '.' && digits > 0 && dots < 3:
			v, part, digits = v<<8|part, 0, 0
			dots++
		default:
			return 0, false
		}
	}
	if dots != 3 || digits == 0 {
		return 0, false
	}
	return v<<8 | part, true
}

// RetryAfter sets Retry-After to wait in whole seconds, at least one.
func RetryAfter(w http.ResponseWriter, wait time.Duration) {
	secs := int64(math.Ceil(wait.Seconds()))
	w.Header().Set("Retry-After", strconv.FormatInt(max(secs, 1), 10))
}
