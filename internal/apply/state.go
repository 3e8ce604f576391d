package apply

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/connect"
	ctypes "github.com/aws/aws-sdk-go-v2/service/connect/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// pageSize is the largest page each listing allows: fewer round trips for big accounts.
const (
	iamPageSize      = 1000
	connectPageSize  = 1000
	instancePageSize = 10
)

// clients are the AWS clients apply uses, all built from one aws.Config.
type clients struct {
	iam     *iam.Client
	sts     *sts.Client
	connect *connect.Client
	creds   aws.CredentialsProvider
}

// caller is who apply runs as; prune never deletes it.
type caller struct {
	account, arn string
	userName     string // an IAM user's name; "" for root and role sessions
	roleName     string // an assumed role's name
	keyID        string
}

type iamUser struct {
	name string
	keys []iamKey // nil until listed
	// policies are the inline policies by name, with their documents when compared ("" when
	// only listed); nil until listed.
	policies map[string]string
	// attached are the ARNs of the managed policies attached; nil until listed.
	attached []string
}

type iamKey struct {
	id      string
	active  bool
	created time.Time
}

type iamRole struct {
	name, path, description string
	policy                  string
	maxSession              int
	// policies and attached are as iamUser's.
	policies map[string]string
	attached []string
}

// samlProvider is an IAM SAML provider as the server has it.
type samlProvider struct {
	name, arn, metadata string
}

// managedPolicy is a customer managed policy: its default version's document, and its
// versions' ids, oldest first.
type managedPolicy struct {
	name, arn, defaultVersion, document string
	versions                            []string
}

type instance struct {
	id, alias, identityManagement string
	inbound, outbound             bool
	// security and routing map profile names to ids; users are by username. Nil until listed.
	security, routing map[string]string
	users             map[string]*connectUser
	// What the file declares of the instance beyond its users, read only when it does:
	// attributes by type, approved origins, the declared security profiles by name, and the
	// hierarchy's levels and groups (names to ids).
	attributes map[string]string
	origins    []string
	profiles   map[string]*securityProfile
	levels     []string
	groups     map[string]string
	// queues map queue names to ids; rprofiles are the declared routing profiles it has.
	queues    map[string]string
	rprofiles map[string]*routingProfile
}

// routingProfile is a routing profile as apply compares it; queues are "QUEUE_ID/CHANNEL" to
// their priority and delay.
type routingProfile struct {
	id, description, defaultQueue string
	concurrency                   map[string]int
	queues                        map[string][2]int
}

// securityProfile is a security profile as apply compares it.
type securityProfile struct {
	id, description string
	permissions     []string
}

type connectUser struct {
	id, username string
	described    *ctypes.User // nil until described
}

// state is what the server has, as far as the file's collections reach.
type state struct {
	caller caller
	users  map[string]*iamUser // by lower-case name
	roles  map[string]*iamRole // by lower-case name
	// managed are the account's customer managed policies by lower-case name, when the file
	// declares some.
	managed map[string]*managedPolicy
	// samlProviders are the account's SAML providers by lower-case name, when the file declares
	// some, with the metadata of the declared ones.
	samlProviders map[string]samlProvider
	instances     map[string]*instance
	// unaliased are instances apply cannot name (EXISTING_DIRECTORY without alias); only prune
	// sees them.
	unaliased []*instance
}

// whoAmI identifies the caller, which also proves the credentials work before anything else.
func (c *clients) whoAmI(ctx context.Context) (caller, error) {
	out, err := c.sts.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		return caller{}, failed("identify", "the caller (sts get-caller-identity)", err)
	}
	who := caller{account: aws.ToString(out.Account), arn: aws.ToString(out.Arn)}
	if creds, err := c.creds.Retrieve(ctx); err == nil {
		who.keyID = creds.AccessKeyID
	}
	// arn:aws:iam::ACCOUNT:user/PATH/NAME or arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION.
	if _, res, ok := strings.Cut(who.arn, ":user/"); ok {
		who.userName = res[strings.LastIndexByte(res, '/')+1:]
	} else if _, res, ok := strings.Cut(who.arn, ":assumed-role/"); ok {
		who.roleName, _, _ = strings.Cut(res, "/")
	}
	return who, nil
}

