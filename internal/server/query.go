package server

import (
	"context"
	"net/http"
	"net/url"
	"strconv"

	"github.com/connectfed/connectfed/internal/apierr"
	"github.com/connectfed/connectfed/internal/awsproto"
)

// queryAction handles one query-protocol action: it reads the form and returns the members of
// the action's Result element (nil for none).
type queryAction func(ctx context.Context, c *call, in form) (any, error)

// queryService is a query-protocol service: its namespace, API version and actions.
type queryService struct {
	xmlns   string
	version string
	actions map[string]queryAction
}

// serveQuery parses the form (body and URL query, so presigned GETs work too) and runs the
// action it names.
func (s *Server) serveQuery(w http.ResponseWriter, r *http.Request, c *call, svc queryService) {
	values, err := url.ParseQuery(string(c.body))
	if err != nil {
		s.fail(w, c.info, apierr.New(apierr.SerializationError, "The request body is not a valid form."))
		return
	}
	for k, v := range r.URL.Query() {
		if _, dup := values[k]; !dup {
			values[k] = v
		}
	}
	in := form{values}
	action := in.get("Action")
	c.info.operation = action
	if action == "" {
		s.fail(w, c.info, apierr.New(apierr.MissingAction, "Missing Action"))
		return
	}
	handle, ok := svc.actions[action]
	if !ok {
		s.fail(w, c.info, apierr.New(apierr.InvalidAction, "Could not find operation %s for version %s", action, svc.version))
		return
	}
	if s.quotas != nil && !s.admitQuota(w, c, action) {
		return
	}
	result, err := handle(r.Context(), c, in)
	if err != nil {
		s.fail(w, c.info, err)
		return
	}
	awsproto.WriteQueryResult(w, svc.xmlns, action, c.info.id, result)
}

// form reads query-protocol parameters.
type form struct{ url.Values }

func (f form) get(name string) string { return f.Values.Get(name) }

// integer reads an optional integer parameter; absent is 0.
func (f form) integer(name string) (int, error) {
	v := f.Values.Get(name)
	if v == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return 0, apierr.New(apierr.ValidationError, "1 validation error detected: Value '%s' at '%s' failed to satisfy constraint: Member must be a number", v, name)
	}
	return n, nil
}
