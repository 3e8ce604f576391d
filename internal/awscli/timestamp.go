package awscli

import (
	"fmt"
	"math"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/connectfed/connectfed/internal/awscli/pyvalue"
)

// LocalZone is the zone AWS CLI v2 prints timestamps in: the local one, as the C library finds
// it from TZ. It reads TZ at each call rather than trusting time.Local, which Go fixes once per
// process, so that a program (or a test) that changes TZ sees the CLI follow it.
func LocalZone() *time.Location {
	tz, ok := os.LookupEnv("TZ")
	if !ok {
		return time.Local
	}
	tz = strings.TrimPrefix(tz, ":")
	if tz == "" || tz == "UTC" {
		return time.UTC
	}
	loc, err := time.LoadLocation(tz)
	if err != nil {
		// The C library, and so Python, falls back to UTC for a zone it cannot load.
		return time.UTC
	}
	return loc
}

// isoTimestamp formats a restJson1 timestamp (a JSON number of epoch seconds) as AWS CLI v2 does
// by default: Python's datetime.fromtimestamp(value, tzlocal()).isoformat(), that is
// 2026-01-01T09:30:00+01:00, with microseconds only when there are any.
func isoTimestamp(number string, loc *time.Location) (string, error) {
	var sec, usec int64
	if pyvalue.IsIntLiteral(number) {
		n, err := strconv.ParseInt(number, 10, 64)
		if err != nil {
			return "", fmt.Errorf("timestamp out of range for platform time_t")
		}
		sec = n
	} else {
		f, err := strconv.ParseFloat(number, 64)
		if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
			return "", fmt.Errorf("Invalid timestamp %q", number)
		}
		// Python splits off the fraction and rounds it to microseconds, halves to even.
		whole, frac := math.Modf(f)
		us := math.RoundToEven(frac * 1e6)
		if us >= 1e6 {
			us -= 1e6
			whole++
		} else if us < 0 {
			us += 1e6
			whole--
		}
		sec, usec = int64(whole), int64(us)
	}
	t := time.Unix(sec, usec*1000).In(loc)
	if y := t.Year(); y < 1 || y > 9999 {
		return "", fmt.Errorf("year %d is out of range", y)
	}
	return isoformat(t, usec), nil
}

func isoformat(t time.Time, usec int64) string {
	b := make([]byte, 0, 32)
	b = t.AppendFormat(b, "2006-01-02T15:04:05")
	if usec != 0 {
		b = fmt.Appendf(b, ".%06d", usec)
	}
	_, off := t.Zone()
	sign := byte('+')
	if off < 0 {
		sign, off = '-', -off
	}
	b = fmt.Appendf(b, "%c%02d:%02d", sign, off/3600, off/60%60)
	if off%60 != 0 {
		b = fmt.Appendf(b, ":%02d", off%60)
	}
	return string(b)
}
