package audit

import (
	"encoding/json"
	"errors"
	"slices"

	"github.com/connectfed/connectfed/internal/binrec"
)

// A record is stored compactly, in binrec's form, and becomes CloudTrail's JSON only when it is
// looked up or written as a JSON line: a record is written on every GetFederationToken, and
// escaping and naming its members cost the writer more than storing it. Parameters and answers
// are stored as their (redacted) JSON. The fields, in order: eventVersion; userIdentity's type,
// principalId, arn, accountId, accessKeyId, userName, whether it has a sessionContext and then
// its issuer's type, principalId, arn, accountId, userName and its attributes (a count plus one,
// 0 for none at all, then keys and values); eventTime, eventSource, eventName, awsRegion,
// sourceIPAddress, userAgent, errorCode, errorMessage; requestParameters and responseElements;
// requestID, eventID, readOnly; the resources (a count, then ARN, accountId and type of each);
// eventType, managementEvent, recipientAccountId, eventCategory.
const recordVersion = 1

var errBadRecord = errors.New("audit: stored record is malformed")

// appendRecord appends e in its stored form, its parameters and answer redacted.
func (e *Event) appendRecord(b []byte) []byte {
	b = append(b, recordVersion)
	id := &e.UserIdentity
	b = appendStrings(b, e.EventVersion, id.Type, id.PrincipalID, id.ARN, id.AccountID, id.AccessKeyID, id.UserName)
	b = binrec.AppendBool(b, id.SessionContext != nil)
	if sc := id.SessionContext; sc != nil {
		is := &sc.SessionIssuer
		b = appendStrings(b, is.Type, is.PrincipalID, is.ARN, is.AccountID, is.UserName)
		if sc.Attributes == nil {
			b = binrec.AppendUvarint(b, 0)
		} else {
			b = binrec.AppendUvarint(b, uint64(len(sc.Attributes))+1)
			for k, v := range sc.Attributes {
				b = appendStrings(b, k, v)
			}
		}
	}
	b = appendStrings(b, e.EventTime, e.EventSource, e.EventName, e.AWSRegion, e.SourceIPAddress, e.UserAgent, e.ErrorCode, e.ErrorMessage)
	b = appendJSONValue(b, e.params, e.RequestParameters)
	b = appendJSONValue(b, e.response, e.ResponseElements)
	b = appendStrings(b, e.RequestID, e.EventID)
	b = binrec.AppendBool(b, e.ReadOnly)
	b = binrec.AppendUvarint(b, uint64(len(e.Resources)))
	for _, r := range e.Resources {
		b = appendStrings(b, r.ARN, r.AccountID, r.Type)
	}
	b = appendStrings(b, e.EventType)
	b = binrec.AppendBool(b, e.ManagementEvent)
	return appendStrings(b, e.RecipientAccountID, e.EventCategory)
}

func appendStrings(b []byte, values ...string) []byte {
	for _, v := range values {
		b = binrec.AppendString(b, v)
	}
	return b
}

// appendJSONValue appends what appendRecorded writes, written in place (not built twice) with
// its length patched in after.
func appendJSONValue(b []byte, v any, raw json.RawMessage) []byte {
	b, at := binrec.OpenBytes32(b)
	return binrec.CloseBytes32(appendRecorded(b, v, raw), at)
}

// decodeRecord reads a record appendRecord wrote.
func decodeRecord(b []byte) (*Event, error) {
	if len(b) == 0 || b[0] != recordVersion {
		return nil, errBadRecord
	}
	r := binrec.NewReader(b[1:])
	e := &Event{EventVersion: r.String()}
	id := &e.UserIdentity
	id.Type, id.PrincipalID, id.ARN, id.AccountID, id.AccessKeyID, id.UserName = r.String(), r.String(), r.String(), r.String(), r.String(), r.String()
	if r.Bool() {
		sc := &SessionContext{}
		is := &sc.SessionIssuer
		is.Type, is.PrincipalID, is.ARN, is.AccountID, is.UserName = r.String(), r.String(), r.String(), r.String(), r.String()
		if n := r.Count(2); n > 0 {
			sc.Attributes = make(map[string]string, n-1)
			for range n - 1 {
				k := r.String()
				sc.Attributes[k] = r.String()
			}
		}
		id.SessionContext = sc
	}
	e.EventTime, e.EventSource, e.EventName, e.AWSRegion = r.String(), r.String(), r.String(), r.String()
	e.SourceIPAddress, e.UserAgent, e.ErrorCode, e.ErrorMessage = r.String(), r.String(), r.String(), r.String()
	e.RequestParameters, e.ResponseElements = readJSONValue(r), readJSONValue(r)
	e.RequestID, e.EventID, e.ReadOnly = r.String(), r.String(), r.Bool()
	for range r.Count(3) {
		e.Resources = append(e.Resources, Resource{ARN: r.String(), AccountID: r.String(), Type: r.String()})
	}
	e.EventType, e.ManagementEvent, e.RecipientAccountID, e.EventCategory = r.String(), r.Bool(), r.String(), r.String()
	if r.Err() != nil || r.Len() != 0 {
		return nil, errBadRecord
	}
	return e, nil
}

func readJSONValue(r *binrec.Reader) json.RawMessage {
	return json.RawMessage(slices.Clone(r.Bytes32()))
}
