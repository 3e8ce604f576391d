package server

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"mime"
	"net/http"
	"strings"

	"github.com/connectfed/connectfed/internal/apierr"
	"github.com/connectfed/connectfed/internal/awsproto"
	"github.com/connectfed/connectfed/internal/identity"
	"github.com/connectfed/connectfed/internal/sigv4"
	"github.com/connectfed/connectfed/internal/store"
)

// emptyPayloadHash is the SHA-256 of an empty body, precomputed for the bodiless GETs of the
// hot path.
const emptyPayloadHash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

// call is an authenticated AWS request on its way to a handler.
type call struct {
	principal identity.Principal
	region    string
	body      []byte
	info      *requestInfo
}

// serveAWS authenticates a request with SigV4 and routes it by its credential scope's service.
func (s *Server) serveAWS(w http.ResponseWriter, r *http.Request) {
	ri := info(r.Context())
	ri.protocol = guessProtocol(r)

	body, err := s.readBody(w, r, s.cfg.MaxBodyBytes)
	if err != nil {
		s.fail(w, ri, err)
		return
	}
	signed, p, err := s.authenticate(r, body)
	handler, ok := service{}, false
	if signed != nil {
		if handler, ok = s.services[signed.Service]; ok {
			ri.protocol, ri.xmlns = handler.protocol, handler.xmlns
		}
	}
	if err != nil {
		s.fail(w, ri, err)
		return
	}
	ri.principal = p.ARN
	if !ok {
		s.fail(w, ri, apierr.New(apierr.UnknownOperation, "Service %s is not served here; connectfed serves connect, iam and sts.", signed.Service))
		return
	}
	handler.serve(w, r, &call{principal: p, region: signed.Region, body: body, info: ri})
}

// authenticate checks the request's SigV4 signature over body and says who signed it. The
// parsed signature comes back whenever the request had one, even when it fails, so the caller
// can answer in the protocol of its credential scope.
func (s *Server) authenticate(r *http.Request, body []byte) (*sigv4.Signed, identity.Principal, error) {
	signed, err := sigv4.Parse(r)
	if err != nil {
		return nil, identity.Principal{}, err
	}
	cred, err := s.identity.Lookup(r.Context(), signed.AccessKeyID)
	if err != nil {
		return signed, identity.Principal{}, err
	}
	payloadHash := emptyPayloadHash
	if len(body) > 0 {
		sum := sha256.Sum256(body)
		payloadHash = hex.EncodeToString(sum[:])
	}
	now := s.cfg.Now()
	if err := signed.Verify(r, cred.Secret, payloadHash, now, s.sigOpts); err != nil {
		return signed, identity.Principal{}, err
	}
	p, err := cred.Admit(signed.SessionToken, now)
	return signed, p, err
}

// service is one AWS service the server answers for.
type service struct {
	protocol awsproto.Protocol
	xmlns    string
	serve    func(http.ResponseWriter, *http.Request, *call)
}

func (s *Server) routeServices() map[string]service {
	return map[string]service{
		"iam":     {protocol: awsproto.Query, xmlns: awsproto.IAMNamespace, serve: s.serveIAM},
		"sts":     {protocol: awsproto.Query, xmlns: awsproto.STSNamespace, serve: s.serveSTS},
		"connect": {protocol: awsproto.RestJSON, serve: s.serveConnect},
	}
}

// guessProtocol picks the answer format before the credential scope is known: query-protocol
// requests are form posts or carry an Action.
func guessProtocol(r *http.Request) awsproto.Protocol {
	if ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); ct == "application/x-www-form-urlencoded" {
		return awsproto.Query
	}
	if strings.Contains(r.URL.RawQuery, "Action=") {
		return awsproto.Query
	}
	return awsproto.RestJSON
}

// readBody reads the whole body, refusing one over limit.
func (s *Server) readBody(w http.ResponseWriter, r *http.Request, limit int64) ([]byte, error) {
	if r.ContentLength > limit {
		return nil, apierr.New(apierr.RequestTooLarge, "Request body of %d bytes is larger than the limit of %d bytes.", r.ContentLength, limit)
	}
	if r.ContentLength == 0 {
		return nil, nil
	}
	b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		return nil, apierr.New(apierr.RequestTooLarge, "Request body is larger than the limit of %d bytes.", limit)
	}
	if err != nil {
		return nil, apierr.New(apierr.SerializationError, "The request body could not be read.")
	}
	return b, nil
}

// fail answers err in the request's protocol. An error not meant for the caller becomes an
// InternalFailure, or ServiceUnavailable when the store is out of reach, and is logged under
// the request id so an operator can find it.
func (s *Server) fail(w http.ResponseWriter, ri *requestInfo, err error) {
	e := s.classify(ri, err)
	ri.errorCode = e.Spec().JSONType
	awsproto.WriteError(w, ri.protocol, ri.xmlns, ri.id, e)
}

// classify turns err into the error the caller sees, logging what the caller is not told.
func (s *Server) classify(ri *requestInfo, err error) *apierr.Error {
	e := apierr.Of(err)
	if e.Code != apierr.InternalFailure {
		return e
	}
	if errors.Is(err, store.ErrStorageFull) {
		s.log.Error("storage full: a write was refused", "request_id", ri.id, "err", err)
		return apierr.New(apierr.ServiceUnavailable, "The server's storage is full or failing: the change was not made. Try again later.")
	}
	if s.unavailable(err) {
		s.log.Warn("store unavailable", "request_id", ri.id, "err", err)
		return apierr.New(apierr.ServiceUnavailable, "")
	}
	s.log.Error("internal error", "request_id", ri.id, "err", err)
	return e
}
