// Package awsproto owns connectfed's server-side wire encoders: restJson1 bodies and errors
// (Amazon Connect) and the query protocol's XML results and errors (IAM, STS). Handlers hand it
// values and *apierr.Error; they never build a body by hand. It knows nothing of the domain.
package awsproto

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/connectfed/connectfed/internal/apierr"
)

// Protocol says how a request expects its answer.
type Protocol int

const (
	// RestJSON is restJson1: JSON bodies, the error type in X-Amzn-ErrorType.
	RestJSON Protocol = iota
	// Query is the query protocol: form-encoded requests, XML answers.
	Query
	// Native is connectfed's own API under /federation/v1/: JSON in an envelope,
	// {"success": true, "data": ...} or {"success": false, "error": {"code", "message"}}.
	Native
	// JSON11 is awsJson1_1 (CloudTrail): POST / with the operation in X-Amz-Target, JSON both
	// ways, the error type in the body's __type.
	JSON11
)

// ContentTypeJSON11 is awsJson1_1's content type.
const ContentTypeJSON11 = "application/x-amz-json-1.1"

// The Content-Type values of the answers, shared by every answer: net/http only reads them, and
// a slice of capacity one is copied, not changed, by anything that appends to it.
var (
	jsonType   = []string{"application/json"}
	json11Type = []string{ContentTypeJSON11}
	xmlType    = []string{"text/xml"}
)

// Header names every answer carries.
const (
	HeaderRequestID = "X-Amzn-RequestId"
	HeaderErrorType = "X-Amzn-ErrorType"
)

var bufPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

func write(w http.ResponseWriter, status int, contentType []string, body []byte) {
	h := w.Header()
	// Set directly in their canonical form: Header.Set canonicalises the key and allocates
	// a slice for the value on every answer.
	h["Content-Type"] = contentType
	h["Content-Length"] = []string{strconv.Itoa(len(body))}
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// WriteJSON answers a restJson1 success with v encoded as JSON.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	buf := bufPool.Get().(*bytes.Buffer)
	defer func() { buf.Reset(); bufPool.Put(buf) }()
	if a, ok := v.(JSONAppender); ok {
		b := a.AppendJSON(buf.AvailableBuffer())
		write(w, status, jsonType, b)
		// Keep the grown array for the next answer.
		buf.Write(b)
		return
	}
	enc := json.NewEncoder(buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		WriteJSONError(w, apierr.Of(err))
		return
	}
	write(w, status, jsonType, bytes.TrimSuffix(buf.Bytes(), []byte("\n")))
}

type jsonError struct {
	Message string `json:"message"`
}

// WriteJSONError answers a restJson1 error: the type in X-Amzn-ErrorType (where the SDKs look
// first) and {"message": ...} in the body.
func WriteJSONError(w http.ResponseWriter, e *apierr.Error) {
	spec := e.Spec()
	w.Header().Set(HeaderErrorType, spec.JSONType)
	body, _ := json.Marshal(jsonError{Message: e.Text()})
	write(w, spec.Status, jsonType, body)
}

// WriteError answers e in protocol p. xmlns is the query service's namespace (ignored for
// restJson1).
func WriteError(w http.ResponseWriter, p Protocol, xmlns, requestID string, e *apierr.Error) {
	switch p {
	case Query:
		WriteQueryError(w, xmlns, requestID, e)
	case Native:
		WriteNativeError(w, e)
	case JSON11:
		WriteJSON11Error(w, e)
	default:
		WriteJSONError(w, e)
	}
}

type json11Error struct {
	Type    string `json:"__type"`
	Message string `json:"message"`
}

// WriteJSON11Error answers an awsJson1_1 error: the type in the body's __type, as the SDKs
// read it, and in X-Amzn-ErrorType.
func WriteJSON11Error(w http.ResponseWriter, e *apierr.Error) {
	spec := e.Spec()
	w.Header().Set(HeaderErrorType, spec.JSONType)
	body, _ := json.Marshal(json11Error{Type: spec.JSONType, Message: e.Text()})
	write(w, spec.Status, json11Type, body)
}

// WriteJSON11 answers an awsJson1_1 success with v encoded as JSON.
func WriteJSON11(w http.ResponseWriter, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		WriteJSON11Error(w, apierr.Of(err))
		return
	}
	write(w, http.StatusOK, json11Type, body)
}

