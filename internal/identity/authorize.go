package identity

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/connectfed/connectfed/internal/arn"
	iampolicy "github.com/connectfed/connectfed/internal/policy"
	"github.com/connectfed/connectfed/internal/store"
)

// Access is one request to authorize: the action, the resources it touches, and what the
// request context holds beyond who the caller is.
type Access struct {
	Action    string
	Resources []string
	// SourceIP is the caller's address (aws:SourceIp); SecureTransport says it came over TLS.
	SourceIP        string
	SecureTransport bool
	// Region is the region the request is signed for (aws:RequestedRegion).
	Region string
	// Keys are the service's own condition keys (connect:InstanceId, sts:RoleSessionName).
	Keys []ContextKey
	// ResourceTags, when set, reads the tags of the resources the request names, for
	// aws:ResourceTag/KEY. It is asked only under policies with conditions: a static set cannot
	// ask for tags, and the hot path stays free of the lookup.
	ResourceTags ResourceTagger
}

// ResourceTagger reads the tags of a resource by its ARN (nil for one that keeps none).
type ResourceTagger interface {
	ResourceTags(ctx context.Context, resource string) (map[string]string, error)
}

// ContextKey is one condition key of a request and its value; Values, when set, are a
// multivalued key's (aws:TagKeys), in place of Value.
type ContextKey struct {
	Name, Value string
	Values      []string
}

// Verdict is what Authorize decided, and for a denial the resource it was denied on.
type Verdict struct {
	iampolicy.Outcome
	Resource string
}

// Allowed says whether the request may go ahead.
func (v Verdict) Allowed() bool { return v.Decision == iampolicy.Allowed }

// Message is AWS's sentence for a denial: "User: ARN is not authorized to perform: ACTION on
// resource: ARN because ...".
func (v Verdict) Message(caller Principal, action string) string {
	return fmt.Sprintf("User: %s is not authorized to perform: %s on resource: %s %s",
		caller.ARN, action, v.Resource, v.Reason(action))
}

// Authorize evaluates a request as IAM does within one account: the account root may do
// everything (what AWS forbids root is refused by the operations themselves); anyone else needs
// an Allow from the policies of its user or role, and no Deny. Every resource must be allowed.
func (s *Service) Authorize(ctx context.Context, caller Principal, a Access) (Verdict, error) {
	if caller.Kind == Root {
		return Verdict{Outcome: iampolicy.Outcome{Decision: iampolicy.Allowed}}, nil
	}
	cs, err := s.policySet(ctx, caller)
	if err != nil {
		return Verdict{}, err
	}
	var r *iampolicy.Request // built on the first decision not remembered
	var v Verdict
	for _, res := range a.Resources {
		key := decisionKey{caller: caller.UserID, action: a.Action, resource: res}
		o, ok := cs.remembered(key)
		if !ok {
			withTags := a.ResourceTags != nil && !cs.static
			// Each resource has tags of its own: its context starts afresh.
			if r == nil || withTags {
				rc := requestContext(caller, a, s.now())
				r = &rc
			}
			r.Resource = res
			if withTags {
				tags, err := a.ResourceTags.ResourceTags(ctx, res)
				if err != nil {
					return Verdict{}, err
				}
				for k, v := range tags {
					r.Set("aws:ResourceTag/"+k, v)
				}
			}
			o = iampolicy.Decide(r, cs.set)
			cs.remember(key, o)
		}
		v = Verdict{Outcome: o, Resource: res}
		if !v.Allowed() {
			return v, nil
		}
	}
	return v, nil
}

// compiledSet is a principal's parsed policies, as the cache keeps them, with the decisions
// already made under them when they are static (see iampolicy.Set.Static): the documented
// GetFederationToken policy is, so the hot path decides each caller's request once.
type compiledSet struct {
	set    iampolicy.Set
	static bool

	mu        sync.Mutex
	decisions map[decisionKey]iampolicy.Outcome
}

// decisionKey is what a static set's decision depends on.
type decisionKey struct{ caller, action, resource string }

