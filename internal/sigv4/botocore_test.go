package sigv4

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/connectfed/connectfed/internal/apierr"
)

// TestBotocore verifies requests signed by botocore, the signer of the AWS CLI, as they went
// on the wire (testdata/botocore/generate.py wrote them; Python is not needed to run this).
func TestBotocore(t *testing.T) {
	dir := filepath.Join("testdata", "botocore")
	raw, err := os.ReadFile(filepath.Join(dir, "cases.json"))
	if err != nil {
		t.Fatal(err)
	}
	var index struct {
		Cases []struct {
			Name, Secret, Token string
			AccessKeyID         string    `json:"access_key_id"`
			Timestamp           time.Time `json:"timestamp"`
			Presigned           bool
		}
	}
	if err := json.Unmarshal(raw, &index); err != nil {
		t.Fatal(err)
	}
	if len(index.Cases) == 0 {
		t.Fatal("no cases")
	}
	for _, c := range index.Cases {
		t.Run(c.Name, func(t *testing.T) {
			b, err := os.ReadFile(filepath.Join(dir, c.Name+".txt"))
			if err != nil {
				t.Fatal(err)
			}
			text := string(b)
			r := readRawRequest(t, text)
			s, err := Parse(r)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if s.AccessKeyID != c.AccessKeyID || s.SessionToken != c.Token || s.Presigned != c.Presigned {
				t.Errorf("parsed %+v", s)
			}
			if err := s.Verify(r, c.Secret, bodyHash(t, r), c.Timestamp, Options{}); err != nil {
				t.Errorf("Verify: %v\n%s", err, CanonicalRequest(r, s, bodyHash(t, r), Options{}))
			}
			if err := verifyRaw(t, text, c.Secret+"x", c.Timestamp, Options{}); !apierr.Is(err, apierr.InvalidSignature) {
				t.Errorf("wrong secret: got %v", err)
			}
			path := editTarget(text, func(p, q string) (string, string) { return p + "x", q })
			if err := verifyRaw(t, path, c.Secret, c.Timestamp, Options{}); !apierr.Is(err, apierr.InvalidSignature) {
				t.Errorf("path changed: got %v", err)
			}
			if head, body, _ := strings.Cut(text, "\r\n\r\n"); body != "" {
				head = strings.Replace(head, "Content-Length: "+strconv.Itoa(len(body)), "Content-Length: "+strconv.Itoa(len(body)+1), 1)
				if err := verifyRaw(t, head+"\r\n\r\n "+body, c.Secret, c.Timestamp, Options{}); !apierr.Is(err, apierr.InvalidSignature) {
					t.Errorf("body changed: got %v", err)
				}
			}
		})
	}
}