// read lists what the file's collections cover. Listings that do not depend on each other run
// at once; per-user and per-instance reads run through the pool.
func (r *runner) read(ctx context.Context) (*state, error) {
	st := &state{users: map[string]*iamUser{}, roles: map[string]*iamRole{}, instances: map[string]*instance{}}
	var err error
	if st.caller, err = r.c.whoAmI(ctx); err != nil {
		return nil, err
	}
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		errs []error
	)
	fail := func(err error) {
		if err != nil {
			mu.Lock()
			errs = append(errs, err)
			mu.Unlock()
		}
	}
	if r.f.IAM != nil && r.f.IAM.Users != nil {
		wg.Go(func() { fail(r.readUsers(ctx, st)) })
	}
	if r.f.IAM != nil && r.f.IAM.Roles != nil {
		wg.Go(func() { fail(r.readRoles(ctx, st)) })
	}
	if r.f.Connect != nil && r.f.Connect.Instances != nil {
		wg.Go(func() { fail(r.readInstances(ctx, st)) })
	}
	if r.f.IAM != nil && r.f.IAM.Policies != nil {
		wg.Go(func() { fail(r.readManagedPolicies(ctx, st)) })
	}
	if r.f.IAM != nil && r.f.IAM.SAMLProviders != nil {
		wg.Go(func() { fail(r.readSAMLProviders(ctx, st)) })
	}
	wg.Wait()
	if len(errs) > 0 {
		return nil, joinErrors(errs)
	}
	return st, nil
}

func (r *runner) readUsers(ctx context.Context, st *state) error {
	p := iam.NewListUsersPaginator(r.c.iam, &iam.ListUsersInput{MaxItems: aws.Int32(iamPageSize)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return failed("list", "iam users", err)
		}
		for _, u := range page.Users {
			name := aws.ToString(u.UserName)
			st.users[strings.ToLower(name)] = &iamUser{name: name}
		}
	}
	// Keys matter for users whose key count is declared, and for users prune will delete
	// (their keys go first, as IAM requires).
	declared := map[string]*UserSpec{}
	for i := range r.f.IAM.Users {
		declared[strings.ToLower(r.f.IAM.Users[i].Name)] = &r.f.IAM.Users[i]
	}
	// Likewise inline policies: compared for users that declare theirs, deleted first for users
	// prune deletes.
	var need, withPolicies []*iamUser
	for key, u := range st.users {
		d, ok := declared[key]
		if ok && d.AccessKeys != nil || !ok && r.o.Prune {
			need = append(need, u)
		}
		if ok && (d.Policies != nil || d.ManagedPolicies != nil) || !ok && r.o.Prune {
			withPolicies = append(withPolicies, u)
		}
	}
	errs := each(ctx, r.o.Parallel, withPolicies, func(ctx context.Context, u *iamUser) (err error) {
		_, compare := declared[strings.ToLower(u.name)]
		if u.policies, err = r.inlinePolicies(ctx, userPolicies{r.c.iam}, u.name, compare); err != nil {
			return err
		}
		u.attached, err = r.attachedPolicies(ctx, userPolicies{r.c.iam}, u.name)
		return err
	})
	return joinErrors(append(errs, each(ctx, r.o.Parallel, need, func(ctx context.Context, u *iamUser) error {
		out, err := r.c.iam.ListAccessKeys(ctx, &iam.ListAccessKeysInput{UserName: aws.String(u.name), MaxItems: aws.Int32(iamPageSize)})
		if err != nil {
			return failed("list", "iam access keys of user "+u.name, err)
		}
		u.keys = []iamKey{}
		for _, k := range out.AccessKeyMetadata {
			u.keys = append(u.keys, iamKey{id: aws.ToString(k.AccessKeyId), active: k.Status == "Active",
				created: aws.ToTime(k.CreateDate)})
		}
		return nil
	})...))
}

