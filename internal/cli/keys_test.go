package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/connectfed/connectfed/internal/secrets"
	"github.com/connectfed/connectfed/internal/store/sealed"
	"github.com/connectfed/connectfed/internal/store/sqlite"
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

// The database on disk never holds a signing key's secret: only the master key file, kept
// apart, opens it.
func TestSigningKeysSealedAtRest(t *testing.T) {
	dir := t.TempDir()
	startServe(t, testOptions(dir)).stop()
	if st, err := os.Stat(filepath.Join(dir, secrets.MasterKeyFile)); err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("master key file: %v, %v", st, err)
	}
	st, err := sqlite.Open(filepath.Join(dir, "connectfed.db"))
	if err != nil {
		t.Fatal(err)
	}
	sealer, err := secrets.LoadOrCreate(dir)
	if err != nil {
		t.Fatal(err)
	}
	keys, err := sealed.Wrap(st, sealer).ListSigningKeys(t.Context())
	st.Close()
	if err != nil || len(keys) != 1 {
		t.Fatalf("signing keys: %v, %v", keys, err)
	}
	for _, name := range []string{"connectfed.db", "connectfed.db-wal"} {
		raw, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
		if bytes.Contains(raw, keys[0].Secret) {
			t.Errorf("%s holds the signing key's secret in the clear", name)
		}
	}
}
