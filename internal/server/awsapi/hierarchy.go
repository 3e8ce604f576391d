package awsapi

import (
	"github.com/connectfed/connectfed/internal/apierr"
	"github.com/connectfed/connectfed/internal/connect"
)

// The user hierarchy, as the Connect model shapes it.

// levelNames are the members of a HierarchyStructure, from level one.
var levelNames = [connect.MaxHierarchyLevels]string{"LevelOne", "LevelTwo", "LevelThree", "LevelFour", "LevelFive"}

type hierarchyLevelJSON struct {
	ID                 string `json:"Id"`
	Arn                string `json:"Arn"`
	Name               string `json:"Name"`
	LastModifiedTime   epoch  `json:"LastModifiedTime"`
	LastModifiedRegion string `json:"LastModifiedRegion"`
}

type groupRefJSON struct {
	ID   string `json:"Id"`
	Arn  string `json:"Arn"`
	Name string `json:"Name"`
}

func (a *API) updateUserHierarchyStructure(r *Request) (any, error) {
	var body struct {
		HierarchyStructure map[string]struct {
			Name string `json:"Name"`
		} `json:"HierarchyStructure"`
	}
	if err := decodeBody(r.Payload, &body); err != nil {
		return nil, err
	}
	if body.HierarchyStructure == nil {
		return nil, apierr.Validation(apierr.InvalidParameter, apierr.Null("hierarchyStructure"))
	}
	var names [connect.MaxHierarchyLevels]string
	for i, member := range levelNames {
		names[i] = body.HierarchyStructure[member].Name
	}
	return struct{}{}, a.connect.UpdateUserHierarchyStructure(r.Context(), r.caller(), r.Labels[0], names)
}

func (a *API) describeUserHierarchyStructure(r *Request) (any, error) {
	levels, err := a.connect.DescribeUserHierarchyStructure(r.Context(), r.caller(), r.Labels[0])
	structure := map[string]hierarchyLevelJSON{}
	for _, l := range levels {
		structure[levelNames[l.Level-1]] = hierarchyLevelJSON{ID: l.ID, Arn: l.ARN, Name: l.Name,
			LastModifiedTime: epoch(l.LastModifiedTime), LastModifiedRegion: l.LastModifiedRegion}
	}
	return struct {
		HierarchyStructure map[string]hierarchyLevelJSON `json:"HierarchyStructure"`
	}{structure}, err
}

func (a *API) createUserHierarchyGroup(r *Request) (any, error) {
	var body struct {
		Name          string            `json:"Name"`
		ParentGroupID string            `json:"ParentGroupId"`
		Tags          map[string]string `json:"Tags"`
	}
	if err := decodeBody(r.Payload, &body); err != nil {
		return nil, err
	}
	g, err := a.connect.CreateUserHierarchyGroup(r.Context(), r.caller(), r.Labels[0], body.Name, body.ParentGroupID, body.Tags)
	return struct {
		HierarchyGroupID  string `json:"HierarchyGroupId"`
		HierarchyGroupArn string `json:"HierarchyGroupArn"`
	}{g.ID, g.ARN}, err
}

// hierarchyGroupJSON is DescribeUserHierarchyGroup's HierarchyGroup.
type hierarchyGroupJSON struct {
	ID                 string                  `json:"Id"`
	Arn                string                  `json:"Arn"`
	Name               string                  `json:"Name"`
	LevelID            string                  `json:"LevelId"`
	HierarchyPath      map[string]groupRefJSON `json:"HierarchyPath"`
	Tags               map[string]string       `json:"Tags,omitempty"`
	LastModifiedTime   epoch                   `json:"LastModifiedTime"`
	LastModifiedRegion string                  `json:"LastModifiedRegion"`
}

func (a *API) describeUserHierarchyGroup(r *Request) (any, error) {
	g, err := a.connect.DescribeUserHierarchyGroup(r.Context(), r.caller(), r.Labels[0], r.Labels[1])
	path := map[string]groupRefJSON{}
	for i, ref := range g.Path {
		path[levelNames[i]] = groupRefJSON{ID: ref.ID, Arn: ref.ARN, Name: ref.Name}
	}
	return struct {
		HierarchyGroup hierarchyGroupJSON `json:"HierarchyGroup"`
	}{hierarchyGroupJSON{g.ID, g.ARN, g.Name, g.LevelID, path, g.Tags, epoch(g.LastModifiedTime), g.LastModifiedRegion}}, err
}

func (a *API) listUserHierarchyGroups(r *Request) (any, error) {
	next, max, err := pageParams(r)
	if err != nil {
		return nil, err
	}
	page, err := a.connect.ListUserHierarchyGroups(r.Context(), r.caller(), r.Labels[0], next, max)
	out := struct {
		List      []hierarchyLevelJSON `json:"UserHierarchyGroupSummaryList"`
		NextToken string               `json:"NextToken,omitempty"`
	}{List: []hierarchyLevelJSON{}, NextToken: page.NextToken}
	for _, g := range page.Items {
		out.List = append(out.List, hierarchyLevelJSON{ID: g.ID, Arn: g.ARN, Name: g.Name,
			LastModifiedTime: epoch(g.LastModifiedTime), LastModifiedRegion: g.LastModifiedRegion})
	}
	return out, err
}

func (a *API) updateUserHierarchyGroupName(r *Request) (any, error) {
	var body struct {
		Name string `json:"Name"`
	}
	if err := decodeBody(r.Payload, &body); err != nil {
		return nil, err
	}
	return struct{}{}, a.connect.UpdateUserHierarchyGroupName(r.Context(), r.caller(), r.Labels[0], r.Labels[1], body.Name)
}

func (a *API) deleteUserHierarchyGroup(r *Request) (any, error) {
	return struct{}{}, a.connect.DeleteUserHierarchyGroup(r.Context(), r.caller(), r.Labels[0], r.Labels[1])
}

func (a *API) updateUserHierarchy(r *Request) (any, error) {
	var body struct {
		HierarchyGroupID string `json:"HierarchyGroupId"`
	}
	if err := decodeBody(r.Payload, &body); err != nil {
		return nil, err
	}
	return struct{}{}, a.connect.UpdateUserHierarchy(r.Context(), r.caller(), r.Labels[0], r.Labels[1], body.HierarchyGroupID)
}

// Approved origins.

func (a *API) associateApprovedOrigin(r *Request) (any, error) {
	var body struct {
		Origin string `json:"Origin"`
	}
	if err := decodeBody(r.Payload, &body); err != nil {
		return nil, err
	}
	return struct{}{}, a.connect.AssociateApprovedOrigin(r.Context(), r.caller(), r.Labels[0], body.Origin)
}

func (a *API) disassociateApprovedOrigin(r *Request) (any, error) {
	return struct{}{}, a.connect.DisassociateApprovedOrigin(r.Context(), r.caller(), r.Labels[0], r.URL.Query().Get("origin"))
}

func (a *API) listApprovedOrigins(r *Request) (any, error) {
	next, max, err := pageParams(r)
	if err != nil {
		return nil, err
	}
	page, err := a.connect.ListApprovedOrigins(r.Context(), r.caller(), r.Labels[0], next, max)
	origins := page.Items
	if origins == nil {
		origins = []string{}
	}
	return struct {
		Origins   []string `json:"Origins"`
		NextToken string   `json:"NextToken,omitempty"`
	}{origins, page.NextToken}, err
}
