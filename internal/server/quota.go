package server

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/connectfed/connectfed/internal/apierr"
	"github.com/connectfed/connectfed/internal/awsproto"
)

// Operation is one AWS operation: the service of its credential scope and its name.
type Operation struct {
	Service string
	Name    string
}

func (o Operation) String() string { return o.Service + ":" + o.Name }

// Quota is a rate quota as AWS states them: Rate requests a second, and Burst requests at
// once (a token bucket of Burst tokens refilled at Rate a second).
type Quota struct {
	Rate  float64
	Burst int
}

// connectQuota is Amazon Connect's published default for every API operation without a
// figure of its own: "a RateLimit of 2 per second, and a BurstLimit of 5 per second" (the
// Connect API reference, reprinted in every SDK's documentation of the service).
// GetFederationToken's own quota, "Rate of GetFederationToken API requests", is the same
// 2 per second per account per Region (Amazon Connect service quotas); AWS publishes no burst
// of its own for it, so it has the default's.
var connectQuota = Quota{Rate: 2, Burst: 5}

// DefaultQuotas are the rate quotas AWS publishes for the operations connectfed serves:
// every Connect operation at connectQuota. AWS publishes no request rates for IAM and STS
// (they throttle at undisclosed account-wide rates), so none are emulated unless set.
func DefaultQuotas() map[Operation]Quota {
	q := make(map[Operation]Quota, len(connectRoutes))
	for _, rt := range connectRoutes {
		q[Operation{"connect", rt.operation}] = connectQuota
	}
	return q
}

// Operations lists every operation connectfed serves, sorted by service and name.
func Operations() []Operation {
	var ops []Operation
	for _, rt := range connectRoutes {
		ops = append(ops, Operation{"connect", rt.operation})
	}
	s := &Server{}
	for service, svc := range map[string]queryService{"iam": s.iamService(), "sts": s.stsService()} {
		for name := range svc.actions {
			ops = append(ops, Operation{service, name})
		}
	}
	slices.SortFunc(ops, func(a, b Operation) int {
		return strings.Compare(a.String(), b.String())
	})
	return slices.Compact(ops)
}

// EmulatedQuotas returns DefaultQuotas with overrides applied, each
// "[SERVICE:]OPERATION=RATE:BURST" (SERVICE defaults to connect; a RATE of 0 takes the
// operation's quota away).
func EmulatedQuotas(overrides ...string) (map[Operation]Quota, error) {
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
func ParseQuota(spec string) (Operation, Quota, error) {
	const form = "want [SERVICE:]OPERATION=RATE:BURST, such as GetFederationToken=10:20 or sts:AssumeRole=5:10"
	name, value, ok := strings.Cut(spec, "=")
	if !ok {
		return Operation{}, Quota{}, fmt.Errorf("%q: %s", spec, form)
	}
	op, err := knownOperation(name)
	if err != nil {
		return Operation{}, Quota{}, fmt.Errorf("%q: %w", spec, err)
	}
	rateText, burstText, ok := strings.Cut(value, ":")
	if !ok {
		return Operation{}, Quota{}, fmt.Errorf("%q: %s", spec, form)
	}
	rate, err := strconv.ParseFloat(rateText, 64)
	if err != nil || !(rate >= 0 && rate <= 1e9) {
		return Operation{}, Quota{}, fmt.Errorf("%q: rate %q: want requests per second, 0 (no quota) or more", spec, rateText)
	}
	burst, err := strconv.Atoi(burstText)
	if err != nil || burst < 1 && rate > 0 || burst < 0 {
		return Operation{}, Quota{}, fmt.Errorf("%q: burst %q: want a whole number of requests, 1 or more", spec, burstText)
	}
	return op, Quota{Rate: rate, Burst: burst}, nil
}

// knownOperation reads "[SERVICE:]OPERATION" and checks that connectfed serves it.
func knownOperation(name string) (Operation, error) {
	op := Operation{Service: "connect", Name: name}
	if service, n, ok := strings.Cut(name, ":"); ok {
		op = Operation{Service: service, Name: n}
	}
	all := Operations()
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
	quotas map[Operation]Quota
	table  *bucketTable[quotaKey]
}

type quotaKey struct {
	account, region string
	op              Operation
}

// newQuotaLimiter returns nil, which throttles nothing, for nil quotas.
func newQuotaLimiter(quotas map[Operation]Quota) *quotaLimiter {
	if quotas == nil {
		return nil
	}
	return &quotaLimiter{quotas: quotas, table: newBucketTable[quotaKey]()}
}

// admitQuota counts an authenticated call to operation name against its account's quota in
// its region; the service is the one c's protocol and namespace tell (restJson1 is connect's
// here). A call over the quota is answered as AWS answers it, and false returned: restJson1
// with 429 TooManyRequestsException, the query protocol (IAM, STS) with 400 Throttling. AWS
// sends no Retry-After with either, and neither does this.
func (s *Server) admitQuota(w http.ResponseWriter, c *call, name string) bool {
	if s.quotas == nil {
		return true
	}
	op := Operation{Service: "connect", Name: name}
	if c.info.protocol == awsproto.Query {
		op.Service = "sts"
		if c.info.xmlns == awsproto.IAMNamespace {
			op.Service = "iam"
		}
	}
	q, ok := s.quotas.quotas[op]
	if !ok {
		return true
	}
	key := quotaKey{account: c.principal.AccountID, region: c.region, op: op}
	if ok, _ := s.quotas.table.take(key, s.cfg.Now(), q.Rate, float64(q.Burst)); ok {
		return true
	}
	code := apierr.TooManyRequests
	if c.info.protocol == awsproto.Query {
		code = apierr.Throttling
	}
	s.fail(w, c.info, apierr.New(code, ""))
	return false
}
