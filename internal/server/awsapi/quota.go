package awsapi

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/connectfed/connectfed/internal/server/limit"
)

// Quota is a rate quota as AWS states them: Rate requests a second, and Burst requests at
// once (a token bucket of Burst tokens refilled at Rate a second).
type Quota struct {
	Rate  float64
	Burst int
}

// DefaultQuotas are the rate quotas AWS publishes for the operations connectfed serves, read
// from the table.
func DefaultQuotas() map[OperationID]Quota {
	q := map[OperationID]Quota{}
	for i := range operations {
		if op := &operations[i]; op.Quota != (Quota{}) {
			q[op.ID()] = op.Quota
		}
	}
	return q
}

// EmulatedQuotas returns DefaultQuotas with overrides applied, each
// "[SERVICE:]OPERATION=RATE:BURST" (SERVICE defaults to connect; a RATE of 0 takes the
// operation's quota away).
func EmulatedQuotas(overrides ...string) (map[OperationID]Quota, error) {
	quotas := DefaultQuotas()
	for _, spec := range overrides {
		op, q, err := ParseQuota(spec)
		if err != nil {
			return nil, err
		}
		if q.Rate == 0 {
			delete(quotas, op)
			continue
		}
		quotas[op] = q
	}
	return quotas, nil
}

// ParseQuota reads one "[SERVICE:]OPERATION=RATE:BURST", refusing operations connectfed does
// not serve.
func ParseQuota(spec string) (OperationID, Quota, error) {
	const form = "want [SERVICE:]OPERATION=RATE:BURST, such as GetFederationToken=10:20 or sts:AssumeRole=5:10"
	name, value, ok := strings.Cut(spec, "=")
	if !ok {
		return OperationID{}, Quota{}, fmt.Errorf("%q: %s", spec, form)
	}
	op, err := knownOperation(name)
	if err != nil {
		return OperationID{}, Quota{}, fmt.Errorf("%q: %w", spec, err)
	}
	rateText, burstText, ok := strings.Cut(value, ":")
	if !ok {
		return OperationID{}, Quota{}, fmt.Errorf("%q: %s", spec, form)
	}
	rate, err := strconv.ParseFloat(rateText, 64)
	if err != nil || !(rate >= 0 && rate <= 1e9) {
		return OperationID{}, Quota{}, fmt.Errorf("%q: rate %q: want requests per second, 0 (no quota) or more", spec, rateText)
	}
	burst, err := strconv.Atoi(burstText)
	if err != nil || burst < 1 && rate > 0 || burst < 0 {
		return OperationID{}, Quota{}, fmt.Errorf("%q: burst %q: want a whole number of requests, 1 or more", spec, burstText)
	}
	return op, Quota{Rate: rate, Burst: burst}, nil
}

// knownOperation reads "[SERVICE:]OPERATION" and checks that connectfed serves it.
func knownOperation(name string) (OperationID, error) {
	op := OperationID{Service: "connect", Name: name}
	if service, n, ok := strings.Cut(name, ":"); ok {
		op = OperationID{Service: service, Name: n}
	}
	var all []OperationID
	for _, row := range Operations() {
		all = append(all, row.ID())
	}
	if slices.Contains(all, op) {
		return op, nil
	}
	var same, names []string
	for _, o := range all {
		if o.Service == op.Service {
			names = append(names, o.Name)
		}
		if o.Name == op.Name {
			same = append(same, o.String())
		}
	}
	if names == nil {
		return op, fmt.Errorf("unknown service %q: connectfed serves connect, iam and sts", op.Service)
	}
	if same != nil {
		return op, fmt.Errorf("%s has no operation %s; did you mean %s?", op.Service, op.Name, strings.Join(same, " or "))
	}
	return op, fmt.Errorf("%s has no operation %s; it has %s", op.Service, op.Name, strings.Join(names, ", "))
}

// quotaLimiter emulates AWS's rate quotas: one bucket per account, region and operation,
// shared by every caller of the account, as AWS counts them.
type quotaLimiter struct {
	quotas map[OperationID]Quota
	table  *limit.Table[quotaKey]
}

type quotaKey struct {
	account, region string
	op              OperationID
}

// newQuotaLimiter returns nil, which throttles nothing, for nil quotas.
func newQuotaLimiter(quotas map[OperationID]Quota) *quotaLimiter {
	if quotas == nil {
		return nil
	}
	return &quotaLimiter{quotas: quotas, table: limit.NewTable[quotaKey]()}
}

// admitQuota counts an authenticated call against its account's quota for op in its region,
// and says whether it is within it. A call over the quota is answered as AWS answers it:
// restJson1 with 429 TooManyRequestsException, the query protocol (IAM, STS) with 400
// Throttling. AWS sends no Retry-After with either, and neither does this.
func (a *API) admitQuota(op *Operation, req *Request) bool {
	if a.quotas == nil {
		return true
	}
	id := op.ID()
	q, ok := a.quotas.quotas[id]
	if !ok {
		return true
	}
	key := quotaKey{account: req.Principal.AccountID, region: req.Region, op: id}
	ok, _ = a.quotas.table.Take(key, a.cfg.Now(), q.Rate, float64(q.Burst))
	return ok
}
