package audit

import (
	"encoding/json"
	"strings"

	"github.com/connectfed/connectfed/internal/arn"
	"github.com/connectfed/connectfed/internal/identity"
)

// Hidden is what stands in a record for a value a record must not hold, as CloudTrail writes it.
const Hidden = "HIDDEN_DUE_TO_SECURITY_REASONS"

// secretKeys are the members whose values are secrets, tokens or passwords, by lower-case name:
// a record keeps that they were there, never what they were.
var secretKeys = map[string]bool{
	"password": true, "secretaccesskey": true, "sessiontoken": true, "accesstoken": true, "refreshtoken": true,
	"token": true, "signinurl": true, "samlassertion": true, "samlresponse": true, "webidentitytoken": true,
	"x-amz-security-token": true, "x-amz-signature": true, "credential": true,
}

// Auditable is a value that writes its own record JSON, secrets already hidden and members
// named as CloudTrail names them: the hot path's answers, which spares them the generic
// redaction's three passes.
type Auditable interface {
	AppendAuditJSON(b []byte) []byte
}

// Redacted is v as a record's JSON: members named in lowerCamelCase, as CloudTrail writes
// them, and every secret member's value hidden. nil is JSON null.
func Redacted(v any) json.RawMessage {
	if v == nil {
		return json.RawMessage("null")
	}
	if a, ok := v.(Auditable); ok {
		return a.AppendAuditJSON(nil)
	}
	b, err := json.Marshal(v)
	if err != nil {
		return json.RawMessage("null")
	}
	var tree any
	if err := json.Unmarshal(b, &tree); err != nil {
		return json.RawMessage("null")
	}
	out, err := json.Marshal(redact(tree))
	if err != nil {
		return json.RawMessage("null")
	}
	return out
}

func redact(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, val := range x {
			if secretKeys[strings.ToLower(k)] {
				out[LowerCamel(k)] = Hidden
				continue
			}
			out[LowerCamel(k)] = redact(val)
		}
		return out
	case []any:
		for i := range x {
			x[i] = redact(x[i])
		}
		return x
	}
	return v
}

// LowerCamel is a member name as CloudTrail writes it: SecurityProfileIds → securityProfileIds,
// ARN stays ARN (an initialism).
func LowerCamel(k string) string {
	if k == "" || k == strings.ToUpper(k) {
		return k
	}
	return strings.ToLower(k[:1]) + k[1:]
}

// withoutMFA are a role session's attributes: connectfed knows no MFA. One map for every
// record, never written to.
var withoutMFA = map[string]string{"mfaAuthenticated": "false"}

// SetCaller sets who called, as CloudTrail's userIdentity, and the name LookupEvents shows the
// event under (and finds it by).
func (e *Event) SetCaller(p identity.Principal) {
	id := &e.UserIdentity
	*id = Identity{PrincipalID: p.UserID, ARN: p.ARN, AccountID: p.AccountID, AccessKeyID: p.AccessKeyID}
	switch p.Kind {
	case identity.Root:
		id.Type, e.username = "Root", "root"
	case identity.IAMUser:
		id.Type, id.UserName, e.username = "IAMUser", p.UserName, p.UserName
	case identity.AssumedRole:
		id.Type, e.username = "AssumedRole", p.SessionName
		roleARN := p.RoleARN
		if roleARN == "" {
			roleARN = arn.Role(p.AccountID, p.RolePath, p.RoleName)
		}
		e.session = SessionContext{
			SessionIssuer: Issuer{Type: "Role", PrincipalID: p.RoleID, ARN: roleARN, AccountID: p.AccountID, UserName: p.RoleName},
			Attributes:    withoutMFA,
		}
		id.SessionContext = &e.session
	default:
		id.Type, e.username = "Unknown", ""
	}
}

// SetResources sets the resources of ARNs, without patterns (a Create's INSTANCE/agent/*) and
// "*", typed as CloudTrail types them where connectfed knows the type. The stored record takes
// them back from its row's names (record.go), so replace Resources rather than change its
// elements in place.
func (e *Event) SetResources(account string, arns ...string) {
	e.Resources, e.typed = nil, nil
	for _, a := range arns {
		if strings.Contains(a, "*") || !strings.HasPrefix(a, "arn:") {
			continue
		}
		if e.Resources == nil {
			e.Resources = e.resources[:0]
		}
		e.Resources = append(e.Resources, Resource{ARN: a, AccountID: account, Type: resourceType(a)})
	}
	e.typed = e.Resources
}

// connectTypes are CloudTrail's types of the resources of a Connect instance, by the kind in
// their ARN.
var connectTypes = map[string]string{"agent": "AWS::Connect::User", "user": "AWS::Connect::User",
	"security-profile": "AWS::Connect::SecurityProfile", "routing-profile": "AWS::Connect::RoutingProfile",
	"queue": "AWS::Connect::Queue", "agent-group": "AWS::Connect::UserHierarchyGroup"}

func resourceType(a string) string {
	parsed, err := arn.Parse(a)
	if err != nil {
		return ""
	}
	kind, rest, _ := strings.Cut(parsed.Resource, "/")
	switch parsed.Service + ":" + kind {
	case "connect:instance":
		// instance/ID, or instance/ID/KIND/ID.
		if _, rest, ok := strings.Cut(rest, "/"); ok {
			kind, _, _ := strings.Cut(rest, "/")
			return connectTypes[kind]
		}
		return "AWS::Connect::Instance"
	case "iam:user":
		return "AWS::IAM::User"
	case "iam:role":
		return "AWS::IAM::Role"
	case "iam:policy":
		return "AWS::IAM::Policy"
	case "iam:saml-provider":
		return "AWS::IAM::SAMLProvider"
	}
	return ""
}