// maxDecisions bounds what one set remembers (a role's sessions are many callers); past it
// the memory starts again.
const maxDecisions = 4096

func newCompiledSet(set iampolicy.Set) *compiledSet {
	return &compiledSet{set: set, static: set.Static()}
}

func (c *compiledSet) remembered(k decisionKey) (iampolicy.Outcome, bool) {
	if !c.static {
		return iampolicy.Outcome{}, false
	}
	c.mu.Lock()
	o, ok := c.decisions[k]
	c.mu.Unlock()
	return o, ok
}

func (c *compiledSet) remember(k decisionKey, o iampolicy.Outcome) {
	if !c.static {
		return
	}
	c.mu.Lock()
	if c.decisions == nil || len(c.decisions) >= maxDecisions {
		c.decisions = make(map[decisionKey]iampolicy.Outcome)
	}
	c.decisions[k] = o
	c.mu.Unlock()
}

// requestContext is the request as policies see it: the global condition keys AWS sets for
// this caller, and the access's own.
func requestContext(caller Principal, a Access, now time.Time) iampolicy.Request {
	r := requestKeys(a, now)
	r.PrincipalARN, r.PrincipalAccount = caller.ARN, caller.AccountID
	r.Set("aws:userid", caller.UserID)
	r.Set("aws:PrincipalAccount", caller.AccountID)
	switch caller.Kind {
	case IAMUser:
		r.Set("aws:username", caller.UserName)
		r.Set("aws:PrincipalArn", caller.ARN)
		r.Set("aws:PrincipalType", "User")
		// Long-term keys carry no MFA context: the key is absent, as AWS leaves it.
	case AssumedRole:
		// A role session's aws:PrincipalArn is its role's ARN, not the session's; a trust
		// policy that names the role matches its sessions.
		r.RoleARN = arn.Role(caller.AccountID, caller.RolePath, caller.RoleName)
		r.Set("aws:PrincipalArn", r.RoleARN)
		r.Set("aws:PrincipalType", "AssumedRole")
		r.Set("aws:MultiFactorAuthPresent", "false")
		for k, v := range caller.tags {
			r.Set("aws:PrincipalTag/"+k, v)
		}
	}
	return r
}

// requestKeys is the request context that does not depend on who calls: the action, the time,
// the transport, the region and the service's own keys.
func requestKeys(a Access, now time.Time) iampolicy.Request {
	now = now.UTC()
	r := iampolicy.Request{Action: a.Action}
	r.Set("aws:CurrentTime", now.Format(time.RFC3339))
	r.Set("aws:EpochTime", strconv.FormatInt(now.Unix(), 10))
	r.Set("aws:SecureTransport", strconv.FormatBool(a.SecureTransport))
	if a.SourceIP != "" {
		r.Set("aws:SourceIp", a.SourceIP)
	}
	if a.Region != "" {
		r.Set("aws:RequestedRegion", a.Region)
	}
	for _, k := range a.Keys {
		if k.Values != nil {
			r.Set(k.Name, k.Values...)
		} else {
			r.Set(k.Name, k.Value)
		}
	}
	return r
}

// policyOwner names the user or role whose policies govern a principal, and for a session
// with session policies the session itself.
type policyOwner struct {
	account string
	kind    store.PolicyOwner
	// name is lower case: IAM names match ignoring case.
	name string
	// session is the access key of a session with session policies, "" otherwise.
	session string
}

func ownerOf(p Principal) policyOwner {
	if p.owner.account != "" {
		return p.owner
	}
	if p.Kind == AssumedRole {
		o := policyOwner{account: p.AccountID, kind: store.RolePolicy, name: strings.ToLower(p.RoleName)}
		if p.session != nil {
			o.session = p.AccessKeyID
		}
		return o
	}
	return policyOwner{account: p.AccountID, kind: store.UserPolicy, name: strings.ToLower(p.UserName)}
}

