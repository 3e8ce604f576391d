package cli

import (
	"runtime/debug"
	"testing"
)

// serve's collector settings apply where the environment sets none, and yield to it where it
// does.
func TestTuneGC(t *testing.T) {
	oldPercent, oldLimit := debug.SetGCPercent(100), debug.SetMemoryLimit(-1)
	t.Cleanup(func() { debug.SetGCPercent(oldPercent); debug.SetMemoryLimit(oldLimit) })

	t.Setenv("GOGC", "")
	t.Setenv("GOMEMLIMIT", "")
	tuneGC()
	if got := debug.SetGCPercent(100); got != serverGCPercent {
		t.Errorf("GOGC unset: GC percent %d, want %d", got, serverGCPercent)
	}
	if got := debug.SetMemoryLimit(-1); got != serverMemoryLimit {
		t.Errorf("GOMEMLIMIT unset: memory limit %d, want %d", got, serverMemoryLimit)
	}

	debug.SetMemoryLimit(1 << 40)
	t.Setenv("GOGC", "150")
	t.Setenv("GOMEMLIMIT", "1TiB")
	tuneGC()
	if got := debug.SetGCPercent(100); got != 100 {
		t.Errorf("GOGC set: tuneGC changed the GC percent to %d", got)
	}
	if got := debug.SetMemoryLimit(-1); got != 1<<40 {
		t.Errorf("GOMEMLIMIT set: tuneGC changed the memory limit to %d", got)
	}
}
