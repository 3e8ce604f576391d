package awsapi

import "github.com/connectfed/connectfed/internal/connect"

// The updates of a Connect user: each answers an empty 200, as AWS does.

// converted is f of what p points at, or nil for nil: an optional wire member as its domain type.
func converted[From, To any](p *From, f func(From) To) *To {
	if p == nil {
		return nil
	}
	v := f(*p)
	return &v
}

func (a *API) updateUserIdentityInfo(r *Request) (any, error) {
	var body struct {
		IdentityInfo *identityInfoJSON `json:"IdentityInfo"`
	}
	if err := decodeBody(r.Payload, &body); err != nil {
		return nil, err
	}
	info := converted(body.IdentityInfo, func(v identityInfoJSON) connect.IdentityInfo { return connect.IdentityInfo(v) })
	return struct{}{}, a.connect.UpdateUserIdentityInfo(r.Context(), r.caller(), r.Labels[0], r.Labels[1], info)
}

func (a *API) updateUserPhoneConfig(r *Request) (any, error) {
	var body struct {
		PhoneConfig *phoneConfigJSON `json:"PhoneConfig"`
	}
	if err := decodeBody(r.Payload, &body); err != nil {
		return nil, err
	}
	pc := converted(body.PhoneConfig, func(v phoneConfigJSON) connect.PhoneConfig { return connect.PhoneConfig(v) })
	return struct{}{}, a.connect.UpdateUserPhoneConfig(r.Context(), r.caller(), r.Labels[0], r.Labels[1], pc)
}

func (a *API) updateUserRoutingProfile(r *Request) (any, error) {
	var body struct {
		RoutingProfileID string `json:"RoutingProfileId"`
	}
	if err := decodeBody(r.Payload, &body); err != nil {
		return nil, err
	}
	return struct{}{}, a.connect.UpdateUserRoutingProfile(r.Context(), r.caller(), r.Labels[0], r.Labels[1], body.RoutingProfileID)
}

func (a *API) updateUserSecurityProfiles(r *Request) (any, error) {
	var body struct {
		SecurityProfileIDs []string `json:"SecurityProfileIds"`
	}
	if err := decodeBody(r.Payload, &body); err != nil {
		return nil, err
	}
	return struct{}{}, a.connect.UpdateUserSecurityProfiles(r.Context(), r.caller(), r.Labels[0], r.Labels[1], body.SecurityProfileIDs)
}

// Tags of instances and users. Connect's tag operations name their members in lower case.

func (a *API) tagResource(r *Request) (any, error) {
	var body struct {
		Tags map[string]string `json:"tags"`
	}
	if err := decodeBody(r.Payload, &body); err != nil {
		return nil, err
	}
	return struct{}{}, a.connect.TagResource(r.Context(), r.caller(), r.Labels[0], body.Tags)
}

func (a *API) untagResource(r *Request) (any, error) {
	return struct{}{}, a.connect.UntagResource(r.Context(), r.caller(), r.Labels[0], r.URL.Query()["tagKeys"])
}

func (a *API) listTagsForResource(r *Request) (any, error) {
	tags, err := a.connect.ListTagsForResource(r.Context(), r.caller(), r.Labels[0])
	if tags == nil {
		tags = map[string]string{}
	}
	return struct {
		Tags map[string]string `json:"tags"`
	}{tags}, err
}

