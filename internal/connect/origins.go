package connect

import (
	"context"
	"errors"
	"fmt"
	"regexp"

	"github.com/connectfed/connectfed/internal/apierr"
	"github.com/connectfed/connectfed/internal/store"
)

// Approved origins: the sites that may embed an instance's agent pages. The signed-in page names
// them in its Content-Security-Policy's frame-ancestors.

// originPattern is an origin as a Content-Security-Policy source may name it: a scheme, a host
// name and an optional port. Nothing else may reach the header: a ';' or a space in an origin
// would add directives of its own.
var originPattern = regexp.MustCompile(`^https?://[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?(?::[0-9]{1,5})?$`)

// checkOrigin takes an origin as Connect does: a scheme and a host (and port), nothing else.
func checkOrigin(origin string) error {
	if origin == "" {
		return missing("origin")
	}
	if err := checkLength("origin", origin, 1, 267); err != nil {
		return err
	}
	if !originPattern.MatchString(origin) {
		return apierr.New(apierr.InvalidParameter, "Origin %s is not an origin: a scheme, a host and an optional port, such as https://agents.example.com.", origin)
	}
	return nil
}

// AssociateApprovedOrigin approves an origin for an instance.
func (s *Service) AssociateApprovedOrigin(ctx context.Context, c Caller, ref, origin string) error {
	inst, err := s.instance(ctx, c, instanceRef(ref))
	if err != nil {
		return err
	}
	if err := checkOrigin(origin); err != nil {
		return err
	}
	err = s.store.AddApprovedOrigin(ctx, inst.ID, origin)
	switch {
	case errors.Is(err, store.ErrAlreadyExists):
		return apierr.New(apierr.ResourceConflict, "The origin %s is already approved for this instance.", origin)
	case errors.Is(err, store.ErrNotFound):
		return instanceNotFound(ref)
	case err != nil:
		return fmt.Errorf("connect: add approved origin: %w", err)
	}
	return nil
}

// DisassociateApprovedOrigin withdraws an origin's approval.
func (s *Service) DisassociateApprovedOrigin(ctx context.Context, c Caller, ref, origin string) error {
	inst, err := s.instance(ctx, c, instanceRef(ref))
	if err != nil {
		return err
	}
	if err := checkOrigin(origin); err != nil {
		return err
	}
	if err := s.store.RemoveApprovedOrigin(ctx, inst.ID, origin); errors.Is(err, store.ErrNotFound) {
		return apierr.New(apierr.ResourceNotFound, "The origin %s is not approved for this instance.", origin)
	} else if err != nil {
		return fmt.Errorf("connect: remove approved origin: %w", err)
	}
	return nil
}

// ListApprovedOrigins lists an instance's approved origins, 25 at most a page, as Connect.
func (s *Service) ListApprovedOrigins(ctx context.Context, c Caller, ref, nextToken string, maxResults int) (Page[string], error) {
	return listInstancePage(ctx, s, c, ref, nextToken, maxResults, originPages, "approved origins", s.store.ListApprovedOrigins,
		func(o string) string { return o }, func(_ store.Instance, o string) string { return o })
}
