package audit

import (
	"encoding/json"
	"maps"
	"slices"

	"github.com/connectfed/connectfed/internal/awsproto"
)

// AppendJSON encodes the record by hand, member for member as encoding/json would (the test
// holds it to the same JSON): a record is written on every GetFederationToken, and reflection
// cost the writer an eighth of its time.
func (e *Event) AppendJSON(b []byte) []byte {
	b = append(b, `{"eventVersion":`...)
	b = awsproto.AppendJSONString(b, e.EventVersion)
	b = append(b, `,"userIdentity":`...)
	b = e.UserIdentity.appendJSON(b)
	b = field(b, "eventTime", e.EventTime)
	b = field(b, "eventSource", e.EventSource)
	b = field(b, "eventName", e.EventName)
	b = field(b, "awsRegion", e.AWSRegion)
	b = field(b, "sourceIPAddress", e.SourceIPAddress)
	b = field(b, "userAgent", e.UserAgent)
	b = optional(b, "errorCode", e.ErrorCode)
	b = optional(b, "errorMessage", e.ErrorMessage)
	b = append(b, `,"requestParameters":`...)
	b = appendRecorded(b, e.params, e.RequestParameters)
	b = append(b, `,"responseElements":`...)
	b = appendRecorded(b, e.response, e.ResponseElements)
	b = field(b, "requestID", e.RequestID)
	b = field(b, "eventID", e.EventID)
	b = append(b, `,"readOnly":`...)
	b = appendBool(b, e.ReadOnly)
	if len(e.Resources) > 0 {
		b = append(b, `,"resources":[`...)
		for i, r := range e.Resources {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, `{"ARN":`...)
			b = awsproto.AppendJSONString(b, r.ARN)
			b = field(b, "accountId", r.AccountID)
			b = optional(b, "type", r.Type)
			b = append(b, '}')
		}
		b = append(b, ']')
	}
	b = field(b, "eventType", e.EventType)
	b = append(b, `,"managementEvent":`...)
	b = appendBool(b, e.ManagementEvent)
	b = field(b, "recipientAccountId", e.RecipientAccountID)
	b = field(b, "eventCategory", e.EventCategory)
	return append(b, '}')
}

func (id Identity) appendJSON(b []byte) []byte {
	b = append(b, `{"type":`...)
	b = awsproto.AppendJSONString(b, id.Type)
	b = optional(b, "principalId", id.PrincipalID)
	b = optional(b, "arn", id.ARN)
	b = optional(b, "accountId", id.AccountID)
	b = optional(b, "accessKeyId", id.AccessKeyID)
	b = optional(b, "userName", id.UserName)
	if sc := id.SessionContext; sc != nil {
		b = append(b, `,"sessionContext":{"sessionIssuer":{"type":`...)
		b = awsproto.AppendJSONString(b, sc.SessionIssuer.Type)
		b = field(b, "principalId", sc.SessionIssuer.PrincipalID)
		b = field(b, "arn", sc.SessionIssuer.ARN)
		b = field(b, "accountId", sc.SessionIssuer.AccountID)
		b = field(b, "userName", sc.SessionIssuer.UserName)
		b = append(b, `},"attributes":`...)
		if sc.Attributes == nil {
			b = append(b, "null"...)
		} else {
			b = appendAttributes(b, sc.Attributes)
		}
		b = append(b, '}')
	}
	return append(b, '}')
}

// appendAttributes appends a session's attributes as encoding/json would, keys sorted; a map of
// one key (every role session's) without sorting anything.
func appendAttributes(b []byte, m map[string]string) []byte {
	b = append(b, '{')
	if len(m) == 1 {
		for k, v := range m {
			b = appendKeyValue(b, k, v)
		}
		return append(b, '}')
	}
	for i, k := range slices.Sorted(maps.Keys(m)) {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendKeyValue(b, k, m[k])
	}
	return append(b, '}')
}

func appendKeyValue(b []byte, k, v string) []byte {
	b = awsproto.AppendJSONString(b, k)
	b = append(b, ':')
	return awsproto.AppendJSONString(b, v)
}

func field(b []byte, name, value string) []byte {
	b = append(b, ',', '"')
	b = append(b, name...)
	b = append(b, '"', ':')
	return awsproto.AppendJSONString(b, value)
}

func optional(b []byte, name, value string) []byte {
	if value == "" {
		return b
	}
	return field(b, name, value)
}

func appendBool(b []byte, v bool) []byte {
	if v {
		return append(b, "true"...)
	}
	return append(b, "false"...)
}

// appendRecorded appends what a record keeps of a call's parameters or answer: v, redacted,
// when the caller gave one (SetParameters, SetResponse), else raw.
func appendRecorded(b []byte, v any, raw json.RawMessage) []byte {
	switch x := v.(type) {
	case nil:
		return appendRaw(b, raw)
	case Auditable:
		return x.AppendAuditJSON(b)
	}
	return append(b, Redacted(v)...)
}

// appendRaw appends a RawMessage, null when empty. The records' raw members are this package's
// own output (Redacted's, an Auditable's): compact JSON already.
func appendRaw(b []byte, raw json.RawMessage) []byte {
	if len(raw) == 0 {
		return append(b, "null"...)
	}
	return append(b, raw...)
}
