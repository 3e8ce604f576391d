package awsapi

import (
	"encoding/json"
	"strings"

	"github.com/connectfed/connectfed/internal/apierr"
	"github.com/connectfed/connectfed/internal/arn"
	"github.com/connectfed/connectfed/internal/audit"
	"github.com/connectfed/connectfed/internal/awsproto"
	"github.com/connectfed/connectfed/internal/server/httpx"
)

// The audit trail of the AWS surface: what is recorded, and how a call becomes a record.

// ReadOnly says the operation reads and changes nothing: a Describe, Get, List, Lookup or Search, or
// a simulation. GetFederationToken changes nothing either, but it hands out credentials, so it
// is recorded like a write.
func (op *Operation) ReadOnly() bool {
	for _, prefix := range []string{"Describe", "Get", "List", "Lookup", "Search", "Simulate"} {
		if strings.HasPrefix(op.Name, prefix) {
			return true
		}
	}
	return false
}

// audited says whether a call is recorded: every write, GetFederationToken, and any call IAM
// policies refused.
func audited(op *Operation, err error) bool {
	return !op.ReadOnly() || op.Name == "GetFederationToken" || apierr.Is(err, apierr.AccessDenied)
}

// record adds a call to the audit trail, when it is one the trail records: who called, from
// where, with which parameters (secrets hidden), how it ended, and what it answered (secrets
// hidden).
func (a *API) record(op *Operation, req *Request, out any, err error) {
	if a.cfg.Audit == nil || !audited(op, err) {
		return
	}
	e := audit.NewEvent(a.cfg.Now(), op.eventSource, op.Name, req.info.ID)
	e.SetCaller(req.Principal)
	account := req.Principal.AccountID
	if op.Unsigned {
		// AssumeRoleWithSAML: the assertion is the credential, and the role names the account.
		e.UserIdentity.Type = "SAMLUser"
		if role, ok := arn.ParseRole(req.Form.get("RoleArn")); ok {
			account = role.Account
		}
	}
	e.RecipientAccountID = account
	e.AWSRegion, e.SourceIPAddress, e.UserAgent = req.Region, httpx.SourceIP(req.Request), req.UserAgent()
	e.ReadOnly = op.ReadOnly()
	e.SetParameters(requestParameters(op, req))
	e.SetResources(account, req.resourcesOf(op)...)
	if err != nil {
		ae := apierr.Of(err)
		e.ErrorCode, e.ErrorMessage = ae.Spec().JSONType, ae.Text()
		if op.Protocol == awsproto.Query {
			e.ErrorCode = ae.Spec().QueryCode
		}
	} else {
		e.SetResponse(out)
	}
	a.cfg.Audit.Record(e)
}

// labelParameters are the parameters of a restJson1 call that has only path labels
// (GetFederationToken, DescribeUser): written straight as record JSON, as labels hold no
// secret.
type labelParameters struct {
	op     *Operation
	labels []string
}

func (p labelParameters) AppendAuditJSON(b []byte) []byte {
	b = append(b, '{')
	i := 0
	for _, seg := range p.op.segments {
		if !seg.label || i >= len(p.labels) {
			continue
		}
		if i > 0 {
			b = append(b, ',')
		}
		b = awsproto.AppendJSONString(b, seg.member)
		b = append(b, ':')
		b = awsproto.AppendJSONString(b, p.labels[i])
		i++
	}
	return append(b, '}')
}

// requestParameters are a call's parameters as CloudTrail records them: a query call's form
// (its Action and Version aside); a restJson1 call's body, path labels and query string.
func requestParameters(op *Operation, req *Request) any {
	if op.Protocol == awsproto.RestJSON && len(req.Payload) == 0 && req.URL.RawQuery == "" {
		return labelParameters{op, req.Labels}
	}
	params := map[string]any{}
	if op.Protocol == awsproto.Query {
		for k, v := range req.Form.Values {
			if k == "Action" || k == "Version" || len(v) == 0 {
				continue
			}
			params[k] = v[0]
		}
		return params
	}
	if len(req.Payload) > 0 {
		_ = json.Unmarshal(req.Payload, &params) // a body that is not an object has no parameters to show
	}
	i := 0
	for _, seg := range op.segments {
		if seg.label && i < len(req.Labels) {
			params[seg.literal] = req.Labels[i]
			i++
		}
	}
	for k, v := range req.URL.Query() {
		if len(v) > 0 {
			params[k] = v[0]
		}
	}
	return params
}
