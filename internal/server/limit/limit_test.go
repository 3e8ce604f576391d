package limit

import (
	"fmt"
	"net/http"
	"net/netip"
	"testing"
	"time"
)

func TestTokenBucket(t *testing.T) {
	t0 := time.Unix(1_700_000_000, 0)
	b := newTokenBucket(t0, 2, 5)
	for i := range 5 {
		if ok, _ := b.take(t0); !ok {
			t.Fatalf("take %d of a burst of 5 refused", i+1)
		}
	}
	ok, wait := b.take(t0)
	if ok || wait != 500*time.Millisecond {
		t.Fatalf("sixth take: %v, wait %s; want refused, 500ms", ok, wait)
	}
	if ok, _ := b.take(t0.Add(500 * time.Millisecond)); !ok {
		t.Fatal("a token should have come back after 500ms")
	}
	if ok, _ := b.take(t0.Add(-time.Hour)); ok {
		t.Fatal("a clock that went back refilled the bucket")
	}
	// Empty at t0+500ms, 5 tokens at 2 a second are back 2.5 s later.
	if full := t0.Add(3 * time.Second); b.full(full.Add(-time.Millisecond)) || !b.full(full) {
		t.Errorf("full too early or too late")
	}
	// Refilled over an hour, the bucket holds its burst, not more.
	later := t0.Add(time.Hour)
	for i := range 6 {
		if ok, _ := b.take(later); ok != (i < 5) {
			t.Fatalf("take %d after an hour: %v", i+1, ok)
		}
	}
}

func TestSourceOf(t *testing.T) {
	same := [][]string{
		{"192.0.2.1:1", "192.0.2.1:2", "[::ffff:192.0.2.1]:3", "192.0.2.1"},
		{"[2001:db8:1:2::1]:1", "[2001:db8:1:2:ffff::9]:2", "[2001:db8:1:2::1%eth0]:3"},
		{"", "@", "not an address"},
	}
	seen := map[source]string{}
	for _, group := range same {
		key := sourceOf(group[0])
		for _, a := range group[1:] {
			if got := sourceOf(a); got != key {
				t.Errorf("%q is %x, %q is %x; want one source", group[0], key, a, got)
			}
		}
		if other, dup := seen[key]; dup {
			t.Errorf("%q and %q share the source %x", group[0], other, key)
		}
		seen[key] = group[0]
	}
	if sourceOf("[2001:db8:1:3::1]:1") == sourceOf("[2001:db8:1:2::1]:1") {
		t.Error("two /64s are one source")
	}
	for _, a := range []string{"192.0.2.1:1", "10.0.0.255:1", "255.255.255.255:1", "0.0.0.0:1"} {
		v4, _ := netip.ParseAddrPort(a)
		if got, want := sourceOf(a), sourceOf("[::ffff:"+v4.Addr().String()+"]:1"); got != want {
			t.Errorf("%s by hand is %x, by netip %x", a, got, want)
		}
	}
	for _, bad := range []string{"256.0.0.1", "1.2.3", "1.2.3.4.5", "1..2.3", "1.2.3.", ".1.2.3", "1.2.3.1000", "a.b.c.d"} {
		if _, ok := parseIPv4(bad); ok {
			t.Errorf("parseIPv4(%q) accepted", bad)
		}
	}
}

// A flood of distinct sources costs a bounded table: past MaxBuckets, new sources share one
// overflow bucket, and the sources already known keep their buckets (a flood cannot refill
// them). Once the flood's buckets have refilled, a sweep drops them.
func TestSourceLimiterBoundedUnderFlood(t *testing.T) {
	l := NewSources(1, 2)
	t0 := time.Unix(1_700_000_000, 0)
	r := &http.Request{RemoteAddr: "192.0.2.1:1000"}
	for range 2 {
		l.Allow(r, t0)
	}
	if l.Allow(r, t0) {
		t.Fatal("the known source's burst of 2 was not spent")
	}
	const flood = 3 * MaxBuckets
	admitted := 0
	for i := range flood {
		fr := &http.Request{RemoteAddr: fmt.Sprintf("[2001:db8:%x:%x::1]:1", i>>16, i&0xffff)}
		if l.Allow(fr, t0.Add(time.Duration(i)*time.Microsecond)) {
			admitted++
		}
	}
	if n := l.table.Size(); n > MaxBuckets {
		t.Fatalf("%d buckets after a flood of %d sources; the bound is %d", n, flood, MaxBuckets)
	}
	// MaxBuckets-1 new sources had buckets of their own; the rest shared the overflow's burst.
	if want := MaxBuckets - 1 + 2; admitted > want+1 {
		t.Errorf("%d flood requests admitted, want about %d", admitted, want)
	}
	if l.Allow(r, t0.Add(time.Second/2)) {
		t.Error("the flood refilled a known source's bucket")
	}
	// Two seconds refill every bucket (burst 2 at 1 a second): a new source gets its own again.
	later := t0.Add(time.Minute)
	fresh := &http.Request{RemoteAddr: "198.51.100.1:1"}
	if !l.Allow(fresh, later) || !l.Allow(fresh, later) || l.Allow(fresh, later) {
		t.Error("after the flood, a new source should have a bucket of its own, with its burst of 2")
	}
	if n := l.table.Size(); n > 2 {
		t.Errorf("%d buckets after the flood's refilled: the sweep kept them", n)
	}
}

// The per-source check on every request: well under a microsecond, no allocation.
func BenchmarkSourceLimiter(b *testing.B) {
	l := NewSources(1e9, 1e9)
	r := &http.Request{RemoteAddr: "127.0.0.1:54321"}
	now := time.Now()
	b.ReportAllocs()
	for b.Loop() {
		if ok, _ := l.Admit(r, now); !ok {
			b.Fatal("refused")
		}
	}
}

func BenchmarkSourceLimiterParallel(b *testing.B) {
	l := NewSources(1e9, 1e9)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		r := &http.Request{RemoteAddr: "127.0.0.1:54321"}
		for pb.Next() {
			l.Admit(r, time.Now())
		}
	})
}
