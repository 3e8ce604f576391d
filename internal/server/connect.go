package server

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/connectfed/connectfed/internal/apierr"
	"github.com/connectfed/connectfed/internal/awsproto"
	"github.com/connectfed/connectfed/internal/connect"
	"github.com/connectfed/connectfed/internal/store"
)

// connectRoute is one restJson1 operation: its method, the literal first path segment, and how
// many labels follow it (InstanceId, UserId).
type connectRoute struct {
	method    string
	root      string
	labels    int
	operation string
	handle    func(s *Server, w http.ResponseWriter, r *http.Request, c *call, labels []string)
}

// connectRoutes are matched in order. The paths are the AWS model's.
var connectRoutes = []connectRoute{
	{"GET", "user/federate", 1, "GetFederationToken", (*Server).getFederationToken},
	{"PUT", "instance", 0, "CreateInstance", (*Server).createInstance},
	{"GET", "instance", 0, "ListInstances", (*Server).listInstances},
	{"GET", "instance", 1, "DescribeInstance", (*Server).describeInstance},
	{"DELETE", "instance", 1, "DeleteInstance", (*Server).deleteInstance},
	{"GET", "security-profiles-summary", 1, "ListSecurityProfiles", (*Server).listSecurityProfiles},
	{"GET", "routing-profiles-summary", 1, "ListRoutingProfiles", (*Server).listRoutingProfiles},
	{"PUT", "users", 1, "CreateUser", (*Server).createUser},
	{"GET", "users", 2, "DescribeUser", (*Server).describeUser},
	{"DELETE", "users", 2, "DeleteUser", (*Server).deleteUser},
	{"GET", "users-summary", 1, "ListUsers", (*Server).listConnectUsers},
}

// serveConnect routes Amazon Connect's restJson1 operations. Labels are split from the path as
// sent and then unescaped, so an instance ARN's %2F stays inside its label.
func (s *Server) serveConnect(w http.ResponseWriter, r *http.Request, c *call) {
	path := r.URL.EscapedPath()
	for i := range connectRoutes {
		rt := &connectRoutes[i]
		if r.Method != rt.method {
			continue
		}
		rest, ok := strings.CutPrefix(path, "/"+rt.root)
		if !ok {
			continue
		}
		labels, ok := splitLabels(rest, rt.labels)
		if !ok {
			continue
		}
		c.info.operation = rt.operation
		if s.quotas != nil && !s.admitQuota(w, c, rt.operation) {
			return
		}
		rt.handle(s, w, r, c, labels)
		return
	}
	s.fail(w, c.info, apierr.New(apierr.UnknownOperation, "Unknown operation %s %s", r.Method, r.URL.Path))
}

// splitLabels reads exactly n "/label" segments (each may be empty) from rest.
func splitLabels(rest string, n int) ([]string, bool) {
	if n == 0 {
		return nil, rest == "" || rest == "/"
	}
	if !strings.HasPrefix(rest, "/") {
		return nil, false
	}
	parts := strings.Split(rest[1:], "/")
	if len(parts) != n {
		return nil, false
	}
	for i, p := range parts {
		v, err := url.PathUnescape(p)
		if err != nil {
			return nil, false
		}
		parts[i] = v
	}
	return parts, true
}

func (c *call) caller() connect.Caller {
	return connect.Caller{Principal: c.principal, Region: c.region}
}

// epoch writes a time as restJson1 does: a JSON number of epoch seconds.
type epoch time.Time

func (t epoch) MarshalJSON() ([]byte, error) { return awsproto.AppendEpoch(nil, time.Time(t)), nil }

// decodeBody reads a restJson1 request body into v.
func decodeBody(body []byte, v any) error {
	if len(body) == 0 {
		return nil
	}
	if err := json.Unmarshal(body, v); err != nil {
		return apierr.New(apierr.InvalidRequest, "The request body is not valid JSON for this operation: %s", jsonProblem(err))
	}
	return nil
}

