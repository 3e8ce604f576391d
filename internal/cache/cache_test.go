package cache

import (
	"testing"
	"time"
)

func TestTTL(t *testing.T) {
	c := New[string, int](time.Minute)
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	c.Put("a", 1, t0)
	c.Put("b", 2, t0)
	if v, ok := c.Get("a", t0.Add(59*time.Second)); !ok || v != 1 {
		t.Errorf("Get within the TTL = %d, %v", v, ok)
	}
	if _, ok := c.Get("a", t0.Add(time.Minute)); ok {
		t.Errorf("an entry outlived its TTL")
	}
	if _, ok := c.Get("a", t0.Add(-time.Second)); ok {
		t.Errorf("an entry put in the future of the clock was trusted")
	}
	c.Delete("a")
	if _, ok := c.Get("a", t0); ok {
		t.Errorf("Delete left the entry")
	}
	c.Put("c", 3, t0)
	c.DeleteFunc(func(k string, v int) bool { return v == 3 })
	if _, ok := c.Get("c", t0); ok {
		t.Errorf("DeleteFunc left a matching entry")
	}
	if _, ok := c.Get("b", t0); !ok {
		t.Errorf("DeleteFunc removed an entry that did not match")
	}
	c.Put("d", 4, t0.Add(time.Minute))
	c.Prune(t0.Add(time.Minute))
	if _, ok := c.Get("b", t0); ok {
		t.Errorf("Prune kept an expired entry")
	}
	if _, ok := c.Get("d", t0.Add(time.Minute)); !ok {
		t.Errorf("Prune dropped a live entry")
	}
}

// Fill keeps a value only if nothing was forgotten since the version taken before it was read:
// a read that raced a change must not outlive the change's Delete.
func TestFillRefusesWhatARaceRead(t *testing.T) {
	c := New[string, int](time.Minute)
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	v := c.Version()
	c.Fill(v, "a", 1, t0)
	if got, ok := c.Get("a", t0); !ok || got != 1 {
		t.Fatalf("Fill with nothing forgotten since: %d, %v", got, ok)
	}
	for name, forget := range map[string]func(){
		"Delete":     func() { c.Delete("a") },
		"DeleteFunc": func() { c.DeleteFunc(func(string, int) bool { return false }) },
		"Clear":      func() { c.Clear() },
	} {
		v := c.Version()
		forget() // the change, while the value was being read
		c.Fill(v, "b", 2, t0)
		if _, ok := c.Get("b", t0); ok {
			t.Errorf("Fill after a %s since its version kept the value", name)
		}
	}
}
