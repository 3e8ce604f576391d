package sigv4

import (
	"errors"
	"testing"
	"time"
)

var amzDateCases = []string{
	"20150830T123600Z", "20000229T000000Z", "19000229T000000Z", "20240229T235959Z", "20230229T000000Z",
	"20150431T000000Z", "20151301T000000Z", "20150001T000000Z", "20150100T000000Z", "20150830T240000Z",
	"20150830T126000Z", "20150830T123660Z", "20150830T123600", "20150830 123600Z", "2015083OT123600Z",
	"+0150830T123600Z", "20150830T123600Z0", "", "00000101T000000Z", "99991231T235959Z", "20150830t123600z",
	"00000110T000000,0Z", "20150830T123600.5Z", // fractional seconds: time.Parse takes them, X-Amz-Date has none
}

// parseAmzDate accepts what time.Parse accepts for the layout, and reads the same instant, except
// for the fractional seconds that time.Parse takes after any seconds field ("…05,5Z"): X-Amz-Date
// is the fixed-width basic format, and a signer never sends them.
func TestParseAmzDateIsTimeParse(t *testing.T) {
	for _, v := range amzDateCases {
		checkAmzDate(t, v)
	}
}

func FuzzParseAmzDate(f *testing.F) {
	for _, v := range amzDateCases {
		f.Add(v)
	}
	f.Fuzz(checkAmzDate)
}

var errFractionalSeconds = errors.New("fractional seconds")

func checkAmzDate(t *testing.T, v string) {
	want, err := time.Parse(amzDateFmt, v)
	if err == nil && len(v) != len(amzDateFmt) {
		err = errFractionalSeconds
	}
	got, ok := parseAmzDate(v)
	if ok != (err == nil) || ok && !got.Equal(want) {
		t.Fatalf("parseAmzDate(%q) = %v, %v; time.Parse: %v, %v", v, got, ok, want, err)
	}
}