// jsonProblem describes a decoding failure without echoing the input.
func jsonProblem(err error) string {
	switch e := err.(type) {
	case *json.SyntaxError:
		return "syntax error at byte " + strconv.FormatInt(e.Offset, 10)
	case *json.UnmarshalTypeError:
		return "field " + e.Field + " must be " + e.Type.String()
	}
	return "malformed"
}

// pageParams reads maxResults and nextToken from the query string.
func pageParams(r *http.Request) (next string, max int, err error) {
	q := r.URL.Query()
	if v := q.Get("maxResults"); v != "" {
		max, err = strconv.Atoi(v)
		if err != nil {
			return "", 0, apierr.New(apierr.InvalidParameter, "1 validation error detected: Value '%s' at 'maxResults' failed to satisfy constraint: Member must be a number", v)
		}
	}
	return q.Get("nextToken"), max, nil
}

func (s *Server) answer(w http.ResponseWriter, c *call, v any, err error) {
	if err != nil {
		s.fail(w, c.info, err)
		return
	}
	awsproto.WriteJSON(w, http.StatusOK, v)
}

// Wire shapes, members in the AWS model's order.

type federationOutput struct {
	Credentials struct {
		AccessToken            string `json:"AccessToken"`
		AccessTokenExpiration  epoch  `json:"AccessTokenExpiration"`
		RefreshToken           string `json:"RefreshToken"`
		RefreshTokenExpiration epoch  `json:"RefreshTokenExpiration"`
	} `json:"Credentials"`
	SignInURL string `json:"SignInUrl"`
	UserArn   string `json:"UserArn"`
	UserID    string `json:"UserId"`
}

// AppendJSON encodes the answer of the hot path by hand, member for member as encoding/json
// would (TestFederationOutputJSON holds it to that).
func (o *federationOutput) AppendJSON(b []byte) []byte {
	b = append(b, `{"Credentials":{"AccessToken":`...)
	b = awsproto.AppendJSONString(b, o.Credentials.AccessToken)
	b = append(b, `,"AccessTokenExpiration":`...)
	b = awsproto.AppendEpoch(b, time.Time(o.Credentials.AccessTokenExpiration))
	b = append(b, `,"RefreshToken":`...)
	b = awsproto.AppendJSONString(b, o.Credentials.RefreshToken)
	b = append(b, `,"RefreshTokenExpiration":`...)
	b = awsproto.AppendEpoch(b, time.Time(o.Credentials.RefreshTokenExpiration))
	b = append(b, `},"SignInUrl":`...)
	b = awsproto.AppendJSONString(b, o.SignInURL)
	b = append(b, `,"UserArn":`...)
	b = awsproto.AppendJSONString(b, o.UserArn)
	b = append(b, `,"UserId":`...)
	b = awsproto.AppendJSONString(b, o.UserID)
	return append(b, '}')
}

func (s *Server) getFederationToken(w http.ResponseWriter, r *http.Request, c *call, labels []string) {
	f, err := s.connect.GetFederationToken(r.Context(), c.caller(), labels[0])
	if err != nil {
		s.fail(w, c.info, err)
		return
	}
	var out federationOutput
	out.Credentials.AccessToken = f.AccessToken
	out.Credentials.AccessTokenExpiration = epoch(f.AccessTokenExpiration)
	out.Credentials.RefreshToken = f.RefreshToken
	out.Credentials.RefreshTokenExpiration = epoch(f.RefreshTokenExpiration)
	out.SignInURL, out.UserArn, out.UserID = f.SignInURL, f.UserARN, f.UserID
	awsproto.WriteJSON(w, http.StatusOK, &out)
}

