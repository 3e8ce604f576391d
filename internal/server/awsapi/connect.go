package awsapi

import (
	"encoding/json"
	"strconv"
	"time"

	"github.com/connectfed/connectfed/internal/apierr"
	"github.com/connectfed/connectfed/internal/audit"
	"github.com/connectfed/connectfed/internal/awsproto"
	"github.com/connectfed/connectfed/internal/connect"
	"github.com/connectfed/connectfed/internal/server/httpx"
)

// epoch writes a time as restJson1 does: a JSON number of epoch seconds.
type epoch time.Time

func (t epoch) MarshalJSON() ([]byte, error) { return awsproto.AppendEpoch(nil, time.Time(t)), nil }

// decodeBody reads a restJson1 request body into v.
func decodeBody(body []byte, v any) error {
	if len(body) == 0 {
		return nil
	}
	if err := json.Unmarshal(body, v); err != nil {
		// AWS's services answer a body their JSON reader refuses with SerializationException.
		return apierr.New(apierr.SerializationError, "The request body is not valid JSON for this operation: %s", httpx.JSONProblem(err))
	}
	return nil
}

// pageParams reads maxResults and nextToken from the query string.
func pageParams(r *Request) (next string, max int, err error) {
	q := r.URL.Query()
	if v := q.Get("maxResults"); v != "" {
		max, err = strconv.Atoi(v)
		if err != nil {
			return "", 0, apierr.Validation(apierr.InvalidParameter, apierr.Invalid("maxResults", v, "Member must be a number"))
		}
	}
	return q.Get("nextToken"), max, nil
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

// AppendAuditJSON is the answer as the audit trail keeps it: the tokens and the sign-in link
// hidden (audit.Auditable).
func (o *federationOutput) AppendAuditJSON(b []byte) []byte {
	b = append(b, `{"credentials":{"accessToken":"`+audit.Hidden+`","accessTokenExpiration":`...)
	b = awsproto.AppendEpoch(b, time.Time(o.Credentials.AccessTokenExpiration))
	b = append(b, `,"refreshToken":"`+audit.Hidden+`","refreshTokenExpiration":`...)
	b = awsproto.AppendEpoch(b, time.Time(o.Credentials.RefreshTokenExpiration))
	b = append(b, `},"signInUrl":"`+audit.Hidden+`","userArn":`...)
	b = awsproto.AppendJSONString(b, o.UserArn)
	b = append(b, `,"userId":`...)
	b = awsproto.AppendJSONString(b, o.UserID)
	return append(b, '}')
}

func (a *API) getFederationToken(r *Request) (any, error) {
	f, err := a.connect.GetFederationToken(r.Context(), r.caller(), r.Labels[0])
	if err != nil {
		return nil, err
	}
	out := &federationOutput{}
	out.Credentials.AccessToken = f.AccessToken
	out.Credentials.AccessTokenExpiration = epoch(f.AccessTokenExpiration)
	out.Credentials.RefreshToken = f.RefreshToken
	out.Credentials.RefreshTokenExpiration = epoch(f.RefreshTokenExpiration)
	out.SignInURL, out.UserArn, out.UserID = f.SignInURL, f.UserARN, f.UserID
	return out, nil
}

type instanceOutput struct {
	ID                     string            `json:"Id"`
	Arn                    string            `json:"Arn"`
	IdentityManagementType string            `json:"IdentityManagementType"`
	InstanceAlias          string            `json:"InstanceAlias,omitempty"`
	CreatedTime            epoch             `json:"CreatedTime"`
	ServiceRole            string            `json:"ServiceRole"`
	InstanceStatus         string            `json:"InstanceStatus"`
	InboundCallsEnabled    bool              `json:"InboundCallsEnabled"`
	OutboundCallsEnabled   bool              `json:"OutboundCallsEnabled"`
	InstanceAccessURL      string            `json:"InstanceAccessUrl,omitempty"`
	Tags                   map[string]string `json:"Tags,omitempty"`
}

func instanceOf(in connect.Instance) instanceOutput {
	return instanceOutput{ID: in.ID, Arn: in.ARN, IdentityManagementType: in.IdentityManagementType,
		InstanceAlias: in.Alias, CreatedTime: epoch(in.CreatedTime), ServiceRole: in.ServiceRole,
		InstanceStatus: in.Status, InboundCallsEnabled: in.InboundCallsEnabled,
		OutboundCallsEnabled: in.OutboundCallsEnabled, InstanceAccessURL: in.AccessURL, Tags: in.Tags}
}

// createInstanceInput is CreateInstance's body.
type createInstanceInput struct {
	ClientToken            string            `json:"ClientToken"`
	IdentityManagementType string            `json:"IdentityManagementType"`
	InstanceAlias          string            `json:"InstanceAlias"`
	DirectoryID            string            `json:"DirectoryId"`
	InboundCallsEnabled    *bool             `json:"InboundCallsEnabled"`
	OutboundCallsEnabled   *bool             `json:"OutboundCallsEnabled"`
	Tags                   map[string]string `json:"Tags"`
}

func (a *API) createInstance(r *Request) (any, error) {
	var in createInstanceInput
	if err := decodeBody(r.Payload, &in); err != nil {
		return nil, err
	}
	inst, err := a.connect.CreateInstance(r.Context(), r.caller(), connect.CreateInstanceInput(in))
	return struct {
		ID  string `json:"Id"`
		Arn string `json:"Arn"`
	}{inst.ID, inst.ARN}, err
}

func (a *API) describeInstance(r *Request) (any, error) {
	inst, err := a.connect.DescribeInstance(r.Context(), r.caller(), r.Labels[0])
	return &describeInstanceOutput{instanceOf(inst)}, err
}

// describeInstanceOutput is DescribeInstance's answer.
type describeInstanceOutput struct {
	Instance instanceOutput `json:"Instance"`
}

// AppendJSON encodes the answer by hand, as encoding/json would (TestDescribeOutputsJSON).
func (o *describeInstanceOutput) AppendJSON(b []byte) []byte {
	out := openObject(b)
	in, i := &o.Instance, out.inner("Instance")
	i.str("Id", in.ID)
	i.str("Arn", in.Arn)
	i.str("IdentityManagementType", in.IdentityManagementType)
	i.optional("InstanceAlias", in.InstanceAlias)
	i.epoch("CreatedTime", time.Time(in.CreatedTime))
	i.str("ServiceRole", in.ServiceRole)
	i.str("InstanceStatus", in.InstanceStatus)
	i.boolean("InboundCallsEnabled", in.InboundCallsEnabled)
	i.boolean("OutboundCallsEnabled", in.OutboundCallsEnabled)
	i.optional("InstanceAccessUrl", in.InstanceAccessURL)
	i.tags("Tags", in.Tags)
	out.b = i.close()
	return out.close()
}

func (a *API) listInstances(r *Request) (any, error) {
	next, max, err := pageParams(r)
	if err != nil {
		return nil, err
	}
	page, err := a.connect.ListInstances(r.Context(), r.caller(), next, max)
	out := struct {
		InstanceSummaryList []instanceOutput `json:"InstanceSummaryList"`
		NextToken           string           `json:"NextToken,omitempty"`
	}{InstanceSummaryList: make([]instanceOutput, len(page.Items)), NextToken: page.NextToken}
	for i, in := range page.Items {
		out.InstanceSummaryList[i] = instanceOf(in)
		out.InstanceSummaryList[i].Tags = nil // an InstanceSummary has none
	}
	return out, err
}

func (a *API) deleteInstance(r *Request) (any, error) {
	return struct{}{}, a.connect.DeleteInstance(r.Context(), r.caller(), r.Labels[0])
}

// The wire shapes of a user, as the Connect model has them. The fields match the domain's
// one for one, so a conversion maps them.
type (
	identityInfoJSON struct {
		FirstName      string `json:"FirstName,omitempty"`
		LastName       string `json:"LastName,omitempty"`
		Email          string `json:"Email,omitempty"`
		SecondaryEmail string `json:"SecondaryEmail,omitempty"`
		Mobile         string `json:"Mobile,omitempty"`
	}
	phoneConfigJSON struct {
		PhoneType                 string `json:"PhoneType"`
		AutoAccept                bool   `json:"AutoAccept"`
		AfterContactWorkTimeLimit int    `json:"AfterContactWorkTimeLimit"`
		DeskPhoneNumber           string `json:"DeskPhoneNumber,omitempty"`
		PersistentConnection      bool   `json:"PersistentConnection,omitempty"`
	}
)

// createUserInput is CreateUser's body.
type createUserInput struct {
	Username           string            `json:"Username"`
	Password           string            `json:"Password"`
	IdentityInfo       *identityInfoJSON `json:"IdentityInfo"`
	PhoneConfig        *phoneConfigJSON  `json:"PhoneConfig"`
	DirectoryUserID    string            `json:"DirectoryUserId"`
	SecurityProfileIDs []string          `json:"SecurityProfileIds"`
	RoutingProfileID   string            `json:"RoutingProfileId"`
	HierarchyGroupID   string            `json:"HierarchyGroupId"`
	Tags               map[string]string `json:"Tags"`
}

func (a *API) createUser(r *Request) (any, error) {
	var body createUserInput
	if err := decodeBody(r.Payload, &body); err != nil {
		return nil, err
	}
	in := connect.CreateUserInput{Username: body.Username, Password: body.Password, DirectoryUserID: body.DirectoryUserID,
		SecurityProfileIDs: body.SecurityProfileIDs, RoutingProfileID: body.RoutingProfileID,
		HierarchyGroupID: body.HierarchyGroupID, Tags: body.Tags}
	in.IdentityInfo = converted(body.IdentityInfo, func(v identityInfoJSON) connect.IdentityInfo { return connect.IdentityInfo(v) })
	in.PhoneConfig = converted(body.PhoneConfig, func(v phoneConfigJSON) connect.PhoneConfig { return connect.PhoneConfig(v) })
	u, err := a.connect.CreateUser(r.Context(), r.caller(), r.Labels[0], in)
	return struct {
		UserID  string `json:"UserId"`
		UserArn string `json:"UserArn"`
	}{u.ID, u.ARN}, err
}

type userOutput struct {
	ID                 string            `json:"Id"`
	Arn                string            `json:"Arn"`
	Username           string            `json:"Username"`
	IdentityInfo       *identityInfoJSON `json:"IdentityInfo,omitempty"`
	PhoneConfig        phoneConfigJSON   `json:"PhoneConfig"`
	DirectoryUserID    string            `json:"DirectoryUserId,omitempty"`
	SecurityProfileIDs []string          `json:"SecurityProfileIds"`
	RoutingProfileID   string            `json:"RoutingProfileId"`
	HierarchyGroupID   string            `json:"HierarchyGroupId,omitempty"`
	Tags               map[string]string `json:"Tags,omitempty"`
	LastModifiedTime   epoch             `json:"LastModifiedTime"`
	LastModifiedRegion string            `json:"LastModifiedRegion"`
}

func userOutputOf(u connect.User) userOutput {
	out := userOutput{ID: u.ID, Arn: u.ARN, Username: u.Username, PhoneConfig: phoneConfigJSON(u.PhoneConfig),
		DirectoryUserID: u.DirectoryUserID, SecurityProfileIDs: u.SecurityProfileIDs, RoutingProfileID: u.RoutingProfileID,
		HierarchyGroupID: u.HierarchyGroupID, Tags: u.Tags,
		LastModifiedTime: epoch(u.LastModifiedTime), LastModifiedRegion: u.LastModifiedRegion}
	if u.IdentityInfo != nil {
		id := identityInfoJSON(*u.IdentityInfo)
		out.IdentityInfo = &id
	}
	return out
}

func (a *API) describeUser(r *Request) (any, error) {
	u, err := a.connect.DescribeUser(r.Context(), r.caller(), r.Labels[0], r.Labels[1])
	return &describeUserOutput{userOutputOf(u)}, err
}

// describeUserOutput is DescribeUser's answer.
type describeUserOutput struct {
	User userOutput `json:"User"`
}

// AppendJSON encodes the answer by hand, as encoding/json would (TestDescribeOutputsJSON).
func (o *describeUserOutput) AppendJSON(b []byte) []byte {
	out := openObject(b)
	u, w := &o.User, out.inner("User")
	w.str("Id", u.ID)
	w.str("Arn", u.Arn)
	w.str("Username", u.Username)
	if id := u.IdentityInfo; id != nil {
		info := w.inner("IdentityInfo")
		info.optional("FirstName", id.FirstName)
		info.optional("LastName", id.LastName)
		info.optional("Email", id.Email)
		info.optional("SecondaryEmail", id.SecondaryEmail)
		info.optional("Mobile", id.Mobile)
		w.b = info.close()
	}
	pc, phone := &u.PhoneConfig, w.inner("PhoneConfig")
	phone.str("PhoneType", pc.PhoneType)
	phone.boolean("AutoAccept", pc.AutoAccept)
	phone.integer("AfterContactWorkTimeLimit", pc.AfterContactWorkTimeLimit)
	phone.optional("DeskPhoneNumber", pc.DeskPhoneNumber)
	if pc.PersistentConnection {
		phone.boolean("PersistentConnection", true)
	}
	w.b = phone.close()
	w.optional("DirectoryUserId", u.DirectoryUserID)
	w.strs("SecurityProfileIds", u.SecurityProfileIDs)
	w.str("RoutingProfileId", u.RoutingProfileID)
	w.optional("HierarchyGroupId", u.HierarchyGroupID)
	w.tags("Tags", u.Tags)
	w.epoch("LastModifiedTime", time.Time(u.LastModifiedTime))
	w.str("LastModifiedRegion", u.LastModifiedRegion)
	out.b = w.close()
	return out.close()
}

func (a *API) deleteUser(r *Request) (any, error) {
	return struct{}{}, a.connect.DeleteUser(r.Context(), r.caller(), r.Labels[0], r.Labels[1])
}

type userSummary struct {
	ID                 string `json:"Id"`
	Arn                string `json:"Arn"`
	Username           string `json:"Username"`
	LastModifiedTime   epoch  `json:"LastModifiedTime"`
	LastModifiedRegion string `json:"LastModifiedRegion"`
}

func (a *API) listUsers(r *Request) (any, error) {
	next, max, err := pageParams(r)
	if err != nil {
		return nil, err
	}
	page, err := a.connect.ListUsers(r.Context(), r.caller(), r.Labels[0], next, max)
	out := &listUsersOutput{UserSummaryList: make([]userSummary, len(page.Items)), NextToken: page.NextToken}
	for i, u := range page.Items {
		out.UserSummaryList[i] = userSummary{u.ID, u.ARN, u.Username, epoch(u.LastModifiedTime), u.LastModifiedRegion}
	}
	return out, err
}

// listUsersOutput is ListUsers' answer.
type listUsersOutput struct {
	UserSummaryList []userSummary `json:"UserSummaryList"`
	NextToken       string        `json:"NextToken,omitempty"`
}

// AppendJSON encodes the answer by hand, as encoding/json would (TestListUsersOutputJSON): a
// page holds up to 1,000 users, and reflection was a tenth of a page's cost.
func (o *listUsersOutput) AppendJSON(b []byte) []byte {
	b = append(b, `{"UserSummaryList":`...)
	if o.UserSummaryList == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, '[')
		for i, u := range o.UserSummaryList {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, `{"Id":`...)
			b = awsproto.AppendJSONString(b, u.ID)
			b = append(b, `,"Arn":`...)
			b = awsproto.AppendJSONString(b, u.Arn)
			b = append(b, `,"Username":`...)
			b = awsproto.AppendJSONString(b, u.Username)
			b = append(b, `,"LastModifiedTime":`...)
			b = awsproto.AppendEpoch(b, time.Time(u.LastModifiedTime))
			b = append(b, `,"LastModifiedRegion":`...)
			b = awsproto.AppendJSONString(b, u.LastModifiedRegion)
			b = append(b, '}')
		}
		b = append(b, ']')
	}
	if o.NextToken != "" {
		b = append(b, `,"NextToken":`...)
		b = awsproto.AppendJSONString(b, o.NextToken)
	}
	return append(b, '}')
}
