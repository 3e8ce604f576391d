package awscli

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/connectfed/connectfed/internal/awscli/pyvalue"
)

// --debug output. AWS CLI v2 logs the request with its Authorization header and the response
// body whole, tokens included; this log has the same lines in the same logging format, with
// every secret masked: the request signature, session tokens, cookies, any JSON value whose
// key names a token, secret or password, and the query and fragment of every URL (a SignInUrl
// carries a sign-in token in its query).

const masked = "****"

// DebugLog writes lines as Python's logging does for AWS CLI v2 --debug. A nil *DebugLog
// writes nothing.
type DebugLog struct {
	w   io.Writer
	now func() time.Time
}

// NewDebugLog logs to w.
func NewDebugLog(w io.Writer) *DebugLog { return &DebugLog{w: w, now: time.Now} }

// Printf writes one line from the named logger.
func (d *DebugLog) Printf(logger, format string, a ...any) {
	if d == nil {
		return
	}
	t := d.now()
	fmt.Fprintf(d.w, "%s,%03d - MainThread - %s - DEBUG - %s\n",
		t.Format("2006-01-02 15:04:05"), t.Nanosecond()/1e6, logger, fmt.Sprintf(format, a...))
}

// Enabled reports whether lines are written, to spare building them.
func (d *DebugLog) Enabled() bool { return d != nil }

// MaskHeaders prints headers as botocore's debug log does, a Python dict, with secrets masked.
func MaskHeaders(h http.Header) string {
	names := make([]string, 0, len(h))
	for k := range h {
		names = append(names, k)
	}
	slices.Sort(names)
	parts := make([]string, 0, len(names))
	for _, k := range names {
		parts = append(parts, pyvalue.ReprString(k)+": "+pyvalue.ReprString(maskHeader(k, strings.Join(h[k], ", "))))
	}
	return "{" + strings.Join(parts, ", ") + "}"
}

func maskHeader(name, value string) string {
	switch strings.ToLower(name) {
	case "authorization":
		return maskSignature(value)
	case "x-amz-security-token", "cookie", "set-cookie", "proxy-authorization":
		return masked
	}
	return value
}

// maskSignature keeps a SigV4 Authorization header's algorithm, credential scope and signed
// headers, which help debugging, and masks the signature; any other scheme is masked whole.
func maskSignature(v string) string {
	i := strings.Index(v, "Signature=")
	if !strings.HasPrefix(v, "AWS4-") || i < 0 {
		return masked
	}
	end := strings.IndexByte(v[i:], ',')
	if end < 0 {
		return v[:i] + "Signature=" + masked
	}
	return v[:i] + "Signature=" + masked + v[i+end:]
}

// MaskURL masks the value of every query parameter and the fragment of a URL.
func MaskURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || (u.RawQuery == "" && u.Fragment == "") {
		if err != nil && strings.ContainsAny(raw, "?#") {
			return masked
		}
		return raw
	}
	if u.RawQuery != "" {
		var params []string
		for _, p := range strings.Split(u.RawQuery, "&") {
			k, _, _ := strings.Cut(p, "=")
			params = append(params, k+"="+masked)
		}
		u.RawQuery = strings.Join(params, "&")
	}
	if u.Fragment != "" {
		u.Fragment, u.RawFragment = masked, ""
	}
	return u.String()
}

// MaskBody prints a response body for the debug log: JSON with secrets masked, or only its
// size when it is not JSON, since then nothing tells a secret from the rest.
func MaskBody(body []byte) string {
	v, err := pyvalue.DecodeJSON(body)
	if err != nil {
		return fmt.Sprintf("<%d bytes, not JSON: not shown>", len(body))
	}
	b, _ := json.Marshal(maskValue("", v))
	return string(b)
}

func maskValue(key string, v any) any {
	switch x := v.(type) {
	case pyvalue.Object:
		out := make(orderedJSON, len(x))
		for i, kv := range x {
			out[i] = pyvalue.KeyValue{Key: kv.Key, Value: maskValue(kv.Key, kv.Value)}
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = maskValue(key, e)
		}
		return out
	case string:
		k := strings.ToLower(key)
		if strings.Contains(k, "token") || strings.Contains(k, "secret") || strings.Contains(k, "password") {
			return masked
		}
		if strings.Contains(x, "://") {
			return MaskURL(x)
		}
	}
	return v
}

// orderedJSON marshals an object in its key order.
type orderedJSON []pyvalue.KeyValue

func (o orderedJSON) MarshalJSON() ([]byte, error) {
	b := []byte{'{'}
	for i, kv := range o {
		if i > 0 {
			b = append(b, ',')
		}
		k, _ := json.Marshal(kv.Key)
		v, err := json.Marshal(kv.Value)
		if err != nil {
			return nil, err
		}
		b = append(append(append(b, k...), ':'), v...)
	}
	return append(b, '}'), nil
}