func (r *runner) readRoles(ctx context.Context, st *state) error {
	p := iam.NewListRolesPaginator(r.c.iam, &iam.ListRolesInput{MaxItems: aws.Int32(iamPageSize)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return failed("list", "iam roles", err)
		}
		for _, role := range page.Roles {
			// IAM returns the trust policy percent-encoded.
			doc := aws.ToString(role.AssumeRolePolicyDocument)
			if dec, err := url.QueryUnescape(doc); err == nil {
				doc = dec
			}
			name := aws.ToString(role.RoleName)
			st.roles[strings.ToLower(name)] = &iamRole{name: name, path: aws.ToString(role.Path),
				description: aws.ToString(role.Description), policy: doc,
				maxSession: int(aws.ToInt32(role.MaxSessionDuration))}
		}
	}
	// Every declared role's inline policies: a replace deletes them before the role, and a role
	// that declares its own compares them. Prune deletes them before an undeclared role.
	declared := map[string]*RoleSpec{}
	for i := range r.f.IAM.Roles {
		declared[strings.ToLower(r.f.IAM.Roles[i].Name)] = &r.f.IAM.Roles[i]
	}
	var need []*iamRole
	for key, role := range st.roles {
		if _, ok := declared[key]; ok || r.o.Prune && !strings.HasPrefix(role.path, "/aws-service-role/") {
			need = append(need, role)
		}
	}
	return joinErrors(each(ctx, r.o.Parallel, need, func(ctx context.Context, role *iamRole) (err error) {
		// Declared roles' documents are read: a replace carries them over when the file
		// declares none.
		_, isDeclared := declared[strings.ToLower(role.name)]
		if role.policies, err = r.inlinePolicies(ctx, rolePolicies{r.c.iam}, role.name, isDeclared); err != nil {
			return err
		}
		role.attached, err = r.attachedPolicies(ctx, rolePolicies{r.c.iam}, role.name)
		return err
	}))
}

// readManagedPolicies lists the account's customer managed policies and reads the versions of
// those the file declares.
func (r *runner) readManagedPolicies(ctx context.Context, st *state) error {
	managed := map[string]*managedPolicy{}
	p := iam.NewListPoliciesPaginator(r.c.iam, &iam.ListPoliciesInput{Scope: "Local", MaxItems: aws.Int32(iamPageSize)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return failed("list", "iam managed policies", err)
		}
		for _, mp := range page.Policies {
			name := aws.ToString(mp.PolicyName)
			managed[strings.ToLower(name)] = &managedPolicy{name: name, arn: aws.ToString(mp.Arn), defaultVersion: aws.ToString(mp.DefaultVersionId)}
		}
	}
	var need []*managedPolicy
	for _, spec := range r.f.IAM.Policies {
		if mp, ok := managed[strings.ToLower(spec.Name)]; ok {
			need = append(need, mp)
		}
	}
	err := joinErrors(each(ctx, r.o.Parallel, need, func(ctx context.Context, mp *managedPolicy) error {
		v, err := r.c.iam.GetPolicyVersion(ctx, &iam.GetPolicyVersionInput{PolicyArn: aws.String(mp.arn), VersionId: aws.String(mp.defaultVersion)})
		if err != nil {
			return failed("read", "iam managed policy "+mp.name, err)
		}
		mp.document = aws.ToString(v.PolicyVersion.Document)
		if dec, err := url.QueryUnescape(mp.document); err == nil {
			mp.document = dec
		}
		versions, err := r.c.iam.ListPolicyVersions(ctx, &iam.ListPolicyVersionsInput{PolicyArn: aws.String(mp.arn)})
		if err != nil {
			return failed("list", "versions of iam managed policy "+mp.name, err)
		}
		// IAM lists the newest first.
		for i := len(versions.Versions) - 1; i >= 0; i-- {
			mp.versions = append(mp.versions, aws.ToString(versions.Versions[i].VersionId))
		}
		return nil
	}))
	st.managed = managed
	return err
}

