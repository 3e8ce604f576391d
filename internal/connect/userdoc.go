package connect

import "encoding/json"

// The document a user's details are kept in (store.ConnectUser.Details). Its member names are
// fixed by the rows already written: change them only with a migration that rewrites them.
// The fields match the domain types one for one, so a conversion maps them.
type (
	identityDoc struct {
		FirstName      string `json:"FirstName,omitempty"`
		LastName       string `json:"LastName,omitempty"`
		Email          string `json:"Email,omitempty"`
		SecondaryEmail string `json:"SecondaryEmail,omitempty"`
		Mobile         string `json:"Mobile,omitempty"`
	}
	phoneDoc struct {
		PhoneType                 string `json:"PhoneType"`
		AutoAccept                bool   `json:"AutoAccept"`
		AfterContactWorkTimeLimit int    `json:"AfterContactWorkTimeLimit"`
		DeskPhoneNumber           string `json:"DeskPhoneNumber,omitempty"`
		PersistentConnection      bool   `json:"PersistentConnection,omitempty"`
	}
	detailsDoc struct {
		IdentityInfo       *identityDoc      `json:"IdentityInfo,omitempty"`
		PhoneConfig        phoneDoc          `json:"PhoneConfig"`
		DirectoryUserID    string            `json:"DirectoryUserId,omitempty"`
		SecurityProfileIDs []string          `json:"SecurityProfileIds"`
		RoutingProfileID   string            `json:"RoutingProfileId"`
		HierarchyGroupID   string            `json:"HierarchyGroupId,omitempty"`
		Tags               map[string]string `json:"Tags,omitempty"`
	}
)

func encodeDetails(d UserDetails) ([]byte, error) {
	doc := detailsDoc{PhoneConfig: phoneDoc(d.PhoneConfig), DirectoryUserID: d.DirectoryUserID,
		SecurityProfileIDs: d.SecurityProfileIDs, RoutingProfileID: d.RoutingProfileID,
		HierarchyGroupID: d.HierarchyGroupID, Tags: d.Tags}
	if d.IdentityInfo != nil {
		id := identityDoc(*d.IdentityInfo)
		doc.IdentityInfo = &id
	}
	return json.Marshal(doc)
}

func decodeDetails(b []byte) (UserDetails, error) {
	var doc detailsDoc
	if err := json.Unmarshal(b, &doc); err != nil {
		return UserDetails{}, err
	}
	d := UserDetails{PhoneConfig: PhoneConfig(doc.PhoneConfig), DirectoryUserID: doc.DirectoryUserID,
		SecurityProfileIDs: doc.SecurityProfileIDs, RoutingProfileID: doc.RoutingProfileID,
		HierarchyGroupID: doc.HierarchyGroupID, Tags: doc.Tags}
	if doc.IdentityInfo != nil {
		id := IdentityInfo(*doc.IdentityInfo)
		d.IdentityInfo = &id
	}
	return d, nil
}
