package server

import (
	"net/http"

	"github.com/connectfed/connectfed/internal/apierr"
)

// serveConnect routes Amazon Connect's restJson1 operations. None is served yet: every path
// answers UnknownOperationException as AWS does for a route it does not know.
func (s *Server) serveConnect(w http.ResponseWriter, r *http.Request, c *call) {
	s.fail(w, c.info, apierr.New(apierr.UnknownOperation, "Unknown operation %s %s", r.Method, r.URL.Path))
}