// readSAMLProviders lists the account's SAML providers and reads the metadata of those the
// file declares.
func (r *runner) readSAMLProviders(ctx context.Context, st *state) error {
	out, err := r.c.iam.ListSAMLProviders(ctx, &iam.ListSAMLProvidersInput{})
	if err != nil {
		return failed("list", "iam saml providers", err)
	}
	declared := map[string]bool{}
	for _, p := range r.f.IAM.SAMLProviders {
		declared[strings.ToLower(p.Name)] = true
	}
	providers := map[string]samlProvider{}
	var need []string
	for _, p := range out.SAMLProviderList {
		providerARN := aws.ToString(p.Arn)
		name := providerARN[strings.LastIndexByte(providerARN, '/')+1:]
		providers[strings.ToLower(name)] = samlProvider{name: name, arn: providerARN}
		if declared[strings.ToLower(name)] {
			need = append(need, strings.ToLower(name))
		}
	}
	var mu sync.Mutex
	err = joinErrors(each(ctx, r.o.Parallel, need, func(ctx context.Context, key string) error {
		mu.Lock()
		p := providers[key]
		mu.Unlock()
		got, err := r.c.iam.GetSAMLProvider(ctx, &iam.GetSAMLProviderInput{SAMLProviderArn: aws.String(p.arn)})
		if err != nil {
			return failed("read", "iam saml provider "+p.name, err)
		}
		p.metadata = aws.ToString(got.SAMLMetadataDocument)
		mu.Lock()
		providers[key] = p
		mu.Unlock()
		return nil
	}))
	st.samlProviders = providers
	return err
}

// attachedPolicies lists the ARNs of the managed policies attached to an entity.
func (r *runner) attachedPolicies(ctx context.Context, o policyOwner, owner string) ([]string, error) {
	out := []string{}
	for marker := ""; ; {
		arns, next, err := o.attached(ctx, owner, marker)
		if err != nil {
			return nil, failed("list", "managed policies attached to iam "+o.kind()+" "+owner, err)
		}
		out = append(out, arns...)
		if marker = next; marker == "" {
			return out, nil
		}
	}
}

// policyOwner reads the inline policies of one kind of IAM entity.
type policyOwner interface {
	kind() string
	list(ctx context.Context, owner, marker string) (names []string, next string, err error)
	get(ctx context.Context, owner, name string) (string, error)
	attached(ctx context.Context, owner, marker string) (arns []string, next string, err error)
}

type userPolicies struct{ c *iam.Client }

func (userPolicies) kind() string { return "user" }
func (u userPolicies) list(ctx context.Context, owner, marker string) ([]string, string, error) {
	out, err := u.c.ListUserPolicies(ctx, &iam.ListUserPoliciesInput{UserName: aws.String(owner), Marker: optional(marker), MaxItems: aws.Int32(iamPageSize)})
	if err != nil {
		return nil, "", err
	}
	return out.PolicyNames, aws.ToString(out.Marker), nil
}
func (u userPolicies) get(ctx context.Context, owner, name string) (string, error) {
	out, err := u.c.GetUserPolicy(ctx, &iam.GetUserPolicyInput{UserName: aws.String(owner), PolicyName: aws.String(name)})
	if err != nil {
		return "", err
	}
	return aws.ToString(out.PolicyDocument), nil
}

func (u userPolicies) attached(ctx context.Context, owner, marker string) ([]string, string, error) {
	out, err := u.c.ListAttachedUserPolicies(ctx, &iam.ListAttachedUserPoliciesInput{UserName: aws.String(owner), Marker: optional(marker), MaxItems: aws.Int32(iamPageSize)})
	if err != nil {
		return nil, "", err
	}
	return attachedARNs(out.AttachedPolicies), aws.ToString(out.Marker), nil
}

