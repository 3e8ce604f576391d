package postgres

import (
	"testing"

	"github.com/connectfed/connectfed/internal/store/storetest"
)

// On PostgreSQL another replica may write while the rewrite runs: the suite checks that a row
// it changes is not overwritten.
func TestRewriteSecrets(t *testing.T) {
	_, u := newSchema(t)
	s, other := open(t, u), open(t, u)
	defer s.Close()
	defer other.Close()
	storetest.RunRewriteSecrets(t, s, other)
}
