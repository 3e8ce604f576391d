package awscli

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/connectfed/connectfed/internal/awscli/pyvalue"
)

// Checks and conversions of global options, with AWS CLI v2's messages and codes.

// DefaultTimeout is AWS CLI v2's connect and read timeout.
const DefaultTimeout = 60 * time.Second

// Timeout converts --cli-read-timeout ("read") or --cli-connect-timeout ("connect"): whole
// seconds, 0 for none, DefaultTimeout when not given.
func Timeout(kind, value string, given bool) (time.Duration, error) {
	if !given {
		return DefaultTimeout, nil
	}
	n, err := strconv.Atoi(strings.ReplaceAll(strings.TrimSpace(value), "_", ""))
	if err != nil {
		return 0, &Error{Code: ExitGeneral, Message: "invalid literal for int() with base 10: " + pyvalue.ReprString(value)}
	}
	if n < 0 {
		return 0, &Error{Code: ExitGeneral, Message: fmt.Sprintf(
			"Attempted to set %s timeout to %d, but the timeout cannot be set to a value less than or equal to 0.", kind, n)}
	}
	return time.Duration(n) * time.Second, nil
}

// CheckEndpointURL refuses an --endpoint-url without a scheme, as AWS CLI v2 does.
func CheckEndpointURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return &Error{Code: ExitGeneral, Message: strings.TrimPrefix(err.Error(), "parse "+strconv.Quote(raw)+": ")}
	}
	if u.Scheme == "" {
		return paramErrorf("Bad value for --endpoint-url \"%s\": scheme is missing.  Must be of the form "+
			"http://<hostname>/ or https://<hostname>/", raw)
	}
	return nil
}

// CheckRegion refuses a region botocore would not put in a host name
// (^[a-zA-Z0-9](?:[a-zA-Z0-9\-]{0,61}[a-zA-Z0-9])?$).
func CheckRegion(region string) error {
	ok := len(region) >= 1 && len(region) <= 63
	for i := 0; ok && i < len(region); i++ {
		c := region[i]
		alnum := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
		ok = alnum || (c == '-' && i > 0 && i < len(region)-1)
	}
	if !ok {
		return &Error{Code: ExitGeneral, Message: fmt.Sprintf("Provided region_name %s doesn't match a supported format.", pyvalue.ReprString(region))}
	}
	return nil
}

// Colorize says whether the table is coloured: --color on, or auto on a terminal.
func Colorize(color string, terminal bool) bool {
	return color == "on" || (color == "auto" && terminal)
}
