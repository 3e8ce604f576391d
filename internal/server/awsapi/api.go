// Package awsapi owns the AWS surface of the server: the operation table (every operation
// connectfed serves, with its service, protocol, route, IAM action, resource ARNs, quota and
// handler), SigV4 authentication, routing a signed request to its row, the emulated AWS
// quotas, and the handlers, which translate between the wire (through awsproto) and the domain
// packages. It holds no business rule.
package awsapi

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"go.opentelemetry.io/otel/attribute"

	"github.com/connectfed/connectfed/internal/apierr"
	"github.com/connectfed/connectfed/internal/audit"
	"github.com/connectfed/connectfed/internal/awsproto"
	"github.com/connectfed/connectfed/internal/connect"
	"github.com/connectfed/connectfed/internal/identity"
	"github.com/connectfed/connectfed/internal/metrics"
	"github.com/connectfed/connectfed/internal/server/httpx"
	"github.com/connectfed/connectfed/internal/sigv4"
	"github.com/connectfed/connectfed/internal/tracing"
)

// emptyPayloadHash is the SHA-256 of an empty body, precomputed for the bodiless GETs of the
// hot path.
const emptyPayloadHash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

// defaultRegion is the region of an unsigned request, which names none: STS's global endpoint
// is in us-east-1.
const defaultRegion = "us-east-1"

// Config is what the AWS surface needs besides the domain services.
type Config struct {
	// Skew is the allowed difference between a request's X-Amz-Date and the server clock.
	Skew time.Duration
	// Regions are the regions a credential may be scoped to (nil: any).
	Regions []string
	// MaxBodyBytes caps a request body; larger bodies are refused with 413.
	MaxBodyBytes int64
	// Now is the clock.
	Now func() time.Time
	// Quotas, when not nil, are the AWS rate quotas to emulate per account, region and
	// operation (DefaultQuotas has AWS's); an operation without one is not throttled.
	Quotas map[OperationID]Quota
	// Metrics counts SigV4 failures (nil: none).
	Metrics *metrics.Recorder
	// Audit, when set, records every write, every GetFederationToken and every call IAM
	// policies refuse.
	Audit *audit.Trail
}

// API answers the AWS protocols for the domain services.
type API struct {
	cfg      Config
	identity *identity.Service
	connect  *connect.Service
	resp     *httpx.Responder
	sigOpts  sigv4.Options
	quotas   *quotaLimiter
}

// New returns the AWS surface over the domain services; resp answers its errors.
func New(cfg Config, id *identity.Service, conn *connect.Service, resp *httpx.Responder) *API {
	return &API{cfg: cfg, identity: id, connect: conn, resp: resp,
		sigOpts: sigv4.Options{Skew: cfg.Skew}, quotas: newQuotaLimiter(cfg.Quotas)}
}

// Request is an authenticated AWS request on its way to its operation's handler.
type Request struct {
	*http.Request
	Principal identity.Principal
	// Region is the credential scope's.
	Region string
	// Payload is the body, read whole (the embedded Request's Body is spent).
	Payload []byte
	// Labels are a restJson1 operation's path labels, in the order of its path pattern.
	Labels []string
	// Form is a query-protocol operation's parameters (body and URL query).
	Form Form
	info *httpx.Info
	// conn reads the tags of the resources a Connect request names, for its policy check.
	conn *connect.Service
	// resources are the operation's Resources of the request once built (resourcesOf): the
	// policy check and the audit record both read them.
	resources []string
	built     bool
}

// resourcesOf are op's resources of the request, built once.
func (r *Request) resourcesOf(op *Operation) []string {
	if !r.built {
		r.resources, r.built = op.Resources(r), true
	}
	return r.resources
}

// ResourceTags reads the tags of a resource the request names (identity.ResourceTagger).
func (r *Request) ResourceTags(ctx context.Context, resource string) (map[string]string, error) {
	return r.conn.ResourceTags(ctx, r.caller(), resource)
}

// caller is who calls a Connect operation, and where.
func (r *Request) caller() connect.Caller {
	return connect.Caller{Principal: r.Principal, Region: r.Region}
}

// ServeHTTP authenticates a request with SigV4 and runs the operation it names in the service of
// its credential scope.
func (a *API) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	ri := httpx.From(r.Context())
	ri.Protocol = httpx.GuessProtocol(r)

	body, err := httpx.ReadBody(w, r, a.cfg.MaxBodyBytes)
	if err != nil {
		a.resp.Fail(w, ri, err)
		return
	}
	signed, p, err := a.Authenticate(r, body)
	if signed == nil && apierr.Is(err, apierr.MissingAuthenticationToken) {
		// AWS serves a few operations unsigned (AssumeRoleWithSAML): STS over the query protocol.
		req := &Request{Request: r, Region: defaultRegion, Payload: body, info: ri}
		if op, ok := unsignedOperation(req); ok {
			ri.Protocol, ri.XMLNS = awsproto.Query, services["sts"].xmlns
			a.run(w, op, req)
			return
		}
		ri.Service, ri.Operation = "", ""
		// An operation connectfed does not serve is named as such, signed or not: "sign your
		// request" would send its caller the wrong way.
		if unknown := unservedOperation(req); unknown != nil {
			err = unknown
		}
	}
	var svc *service
	if signed != nil {
		if svc = services[signed.Service]; svc != nil {
			ri.Protocol, ri.XMLNS = svc.protocol, svc.xmlns
		}
	}
	if err != nil {
		a.cfg.Metrics.SigV4Failure(apierr.Of(err).Spec().JSONType)
		a.resp.Fail(w, ri, err)
		return
	}
	ri.Principal = p.ARN
	if svc == nil {
		a.resp.Fail(w, ri, apierr.New(apierr.UnknownOperation, "Service %s is not served here; connectfed serves connect, iam, sts and cloudtrail (LookupEvents).", signed.Service))
		return
	}
	req := &Request{Request: r, Principal: p, Region: signed.Region, Payload: body, info: ri}
	var op *Operation
	switch svc.protocol {
	case awsproto.Query:
		op, err = svc.routeQuery(req)
	case awsproto.JSON11:
		op, err = svc.routeTarget(req)
	default:
		op, err = svc.routeREST(req)
	}
	if err != nil {
		a.resp.Fail(w, ri, err)
		return
	}
	a.run(w, op, req)
}

