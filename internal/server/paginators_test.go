package server_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/connect"
	ctypes "github.com/aws/aws-sdk-go-v2/service/connect/types"
)

// pager is what every paginator of the SDK offers.
type pager[T any] interface {
	HasMorePages() bool
	NextPage(context.Context, ...func(*connect.Options)) (T, error)
}

// walk counts the items and pages a paginator walks, each item named by a key; an item met
// twice fails the test.
func walk[T any](t *testing.T, p pager[T], keys func(T) []string) (n, pages int) {
	t.Helper()
	seen := map[string]bool{}
	for p.HasMorePages() {
		page, err := p.NextPage(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		for _, k := range keys(page) {
			if seen[k] {
				t.Errorf("page %d repeats %s", pages+1, k)
			}
			seen[k] = true
		}
		pages++
	}
	return len(seen), pages
}

// ids are the keys of a page's items.
func ids[T any](items []T, key func(T) *string) []string {
	out := make([]string, len(items))
	for i, item := range items {
		out[i] = aws.ToString(key(item))
	}
	return out
}

// Every List and Search paginator of aws-sdk-go-v2 walks more than 250 items, page by page,
// and meets each item once.
func TestConnectPaginatorsOver250(t *testing.T) {
	if testing.Short() {
		t.Skip("creates thousands of records; skipped with -short")
	}
	const n = 260
	e := newEnv(t)
	ctx := context.Background()
	c := e.connect(e.root, "us-east-1")
	inst := newInstance(t, c, "acme", ctypes.DirectoryTypeSaml)
	agent, routing := profileIDs(t, c, inst, "Agent", "Basic Routing Profile")
	basic := basicQueue(t, c, inst)
	hours, err := c.DescribeQueue(ctx, &connect.DescribeQueueInput{InstanceId: aws.String(inst), QueueId: aws.String(basic)})
	if err != nil {
		t.Fatal(err)
	}
	must := func(_ any, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	if _, err := c.UpdateUserHierarchyStructure(ctx, &connect.UpdateUserHierarchyStructureInput{InstanceId: aws.String(inst),
		HierarchyStructure: &ctypes.HierarchyStructureUpdate{LevelOne: &ctypes.HierarchyLevelUpdate{Name: aws.String("Site")}}}); err != nil {
		t.Fatal(err)
	}
	var perms, queues []string
	for i := range n {
		name := fmt.Sprintf("bulk%04d", i)
		must(c.CreateUser(ctx, &connect.CreateUserInput{InstanceId: aws.String(inst), Username: aws.String(name),
			SecurityProfileIds: []string{agent}, RoutingProfileId: aws.String(routing),
			PhoneConfig: &ctypes.UserPhoneConfig{PhoneType: ctypes.PhoneTypeSoftPhone}}))
		must(c.CreateSecurityProfile(ctx, &connect.CreateSecurityProfileInput{InstanceId: aws.String(inst), SecurityProfileName: aws.String(name)}))
		q, err := c.CreateQueue(ctx, &connect.CreateQueueInput{InstanceId: aws.String(inst), Name: aws.String(name), HoursOfOperationId: hours.Queue.HoursOfOperationId})
		must(q, err)
		queues = append(queues, aws.ToString(q.QueueId))
		must(c.CreateRoutingProfile(ctx, &connect.CreateRoutingProfileInput{InstanceId: aws.String(inst), Name: aws.String(name),
			Description: aws.String("bulk"), DefaultOutboundQueueId: aws.String(basic),
			MediaConcurrencies: []ctypes.MediaConcurrency{{Channel: ctypes.ChannelVoice, Concurrency: aws.Int32(1)}}}))
		must(c.CreateUserHierarchyGroup(ctx, &connect.CreateUserHierarchyGroupInput{InstanceId: aws.String(inst), Name: aws.String(name)}))
		must(c.AssociateApprovedOrigin(ctx, &connect.AssociateApprovedOriginInput{InstanceId: aws.String(inst), Origin: aws.String("https://" + name + ".example.com")}))
		perms = append(perms, "Custom."+name)
		newInstance(t, c, name, ctypes.DirectoryTypeSaml)
	}
	must(c.UpdateSecurityProfile(ctx, &connect.UpdateSecurityProfileInput{InstanceId: aws.String(inst), SecurityProfileId: aws.String(agent), Permissions: perms}))
	for i := 0; i < n; i += 10 {
		var configs []ctypes.RoutingProfileQueueConfig
		for _, q := range queues[i:min(i+10, n)] {
			configs = append(configs, ctypes.RoutingProfileQueueConfig{QueueReference: &ctypes.RoutingProfileQueueReference{QueueId: aws.String(q),
				Channel: ctypes.ChannelTask}, Priority: aws.Int32(1), Delay: aws.Int32(0)})
		}
		must(c.AssociateRoutingProfileQueues(ctx, &connect.AssociateRoutingProfileQueuesInput{InstanceId: aws.String(inst),
			RoutingProfileId: aws.String(routing), QueueConfigs: configs}))
	}

	in := aws.String(inst)
	check := func(name string, atLeast, got, pages int) {
		t.Helper()
		if got < atLeast || pages < 2 {
			t.Errorf("%s walked %d items in %d pages, want at least %d over several pages", name, got, pages, atLeast)
		}
	}
	got, pages := walk(t, connect.NewListUsersPaginator(c, &connect.ListUsersInput{InstanceId: in, MaxResults: aws.Int32(25)}),
		func(o *connect.ListUsersOutput) []string {
			return ids(o.UserSummaryList, func(u ctypes.UserSummary) *string { return u.Id })
		})
	check("ListUsers", n, got, pages)
	got, pages = walk(t, connect.NewSearchUsersPaginator(c, &connect.SearchUsersInput{InstanceId: in, MaxResults: aws.Int32(25),
		SearchCriteria: &ctypes.UserSearchCriteria{StringCondition: &ctypes.StringCondition{FieldName: aws.String("Username"),
			Value: aws.String("bulk"), ComparisonType: ctypes.StringComparisonTypeStartsWith}}}),
		func(o *connect.SearchUsersOutput) []string {
			return ids(o.Users, func(u ctypes.UserSearchSummary) *string { return u.Id })
		})
	check("SearchUsers", n, got, pages)
	got, pages = walk(t, connect.NewListSecurityProfilesPaginator(c, &connect.ListSecurityProfilesInput{InstanceId: in, MaxResults: aws.Int32(25)}),
		func(o *connect.ListSecurityProfilesOutput) []string {
			return ids(o.SecurityProfileSummaryList, func(p ctypes.SecurityProfileSummary) *string { return p.Id })
		})
	check("ListSecurityProfiles", n, got, pages)
	got, pages = walk(t, connect.NewListRoutingProfilesPaginator(c, &connect.ListRoutingProfilesInput{InstanceId: in, MaxResults: aws.Int32(25)}),
		func(o *connect.ListRoutingProfilesOutput) []string {
			return ids(o.RoutingProfileSummaryList, func(p ctypes.RoutingProfileSummary) *string { return p.Id })
		})
	check("ListRoutingProfiles", n, got, pages)
	got, pages = walk(t, connect.NewListQueuesPaginator(c, &connect.ListQueuesInput{InstanceId: in, MaxResults: aws.Int32(25)}),
		func(o *connect.ListQueuesOutput) []string {
			return ids(o.QueueSummaryList, func(q ctypes.QueueSummary) *string { return q.Id })
		})
	check("ListQueues", n, got, pages)
	got, pages = walk(t, connect.NewListUserHierarchyGroupsPaginator(c, &connect.ListUserHierarchyGroupsInput{InstanceId: in, MaxResults: aws.Int32(25)}),
		func(o *connect.ListUserHierarchyGroupsOutput) []string {
			return ids(o.UserHierarchyGroupSummaryList, func(g ctypes.HierarchyGroupSummary) *string { return g.Id })
		})
	check("ListUserHierarchyGroups", n, got, pages)
	got, pages = walk(t, connect.NewListApprovedOriginsPaginator(c, &connect.ListApprovedOriginsInput{InstanceId: in}),
		func(o *connect.ListApprovedOriginsOutput) []string { return o.Origins })
	check("ListApprovedOrigins", n, got, pages)
	got, pages = walk(t, connect.NewListSecurityProfilePermissionsPaginator(c, &connect.ListSecurityProfilePermissionsInput{InstanceId: in,
		SecurityProfileId: aws.String(agent), MaxResults: aws.Int32(25)}),
		func(o *connect.ListSecurityProfilePermissionsOutput) []string { return o.Permissions })
	check("ListSecurityProfilePermissions", n, got, pages)
	got, pages = walk(t, connect.NewListRoutingProfileQueuesPaginator(c, &connect.ListRoutingProfileQueuesInput{InstanceId: in,
		RoutingProfileId: aws.String(routing), MaxResults: aws.Int32(25)}),
		func(o *connect.ListRoutingProfileQueuesOutput) []string {
			return ids(o.RoutingProfileQueueConfigSummaryList, func(q ctypes.RoutingProfileQueueConfigSummary) *string {
				return aws.String(aws.ToString(q.QueueId) + "/" + string(q.Channel))
			})
		})
	check("ListRoutingProfileQueues", n, got, pages)
	got, pages = walk(t, connect.NewListInstancesPaginator(c, &connect.ListInstancesInput{MaxResults: aws.Int32(10)}),
		func(o *connect.ListInstancesOutput) []string {
			return ids(o.InstanceSummaryList, func(i ctypes.InstanceSummary) *string { return i.Id })
		})
	check("ListInstances", n, got, pages)
}