// policySet is the compiled policy set of a principal, through the cache: the inline and
// attached policies of its user or role, its permissions boundary, and a session's policies.
func (s *Service) policySet(ctx context.Context, p Principal) (*compiledSet, error) {
	key := ownerOf(p)
	now := s.now()
	if cs, ok := s.policies.Get(key, now); ok {
		return cs, nil
	}
	version := s.policies.Version()
	set, err := s.loadPolicySet(ctx, key, p.session)
	if err != nil {
		return nil, err
	}
	cs := newCompiledSet(set)
	s.policies.Fill(version, key, cs, now)
	return cs, nil
}

func (s *Service) loadPolicySet(ctx context.Context, key policyOwner, session *sessionPolicies) (iampolicy.Set, error) {
	var set iampolicy.Set
	inline, err := s.store.ListInlinePolicies(ctx, key.account, key.kind, key.name)
	if err != nil {
		return iampolicy.Set{}, fmt.Errorf("identity: list inline policies: %w", err)
	}
	for _, ip := range inline {
		doc, err := iampolicy.Parse(ip.Document, iampolicy.Identity)
		if err != nil {
			// Documents are checked when they are put; one that no longer parses is a bug
			// of ours, and must not silently grant or refuse.
			return iampolicy.Set{}, fmt.Errorf("identity: stored policy %s of %s %s: %w", ip.Name, key.kind, key.name, err)
		}
		set.Identity = append(set.Identity, iampolicy.Labelled{Name: ip.Name, Doc: doc, Source: string(key.kind)})
	}
	attached, err := s.store.ListAttachedPolicies(ctx, key.account, key.kind, key.name)
	if err != nil {
		return iampolicy.Set{}, fmt.Errorf("identity: list attached policies: %w", err)
	}
	if set.Identity, err = s.appendManaged(ctx, key.account, set.Identity, attached...); err != nil {
		return iampolicy.Set{}, err
	}
	boundary, err := s.boundaryOf(ctx, key.account, key.kind, key.name)
	if err != nil {
		return iampolicy.Set{}, err
	}
	if boundary != "" {
		// A boundary whose policy is gone still bounds: it allows nothing.
		set.Boundary = []iampolicy.Labelled{}
		if set.Boundary, err = s.appendManaged(ctx, key.account, set.Boundary, boundary); err != nil {
			return iampolicy.Set{}, err
		}
	}
	if session != nil {
		set.Session = []iampolicy.Labelled{}
		if session.document != "" {
			doc, err := iampolicy.Parse(session.document, iampolicy.Identity)
			if err != nil {
				return iampolicy.Set{}, fmt.Errorf("identity: session policy of %s: %w", key.session, err)
			}
			set.Session = append(set.Session, iampolicy.Labelled{Name: "session policy", Doc: doc, Source: "none"})
		}
		if set.Session, err = s.appendManaged(ctx, key.account, set.Session, session.arns...); err != nil {
			return iampolicy.Set{}, err
		}
	}
	return set, nil
}

// appendManaged adds the documents in force of managed policies, labelled by ARN.
func (s *Service) appendManaged(ctx context.Context, accountID string, to []iampolicy.Labelled, arns ...string) ([]iampolicy.Labelled, error) {
	for _, a := range arns {
		doc, err := s.managedDocument(ctx, accountID, a)
		if err != nil {
			return nil, err
		}
		if doc != nil {
			to = append(to, iampolicy.Labelled{Name: a, Doc: doc, Source: managedSource(a)})
		}
	}
	return to, nil
}

// managedSource is the SourcePolicyType of a managed policy: AWS's own or the account's.
func managedSource(policyARN string) string {
	if strings.HasPrefix(policyARN, "arn:aws:iam::aws:") {
		return "aws-managed"
	}
	return "user-managed"
}

// forgetPolicies drops the cached policy sets of an account: a policy changed, and a managed
// one may be attached to any of its users and roles.
func (s *Service) forgetPolicies(accountID string) {
	s.policies.DeleteFunc(func(k policyOwner, _ *compiledSet) bool { return k.account == accountID })
}