// run counts the call against its quota, runs its handler and writes the answer in the
// operation's protocol.
func (a *API) run(w http.ResponseWriter, op *Operation, req *Request) {
	if !a.admitQuota(op, req) {
		code := apierr.TooManyRequests
		if op.Protocol == awsproto.Query {
			code = apierr.Throttling
		}
		a.resp.Fail(w, req.info, apierr.New(code, ""))
		return
	}
	if op.Authorization == PolicyCheck && a.identity.Enforcing() {
		acc := accessOf(op, req)
		if op.Service == "connect" {
			req.conn = a.connect
			acc.ResourceTags = req
		}
		ctx, span := tracing.Start(req.Context(), "iam.authorize", attribute.String("aws.iam.action", op.Action))
		err := a.identity.Check(ctx, req.Principal, acc)
		tracing.End(span, err)
		if err != nil {
			a.record(op, req, nil, err)
			a.resp.Fail(w, req.info, err)
			return
		}
	}
	out, err := op.handle(a, req)
	a.record(op, req, out, err)
	if err != nil {
		a.resp.Fail(w, req.info, err)
		return
	}
	switch op.Protocol {
	case awsproto.Query:
		awsproto.WriteQueryResult(w, services[op.Service].xmlns, op.Name, req.info.ID, out)
	case awsproto.JSON11:
		awsproto.WriteJSON11(w, out)
	default:
		awsproto.WriteJSON(w, http.StatusOK, out)
	}
}

// accessOf is what a policy check of op weighs: its action, the resources the request names,
// and the request's context.
func accessOf(op *Operation, req *Request) identity.Access {
	acc := identity.Access{Action: op.Action, Resources: req.resourcesOf(op), SourceIP: httpx.SourceIP(req.Request),
		SecureTransport: req.TLS != nil, Region: req.Region}
	if op.instanceLabel {
		acc.Keys = []identity.ContextKey{{Name: "connect:InstanceId", Value: instanceIDOf(req)}}
	}
	if op.Keys != nil {
		acc.Keys = append(acc.Keys, op.Keys(req)...)
	}
	return acc
}

// Authenticate checks the request's SigV4 signature over body and says who signed it. The
// parsed signature comes back whenever the request had one, even when it fails, so the caller
// can answer in the protocol of its credential scope.
func (a *API) Authenticate(r *http.Request, body []byte) (signed *sigv4.Signed, p identity.Principal, err error) {
	if tracing.Enabled() {
		ctx, span := tracing.Start(r.Context(), "sigv4.verify")
		defer func() { tracing.End(span, err) }()
		r = r.WithContext(ctx)
	}
	return a.authenticate(r, body)
}

func (a *API) authenticate(r *http.Request, body []byte) (*sigv4.Signed, identity.Principal, error) {
	signed, err := sigv4.Parse(r)
	if err != nil {
		return nil, identity.Principal{}, err
	}
	if err := checkRegion(a.cfg.Regions, signed.Region); err != nil {
		return signed, identity.Principal{}, err
	}
	cred, err := a.identity.Lookup(r.Context(), signed.AccessKeyID)
	if err != nil {
		return signed, identity.Principal{}, err
	}
	payloadHash := emptyPayloadHash
	if len(body) > 0 {
		sum := sha256.Sum256(body)
		payloadHash = hex.EncodeToString(sum[:])
	}
	now := a.cfg.Now()
	if err := signed.Verify(r, cred.Secret, payloadHash, now, a.sigOpts); err != nil {
		return signed, identity.Principal{}, err
	}
	p, err := cred.Admit(signed.SessionToken, now)
	return signed, p, err
}

// ScopeProtocol is the protocol and XML namespace of the service a request's credential scope
// names, as far as the request says which: for answering a request refused before routing.
func ScopeProtocol(r *http.Request) (awsproto.Protocol, string) {
	if signed, err := sigv4.Parse(r); err == nil {
		if svc := services[signed.Service]; svc != nil {
			return svc.protocol, svc.xmlns
		}
	}
	return httpx.GuessProtocol(r), ""
}

// Form reads query-protocol parameters.
type Form struct{ url.Values }

func (f Form) get(name string) string { return f.Values.Get(name) }

// list reads a query-protocol list, NAME.member.1, NAME.member.2, ... (field ""), or the field of
// a list of structures, NAME.member.1.FIELD, ..., up to the first gap (the query protocol
// numbers members from 1).
func (f Form) list(name, field string) []string {
	if field != "" {
		field = "." + field
	}
	var out []string
	for i := 1; ; i++ {
		v, ok := f.Values[name+".member."+strconv.Itoa(i)+field]
		if !ok || len(v) == 0 {
			return out
		}
		out = append(out, v[0])
	}
}
