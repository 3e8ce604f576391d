package awsapi

import (
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/connectfed/connectfed/internal/arn"
	"github.com/connectfed/connectfed/internal/awsproto"
	"github.com/connectfed/connectfed/internal/identity"
	"github.com/connectfed/connectfed/internal/server/httpx"
)

// Every row names its IAM action and a resource-ARN builder, and the builder's ARNs are ARNs
// (or "*") of the caller's account.
func TestEveryOperationHasActionAndResources(t *testing.T) {
	caller := identity.Principal{Kind: identity.IAMUser, AccountID: "123456789012",
		ARN: "arn:aws:iam::123456789012:user/ops", UserID: "AIDAEXAMPLE", UserName: "ops"}
	seen := map[OperationID]bool{}
	for _, op := range Operations() {
		if seen[op.ID()] {
			t.Errorf("%s is in the table twice", op.ID())
		}
		seen[op.ID()] = true
		if op.handle == nil {
			t.Errorf("%s has no handler", op.ID())
		}
		if want := op.Service + ":"; !strings.HasPrefix(op.Action, want) || len(op.Action) == len(want) {
			t.Errorf("%s: action %q is not %s<action>", op.ID(), op.Action, want)
		}
		if op.Resources == nil {
			t.Errorf("%s has no resource-ARN builder", op.ID())
			continue
		}
		req := &Request{Principal: caller, Region: "us-east-1", Form: Form{url.Values{
			"UserName": {"alice"}, "RoleName": {"Agent"}, "RoleArn": {"arn:aws:iam::123456789012:role/Agent"},
			"PolicyName": {"Boundary"}, "PolicyArn": {"arn:aws:iam::123456789012:policy/Boundary"},
			"PolicySourceArn": {"arn:aws:iam::123456789012:user/alice"}, "SAMLProviderArn": {"arn:aws:iam::123456789012:saml-provider/Okta"}}}}
		for _, seg := range op.segments {
			switch {
			case seg.label && seg.literal == "resourceArn":
				req.Labels = append(req.Labels, "arn:aws:connect:us-east-1:123456789012:instance/0a1b2c3d-0000-4000-8000-000000000000")
			case seg.label:
				req.Labels = append(req.Labels, "0a1b2c3d-0000-4000-8000-000000000000")
			}
		}
		arns := op.Resources(req)
		if len(arns) == 0 {
			t.Errorf("%s: no resources", op.ID())
		}
		for _, a := range arns {
			if a == "*" {
				continue
			}
			parsed, err := arn.Parse(a)
			if err != nil || parsed.Account != caller.AccountID {
				t.Errorf("%s: resource %q is not an ARN of account %s", op.ID(), a, caller.AccountID)
			}
		}
	}
}

// The router reaches every restJson1 row by its own method and path, and every query row by
// its Action: nothing is routed that the table does not list, and nothing listed is
// unreachable.
func TestRoutingReachesEveryRow(t *testing.T) {
	for _, op := range Operations() {
		svc := services[op.Service]
		req := &Request{info: &httpx.Info{}}
		var got *Operation
		var err error
		switch op.Protocol {
		case awsproto.Query:
			req.Request = httptest.NewRequest("POST", "/", nil)
			req.Payload = []byte("Action=" + op.Name)
			got, err = svc.routeQuery(req)
		case awsproto.JSON11:
			// Both forms of X-Amz-Target: botocore's, with the model's namespace, and the Go SDK's.
			for _, target := range []string{"com.amazonaws.cloudtrail.v20131101." + svc.target + "." + op.Name, svc.target + "." + op.Name} {
				req.Request = httptest.NewRequest("POST", "/", nil)
				req.Request.Header.Set("X-Amz-Target", target)
				if got, err = svc.routeTarget(req); err != nil {
					break
				}
			}
		default:
			path := ""
			for _, seg := range op.segments {
				if seg.label {
					path += "/x"
				} else {
					path += "/" + seg.literal
				}
			}
			req.Request = httptest.NewRequest(op.Method, path, nil)
			got, err = svc.routeREST(req)
		}
		if err != nil || got == nil || got.ID() != op.ID() {
			t.Errorf("%s: routed to %v, %v", op.ID(), got, err)
		}
		if req.info.Operation != op.Name {
			t.Errorf("%s: the request's operation is %q", op.ID(), req.info.Operation)
		}
	}
}

func TestGetFederationTokenResourceIsDocumentedForm(t *testing.T) {
	req := &Request{Region: "eu-west-2", Labels: []string{"inst-1"}, Principal: identity.Principal{
		Kind: identity.AssumedRole, AccountID: "123456789012", UserID: "AROAEXAMPLE:agent1"}}
	got := federatedUser(req)
	want := "arn:aws:connect:eu-west-2:123456789012:instance/inst-1/user/AROAEXAMPLE:agent1"
	if len(got) != 1 || got[0] != want {
		t.Errorf("resource %v, want %s", got, want)
	}
	// An instance named by its ARN is that ARN's, whatever the credential scope says.
	req.Labels = []string{"arn:aws:connect:us-west-2:210987654321:instance/inst-2"}
	if got := instance(req); got[0] != "arn:aws:connect:us-west-2:210987654321:instance/inst-2" {
		t.Errorf("resource %v", got)
	}
}

func TestDefaultQuotasCoverEveryConnectRow(t *testing.T) {
	q := DefaultQuotas()
	for _, op := range Operations() {
		_, has := q[op.ID()]
		if has != (op.Service == "connect") {
			t.Errorf("%s: default quota present %v", op.ID(), has)
		}
	}
}
