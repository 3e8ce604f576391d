package connect

import (
	"context"
	"encoding/base64"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/connectfed/connectfed/internal/apierr"
	"github.com/connectfed/connectfed/internal/arn"
	"github.com/connectfed/connectfed/internal/store"
)

var (
	aliasPattern     = regexp.MustCompile(`^[\da-zA-Z]+(-*[\da-zA-Z])*$`)
	directoryPattern = regexp.MustCompile(`^d-[0-9a-f]{10}$`)
	e164Pattern      = regexp.MustCompile(`^\+[1-9]\d{1,14}$`)
)

// isID reports whether s is a resource id: ^[a-zA-Z0-9-]+$. A loop rather than a regexp: every
// Connect request checks its instance id, and the regexp cost as much as minting a token.
func isID(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-') {
			return false
		}
	}
	return s != ""
}

func printableASCII(b []byte) bool {
	for _, c := range b {
		if c < 0x20 || c > 0x7e {
			return false
		}
	}
	return true
}

// invalid and missing are AWS's validation messages, as InvalidParameterException.
func invalid(member, value, constraint string) error {
	return apierr.Validation(apierr.InvalidParameter, apierr.Invalid(member, value, constraint))
}

func missing(member string) error {
	return apierr.Validation(apierr.InvalidParameter, apierr.Null(member))
}

// checkLength checks a string member's length in characters.
func checkLength(member, value string, minLen, maxLen int) error {
	return apierr.CheckLength(apierr.InvalidParameter, member, value, minLen, maxLen)
}

// instanceRef is an InstanceId as a caller gave it: an id, or the instance's full ARN.
type instanceRef string

// resolve checks the reference and returns the id it names. An ARN of another account or
// region names an instance the caller cannot see, which is reported as not found.
func (r instanceRef) resolve(c Caller) (string, error) {
	v := string(r)
	if err := checkLength("instanceId", v, 1, 100); err != nil {
		return "", err
	}
	if !strings.HasPrefix(v, "arn:") {
		if !isID(v) {
			return "", invalid("instanceId", v, "Member must be an instance id or an instance ARN")
		}
		return v, nil
	}
	ref, ok := arn.ParseInstance(v)
	if !ok || !isID(ref.ID) {
		return "", invalid("instanceId", v, "Member must be an instance id or an instance ARN")
	}
	if ref.Region != c.Region || ref.Account != c.Principal.AccountID {
		return "", instanceNotFound(v)
	}
	return ref.ID, nil
}

func instanceNotFound(ref string) error {
	return apierr.New(apierr.ResourceNotFound, "The specified instance was not found: %s", ref)
}

// badNextToken refuses a NextToken that no page of ours gave (a new error each time: an error
// value is the caller's to annotate).
func badNextToken() error { return apierr.New(apierr.InvalidParameter, "The NextToken is not valid.") }

// pageRequest reads NextToken and MaxResults. The token is opaque to callers: the key of the
// last item of the previous page.
func pageRequest(nextToken string, maxResults, limit, defaultSize int) (store.Page, error) {
	if maxResults == 0 {
		maxResults = defaultSize
	}
	if maxResults < 1 {
		return store.Page{}, invalid("maxResults", fmt.Sprint(maxResults), "Member must have value greater than or equal to 1")
	}
	if maxResults > limit {
		return store.Page{}, invalid("maxResults", fmt.Sprint(maxResults), fmt.Sprintf("Member must have value less than or equal to %d", limit))
	}
	p := store.Page{Limit: maxResults + 1}
	if nextToken != "" {
		b, err := base64.RawURLEncoding.DecodeString(nextToken)
		// Every key is printable ASCII (ids, usernames); anything else is no token of ours,
		// and PostgreSQL would refuse it (NUL, bytes that are not UTF-8) with a 500.
		if err != nil || len(b) == 0 || !printableASCII(b) {
			return store.Page{}, badNextToken()
		}
		p.After = string(b)
	}
	return p, nil
}

// Page is one page of a listing and the token for the next ("" on the last).
type Page[T any] struct {
	Items     []T
	NextToken string
}

// pageOf trims the one extra item pageRequest asked for into a NextToken, and returns the
// views of the rest.
func pageOf[T, V any](items []T, p store.Page, key func(T) string, view func(T) V) Page[V] {
	var page Page[V]
	if size := p.Limit - 1; len(items) > size {
		items = items[:size]
		page.NextToken = base64.RawURLEncoding.EncodeToString([]byte(key(items[size-1])))
	}
	page.Items = make([]V, len(items))
	for i, item := range items {
		page.Items[i] = view(item)
	}
	return page
}

// pageList pages a list held in memory (a profile's permissions or queues): the token is the
// position after the last item given.
func pageList[T any](items []T, nextToken string, maxResults int, size pageSize) (Page[T], error) {
	p, err := pageRequest(nextToken, maxResults, size.max, size.byDefault)
	if err != nil {
		return Page[T]{}, err
	}
	start := 0
	if p.After != "" {
		n, err := strconv.Atoi(p.After)
		if err != nil || n < 0 || n > len(items) {
			return Page[T]{}, badNextToken()
		}
		start = n
	}
	end := min(start+p.Limit-1, len(items))
	page := Page[T]{Items: items[start:end:end]}
	if end < len(items) {
		page.NextToken = base64.RawURLEncoding.EncodeToString([]byte(strconv.Itoa(end)))
	}
	return page, nil
}

// pageSize is the most items a list operation's page may hold, and how many when MaxResults is
// not given.
type pageSize struct{ max, byDefault int }

// The page sizes of Connect's list operations: ListUsers and its kin, ListApprovedOrigins.
var (
	summaryPages = pageSize{max: 1000, byDefault: 100}
	originPages  = pageSize{max: 25, byDefault: 25}
)

// instancePage is the instance a listing of it names and the page it asks for.
func (s *Service) instancePage(ctx context.Context, c Caller, ref, nextToken string, maxResults int, size pageSize) (store.Instance, store.Page, error) {
	inst, err := s.instance(ctx, c, instanceRef(ref))
	if err != nil {
		return store.Instance{}, store.Page{}, err
	}
	p, err := pageRequest(nextToken, maxResults, size.max, size.byDefault)
	return inst, p, err
}

// listInstancePage lists one page of what an instance holds (profiles, groups, origins): the
// instance named by ref, the page NextToken and MaxResults ask for, and each item's view.
func listInstancePage[T, V any](ctx context.Context, s *Service, c Caller, ref, nextToken string, maxResults int, size pageSize,
	what string, list func(ctx context.Context, instanceID string, p store.Page) ([]T, error), key func(T) string,
	view func(store.Instance, T) V) (Page[V], error) {
	inst, p, err := s.instancePage(ctx, c, ref, nextToken, maxResults, size)
	if err != nil {
		return Page[V]{}, err
	}
	items, err := list(ctx, inst.ID, p)
	if err != nil {
		return Page[V]{}, fmt.Errorf("connect: list %s: %w", what, err)
	}
	return pageOf(items, p, key, func(item T) V { return view(inst, item) }), nil
}
