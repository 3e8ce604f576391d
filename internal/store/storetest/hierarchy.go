package storetest

import (
	"reflect"
	"testing"
	"time"

	"github.com/connectfed/connectfed/internal/store"
)

// The user hierarchy: a structure replaced whole, groups unique by id and exact name, renamed,
// listed by id, deleted, and gone with their instance.
func testHierarchy(t *testing.T, s store.Store) {
	ctx := t.Context()
	createAccounts(t, s, accountA)
	in := newInstance(accountA, regionA, 1, "hier")
	createInstance(t, s, in, nil, nil)
	t0 := time.Date(2026, 4, 1, 9, 0, 0, 123456000, time.UTC)

	levels := []store.HierarchyLevel{{InstanceID: in.ID, Level: 1, ID: "l1", Name: "Site", UpdatedAt: t0},
		{InstanceID: in.ID, Level: 2, ID: "l2", Name: "Team é", UpdatedAt: t0}}
	must(t, "PutHierarchyStructure", s.PutHierarchyStructure(ctx, in.ID, levels))
	got, err := s.GetHierarchyStructure(ctx, in.ID)
	must(t, "GetHierarchyStructure", err)
	if !reflect.DeepEqual(got, levels) {
		t.Errorf("structure = %+v, want %+v", got, levels)
	}
	must(t, "PutHierarchyStructure shorter", s.PutHierarchyStructure(ctx, in.ID, levels[:1]))
	if got, _ := s.GetHierarchyStructure(ctx, in.ID); len(got) != 1 {
		t.Errorf("structure after replacing = %+v", got)
	}
	checkErr(t, "PutHierarchyStructure of no instance", s.PutHierarchyStructure(ctx, missingInstance, levels), store.ErrNotFound)

	g1 := store.HierarchyGroup{InstanceID: in.ID, ID: "g1", Name: "Paris", Level: 1, Tags: map[string]string{"k": "v"}, CreatedAt: t0, UpdatedAt: t0}
	g2 := store.HierarchyGroup{InstanceID: in.ID, ID: "g2", Name: "paris", Level: 2, ParentID: "g1", CreatedAt: t0, UpdatedAt: t0}
	must(t, "CreateHierarchyGroup", s.CreateHierarchyGroup(ctx, g1))
	must(t, "CreateHierarchyGroup of a name in another case", s.CreateHierarchyGroup(ctx, g2))
	dup := g2
	dup.ID = "g3"
	checkErr(t, "CreateHierarchyGroup of a taken name", s.CreateHierarchyGroup(ctx, store.HierarchyGroup{InstanceID: in.ID, ID: "g3", Name: "Paris",
		Level: 1, CreatedAt: t0, UpdatedAt: t0}), store.ErrAlreadyExists)
	if g, err := s.GetHierarchyGroup(ctx, in.ID, "g1"); err != nil || !reflect.DeepEqual(g, g1) {
		t.Errorf("GetHierarchyGroup = %+v, %v; want %+v", g, err, g1)
	}
	list, err := s.ListHierarchyGroups(ctx, in.ID, store.Page{Limit: 10})
	must(t, "ListHierarchyGroups", err)
	if len(list) != 2 || list[0].ID != "g1" || list[1].ID != "g2" {
		t.Errorf("ListHierarchyGroups = %+v", list)
	}
	rename := func(id, name string, tags map[string]string) error {
		return s.UpdateHierarchyGroup(ctx, in.ID, id, func(g store.HierarchyGroup) (store.HierarchyGroup, error) {
			g.Name, g.Tags, g.UpdatedAt = name, tags, t0.Add(time.Hour)
			return g, nil
		})
	}
	must(t, "UpdateHierarchyGroup", rename("g2", "Lyon", map[string]string{"site": "fr"}))
	if g, _ := s.GetHierarchyGroup(ctx, in.ID, "g2"); g.Name != "Lyon" || g.Tags["site"] != "fr" || !g.UpdatedAt.Equal(t0.Add(time.Hour)) {
		t.Errorf("after the update: %+v", g)
	}
	checkErr(t, "UpdateHierarchyGroup to a taken name", rename("g2", "Paris", nil), store.ErrAlreadyExists)
	checkErr(t, "UpdateHierarchyGroup of none", rename("nope", "x", nil), store.ErrNotFound)
	if g, _ := s.GetHierarchyGroup(ctx, in.ID, "g2"); g.Name != "Lyon" || g.Tags["site"] != "fr" {
		t.Errorf("a refused update changed the group: %+v", g)
	}
	must(t, "DeleteHierarchyGroup", s.DeleteHierarchyGroup(ctx, in.ID, "g2"))
	checkErr(t, "DeleteHierarchyGroup twice", s.DeleteHierarchyGroup(ctx, in.ID, "g2"), store.ErrNotFound)

	must(t, "DeleteInstance", s.DeleteInstance(ctx, in.AccountID, in.Region, in.ID))
	if _, err := s.GetHierarchyGroup(ctx, in.ID, "g1"); err == nil {
		t.Error("a group outlived its instance")
	}
	if got, _ := s.GetHierarchyStructure(ctx, in.ID); len(got) != 0 {
		t.Error("the structure outlived its instance")
	}
}

// Approved origins: added once, listed in order, removed, gone with their instance.
func testApprovedOrigins(t *testing.T, s store.Store) {
	ctx := t.Context()
	createAccounts(t, s, accountA)
	in := newInstance(accountA, regionA, 1, "origins")
	createInstance(t, s, in, nil, nil)
	for _, o := range []string{"https://b.example.com", "https://a.example.com:8443"} {
		must(t, "AddApprovedOrigin "+o, s.AddApprovedOrigin(ctx, in.ID, o))
	}
	checkErr(t, "AddApprovedOrigin twice", s.AddApprovedOrigin(ctx, in.ID, "https://b.example.com"), store.ErrAlreadyExists)
	checkErr(t, "AddApprovedOrigin to no instance", s.AddApprovedOrigin(ctx, missingInstance, "https://x.example.com"), store.ErrNotFound)
	list, err := s.ListApprovedOrigins(ctx, in.ID, store.Page{Limit: 10})
	must(t, "ListApprovedOrigins", err)
	if !reflect.DeepEqual(list, []string{"https://a.example.com:8443", "https://b.example.com"}) {
		t.Errorf("ListApprovedOrigins = %v", list)
	}
	if page, _ := s.ListApprovedOrigins(ctx, in.ID, store.Page{After: "https://a.example.com:8443", Limit: 10}); len(page) != 1 {
		t.Errorf("the second page = %v", page)
	}
	must(t, "RemoveApprovedOrigin", s.RemoveApprovedOrigin(ctx, in.ID, "https://b.example.com"))
	checkErr(t, "RemoveApprovedOrigin twice", s.RemoveApprovedOrigin(ctx, in.ID, "https://b.example.com"), store.ErrNotFound)
	must(t, "DeleteInstance", s.DeleteInstance(ctx, in.AccountID, in.Region, in.ID))
	if list, _ := s.ListApprovedOrigins(ctx, in.ID, store.Page{Limit: 10}); len(list) != 0 {
		t.Errorf("origins outlived their instance: %v", list)
	}
}