// attachedARNs are the ARNs of a page of attached policies.
func attachedARNs(page []iamtypes.AttachedPolicy) []string {
	arns := make([]string, 0, len(page))
	for _, p := range page {
		arns = append(arns, aws.ToString(p.PolicyArn))
	}
	return arns
}

type rolePolicies struct{ c *iam.Client }

func (rolePolicies) kind() string { return "role" }
func (r rolePolicies) list(ctx context.Context, owner, marker string) ([]string, string, error) {
	out, err := r.c.ListRolePolicies(ctx, &iam.ListRolePoliciesInput{RoleName: aws.String(owner), Marker: optional(marker), MaxItems: aws.Int32(iamPageSize)})
	if err != nil {
		return nil, "", err
	}
	return out.PolicyNames, aws.ToString(out.Marker), nil
}
func (r rolePolicies) get(ctx context.Context, owner, name string) (string, error) {
	out, err := r.c.GetRolePolicy(ctx, &iam.GetRolePolicyInput{RoleName: aws.String(owner), PolicyName: aws.String(name)})
	if err != nil {
		return "", err
	}
	return aws.ToString(out.PolicyDocument), nil
}
func (r rolePolicies) attached(ctx context.Context, owner, marker string) ([]string, string, error) {
	out, err := r.c.ListAttachedRolePolicies(ctx, &iam.ListAttachedRolePoliciesInput{RoleName: aws.String(owner), Marker: optional(marker), MaxItems: aws.Int32(iamPageSize)})
	if err != nil {
		return nil, "", err
	}
	return attachedARNs(out.AttachedPolicies), aws.ToString(out.Marker), nil
}

// inlinePolicies lists an entity's inline policies and, with documents, reads each (IAM returns
// them percent-encoded).
func (r *runner) inlinePolicies(ctx context.Context, o policyOwner, owner string, documents bool) (map[string]string, error) {
	out := map[string]string{}
	for marker := ""; ; {
		names, next, err := o.list(ctx, owner, marker)
		if err != nil {
			return nil, failed("list", "inline policies of iam "+o.kind()+" "+owner, err)
		}
		for _, n := range names {
			out[n] = ""
			if !documents {
				continue
			}
			doc, err := o.get(ctx, owner, n)
			if err != nil {
				return nil, failed("read", "inline policy "+n+" of iam "+o.kind()+" "+owner, err)
			}
			if dec, err := url.QueryUnescape(doc); err == nil {
				doc = dec
			}
			out[n] = doc
		}
		if marker = next; marker == "" {
			return out, nil
		}
	}
}

