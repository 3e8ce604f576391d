package audit

import (
	"encoding/json"
	"errors"
	"reflect"
	"slices"
	"time"

	"github.com/connectfed/connectfed/internal/binrec"
	"github.com/connectfed/connectfed/internal/store"
)

// A record is stored compactly, in binrec's form, and becomes CloudTrail's JSON only when it is
// looked up or written as a JSON line: a record is written on every GetFederationToken, and
// escaping and naming its members cost the writer more than storing it. Parameters and answers
// are stored as their (redacted) JSON.
//
// A record is stored beside its row's own fields (store.AuditEvent: account, id, time, name,
// source, access key id, read-only, resource names), which lookups filter on; version 2 does not
// repeat them, as the bytes a record holds are what the writer spends its time on (encoding,
// compressing, storing). Its fields, in order: a byte of flags (recordFlags); eventVersion,
// eventType, managementEvent and eventCategory unless flagDefaults; userIdentity's type,
// principalId, arn, accountId and userName, whether it has a sessionContext and then its
// issuer's type, principalId, arn, accountId, userName and its attributes (a count plus one, 0
// for none at all, then keys and values); eventTime if flagEventTime; awsRegion,
// sourceIPAddress, userAgent, errorCode, errorMessage; requestParameters and responseElements;
// requestID; the resources if flagResources (a count, then ARN, accountId and type of each).
// The rest comes from the row: eventID, eventSource, eventName, recipientAccountId,
// userIdentity's accessKeyId and readOnly always; eventTime (the row's time, to the second) and
// the resources (the row's names, of the record's account, typed by resourceType) unless the
// record holds its own.
//
// Version 1 records (written before version 2) held every field, in the order of Event, and
// are still read.
const (
	recordVersion1 = 1
	recordVersion  = 2
)

// recordFlags say which fields a version 2 record holds itself rather than take from its row.
const (
	flagEventTime = 1 << iota // an eventTime other than the row's time
	flagResources             // resources other than the row's names, typed
	flagDefaults              // eventVersion, eventType, managementEvent and eventCategory are NewEvent's
)

var errBadRecord = errors.New("audit: stored record is malformed")

// row is the store's row of e, its body and its resource names given (a record names at most
// a few: the writer cuts them from one slice per batch).
func (e *Event) row(names []string, body []byte) store.AuditEvent {
	return store.AuditEvent{AccountID: e.RecipientAccountID, ID: e.EventID, Time: e.time, Name: e.EventName,
		Source: e.EventSource, Username: e.username, AccessKeyID: e.UserIdentity.AccessKeyID, Resources: names,
		ReadOnly: e.ReadOnly, Body: body}
}

// flags are the recordFlags of e: what its row cannot give back as it is. rowTime is
// eventTimeOf(e.time), which the writer keeps formatted.
func (e *Event) flags(rowTime string) byte {
	var f byte
	if e.EventTime != rowTime {
		f |= flagEventTime
	}
	if !e.typedResources() {
		f |= flagResources
	}
	if e.EventVersion == eventVersion && e.EventType == "AwsApiCall" && e.ManagementEvent && e.EventCategory == "Management" {
		f |= flagDefaults
	}
	return f
}

// typedResources says whether e's resources are what its row's names give back: each of the
// record's account, typed by resourceType (as SetResources makes them), none repeated or
// without an ARN (a row's names are distinct and not empty).
func (e *Event) typedResources() bool {
	if len(e.Resources) != len(e.typed) || len(e.typed) > 0 && &e.Resources[0] != &e.typed[0] {
		return false // set otherwise than by SetResources
	}
	for i, r := range e.Resources {
		if r.AccountID != e.RecipientAccountID || r.ARN == "" || slices.ContainsFunc(e.Resources[:i], func(p Resource) bool { return p.ARN == r.ARN }) {
			return false
		}
	}
	return true
}

// eventTimeOf is a row's time as eventTime writes it.
func eventTimeOf(t time.Time) string { return t.UTC().Truncate(time.Second).Format(time.RFC3339) }

// appendRecord appends e in its stored form (version 2), its parameters and answer redacted;
// rowTime is eventTimeOf(e.time).
func (e *Event) appendRecord(b []byte, rowTime string) []byte {
	f := e.flags(rowTime)
	b = append(b, recordVersion, f)
	if f&flagDefaults == 0 {
		b = appendStrings(b, e.EventVersion, e.EventType)
		b = binrec.AppendBool(b, e.ManagementEvent)
		b = appendStrings(b, e.EventCategory)
	}
	id := &e.UserIdentity
	b = appendStrings(b, id.Type, id.PrincipalID, id.ARN, id.AccountID, id.UserName)
	b = appendSession(b, id.SessionContext)
	if f&flagEventTime != 0 {
		b = appendStrings(b, e.EventTime)
	}
	b = appendStrings(b, e.AWSRegion, e.SourceIPAddress, e.UserAgent, e.ErrorCode, e.ErrorMessage)
	b = appendJSONValue(b, e.params, e.RequestParameters)
	b = appendJSONValue(b, e.response, e.ResponseElements)
	b = appendStrings(b, e.RequestID)
	if f&flagResources != 0 {
		b = appendResources(b, e.Resources)
	}
	return b
}

