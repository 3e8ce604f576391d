package awsapi

import (
	"fmt"
	"testing"
	"time"

	"github.com/connectfed/connectfed/internal/server/limit"
)

// The quota table is bounded the same way: an authenticated caller signing for ever new
// regions cannot grow it without bound.
func TestQuotaTableBounded(t *testing.T) {
	q := newQuotaLimiter(DefaultQuotas())
	t0 := time.Unix(1_700_000_000, 0)
	op := OperationID{"connect", "ListInstances"}
	for i := range 2 * limit.MaxBuckets {
		q.table.Take(quotaKey{"123456789012", fmt.Sprintf("region-%d", i), op}, t0, 2, 5)
	}
	if n := q.table.Size(); n > limit.MaxBuckets {
		t.Fatalf("%d quota buckets, the bound is %d", n, limit.MaxBuckets)
	}
}