// SearchUsers' body, as the Connect model shapes it.
type (
	searchCriteriaJSON struct {
		AndConditions   []searchCriteriaJSON `json:"AndConditions"`
		OrConditions    []searchCriteriaJSON `json:"OrConditions"`
		StringCondition *struct {
			FieldName      string `json:"FieldName"`
			Value          string `json:"Value"`
			ComparisonType string `json:"ComparisonType"`
		} `json:"StringCondition"`
		HierarchyGroupCondition *struct {
			Value                   string `json:"Value"`
			HierarchyGroupMatchType string `json:"HierarchyGroupMatchType"`
		} `json:"HierarchyGroupCondition"`
	}
	tagConditionJSON struct {
		TagKey   string `json:"TagKey"`
		TagValue string `json:"TagValue"`
	}
	searchUsersInput struct {
		InstanceID     string              `json:"InstanceId"`
		MaxResults     int                 `json:"MaxResults"`
		NextToken      string              `json:"NextToken"`
		SearchCriteria *searchCriteriaJSON `json:"SearchCriteria"`
		SearchFilter   *struct {
			TagFilter *struct {
				TagCondition  *tagConditionJSON    `json:"TagCondition"`
				AndConditions []tagConditionJSON   `json:"AndConditions"`
				OrConditions  [][]tagConditionJSON `json:"OrConditions"`
			} `json:"TagFilter"`
		} `json:"SearchFilter"`
	}
	userSearchSummaryJSON struct {
		Arn                string            `json:"Arn"`
		DirectoryUserID    string            `json:"DirectoryUserId,omitempty"`
		HierarchyGroupID   string            `json:"HierarchyGroupId,omitempty"`
		ID                 string            `json:"Id"`
		IdentityInfo       *identityInfoLite `json:"IdentityInfo,omitempty"`
		PhoneConfig        phoneConfigJSON   `json:"PhoneConfig"`
		RoutingProfileID   string            `json:"RoutingProfileId"`
		SecurityProfileIDs []string          `json:"SecurityProfileIds"`
		Tags               map[string]string `json:"Tags,omitempty"`
		Username           string            `json:"Username"`
	}
	identityInfoLite struct {
		FirstName string `json:"FirstName,omitempty"`
		LastName  string `json:"LastName,omitempty"`
	}
)

func (c *searchCriteriaJSON) domain() *connect.UserSearchCriteria {
	if c == nil {
		return nil
	}
	out := &connect.UserSearchCriteria{}
	for i := range c.AndConditions {
		out.AndConditions = append(out.AndConditions, *c.AndConditions[i].domain())
	}
	for i := range c.OrConditions {
		out.OrConditions = append(out.OrConditions, *c.OrConditions[i].domain())
	}
	if sc := c.StringCondition; sc != nil {
		out.StringCondition = &connect.StringCondition{FieldName: sc.FieldName, Value: sc.Value, ComparisonType: sc.ComparisonType}
	}
	if h := c.HierarchyGroupCondition; h != nil {
		out.HierarchyGroupID, out.HierarchyGroupMatchType = h.Value, h.HierarchyGroupMatchType
	}
	return out
}

func tagConditions(in []tagConditionJSON) []connect.TagCondition {
	out := make([]connect.TagCondition, 0, len(in))
	for _, tc := range in {
		out = append(out, connect.TagCondition{Key: tc.TagKey, Value: tc.TagValue})
	}
	return out
}

func (a *API) searchUsers(r *Request) (any, error) {
	var body searchUsersInput
	if err := decodeBody(r.Payload, &body); err != nil {
		return nil, err
	}
	in := connect.SearchUsersInput{Criteria: body.SearchCriteria.domain(), NextToken: body.NextToken, MaxResults: body.MaxResults}
	if f := body.SearchFilter; f != nil && f.TagFilter != nil {
		tf := &connect.TagFilter{AndConditions: tagConditions(f.TagFilter.AndConditions)}
		if tc := f.TagFilter.TagCondition; tc != nil {
			tf.TagCondition = &connect.TagCondition{Key: tc.TagKey, Value: tc.TagValue}
		}
		for _, and := range f.TagFilter.OrConditions {
			tf.OrConditions = append(tf.OrConditions, tagConditions(and))
		}
		in.Tags = tf
	}
	page, err := a.connect.SearchUsers(r.Context(), r.caller(), body.InstanceID, in)
	out := struct {
		Users                 []userSearchSummaryJSON `json:"Users"`
		NextToken             string                  `json:"NextToken,omitempty"`
		ApproximateTotalCount int                     `json:"ApproximateTotalCount"`
	}{Users: []userSearchSummaryJSON{}, NextToken: page.NextToken, ApproximateTotalCount: page.Total}
	for _, u := range page.Items {
		s := userSearchSummaryJSON{Arn: u.ARN, DirectoryUserID: u.DirectoryUserID, HierarchyGroupID: u.HierarchyGroupID, ID: u.ID,
			PhoneConfig: phoneConfigJSON(u.PhoneConfig), RoutingProfileID: u.RoutingProfileID, SecurityProfileIDs: u.SecurityProfileIDs,
			Tags: u.Tags, Username: u.Username}
		if u.IdentityInfo != nil {
			s.IdentityInfo = &identityInfoLite{FirstName: u.IdentityInfo.FirstName, LastName: u.IdentityInfo.LastName}
		}
		out.Users = append(out.Users, s)
	}
	return out, err
}
