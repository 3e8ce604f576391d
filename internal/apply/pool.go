package apply

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/aws/smithy-go"
)

// each calls fn for every item, at most n at a time. After the first failure (or once ctx is
// done) it starts no more items, lets those running finish, and returns every failure: a
// systematic error should stop a 10,000-request plan early, not repeat 10,000 times.
func each[T any](ctx context.Context, n int, items []T, fn func(context.Context, T) error) []error {
	if len(items) == 0 {
		return nil
	}
	n = max(1, min(n, len(items)))
	var (
		next    atomic.Int64
		stopped atomic.Bool
		mu      sync.Mutex
		errs    []error
		wg      sync.WaitGroup
	)
	for range n {
		wg.Go(func() {
			for !stopped.Load() {
				i := int(next.Add(1) - 1)
				if i >= len(items) {
					return
				}
				if ctx.Err() != nil {
					stopped.Store(true)
					mu.Lock()
					if len(errs) == 0 {
						errs = append(errs, ctx.Err())
					}
					mu.Unlock()
					return
				}
				if err := fn(ctx, items[i]); err != nil {
					stopped.Store(true)
					mu.Lock()
					errs = append(errs, err)
					mu.Unlock()
				}
			}
		})
	}
	wg.Wait()
	return errs
}

// ResourceError is a failed request about one resource.
type ResourceError struct {
	// Action is what was being done: "create", "delete", "list", ...
	Action string
	// Resource names it as the plan does: "iam user ops", "connect user demo/agent1".
	Resource string
	Err      error
}

func (e *ResourceError) Error() string {
	return e.Action + " " + e.Resource + ": " + describe(e.Err)
}

func (e *ResourceError) Unwrap() error { return e.Err }

// describe says what went wrong as AWS named it: the error type and message, without the SDK's
// wrapping (operation name, status, request id) that repeats on every line.
func describe(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		if msg := ae.ErrorMessage(); msg != "" {
			return ae.ErrorCode() + ": " + msg
		}
		return ae.ErrorCode()
	}
	return err.Error()
}

func failed(action, resource string, err error) error {
	if err == nil {
		return nil
	}
	return &ResourceError{Action: action, Resource: resource, Err: err}
}

// Errors is more than one failure.
type Errors []error

// maxShown bounds how many failures an error message lists.
const maxShown = 10

func (e Errors) Error() string {
	if len(e) == 1 {
		return e[0].Error()
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%d failures:", len(e))
	for i, err := range e {
		if i == maxShown {
			fmt.Fprintf(&b, "\n  ... and %d more", len(e)-maxShown)
			break
		}
		b.WriteString("\n  " + err.Error())
	}
	return b.String()
}

func (e Errors) Unwrap() []error { return e }

func joinErrors(errs []error) error {
	switch len(errs) {
	case 0:
		return nil
	case 1:
		return errs[0]
	}
	return Errors(errs)
}