func (r *runner) readInstances(ctx context.Context, st *state) error {
	p := connect.NewListInstancesPaginator(r.c.connect, &connect.ListInstancesInput{MaxResults: aws.Int32(instancePageSize)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return failed("list", "connect instances", err)
		}
		for _, s := range page.InstanceSummaryList {
			in := &instance{id: aws.ToString(s.Id), alias: aws.ToString(s.InstanceAlias),
				identityManagement: string(s.IdentityManagementType),
				inbound:            aws.ToBool(s.InboundCallsEnabled), outbound: aws.ToBool(s.OutboundCallsEnabled)}
			if in.alias == "" {
				st.unaliased = append(st.unaliased, in)
			} else {
				st.instances[strings.ToLower(in.alias)] = in
			}
		}
	}
	// The profiles and users of each declared instance that exists.
	type job struct {
		in   *instance
		what string
	}
	var jobs []job
	specs := map[*instance]*InstanceSpec{}
	for i := range r.f.Connect.Instances {
		spec := &r.f.Connect.Instances[i]
		in, ok := st.instances[strings.ToLower(spec.Alias)]
		if !ok {
			continue
		}
		specs[in] = spec
		jobs = append(jobs, job{in, "security"}, job{in, "routing"}, job{in, "users"})
		if spec.Attributes != nil {
			jobs = append(jobs, job{in, "attributes"})
		}
		if spec.ApprovedOrigins != nil {
			jobs = append(jobs, job{in, "origins"})
		}
		if spec.Queues != nil || spec.RoutingProfiles != nil {
			jobs = append(jobs, job{in, "routing-details"})
		}
		if spec.Hierarchy != nil || slices.ContainsFunc(spec.Users, func(u ConnectUserSpec) bool { return u.HierarchyGroup != "" }) {
			jobs = append(jobs, job{in, "hierarchy"})
		}
	}
	errs := each(ctx, r.o.Parallel, jobs, func(ctx context.Context, j job) error {
		switch j.what {
		case "security":
			m, err := r.securityProfiles(ctx, j.in.id)
			j.in.security = m
			if err == nil {
				j.in.profiles, err = r.describeSecurityProfiles(ctx, j.in, specs[j.in].SecurityProfiles)
			}
			return failed("list", "security profiles of connect instance "+j.in.alias, err)
		case "attributes":
			m, err := r.instanceAttributes(ctx, j.in.id)
			j.in.attributes = m
			return failed("list", "attributes of connect instance "+j.in.alias, err)
		case "origins":
			list, err := r.approvedOrigins(ctx, j.in.id)
			j.in.origins = list
			return failed("list", "approved origins of connect instance "+j.in.alias, err)
		case "hierarchy":
			err := r.readHierarchy(ctx, j.in)
			return failed("read", "the user hierarchy of connect instance "+j.in.alias, err)
		case "routing-details":
			err := r.readRouting(ctx, j.in, specs[j.in].RoutingProfiles)
			return failed("read", "the queues and routing profiles of connect instance "+j.in.alias, err)
		case "routing":
			m, err := r.routingProfiles(ctx, j.in.id)
			j.in.routing = m
			return failed("list", "routing profiles of connect instance "+j.in.alias, err)
		}
		users, err := r.connectUsers(ctx, j.in.id)
		j.in.users = users
		return failed("list", "connect users of instance "+j.in.alias, err)
	})
	return joinErrors(errs)
}

func (r *runner) securityProfiles(ctx context.Context, instanceID string) (map[string]string, error) {
	p := connect.NewListSecurityProfilesPaginator(r.c.connect, &connect.ListSecurityProfilesInput{
		InstanceId: aws.String(instanceID), MaxResults: aws.Int32(connectPageSize)})
	return idsByName(ctx, p, func(page *connect.ListSecurityProfilesOutput) []ctypes.SecurityProfileSummary {
		return page.SecurityProfileSummaryList
	}, func(s ctypes.SecurityProfileSummary) (string, string) {
		return aws.ToString(s.Name), aws.ToString(s.Id)
	})
}

func (r *runner) routingProfiles(ctx context.Context, instanceID string) (map[string]string, error) {
	p := connect.NewListRoutingProfilesPaginator(r.c.connect, &connect.ListRoutingProfilesInput{
		InstanceId: aws.String(instanceID), MaxResults: aws.Int32(connectPageSize)})
	return idsByName(ctx, p, func(page *connect.ListRoutingProfilesOutput) []ctypes.RoutingProfileSummary {
		return page.RoutingProfileSummaryList
	}, func(s ctypes.RoutingProfileSummary) (string, string) { return aws.ToString(s.Name), aws.ToString(s.Id) })
}

