package cli

import (
	"bytes"
	"regexp"
	"strings"
	"testing"
)

func TestKeysRotate(t *testing.T) {
	dir := t.TempDir()
	startServe(t, testOptions(dir)).stop() // a store with its first signing key

	run := func(args ...string) string {
		t.Helper()
		var out, errOut bytes.Buffer
		if code := Main(args, strings.NewReader(""), &out, &errOut); code != 0 {
			t.Fatalf("connectfed %v: exit %d: %s", args, code, errOut.String())
		}
		return out.String()
	}
	before := run("keys", "list", "--data-dir", dir)
	if strings.Count(before, "\n") != 1 || !strings.Contains(before, "(signs new tokens)") {
		t.Fatalf("keys list on a new store:\n%s", before)
	}
	rotated := regexp.MustCompile(`signing key (\w+) now signs`).FindStringSubmatch(run("keys", "rotate", "--data-dir", dir))
	if rotated == nil {
		t.Fatal("keys rotate named no key")
	}
	after := run("keys", "list", "--data-dir", dir)
	lines := strings.Split(strings.TrimSpace(after), "\n")
	if len(lines) != 2 || !strings.HasPrefix(lines[1], rotated[1]) || !strings.HasSuffix(lines[1], "(signs new tokens)") ||
		strings.Contains(lines[0], "signs new tokens") {
		t.Errorf("after a rotation, keys list:\n%s", after)
	}
}
