// Package cache owns the small in-process caches that keep the hot path off the database: a
// map with a time-to-live per entry and explicit invalidation. Whoever changes a record deletes
// its entries at once, and so does every replica that hears of the change; the TTL bounds how
// long a change whose announcement was lost can go unseen. It knows nothing of what it holds.
package cache

import (
	"sync"
	"sync/atomic"
	"time"
)

// TTL maps keys to values that are trusted for a fixed time after they were put.
type TTL[K comparable, V any] struct {
	ttl time.Duration

	mu      sync.RWMutex
	entries map[K]entry[V]
	// forgets counts the Deletes, DeleteFuncs and Clears, under mu: a value read from the
	// database before one of them may be stale, and Fill refuses it (see Version).
	forgets uint64
	// hits and misses count Get's answers, for the metrics.
	hits, misses atomic.Uint64
}

type entry[V any] struct {
	value V
	put   time.Time
}

// New returns a cache whose entries live for ttl.
func New[K comparable, V any](ttl time.Duration) *TTL[K, V] {
	return &TTL[K, V]{ttl: ttl, entries: make(map[K]entry[V])}
}

// Get returns the value of k if it was put less than the TTL before now.
func (c *TTL[K, V]) Get(k K, now time.Time) (V, bool) {
	c.mu.RLock()
	e, ok := c.entries[k]
	c.mu.RUnlock()
	if !ok || now.Sub(e.put) >= c.ttl || now.Before(e.put) {
		c.misses.Add(1)
		var zero V
		return zero, false
	}
	c.hits.Add(1)
	return e.value, true
}

// Len is the number of entries, live or not yet pruned.
func (c *TTL[K, V]) Len() int {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return len(c.entries)
}

// Stats says how many Gets found a live entry, and how many did not.
func (c *TTL[K, V]) Stats() (hits, misses uint64) { return c.hits.Load(), c.misses.Load() }

// Version is the cache's count of forgettings, to take before reading a value that a miss
// asks for and to give to Fill with it.
func (c *TTL[K, V]) Version() uint64 {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.forgets
}

// Fill stores v under k as of now, as Put does, unless something was forgotten since version:
// a read that raced a change may have fetched the value before the change and be filling it
// after the change's Delete, which would keep it stale until the TTL. Such a value is answered
// by the caller and not kept. Any forgetting counts, not only k's: rare, and simple to get
// right.
func (c *TTL[K, V]) Fill(version uint64, k K, v V, now time.Time) {
	c.mu.Lock()
	if c.forgets == version {
		c.entries[k] = entry[V]{value: v, put: now}
	}
	c.mu.Unlock()
}

// Put stores v under k as of now.
func (c *TTL[K, V]) Put(k K, v V, now time.Time) {
	c.mu.Lock()
	c.entries[k] = entry[V]{value: v, put: now}
	c.mu.Unlock()
}

// Delete forgets k.
func (c *TTL[K, V]) Delete(k K) {
	c.mu.Lock()
	delete(c.entries, k)
	c.forgets++
	c.mu.Unlock()
}

// DeleteFunc forgets every entry for which match is true, for changes that touch entries the
// caller cannot name one by one (a deleted instance and all of its users).
func (c *TTL[K, V]) DeleteFunc(match func(K, V) bool) {
	c.mu.Lock()
	for k, e := range c.entries {
		if match(k, e.value) {
			delete(c.entries, k)
		}
	}
	c.forgets++
	c.mu.Unlock()
}

// Clear forgets every entry, for when changes may have been missed.
func (c *TTL[K, V]) Clear() {
	c.mu.Lock()
	clear(c.entries)
	c.forgets++
	c.mu.Unlock()
}

// Prune drops entries that have outlived the TTL, so keys that are never asked for again do
// not pile up.
func (c *TTL[K, V]) Prune(now time.Time) {
	c.mu.Lock()
	for k, e := range c.entries {
		if now.Sub(e.put) >= c.ttl {
			delete(c.entries, k)
		}
	}
	c.mu.Unlock()
}