func appendSession(b []byte, sc *SessionContext) []byte {
	b = binrec.AppendBool(b, sc != nil)
	if sc == nil {
		return b
	}
	is := &sc.SessionIssuer
	b = appendStrings(b, is.Type, is.PrincipalID, is.ARN, is.AccountID, is.UserName)
	switch {
	case sc.Attributes == nil:
		return binrec.AppendUvarint(b, 0)
	case isWithoutMFA(sc.Attributes): // every role session's: no map to walk
		return appendStrings(binrec.AppendUvarint(b, 2), "mfaAuthenticated", "false")
	}
	b = binrec.AppendUvarint(b, uint64(len(sc.Attributes))+1)
	for k, v := range sc.Attributes {
		b = appendStrings(b, k, v)
	}
	return b
}

// isWithoutMFA says whether m is withoutMFA itself, which SetCaller gives every role session
// (and nobody changes): a pointer compared, where a lookup in m cost a tenth of the record.
func isWithoutMFA(m map[string]string) bool {
	return reflect.ValueOf(m).UnsafePointer() == reflect.ValueOf(withoutMFA).UnsafePointer()
}

func appendResources(b []byte, rs []Resource) []byte {
	b = binrec.AppendUvarint(b, uint64(len(rs)))
	for _, r := range rs {
		b = appendStrings(b, r.ARN, r.AccountID, r.Type)
	}
	return b
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

// decodeRecord reads a record appendRecord wrote (of either version) in its row.
func decodeRecord(row store.AuditEvent) (*Event, error) {
	b := row.Body
	if len(b) == 0 {
		return nil, errBadRecord
	}
	switch b[0] {
	case recordVersion1:
		e, err := decodeRecord1(b[1:])
		if err == nil {
			e.time, e.username = row.Time, row.Username
		}
		return e, err
	case recordVersion:
	default:
		return nil, errBadRecord
	}
	r := binrec.NewReader(b[1:])
	f := r.Byte()
	e := &Event{EventVersion: eventVersion, EventType: "AwsApiCall", ManagementEvent: true, EventCategory: "Management",
		EventID: row.ID, EventSource: row.Source, EventName: row.Name, RecipientAccountID: row.AccountID, ReadOnly: row.ReadOnly,
		time: row.Time, username: row.Username}
	if f&flagDefaults == 0 {
		e.EventVersion, e.EventType, e.ManagementEvent, e.EventCategory = r.String(), r.String(), r.Bool(), r.String()
	}
	id := &e.UserIdentity
	id.Type, id.PrincipalID, id.ARN, id.AccountID, id.UserName = r.String(), r.String(), r.String(), r.String(), r.String()
	id.AccessKeyID = row.AccessKeyID
	id.SessionContext = readSession(r)
	if f&flagEventTime != 0 {
		e.EventTime = r.String()
	} else {
		e.EventTime = eventTimeOf(row.Time)
	}
	e.AWSRegion, e.SourceIPAddress, e.UserAgent, e.ErrorCode, e.ErrorMessage = r.String(), r.String(), r.String(), r.String(), r.String()
	e.RequestParameters, e.ResponseElements = readJSONValue(r), readJSONValue(r)
	e.RequestID = r.String()
	if f&flagResources != 0 {
		e.Resources = readResources(r)
	} else {
		for _, name := range row.Resources {
			e.Resources = append(e.Resources, Resource{ARN: name, AccountID: row.AccountID, Type: resourceType(name)})
		}
	}
	if f&^(flagEventTime|flagResources|flagDefaults) != 0 || r.Err() != nil || r.Len() != 0 {
		return nil, errBadRecord
	}
	return e, nil
}

// decodeRecord1 reads a version 1 record, which holds every field itself.
func decodeRecord1(b []byte) (*Event, error) {
	r := binrec.NewReader(b)
	e := &Event{EventVersion: r.String()}
	id := &e.UserIdentity
	id.Type, id.PrincipalID, id.ARN, id.AccountID, id.AccessKeyID, id.UserName = r.String(), r.String(), r.String(), r.String(), r.String(), r.String()
	id.SessionContext = readSession(r)
	e.EventTime, e.EventSource, e.EventName, e.AWSRegion = r.String(), r.String(), r.String(), r.String()
	e.SourceIPAddress, e.UserAgent, e.ErrorCode, e.ErrorMessage = r.String(), r.String(), r.String(), r.String()
	e.RequestParameters, e.ResponseElements = readJSONValue(r), readJSONValue(r)
	e.RequestID, e.EventID, e.ReadOnly = r.String(), r.String(), r.Bool()
	e.Resources = readResources(r)
	e.EventType, e.ManagementEvent, e.RecipientAccountID, e.EventCategory = r.String(), r.Bool(), r.String(), r.String()
	if r.Err() != nil || r.Len() != 0 {
		return nil, errBadRecord
	}
	return e, nil
}

func readSession(r *binrec.Reader) *SessionContext {
	if !r.Bool() {
		return nil
	}
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
	return sc
}

func readResources(r *binrec.Reader) []Resource {
	var rs []Resource
	for range r.Count(3) {
		rs = append(rs, Resource{ARN: r.String(), AccountID: r.String(), Type: r.String()})
	}
	return rs
}

func readJSONValue(r *binrec.Reader) json.RawMessage {
	return json.RawMessage(slices.Clone(r.Bytes32()))
}
