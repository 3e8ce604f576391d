package sqlite

import (
	"path/filepath"
	"testing"

	"github.com/connectfed/connectfed/internal/store/storetest"
)

func TestRewriteSecrets(t *testing.T) {
	s, err := Open(filepath.Join(t.TempDir(), "connectfed.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	storetest.RunRewriteSecrets(t, s, nil)
}
