package sigv4

import (
	"strings"
	"testing"

	"github.com/connectfed/connectfed/internal/apierr"
)

// The credential scope's region becomes part of ARNs, store keys and tokens (whose fields hold
// at most 128 bytes): a region that is not a DNS label is refused before anything reads it.
// Before, a 200-byte region created instances whose GetFederationToken failed with a 500, and
// a region of bytes that are not UTF-8 failed every PostgreSQL query with a 500.
func TestRegionMustBeAName(t *testing.T) {
	for _, region := range []string{"us-east-1", "eu-west-2", "local", "US-EAST-1", strings.Repeat("r", 63)} {
		if !isRegionName(region) {
			t.Errorf("%q refused", region)
		}
	}
	for _, region := range []string{"", strings.Repeat("r", 64), strings.Repeat("us-east-1", 30), "us-\xff-1", "us east 1",
		"us-east-1:evil", "..", "us_east_1", "us-east-1\x00"} {
		r := newRequest(t, "GET", "https://connect.us-east-1.amazonaws.com/user/federate/x", nil)
		r.Header.Set("X-Amz-Date", "20260102T030405Z")
		r.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20260102/"+region+
			"/connect/aws4_request, SignedHeaders=host;x-amz-date, Signature="+strings.Repeat("0", 64))
		_, err := Parse(r)
		if !apierr.Is(err, apierr.IncompleteSignature) || apierr.Of(err).Text() != "Credential should be scoped to a valid region." {
			t.Errorf("region %q: %v", region, err)
		}
	}
}
