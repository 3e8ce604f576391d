package awsini

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

const config = `# a comment
top = dropped
[default]
region = us-east-1
output = json
s3 =
    max_concurrent_requests = 20
; another comment
[profile ops]
region = eu-west-2
cli_timestamp_format = iso8601
[legacy]
output = table
[profile ops]
output = text
`

func TestConfigProfile(t *testing.T) {
	sections := Parse([]byte(config))
	if len(sections) != 4 {
		t.Fatalf("%d sections: %+v", len(sections), sections)
	}
	def, ok := ConfigProfile(sections, "default")
	if !ok || def["region"] != "us-east-1" || def["output"] != "json" || def["s3"] != "" || len(def) != 3 {
		t.Errorf("default = %v %v (a nested sub-setting is not a setting)", def, ok)
	}
	ops, ok := ConfigProfile(sections, "ops")
	if !ok || ops["region"] != "eu-west-2" || ops["output"] != "text" || ops["cli_timestamp_format"] != "iso8601" {
		t.Errorf("ops = %v %v (a later section of the profile adds to it)", ops, ok)
	}
	if legacy, ok := ConfigProfile(sections, "legacy"); !ok || legacy["output"] != "table" {
		t.Errorf("a plain [NAME] section: %v %v", legacy, ok)
	}
	if none, ok := ConfigProfile(sections, "nope"); ok || len(none) != 0 {
		t.Errorf("a missing profile: %v %v", none, ok)
	}
}

func TestCredentialsRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "credentials")
	want := map[string]Credential{"default": {"AKIAROOT", "s3cr3t/+="}, "ops": {"AKIAOPS", "other"}}
	if err := WriteCredentials(path, want); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v, %v", fi.Mode(), err)
	}
	got, err := ReadCredentials(path)
	if err != nil || len(got) != 2 || got["default"] != want["default"] || got["ops"] != want["ops"] {
		t.Fatalf("read back %v, %v", got, err)
	}
	if err := WriteCredentials(path, want); err == nil {
		t.Error("WriteCredentials overwrote an existing file")
	}
	if _, err := ReadCredentials(filepath.Join(t.TempDir(), "missing")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a missing file: %v", err)
	}
	half := filepath.Join(t.TempDir(), "half")
	if err := os.WriteFile(half, []byte("[ops]\naws_access_key_id = AKIA\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadCredentials(half); err == nil {
		t.Error("a profile without its secret was accepted")
	}
}
