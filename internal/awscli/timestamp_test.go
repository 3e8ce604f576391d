package awscli

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
	_ "time/tzdata" // the zones of these tests, on a machine without a zone database
)

func TestISOTimestamp(t *testing.T) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err) // time/tzdata is linked in: every zone is there
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
// datetime.fromtimestamp(value, dateutil.tz.tzlocal()).isoformat(), in several zones: with the
// goldens recorded from it in testdata/timestamps/ZONE (re-recorded with
// CONNECTFED_RECORD_GOLDEN=1, as the format goldens are), and with Python itself where AWS
// CLI v2's sources are installed.
func TestISOTimestampMatchesPython(t *testing.T) {
	numbers := []string{"1767225600", "1767225600.123", "1795445009.5", "1795445009.000001", "1782864000.25", "0", "951782400.999999"}
	record := os.Getenv("CONNECTFED_RECORD_GOLDEN") != ""
	for _, zone := range []string{"UTC", "Europe/Berlin", "America/St_Johns", "Asia/Kolkata"} {
		live, liveErr := pythonTimestamps(numbers, zone)
		if record && liveErr != nil {
			t.Fatalf("recording the goldens needs AWS CLI v2's Python: %v", liveErr)
		}
		path := filepath.Join("testdata", "timestamps", strings.ReplaceAll(zone, "/", "-"))
		if record {
			must(t, os.MkdirAll(filepath.Dir(path), 0o755))
			must(t, os.WriteFile(path, []byte(strings.Join(live, "\n")+"\n"), 0o644))
		}
		golden, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("no golden for %s: %v", zone, err)
		}
		want := strings.Split(strings.TrimSuffix(string(golden), "\n"), "\n")
		if len(want) != len(numbers) {
			t.Fatalf("%s holds %d timestamps, want %d", path, len(want), len(numbers))
		}
		t.Setenv("TZ", zone)
		for i, n := range numbers {
			got, err := isoTimestamp(n, LocalZone())
			if err != nil || got != want[i] {
				t.Errorf("TZ=%s %s: got %q, %v; AWS CLI v2 %q", zone, n, got, err, want[i])
			}
			if live != nil && live[i] != want[i] {
				t.Errorf("TZ=%s %s: Python now prints %q, the golden holds %q: re-record", zone, n, live[i], want[i])
			}
		}
	}
}

// pythonTimestamps is what AWS CLI v2's Python makes of numbers in zone.
func pythonTimestamps(numbers []string, zone string) ([]string, error) {
	if _, err := os.Stat("/usr/lib/python3/dist-packages/awscli"); err != nil {
		return nil, err
	}
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
		return nil, err
	}
	var out []string
	return out, json.Unmarshal(raw, &out)
}
