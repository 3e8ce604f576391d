package awsapi

import "github.com/connectfed/connectfed/internal/connect"

// The updates of a Connect user: each answers an empty 200, as AWS does.

func (a *API) updateUserIdentityInfo(r *Request) (any, error) {
	var body struct {
		IdentityInfo *identityInfoJSON `json:"IdentityInfo"`
	}
	if err := decodeBody(r.Payload, &body); err != nil {
		return nil, err
	}
	var info *connect.IdentityInfo
	if body.IdentityInfo != nil {
		v := connect.IdentityInfo(*body.IdentityInfo)
		info = &v
	}
	return struct{}{}, a.connect.UpdateUserIdentityInfo(r.Context(), r.caller(), r.Labels[0], r.Labels[1], info)
}

func (a *API) updateUserPhoneConfig(r *Request) (any, error) {
	var body struct {
		PhoneConfig *phoneConfigJSON `json:"PhoneConfig"`
	}
	if err := decodeBody(r.Payload, &body); err != nil {
		return nil, err
	}
	var pc *connect.PhoneConfig
	if body.PhoneConfig != nil {
		v := connect.PhoneConfig(*body.PhoneConfig)
		pc = &v
	}
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