type instanceOutput struct {
	ID                     string `json:"Id"`
	Arn                    string `json:"Arn"`
	IdentityManagementType string `json:"IdentityManagementType"`
	InstanceAlias          string `json:"InstanceAlias,omitempty"`
	CreatedTime            epoch  `json:"CreatedTime"`
	ServiceRole            string `json:"ServiceRole"`
	InstanceStatus         string `json:"InstanceStatus"`
	InboundCallsEnabled    bool   `json:"InboundCallsEnabled"`
	OutboundCallsEnabled   bool   `json:"OutboundCallsEnabled"`
	InstanceAccessURL      string `json:"InstanceAccessUrl,omitempty"`
}

func instanceOf(in store.Instance) instanceOutput {
	out := instanceOutput{ID: in.ID, Arn: connect.InstanceARN(in), IdentityManagementType: in.IdentityManagementType,
		InstanceAlias: in.Alias, CreatedTime: epoch(in.CreatedAt),
		ServiceRole:    "arn:aws:iam::" + in.AccountID + ":role/aws-service-role/connect.amazonaws.com/AWSServiceRoleForAmazonConnect",
		InstanceStatus: "ACTIVE", InboundCallsEnabled: in.InboundCalls, OutboundCallsEnabled: in.OutboundCalls}
	if in.Alias != "" {
		out.InstanceAccessURL = "https://" + in.Alias + ".my.connect.aws/"
	}
	return out
}

func (s *Server) createInstance(w http.ResponseWriter, r *http.Request, c *call, _ []string) {
	var in connect.CreateInstanceInput
	if err := decodeBody(c.body, &in); err != nil {
		s.fail(w, c.info, err)
		return
	}
	inst, err := s.connect.CreateInstance(r.Context(), c.caller(), in)
	s.answer(w, c, struct {
		ID  string `json:"Id"`
		Arn string `json:"Arn"`
	}{inst.ID, connect.InstanceARN(inst)}, err)
}

func (s *Server) describeInstance(w http.ResponseWriter, r *http.Request, c *call, labels []string) {
	inst, err := s.connect.DescribeInstance(r.Context(), c.caller(), labels[0])
	s.answer(w, c, struct {
		Instance instanceOutput `json:"Instance"`
	}{instanceOf(inst)}, err)
}

func (s *Server) listInstances(w http.ResponseWriter, r *http.Request, c *call, _ []string) {
	next, max, err := pageParams(r)
	if err != nil {
		s.fail(w, c.info, err)
		return
	}
	page, err := s.connect.ListInstances(r.Context(), c.caller(), next, max)
	out := struct {
		InstanceSummaryList []instanceOutput `json:"InstanceSummaryList"`
		NextToken           string           `json:"NextToken,omitempty"`
	}{InstanceSummaryList: []instanceOutput{}, NextToken: page.NextToken}
	for _, in := range page.Items {
		out.InstanceSummaryList = append(out.InstanceSummaryList, instanceOf(in))
	}
	s.answer(w, c, out, err)
}

func (s *Server) deleteInstance(w http.ResponseWriter, r *http.Request, c *call, labels []string) {
	s.answer(w, c, struct{}{}, s.connect.DeleteInstance(r.Context(), c.caller(), labels[0]))
}

type profileSummary struct {
	ID                 string `json:"Id"`
	Arn                string `json:"Arn"`
	Name               string `json:"Name"`
	LastModifiedTime   epoch  `json:"LastModifiedTime"`
	LastModifiedRegion string `json:"LastModifiedRegion"`
}

func (s *Server) listSecurityProfiles(w http.ResponseWriter, r *http.Request, c *call, labels []string) {
	next, max, err := pageParams(r)
	if err != nil {
		s.fail(w, c.info, err)
		return
	}
	inst, page, err := s.connect.ListSecurityProfiles(r.Context(), c.caller(), labels[0], next, max)
	s.answer(w, c, struct {
		SecurityProfileSummaryList []profileSummary `json:"SecurityProfileSummaryList"`
		NextToken                  string           `json:"NextToken,omitempty"`
	}{profileSummaries(inst, page.Items, connect.SecurityProfileARN), page.NextToken}, err)
}

