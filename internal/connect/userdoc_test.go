package connect

import "testing"

// The document is the one rows already hold: a document written before the domain types lost
// their JSON tags reads back and writes out byte for byte.
func TestDetailsDocumentIsStable(t *testing.T) {
	const stored = `{"IdentityInfo":{"FirstName":"Agent","LastName":"One","Mobile":"+14155550100"},` +
		`"PhoneConfig":{"PhoneType":"DESK_PHONE","AutoAccept":true,"AfterContactWorkTimeLimit":30,"DeskPhoneNumber":"+14155550101"},` +
		`"SecurityProfileIds":["s1","s2"],"RoutingProfileId":"r1","HierarchyGroupId":"h1","Tags":{"team":"a"}}`
	d, err := decodeDetails([]byte(stored))
	if err != nil {
		t.Fatal(err)
	}
	if d.IdentityInfo == nil || d.IdentityInfo.Mobile != "+14155550100" || !d.PhoneConfig.AutoAccept ||
		d.PhoneConfig.AfterContactWorkTimeLimit != 30 || len(d.SecurityProfileIDs) != 2 || d.Tags["team"] != "a" {
		t.Fatalf("decoded %+v", d)
	}
	b, err := encodeDetails(d)
	if err != nil || string(b) != stored {
		t.Errorf("re-encoded\n%s\nwant\n%s", b, stored)
	}
	minimal := `{"PhoneConfig":{"PhoneType":"SOFT_PHONE","AutoAccept":false,"AfterContactWorkTimeLimit":0},"SecurityProfileIds":["s"],"RoutingProfileId":"r"}`
	d, err = decodeDetails([]byte(minimal))
	if err != nil || d.IdentityInfo != nil {
		t.Fatalf("minimal: %+v, %v", d, err)
	}
	if b, _ := encodeDetails(d); string(b) != minimal {
		t.Errorf("minimal re-encoded %s", b)
	}
}