// describeSecurityProfiles reads the declared security profiles the instance has, with their
// permissions.
func (r *runner) describeSecurityProfiles(ctx context.Context, in *instance, declared []SecurityProfileSpec) (map[string]*securityProfile, error) {
	out := map[string]*securityProfile{}
	for _, spec := range declared {
		id, ok := in.security[spec.Name]
		if !ok {
			continue
		}
		d, err := r.c.connect.DescribeSecurityProfile(ctx, &connect.DescribeSecurityProfileInput{InstanceId: aws.String(in.id), SecurityProfileId: aws.String(id)})
		if err != nil {
			return nil, err
		}
		sp := &securityProfile{id: id, description: aws.ToString(d.SecurityProfile.Description)}
		p := connect.NewListSecurityProfilePermissionsPaginator(r.c.connect, &connect.ListSecurityProfilePermissionsInput{
			InstanceId: aws.String(in.id), SecurityProfileId: aws.String(id), MaxResults: aws.Int32(connectPageSize)})
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				return nil, err
			}
			sp.permissions = append(sp.permissions, page.Permissions...)
		}
		out[spec.Name] = sp
	}
	return out, nil
}

func (r *runner) instanceAttributes(ctx context.Context, instanceID string) (map[string]string, error) {
	m := map[string]string{}
	p := connect.NewListInstanceAttributesPaginator(r.c.connect, &connect.ListInstanceAttributesInput{InstanceId: aws.String(instanceID)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		for _, a := range page.Attributes {
			m[string(a.AttributeType)] = aws.ToString(a.Value)
		}
	}
	return m, nil
}

func (r *runner) approvedOrigins(ctx context.Context, instanceID string) ([]string, error) {
	var out []string
	p := connect.NewListApprovedOriginsPaginator(r.c.connect, &connect.ListApprovedOriginsInput{InstanceId: aws.String(instanceID)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		out = append(out, page.Origins...)
	}
	return out, nil
}

// queueIDs maps an instance's queue names to their ids.
func (r *runner) queueIDs(ctx context.Context, instanceID string) (map[string]string, error) {
	p := connect.NewListQueuesPaginator(r.c.connect, &connect.ListQueuesInput{InstanceId: aws.String(instanceID),
		MaxResults: aws.Int32(connectPageSize), QueueTypes: []ctypes.QueueType{ctypes.QueueTypeStandard}})
	return idsByName(ctx, p, func(page *connect.ListQueuesOutput) []ctypes.QueueSummary { return page.QueueSummaryList },
		func(q ctypes.QueueSummary) (string, string) { return aws.ToString(q.Name), aws.ToString(q.Id) })
}

// readRouting reads an instance's queues and the declared routing profiles it has, with their
// queues. It runs after the routing profiles' ids are listed.
func (r *runner) readRouting(ctx context.Context, in *instance, declared []RoutingProfileSpec) error {
	var err error
	if in.queues, err = r.queueIDs(ctx, in.id); err != nil {
		return err
	}
	routing, err := r.routingProfiles(ctx, in.id)
	if err != nil {
		return err
	}
	in.rprofiles = map[string]*routingProfile{}
	for _, spec := range declared {
		id, ok := routing[spec.Name]
		if !ok {
			continue
		}
		d, err := r.c.connect.DescribeRoutingProfile(ctx, &connect.DescribeRoutingProfileInput{InstanceId: aws.String(in.id), RoutingProfileId: aws.String(id)})
		if err != nil {
			return err
		}
		rp := &routingProfile{id: id, description: aws.ToString(d.RoutingProfile.Description),
			defaultQueue: aws.ToString(d.RoutingProfile.DefaultOutboundQueueId), concurrency: map[string]int{}, queues: map[string][2]int{}}
		for _, m := range d.RoutingProfile.MediaConcurrencies {
			rp.concurrency[string(m.Channel)] = int(aws.ToInt32(m.Concurrency))
		}
		p := connect.NewListRoutingProfileQueuesPaginator(r.c.connect, &connect.ListRoutingProfileQueuesInput{InstanceId: aws.String(in.id),
			RoutingProfileId: aws.String(id), MaxResults: aws.Int32(100)})
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				return err
			}
			for _, q := range page.RoutingProfileQueueConfigSummaryList {
				rp.queues[aws.ToString(q.QueueId)+"/"+string(q.Channel)] = [2]int{int(aws.ToInt32(q.Priority)), int(q.Delay)}
			}
		}
		in.rprofiles[spec.Name] = rp
	}
	return nil
}