func (s *Server) listRoutingProfiles(w http.ResponseWriter, r *http.Request, c *call, labels []string) {
	next, max, err := pageParams(r)
	if err != nil {
		s.fail(w, c.info, err)
		return
	}
	inst, page, err := s.connect.ListRoutingProfiles(r.Context(), c.caller(), labels[0], next, max)
	s.answer(w, c, struct {
		RoutingProfileSummaryList []profileSummary `json:"RoutingProfileSummaryList"`
		NextToken                 string           `json:"NextToken,omitempty"`
	}{profileSummaries(inst, page.Items, connect.RoutingProfileARN), page.NextToken}, err)
}

func profileSummaries(inst store.Instance, items []store.Profile, arn func(store.Instance, string) string) []profileSummary {
	out := make([]profileSummary, len(items))
	for i, p := range items {
		out[i] = profileSummary{ID: p.ID, Arn: arn(inst, p.ID), Name: p.Name,
			LastModifiedTime: epoch(p.CreatedAt), LastModifiedRegion: inst.Region}
	}
	return out
}

func (s *Server) createUser(w http.ResponseWriter, r *http.Request, c *call, labels []string) {
	var in connect.CreateUserInput
	if err := decodeBody(c.body, &in); err != nil {
		s.fail(w, c.info, err)
		return
	}
	u, err := s.connect.CreateUser(r.Context(), c.caller(), labels[0], in)
	s.answer(w, c, struct {
		UserID  string `json:"UserId"`
		UserArn string `json:"UserArn"`
	}{u.ID, u.ARN}, err)
}

type userOutput struct {
	ID       string `json:"Id"`
	Arn      string `json:"Arn"`
	Username string `json:"Username"`
	connect.UserDetails
	LastModifiedTime   epoch  `json:"LastModifiedTime"`
	LastModifiedRegion string `json:"LastModifiedRegion"`
}

func (s *Server) describeUser(w http.ResponseWriter, r *http.Request, c *call, labels []string) {
	u, err := s.connect.DescribeUser(r.Context(), c.caller(), labels[0], labels[1])
	s.answer(w, c, struct {
		User userOutput `json:"User"`
	}{userOutput{ID: u.ID, Arn: u.ARN, Username: u.Username, UserDetails: u.UserDetails,
		LastModifiedTime: epoch(u.LastModifiedTime), LastModifiedRegion: u.LastModifiedRegion}}, err)
}

func (s *Server) deleteUser(w http.ResponseWriter, r *http.Request, c *call, labels []string) {
	s.answer(w, c, struct{}{}, s.connect.DeleteUser(r.Context(), c.caller(), labels[0], labels[1]))
}

type userSummary struct {
	ID                 string `json:"Id"`
	Arn                string `json:"Arn"`
	Username           string `json:"Username"`
	LastModifiedTime   epoch  `json:"LastModifiedTime"`
	LastModifiedRegion string `json:"LastModifiedRegion"`
}

func (s *Server) listConnectUsers(w http.ResponseWriter, r *http.Request, c *call, labels []string) {
	next, max, err := pageParams(r)
	if err != nil {
		s.fail(w, c.info, err)
		return
	}
	page, err := s.connect.ListUsers(r.Context(), c.caller(), labels[0], next, max)
	out := struct {
		UserSummaryList []userSummary `json:"UserSummaryList"`
		NextToken       string        `json:"NextToken,omitempty"`
	}{UserSummaryList: make([]userSummary, len(page.Items)), NextToken: page.NextToken}
	for i, u := range page.Items {
		out.UserSummaryList[i] = userSummary{u.ID, u.ARN, u.Username, epoch(u.LastModifiedTime), u.LastModifiedRegion}
	}
	s.answer(w, c, out, err)
}