type nativeSuccess struct {
	Success bool `json:"success"`
	Data    any  `json:"data"`
}

type nativeFailure struct {
	Success bool `json:"success"`
	Error   struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

// WriteNative answers a native API success with data in the envelope.
func WriteNative(w http.ResponseWriter, data any) {
	WriteJSON(w, http.StatusOK, nativeSuccess{Success: true, Data: data})
}

// WriteNativeError answers a native API failure: the envelope's code, and the status of the
// table's row.
func WriteNativeError(w http.ResponseWriter, e *apierr.Error) {
	var f nativeFailure
	spec := e.Spec()
	f.Error.Code, f.Error.Message = spec.NativeCode(), e.Text()
	body, _ := json.Marshal(f)
	write(w, spec.Status, jsonType, body)
}

// Namespaces of the query-protocol services.
const (
	IAMNamespace = "https://iam.amazonaws.com/doc/2010-05-08/"
	STSNamespace = "https://sts.amazonaws.com/doc/2011-06-15/"
)

type queryErrorBody struct {
	XMLName   xml.Name `xml:"ErrorResponse"`
	Xmlns     string   `xml:"xmlns,attr,omitempty"`
	Error     queryErr `xml:"Error"`
	RequestID string   `xml:"RequestId"`
}

type queryErr struct {
	Type    string `xml:"Type"`
	Code    string `xml:"Code"`
	Message string `xml:"Message"`
}

// WriteQueryError answers a query-protocol error as IAM and STS do.
func WriteQueryError(w http.ResponseWriter, xmlns, requestID string, e *apierr.Error) {
	spec := e.Spec()
	kind := "Sender"
	if !spec.Sender {
		kind = "Receiver"
	}
	writeXML(w, spec.Status, queryErrorBody{
		Xmlns:     xmlns,
		Error:     queryErr{Type: kind, Code: spec.QueryCode, Message: e.Text()},
		RequestID: requestID,
	})
}

type responseMetadata struct {
	RequestID string `xml:"RequestId"`
}

type queryResponse struct {
	XMLName  xml.Name
	Xmlns    string `xml:"xmlns,attr"`
	Result   any
	Metadata responseMetadata `xml:"ResponseMetadata"`
}

// WriteQueryResult answers a query-protocol success: <ActionResponse><ActionResult>result
// </ActionResult><ResponseMetadata>...</ResponseMetadata></ActionResponse>. result is a struct
// whose fields are the members of ActionResult; nil writes no result element, as IAM does for
// actions that return nothing.
func WriteQueryResult(w http.ResponseWriter, xmlns, action, requestID string, result any) {
	resp := queryResponse{
		XMLName:  xml.Name{Local: action + "Response"},
		Xmlns:    xmlns,
		Metadata: responseMetadata{RequestID: requestID},
	}
	if result != nil {
		resp.Result = resultElement{name: action + "Result", v: result}
	}
	writeXML(w, http.StatusOK, resp)
}

// resultElement names the element of a result after the action, so result types need no
// XMLName of their own.
type resultElement struct {
	name string
	v    any
}

func (r resultElement) MarshalXML(e *xml.Encoder, _ xml.StartElement) error {
	return e.EncodeElement(r.v, xml.StartElement{Name: xml.Name{Local: r.name}})
}

func writeXML(w http.ResponseWriter, status int, v any) {
	buf := bufPool.Get().(*bytes.Buffer)
	defer func() { buf.Reset(); bufPool.Put(buf) }()
	buf.WriteString(xml.Header)
	if err := xml.NewEncoder(buf).Encode(v); err != nil {
		buf.Reset()
		buf.WriteString(xml.Header)
		_ = xml.NewEncoder(buf).Encode(queryErrorBody{Error: queryErr{Type: "Receiver", Code: "InternalFailure",
			Message: apierr.Lookup(apierr.InternalFailure).Message}})
		status = http.StatusInternalServerError
	}
	write(w, status, xmlType, buf.Bytes())
}

// Timestamp formats a time as the query protocol's ISO 8601 (what IAM prints).
func Timestamp(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05Z") }