// readHierarchy reads an instance's hierarchy levels and its groups' ids by name.
func (r *runner) readHierarchy(ctx context.Context, in *instance) error {
	st, err := r.c.connect.DescribeUserHierarchyStructure(ctx, &connect.DescribeUserHierarchyStructureInput{InstanceId: aws.String(in.id)})
	if err != nil {
		return err
	}
	in.levels = nil
	if h := st.HierarchyStructure; h != nil {
		for _, l := range []*ctypes.HierarchyLevel{h.LevelOne, h.LevelTwo, h.LevelThree, h.LevelFour, h.LevelFive} {
			if l == nil {
				break
			}
			in.levels = append(in.levels, aws.ToString(l.Name))
		}
	}
	p := connect.NewListUserHierarchyGroupsPaginator(r.c.connect, &connect.ListUserHierarchyGroupsInput{
		InstanceId: aws.String(in.id), MaxResults: aws.Int32(connectPageSize)})
	in.groups, err = idsByName(ctx, p, func(page *connect.ListUserHierarchyGroupsOutput) []ctypes.HierarchyGroupSummary {
		return page.UserHierarchyGroupSummaryList
	}, func(g ctypes.HierarchyGroupSummary) (string, string) { return aws.ToString(g.Name), aws.ToString(g.Id) })
	return err
}

// paginator is what the SDK's generated paginators have in common.
type paginator[Out any] interface {
	HasMorePages() bool
	NextPage(context.Context, ...func(*connect.Options)) (Out, error)
}

// idsByName walks every page of a Connect listing and maps each summary's name to its id.
func idsByName[Out, Summary any](ctx context.Context, p paginator[Out], items func(Out) []Summary, nameID func(Summary) (string, string)) (map[string]string, error) {
	m := map[string]string{}
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		for _, s := range items(page) {
			name, id := nameID(s)
			m[name] = id
		}
	}
	return m, nil
}

func (r *runner) connectUsers(ctx context.Context, instanceID string) (map[string]*connectUser, error) {
	m := map[string]*connectUser{}
	p := connect.NewListUsersPaginator(r.c.connect, &connect.ListUsersInput{
		InstanceId: aws.String(instanceID), MaxResults: aws.Int32(connectPageSize)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		for _, u := range page.UserSummaryList {
			name := aws.ToString(u.Username)
			m[name] = &connectUser{id: aws.ToString(u.Id), username: name}
		}
	}
	return m, nil
}

// describeUsers fills in the details of existing users the file declares, which is what
// telling "unchanged" from "replace" needs (ListUsers shows only names).
func (r *runner) describeUsers(ctx context.Context, users []describeJob) error {
	return joinErrors(each(ctx, r.o.Parallel, users, func(ctx context.Context, j describeJob) error {
		out, err := r.c.connect.DescribeUser(ctx, &connect.DescribeUserInput{InstanceId: aws.String(j.in.id), UserId: aws.String(j.u.id)})
		if err != nil {
			return failed("describe", "connect user "+j.in.alias+"/"+j.u.username, err)
		}
		j.u.described = out.User
		return nil
	}))
}

type describeJob struct {
	in *instance
	u  *connectUser
}

// samePolicy compares two policy documents as JSON values: IAM may hand back the document with
// other spacing or key order than it was sent with.
func samePolicy(a, b string) bool {
	if a == b {
		return true
	}
	var va, vb any
	if json.Unmarshal([]byte(a), &va) != nil || json.Unmarshal([]byte(b), &vb) != nil {
		return false
	}
	ja, _ := json.Marshal(va)
	jb, _ := json.Marshal(vb)
	return string(ja) == string(jb)
}

// names lists a map's keys, sorted, for messages.
func names(m map[string]string) string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, fmt.Sprintf("%q", k))
	}
	sort.Strings(out)
	return strings.Join(out, ", ")
}
