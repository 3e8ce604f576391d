package awscli

import (
	"encoding/json"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

func TestISOTimestamp(t *testing.T) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Skip("no time zone database")
	}
	for _, c := range []struct {
		number string
		loc    *time.Location
		want   string
	}{
		{"1767225600", time.UTC, "2026-01-01T00:00:00+00:00"},
		{"1767225600.0", time.UTC, "2026-01-01T00:00:00+00:00"},
		{"1767225600.123", time.UTC, "2026-01-01T00:00:00.123000+00:00"},
		{"1767225600.0000005", time.UTC, "2026-01-01T00:00:00+00:00"},
		{"1767225600.9999996", time.UTC, "2026-01-01T00:00:01+00:00"},
		{"1767225600", berlin, "2026-01-01T01:00:00+01:00"},
		{"1782864000", berlin, "2026-07-01T02:00:00+02:00"},
		{"-1.5", time.UTC, "1969-12-31T23:59:58.500000+00:00"},
	} {
		got, err := isoTimestamp(c.number, c.loc)
		if err != nil || got != c.want {
			t.Errorf("isoTimestamp(%s, %v) = %q, %v; want %q", c.number, c.loc, got, err, c.want)
		}
	}
}

// TestISOTimestampMatchesPython compares with what AWS CLI v2 computes,
// datetime.fromtimestamp(value, dateutil.tz.tzlocal()).isoformat(), in several zones.
func TestISOTimestampMatchesPython(t *testing.T) {
	if _, err := os.Stat("/usr/lib/python3/dist-packages/awscli"); err != nil {
		t.Skip("AWS CLI v2's Python sources are not installed: skipping the cross-check")
	}
	numbers := []string{"1767225600", "1767225600.123", "1795445009.5", "1795445009.000001", "1782864000.25", "0", "951782400.999999"}
	for _, zone := range []string{"UTC", "Europe/Berlin", "America/St_Johns", "Asia/Kolkata"} {
		cmd := exec.Command("/usr/bin/python3", "-c", `
import json, sys, datetime
from dateutil.tz import tzlocal
out = []
for n in json.load(sys.stdin):
    v = json.loads(n)
    out.append(datetime.datetime.fromtimestamp(v, tzlocal()).isoformat())
json.dump(out, sys.stdout)`)
		in, _ := json.Marshal(numbers)
		cmd.Stdin = strings.NewReader(string(in))
		cmd.Env = append(os.Environ(), "TZ="+zone, "PYTHONPATH=/usr/lib/python3/dist-packages")
		raw, err := cmd.Output()
		if err != nil {
			t.Skipf("python: %v", err)
		}
		var want []string
		if err := json.Unmarshal(raw, &want); err != nil {
			t.Fatal(err)
		}
		t.Setenv("TZ", zone)
		for i, n := range numbers {
			got, err := isoTimestamp(n, LocalZone())
			if err != nil || got != want[i] {
				t.Errorf("TZ=%s %s: got %q, %v; Python %q", zone, n, got, err, want[i])
			}
		}
	}
}
