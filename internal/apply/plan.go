package apply

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/connectfed/connectfed/internal/arn"
	"github.com/connectfed/connectfed/internal/limits"
)

type op int

const (
	opCreate op = iota
	opUpdate
	opReplace
	opDelete
)

func (o op) String() string { return [...]string{"create", "update", "replace", "delete"}[o] }

// kind orders the plan: the order resources are listed in, which is also the order they depend
// on each other in.
type kind int

const (
	kindUser kind = iota
	kindKey
	kindRole
	kindPolicy
	kindManaged
	kindAttachment
	kindSAMLProvider
	kindInstance
	kindAttribute
	kindOrigin
	kindSecurityProfile
	kindQueue
	kindRoutingProfile
	kindHierarchy
	kindGroup
	kindConnectUser
)

func (k kind) String() string {
	return [...]string{"iam user", "iam access key", "iam role", "iam inline policy", "iam managed policy",
		"iam policy attachment", "iam saml provider", "connect instance", "connect instance attribute",
		"connect approved origin", "connect security profile", "connect queue", "connect routing profile",
		"connect user hierarchy", "connect hierarchy group",
		"connect user"}[k]
}

// action is one line of the plan: one resource created, replaced (deleted, then created) or
// deleted.
type action struct {
	op   op
	kind kind
	// name is what follows the kind in the plan ("ops", "demo/agent1"); sortKey orders lines
	// of the same kind.
	name, sortKey string
	// why says, for a replace, what differs, and for a delete what goes with it.
	why string

	user  *UserSpec
	role  *RoleSpec
	inst  *InstanceSpec
	cuser *ConnectUserSpec

	// userName owns a key; keyID is the key deleted.
	userName, keyID string
	// existing is the instance deleted or replaced, or the one a Connect user lives in.
	existing *instance
	// instKey is a Connect user's instance: its lower-case alias.
	instKey string
	// cuserID is the Connect user deleted or replaced.
	cuserID string
	// securityIDs and routingID are a Connect user's profiles, when its instance exists at plan
	// time; otherwise they are resolved once the instance is created.
	securityIDs []string
	routingID   string
	// policy is an inline policy: its name, its owner and, to put, its document.
	policy inlinePolicy
	// managed is a managed policy created or given a new default version; current is what the
	// server has of it (nil for a create).
	managed *ManagedPolicySpec
	current *managedPolicy
	// attachment is a managed policy attached to or detached from a user or role.
	attachment attachment
	// saml is a SAML provider created or given new metadata; samlARN names the one replaced or
	// deleted.
	saml    *SAMLProviderSpec
	samlARN string

	// attribute is an instance attribute set to value; origin an approved origin; sprofile a
	// security profile created or updated (spID, the one updated); group a hierarchy group
	// created (levels, for kindHierarchy, the structure set).
	attribute, value string
	origin           string
	sprofile         *SecurityProfileSpec
	queue            *QueueSpec
	rprofile         *RoutingProfileSpec
	spID             string
	group            *HierarchyGroupSpec
	levels           []string
	// updates are the calls that update a Connect user in place, by what they change.
	updates []string
	// groupID is a Connect user's hierarchy group when known at plan time; groupDeferred says
	// it is resolved once the groups the file declares exist.
	groupID       string
	groupDeferred bool
}

// attachment is a managed policy (by ARN) attached to a user or role.
type attachment struct {
	policyARN, ownerKind, owner string
}

// inlinePolicy is an inline policy of an IAM user or role.
type inlinePolicy struct {
	name, ownerKind, owner, document string
}

func (a *action) resource() string { return a.kind.String() + " " + a.name }

// requests is how many mutating requests the action takes.
func (a *action) requests() int {
	switch {
	case a.op == opUpdate && (a.kind == kindConnectUser || a.kind == kindRoutingProfile):
		return max(len(a.updates), 1)
	case a.op == opReplace && a.kind != kindPolicy && a.kind != kindManaged && a.kind != kindSAMLProvider:
		return 2
	}
	return 1
}

// plan is what makes the server match the file.
type plan struct {
	actions   []*action
	unchanged int
	// kept are undeclared resources left in place because --prune was not given.
	kept []string
	// protected are undeclared resources prune leaves alone: the caller's own.
	protected []string
}

func (p *plan) add(a *action) {
	if a.sortKey == "" {
		a.sortKey = a.name
	}
	p.actions = append(p.actions, a)
}

// count is how many actions have op.
func (p *plan) count(o op) int {
	n := 0
	for _, a := range p.actions {
		if a.op == o {
			n++
		}
	}
	return n
}

func (p *plan) keysToCreate() []*action {
	var out []*action
	for _, a := range p.actions {
		if a.kind == kindKey && a.op == opCreate {
			out = append(out, a)
		}
	}
	return out
}

// sort puts the plan in a stable order: by kind, then name, then create before delete.
func (p *plan) sort() {
	sort.SliceStable(p.actions, func(i, j int) bool {
		a, b := p.actions[i], p.actions[j]
		if a.kind != b.kind {
			return a.kind < b.kind
		}
		if a.sortKey != b.sortKey {
			return a.sortKey < b.sortKey
		}
		return a.op < b.op
	})
	sort.Strings(p.kept)
	sort.Strings(p.protected)
}

// print writes one line per action.
func (p *plan) print(w io.Writer) {
	for _, a := range p.actions {
		line := fmt.Sprintf("%-7s %s", a.op, a.resource())
		if a.why != "" {
			line += " (" + a.why + ")"
		}
		fmt.Fprintln(w, line)
	}
}

// planner compares the file with the state.
type planner struct {
	f     *File
	st    *state
	prune bool
	p     *plan
	fe    *FileError
}

func (pl *planner) problem(line int, format string, args ...any) {
	pl.fe.Problems = append(pl.fe.Problems, Problem{line, fmt.Sprintf(format, args...)})
}

// buildPlan compares the file with the state. Problems only the server's state reveals (an
// unknown profile name, a replace that would lose users) are returned as a *FileError, before
// any change.
func buildPlan(f *File, st *state, prune bool) (*plan, error) {
	pl := &planner{f: f, st: st, prune: prune, p: &plan{}, fe: &FileError{Name: f.name}}
	if f.IAM != nil && f.IAM.Policies != nil {
		pl.managedPolicies()
	}
	if f.IAM != nil && f.IAM.SAMLProviders != nil {
		pl.samlProviders()
	}
	if f.IAM != nil && f.IAM.Users != nil {
		pl.users()
	}
	if f.IAM != nil && f.IAM.Roles != nil {
		pl.roles()
	}
	if f.Connect != nil && f.Connect.Instances != nil {
		pl.instances()
	}
	if len(pl.fe.Problems) > 0 {
		sort.SliceStable(pl.fe.Problems, func(i, j int) bool { return pl.fe.Problems[i].Line < pl.fe.Problems[j].Line })
		return nil, pl.fe
	}
	pl.p.sort()
	return pl.p, nil
}

func (pl *planner) users() {
	st, p := pl.st, pl.p
	declared := map[string]bool{}
	for i := range pl.f.IAM.Users {
		u := &pl.f.IAM.Users[i]
		declared[strings.ToLower(u.Name)] = true
		want := 0
		if u.AccessKeys != nil {
			want = *u.AccessKeys
		}
		cur := st.users[strings.ToLower(u.Name)]
		if u.Policies != nil {
			var have map[string]string
			if cur != nil {
				have = cur.policies
			}
			pl.policies("user", u.Name, u.policies, have)
		}
		if u.ManagedPolicies != nil {
			var have []string
			if cur != nil {
				have = cur.attached
			}
			pl.attachments("user", u.Name, pl.policyARNs(u.ManagedPolicies), have)
		}
		if cur == nil {
			p.add(&action{op: opCreate, kind: kindUser, name: u.Name, user: u})
			for range want {
				p.add(&action{op: opCreate, kind: kindKey, name: "for user " + u.Name, sortKey: u.Name, userName: u.Name, user: u})
			}
			continue
		}
		p.unchanged++
		if u.AccessKeys == nil {
			continue
		}
		have := len(cur.keys)
		p.unchanged += min(have, want)
		for range want - have {
			p.add(&action{op: opCreate, kind: kindKey, name: "for user " + cur.name, sortKey: cur.name, userName: cur.name, user: u})
		}
		if have > want {
			pl.excessKeys(cur, have-want)
		}
	}
	for key, cur := range st.users {
		if declared[key] {
			continue
		}
		if strings.EqualFold(cur.name, st.caller.userName) {
			p.protected = append(p.protected, "iam user "+cur.name+" (the caller)")
			continue
		}
		if !pl.prune {
			p.kept = append(p.kept, "iam user "+cur.name)
			continue
		}
		// IAM deletes a user only once its keys, inline and attached policies are gone.
		pl.dropPolicies("user", cur.name, cur.policies)
		pl.detach("user", cur.name, cur.attached)
		for _, k := range cur.keys {
			p.add(&action{op: opDelete, kind: kindKey, name: k.id + " of user " + cur.name, sortKey: cur.name + "/" + k.id,
				userName: cur.name, keyID: k.id})
		}
		p.add(&action{op: opDelete, kind: kindUser, name: cur.name, userName: cur.name})
	}
}

// excessKeys deletes, under prune, the keys a user has beyond the declared count: inactive
// keys first, then the oldest, and never the key apply itself signs with.
func (pl *planner) excessKeys(u *iamUser, n int) {
	if !pl.prune {
		pl.p.kept = append(pl.p.kept, fmt.Sprintf("%d of the %d access keys of iam user %s", n, len(u.keys), u.name))
		return
	}
	keys := slices.Clone(u.keys)
	sort.SliceStable(keys, func(i, j int) bool {
		if keys[i].active != keys[j].active {
			return !keys[i].active
		}
		return keys[i].created.Before(keys[j].created)
	})
	for _, k := range keys {
		if n == 0 {
			break
		}
		if k.id == pl.st.caller.keyID {
			pl.p.protected = append(pl.p.protected, "iam access key "+k.id+" of user "+u.name+" (the caller's)")
			continue
		}
		pl.p.add(&action{op: opDelete, kind: kindKey, name: k.id + " of user " + u.name, sortKey: u.name + "/" + k.id,
			userName: u.name, keyID: k.id})
		n--
	}
}

func (pl *planner) roles() {
	st, p := pl.st, pl.p
	declared := map[string]bool{}
	for i := range pl.f.IAM.Roles {
		r := &pl.f.IAM.Roles[i]
		declared[strings.ToLower(r.Name)] = true
		cur := st.roles[strings.ToLower(r.Name)]
		if cur == nil {
			p.add(&action{op: opCreate, kind: kindRole, name: r.Name, role: r})
			pl.policies("role", r.Name, r.policies, nil)
			if r.ManagedPolicies != nil {
				pl.attachments("role", r.Name, pl.policyARNs(r.ManagedPolicies), nil)
			}
			continue
		}
		var diffs []string
		if !samePolicy(cur.policy, r.policy) {
			diffs = append(diffs, "trust policy")
		}
		want := r.MaxSessionDuration
		if want == 0 {
			want = limits.RoleMaxSessionDefault
		}
		if cur.maxSession != want {
			diffs = append(diffs, fmt.Sprintf("maxSessionDuration %d → %d", cur.maxSession, want))
		}
		if cur.description != r.Description {
			diffs = append(diffs, "description")
		}
		if cur.path != "/" && cur.path != "" {
			diffs = append(diffs, "path "+cur.path+" → /")
		}
		if len(diffs) == 0 {
			p.unchanged++
			if r.Policies != nil {
				pl.policies("role", cur.name, r.policies, cur.policies)
			}
			if r.ManagedPolicies != nil {
				pl.attachments("role", cur.name, pl.policyARNs(r.ManagedPolicies), cur.attached)
			}
			continue
		}
		p.add(&action{op: opReplace, kind: kindRole, name: cur.name, role: r, why: strings.Join(diffs, ", ")})
		// IAM deletes a role only once its inline policies are gone; the new role gets the
		// declared ones, or, when the file declares none, the ones the old role had.
		pl.dropPolicies("role", cur.name, cur.policies)
		keep := r.policies
		if r.Policies == nil {
			keep = cur.policies
		}
		pl.policies("role", cur.name, keep, nil)
		pl.detach("role", cur.name, cur.attached)
		attach := cur.attached
		if r.ManagedPolicies != nil {
			attach = pl.policyARNs(r.ManagedPolicies)
		}
		pl.attachments("role", cur.name, attach, nil)
	}
	for key, cur := range st.roles {
		switch {
		case declared[key] || strings.HasPrefix(cur.path, "/aws-service-role/"):
			// Service-linked roles belong to the services that made them.
		case strings.EqualFold(cur.name, st.caller.roleName):
			p.protected = append(p.protected, "iam role "+cur.name+" (the caller's session's)")
		case !pl.prune:
			p.kept = append(p.kept, "iam role "+cur.name)
		default:
			pl.dropPolicies("role", cur.name, cur.policies)
			pl.detach("role", cur.name, cur.attached)
			p.add(&action{op: opDelete, kind: kindRole, name: cur.name})
		}
	}
}

// policies plans an entity's declared inline policies against those it has (nil for an entity
// that does not exist yet, or is replaced): create what is missing, update what differs, and
// under --prune delete what is not declared.
func (pl *planner) policies(ownerKind, owner string, want, have map[string]string) {
	for name, doc := range want {
		a := &action{kind: kindPolicy, name: name + " of " + ownerKind + " " + owner, sortKey: ownerKind + "/" + owner + "/" + name,
			policy: inlinePolicy{name: name, ownerKind: ownerKind, owner: owner, document: doc}}
		cur, exists := lookupFold(have, name)
		switch {
		case !exists:
			a.op = opCreate
		case samePolicy(cur, doc):
			pl.p.unchanged++
			continue
		default:
			// PutUserPolicy and PutRolePolicy replace the document in place.
			a.op, a.why = opReplace, "document"
		}
		pl.p.add(a)
	}
	for name := range have {
		if _, declared := lookupFold(want, name); declared {
			continue
		}
		if !pl.prune {
			pl.p.kept = append(pl.p.kept, "iam inline policy "+name+" of "+ownerKind+" "+owner)
			continue
		}
		pl.dropPolicies(ownerKind, owner, map[string]string{name: ""})
	}
}

// dropPolicies deletes inline policies, before their owner is deleted or under --prune.
func (pl *planner) dropPolicies(ownerKind, owner string, policies map[string]string) {
	for name := range policies {
		pl.p.add(&action{op: opDelete, kind: kindPolicy, name: name + " of " + ownerKind + " " + owner,
			sortKey: ownerKind + "/" + owner + "/" + name, policy: inlinePolicy{name: name, ownerKind: ownerKind, owner: owner}})
	}
}

// managedPolicies plans the file's customer managed policies: create what is missing, and
// give a policy whose document differs a new default version.
func (pl *planner) managedPolicies() {
	for i := range pl.f.IAM.Policies {
		spec := &pl.f.IAM.Policies[i]
		cur := pl.st.managed[strings.ToLower(spec.Name)]
		switch {
		case cur == nil:
			pl.p.add(&action{op: opCreate, kind: kindManaged, name: spec.Name, managed: spec})
		case samePolicy(cur.document, spec.document):
			pl.p.unchanged++
		default:
			pl.p.add(&action{op: opReplace, kind: kindManaged, name: cur.name, managed: spec, current: cur,
				why: "document: a new default version"})
		}
	}
}

// samlProviders plans the file's SAML providers: create what is missing, replace the metadata
// that differs, and under --prune delete the undeclared.
func (pl *planner) samlProviders() {
	declared := map[string]bool{}
	for i := range pl.f.IAM.SAMLProviders {
		spec := &pl.f.IAM.SAMLProviders[i]
		declared[strings.ToLower(spec.Name)] = true
		cur, ok := pl.st.samlProviders[strings.ToLower(spec.Name)]
		switch {
		case !ok:
			pl.p.add(&action{op: opCreate, kind: kindSAMLProvider, name: spec.Name, saml: spec})
		case cur.metadata == spec.Metadata:
			pl.p.unchanged++
		default:
			pl.p.add(&action{op: opReplace, kind: kindSAMLProvider, name: cur.name, saml: spec, samlARN: cur.arn, why: "metadata"})
		}
	}
	for key, cur := range pl.st.samlProviders {
		switch {
		case declared[key]:
		case !pl.prune:
			pl.p.kept = append(pl.p.kept, "iam saml provider "+cur.name)
		default:
			pl.p.add(&action{op: opDelete, kind: kindSAMLProvider, name: cur.name, samlARN: cur.arn})
		}
	}
}

// policyARNs resolves an entity's managedPolicies: ARNs as given, the file's policies by name.
func (pl *planner) policyARNs(refs []string) []string {
	out := make([]string, 0, len(refs))
	for _, ref := range refs {
		if strings.HasPrefix(ref, "arn:") {
			out = append(out, ref)
			continue
		}
		for _, spec := range pl.f.IAM.Policies {
			if strings.EqualFold(spec.Name, ref) {
				out = append(out, arn.Policy(pl.st.caller.account, spec.Path, spec.Name))
			}
		}
	}
	return out
}

// attachments plans an entity's managed policies against those attached (nil for an entity
// that does not exist yet, or is replaced): attach what is missing and, under --prune, detach
// what is not declared.
func (pl *planner) attachments(ownerKind, owner string, want, have []string) {
	for _, policyARN := range want {
		if slices.Contains(have, policyARN) {
			pl.p.unchanged++
			continue
		}
		pl.p.add(&action{op: opCreate, kind: kindAttachment, name: policyARN + " to " + ownerKind + " " + owner,
			sortKey: ownerKind + "/" + owner + "/" + policyARN, attachment: attachment{policyARN, ownerKind, owner}})
	}
	for _, policyARN := range have {
		if slices.Contains(want, policyARN) {
			continue
		}
		if !pl.prune {
			pl.p.kept = append(pl.p.kept, "iam policy attachment "+policyARN+" to "+ownerKind+" "+owner)
			continue
		}
		pl.detach(ownerKind, owner, []string{policyARN})
	}
}

// detach detaches managed policies, before their owner is deleted or under --prune.
func (pl *planner) detach(ownerKind, owner string, arns []string) {
	for _, policyARN := range arns {
		pl.p.add(&action{op: opDelete, kind: kindAttachment, name: policyARN + " from " + ownerKind + " " + owner,
			sortKey: ownerKind + "/" + owner + "/" + policyARN, attachment: attachment{policyARN, ownerKind, owner}})
	}
}

// lookupFold finds a name in a map of IAM names, which match ignoring case.
func lookupFold(m map[string]string, name string) (string, bool) {
	if v, ok := m[name]; ok {
		return v, true
	}
	for k, v := range m {
		if strings.EqualFold(k, name) {
			return v, true
		}
	}
	return "", false
}

// instanceDiffs says what differs between an instance and its declaration.
// instanceDiffs is what differs of an instance that only a replace changes: its identity
// management (the calls-enabled flags are attributes, set in place).
func instanceDiffs(spec *InstanceSpec, cur *instance) []string {
	if cur.identityManagement != spec.IdentityManagement {
		return []string{"identityManagement " + cur.identityManagement + " → " + spec.IdentityManagement}
	}
	return nil
}

// toDescribe lists the existing users whose details the plan compares: those declared in
// declared instances that stay.
func toDescribe(f *File, st *state) []describeJob {
	if f.Connect == nil {
		return nil
	}
	var jobs []describeJob
	for i := range f.Connect.Instances {
		spec := &f.Connect.Instances[i]
		cur := st.instances[strings.ToLower(spec.Alias)]
		if cur == nil || len(instanceDiffs(spec, cur)) > 0 {
			continue
		}
		for _, u := range spec.Users {
			if cu := cur.users[u.Username]; cu != nil {
				jobs = append(jobs, describeJob{cur, cu})
			}
		}
	}
	return jobs
}

func (pl *planner) instances() {
	st, p := pl.st, pl.p
	declared := map[string]bool{}
	for i := range pl.f.Connect.Instances {
		spec := &pl.f.Connect.Instances[i]
		key := strings.ToLower(spec.Alias)
		declared[key] = true
		cur := st.instances[key]
		if cur == nil {
			p.add(&action{op: opCreate, kind: kindInstance, name: spec.Alias, inst: spec, why: spec.IdentityManagement})
			pl.instanceParts(spec, nil)
			pl.createUsers(spec, key, nil)
			continue
		}
		if diffs := instanceDiffs(spec, cur); len(diffs) > 0 {
			pl.replaceInstance(spec, cur, diffs)
			continue
		}
		p.unchanged++
		pl.instanceParts(spec, cur)
		pl.instanceUsers(spec, cur)
	}
	var undeclared []*instance
	for key, cur := range st.instances {
		if !declared[key] {
			undeclared = append(undeclared, cur)
		}
	}
	undeclared = append(undeclared, st.unaliased...)
	for _, cur := range undeclared {
		name := cur.alias
		if name == "" {
			name = cur.id
		}
		if !pl.prune {
			p.kept = append(p.kept, "connect instance "+name)
			continue
		}
		p.add(&action{op: opDelete, kind: kindInstance, name: name, existing: cur, why: "and all its users"})
	}
}

// replaceInstance deletes and recreates an instance, which deletes its users. It is refused
// when users the file does not declare would go with it, unless --prune owns them anyway.
func (pl *planner) replaceInstance(spec *InstanceSpec, cur *instance, diffs []string) {
	declared := map[string]bool{}
	for _, u := range spec.Users {
		declared[u.Username] = true
	}
	var lost []string
	for name := range cur.users {
		if !declared[name] {
			lost = append(lost, name)
		}
	}
	sort.Strings(lost)
	if len(lost) > 0 && !(pl.prune && spec.Users != nil) {
		shown := lost[:min(len(lost), 5)]
		more := ""
		if len(lost) > len(shown) {
			more = fmt.Sprintf(" and %d more", len(lost)-len(shown))
		}
		pl.problem(spec.line, "connect instance %s: %s needs a replace (there is no update), which would delete %s the file does not declare (%s%s); declare them, or give the instance a users list and run with --prune to let them go",
			spec.Alias, strings.Join(diffs, ", "), plural(len(lost), "user"), strings.Join(shown, ", "), more)
		return
	}
	why := strings.Join(diffs, ", ")
	if n := len(cur.users); n > 0 {
		why += fmt.Sprintf("; deletes its %s, recreates the %d declared", plural(n, "user"), len(spec.Users))
	}
	pl.p.add(&action{op: opReplace, kind: kindInstance, name: spec.Alias, inst: spec, existing: cur, why: why})
	pl.instanceParts(spec, nil)
	pl.createUsers(spec, strings.ToLower(spec.Alias), nil)
}

// createUsers plans every declared user of an instance as new. With cur (the instance exists)
// their profile names are resolved now.
func (pl *planner) createUsers(spec *InstanceSpec, key string, cur *instance) {
	for i := range spec.Users {
		u := &spec.Users[i]
		a := &action{op: opCreate, kind: kindConnectUser, name: spec.Alias + "/" + u.Username, cuser: u, inst: spec, instKey: key}
		if cur != nil {
			a.existing = cur
			if !pl.resolve(spec, cur, u, a) {
				continue
			}
		}
		pl.p.add(a)
	}
}

// resolve finds a user's profile and group ids by name in its instance. A name the instance
// lacks but the file declares (a security profile or group this run creates) is resolved once
// it exists: the action's ids stay unset.
func (pl *planner) resolve(spec *InstanceSpec, cur *instance, u *ConnectUserSpec, a *action) bool {
	if u.HierarchyGroup != "" {
		id, ok := cur.groups[u.HierarchyGroup]
		switch {
		case ok:
			a.groupID = id
		case declaresGroup(spec, u.HierarchyGroup):
			a.groupDeferred = true
		default:
			pl.problem(u.line, "connect user %s/%s: instance %s has no hierarchy group %q, and the file declares none", spec.Alias, u.Username, cur.alias, u.HierarchyGroup)
			return false
		}
	}
	for _, name := range u.SecurityProfiles {
		if _, ok := cur.security[name]; !ok && declaresProfile(spec, name) {
			return true // resolved with the rest once the profile exists
		}
	}
	if _, ok := cur.routing[u.RoutingProfile]; !ok && slices.ContainsFunc(spec.RoutingProfiles, func(rp RoutingProfileSpec) bool {
		return rp.Name == u.RoutingProfile
	}) {
		return true
	}
	ids, routing, err := resolveProfiles(cur, u)
	if err != nil {
		pl.problem(u.line, "connect user %s/%s: %v", spec.Alias, u.Username, err)
		return false
	}
	a.securityIDs, a.routingID = ids, routing
	return true
}

func resolveProfiles(in *instance, u *ConnectUserSpec) ([]string, string, error) {
	ids := make([]string, 0, len(u.SecurityProfiles))
	for _, name := range u.SecurityProfiles {
		id, ok := in.security[name]
		if !ok {
			return nil, "", fmt.Errorf("instance %s has no security profile %q (it has %s)", in.alias, name, names(in.security))
		}
		ids = append(ids, id)
	}
	routing, ok := in.routing[u.RoutingProfile]
	if !ok {
		return nil, "", fmt.Errorf("instance %s has no routing profile %q (it has %s)", in.alias, u.RoutingProfile, names(in.routing))
	}
	return ids, routing, nil
}

func declaresProfile(spec *InstanceSpec, name string) bool {
	return slices.ContainsFunc(spec.SecurityProfiles, func(p SecurityProfileSpec) bool { return p.Name == name })
}

func declaresGroup(spec *InstanceSpec, name string) bool {
	return spec.Hierarchy != nil && slices.ContainsFunc(spec.Hierarchy.Groups, func(g HierarchyGroupSpec) bool { return g.Name == name })
}

// instanceUsers plans the users of an instance that stays.
func (pl *planner) instanceUsers(spec *InstanceSpec, cur *instance) {
	key := strings.ToLower(spec.Alias)
	declared := map[string]bool{}
	for i := range spec.Users {
		u := &spec.Users[i]
		declared[u.Username] = true
		name := spec.Alias + "/" + u.Username
		a := &action{kind: kindConnectUser, name: name, cuser: u, inst: spec, instKey: key, existing: cur}
		if !pl.resolve(spec, cur, u, a) {
			continue
		}
		have := cur.users[u.Username]
		if have == nil {
			a.op = opCreate
			pl.p.add(a)
			continue
		}
		diffs := userDiffs(u, a, have)
		if len(diffs) == 0 {
			pl.p.unchanged++
			continue
		}
		// A user is updated in place: its id, and the federation tokens issued for it, stay.
		a.op, a.cuserID, a.why, a.updates = opUpdate, have.id, strings.Join(diffs, ", "), userUpdates(diffs)
		pl.p.add(a)
	}
	if spec.Users == nil {
		return
	}
	for name, have := range cur.users {
		if declared[name] {
			continue
		}
		if !pl.prune {
			pl.p.kept = append(pl.p.kept, "connect user "+spec.Alias+"/"+name)
			continue
		}
		pl.p.add(&action{op: opDelete, kind: kindConnectUser, name: spec.Alias + "/" + name, existing: cur, cuserID: have.id})
	}
}

// userDiffs says which declared fields differ from what DescribeUser shows. Profiles and a
// group this run creates differ by definition.
func userDiffs(u *ConnectUserSpec, a *action, have *connectUser) []string {
	d := have.described
	if d == nil {
		return []string{"details unknown"}
	}
	var diffs []string
	got := slices.Clone(d.SecurityProfileIds)
	want := slices.Clone(a.securityIDs)
	slices.Sort(got)
	slices.Sort(want)
	if a.securityIDs == nil || !slices.Equal(got, want) {
		diffs = append(diffs, "securityProfiles")
	}
	if a.securityIDs == nil || aws.ToString(d.RoutingProfileId) != a.routingID {
		diffs = append(diffs, "routingProfile")
	}
	if a.groupDeferred || aws.ToString(d.HierarchyGroupId) != a.groupID {
		diffs = append(diffs, "hierarchyGroup")
	}
	phone := phoneConfig(u)
	var pt, desk string
	var auto bool
	var acw int32
	if pc := d.PhoneConfig; pc != nil {
		pt, desk, auto, acw = string(pc.PhoneType), aws.ToString(pc.DeskPhoneNumber), pc.AutoAccept, pc.AfterContactWorkTimeLimit
	}
	if pt != string(phone.PhoneType) {
		diffs = append(diffs, "phoneType")
	}
	if desk != aws.ToString(phone.DeskPhoneNumber) {
		diffs = append(diffs, "deskPhoneNumber")
	}
	if auto != phone.AutoAccept {
		diffs = append(diffs, "autoAccept")
	}
	if acw != phone.AfterContactWorkTimeLimit {
		diffs = append(diffs, "afterContactWorkTimeLimit")
	}
	var first, last, email, second, mobile string
	if id := d.IdentityInfo; id != nil {
		first, last, email = aws.ToString(id.FirstName), aws.ToString(id.LastName), aws.ToString(id.Email)
		second, mobile = aws.ToString(id.SecondaryEmail), aws.ToString(id.Mobile)
	}
	for _, f := range []struct {
		name, got, want string
	}{{"firstName", first, u.FirstName}, {"lastName", last, u.LastName}, {"email", email, u.Email},
		{"secondaryEmail", second, u.SecondaryEmail}, {"mobile", mobile, u.Mobile}} {
		if f.got != f.want {
			diffs = append(diffs, f.name)
		}
	}
	return diffs
}

// userUpdates are the update calls that carry a user's differing fields, in a fixed order:
// "security", "routing", "phone", "identity", "hierarchy". "details unknown" takes them all.
func userUpdates(diffs []string) []string {
	call := map[string]string{"securityProfiles": "security", "routingProfile": "routing", "phoneType": "phone",
		"deskPhoneNumber": "phone", "autoAccept": "phone", "afterContactWorkTimeLimit": "phone", "firstName": "identity",
		"lastName": "identity", "email": "identity", "secondaryEmail": "identity", "mobile": "identity", "hierarchyGroup": "hierarchy"}
	need := map[string]bool{}
	for _, d := range diffs {
		if c, ok := call[d]; ok {
			need[c] = true
		} else {
			for _, c := range call {
				need[c] = true
			}
		}
	}
	var out []string
	for _, c := range []string{"security", "routing", "phone", "identity", "hierarchy"} {
		if need[c] {
			out = append(out, c)
		}
	}
	return out
}

// defaultSecurityProfiles are the security profiles every new Connect instance has: declaring
// one updates it.
var defaultSecurityProfiles = []string{"Admin", "Agent", "CallCenterManager", "QualityAnalyst"}

// instanceParts plans what an instance holds beside its users: attributes, approved origins,
// security profiles and the hierarchy. cur is nil for an instance this run creates, which has
// the flags it is created with, no other attribute set, no origin, the default profiles and no
// hierarchy.
func (pl *planner) instanceParts(spec *InstanceSpec, cur *instance) {
	key := strings.ToLower(spec.Alias)
	add := func(a *action) {
		a.inst, a.instKey, a.existing = spec, key, cur
		pl.p.add(a)
	}
	// The calls-enabled flags are the instance's own fields: unchanged, they count with it.
	setAttr := func(t string, want bool, have string) {
		if have == fmt.Sprint(want) {
			if t != "INBOUND_CALLS" && t != "OUTBOUND_CALLS" {
				pl.p.unchanged++
			}
			return
		}
		add(&action{op: opUpdate, kind: kindAttribute, name: spec.Alias + "/" + t, attribute: t, value: fmt.Sprint(want),
			why: fmt.Sprintf("%s → %t", have, want)})
	}
	if cur != nil {
		setAttr("INBOUND_CALLS", spec.InboundCalls, fmt.Sprint(cur.inbound))
		setAttr("OUTBOUND_CALLS", spec.OutboundCalls, fmt.Sprint(cur.outbound))
	}
	for _, t := range slices.Sorted(maps.Keys(spec.Attributes)) {
		have := "false"
		if cur != nil && cur.attributes[t] != "" {
			have = cur.attributes[t]
		}
		setAttr(t, spec.Attributes[t], have)
	}

	if spec.ApprovedOrigins != nil {
		var have []string
		if cur != nil {
			have = cur.origins
		}
		for _, o := range spec.ApprovedOrigins {
			if slices.Contains(have, o) {
				pl.p.unchanged++
			} else {
				add(&action{op: opCreate, kind: kindOrigin, name: spec.Alias + "/" + o, origin: o})
			}
		}
		for _, o := range have {
			if slices.Contains(spec.ApprovedOrigins, o) {
				continue
			}
			if !pl.prune {
				pl.p.kept = append(pl.p.kept, "connect approved origin "+spec.Alias+"/"+o)
				continue
			}
			add(&action{op: opDelete, kind: kindOrigin, name: spec.Alias + "/" + o, origin: o})
		}
	}

	for i := range spec.SecurityProfiles {
		sp := &spec.SecurityProfiles[i]
		a := &action{kind: kindSecurityProfile, name: spec.Alias + "/" + sp.Name, sprofile: sp}
		var have *securityProfile
		if cur != nil {
			have = cur.profiles[sp.Name]
		}
		switch {
		case have != nil:
			diffs := profileDiffs(sp, have)
			if len(diffs) == 0 {
				pl.p.unchanged++
				continue
			}
			a.op, a.spID, a.why = opUpdate, have.id, strings.Join(diffs, ", ")
		case cur == nil && slices.Contains(defaultSecurityProfiles, sp.Name):
			a.op, a.why = opUpdate, "a profile every new instance has"
		default:
			a.op = opCreate
		}
		add(a)
	}

	pl.routing(spec, cur, add)

	h := spec.Hierarchy
	if h == nil {
		return
	}
	var levels []string
	var groups map[string]string
	if cur != nil {
		levels, groups = cur.levels, cur.groups
	}
	if slices.Equal(levels, h.Levels) {
		pl.p.unchanged++
	} else {
		add(&action{op: opUpdate, kind: kindHierarchy, name: spec.Alias, levels: h.Levels,
			why: fmt.Sprintf("levels [%s] → [%s]", strings.Join(levels, ", "), strings.Join(h.Levels, ", "))})
	}
	for i := range h.Groups {
		g := &h.Groups[i]
		if _, ok := groups[g.Name]; ok {
			pl.p.unchanged++
			continue
		}
		why := fmt.Sprintf("level %d", g.level)
		if g.Parent != "" {
			why += ", under " + g.Parent
		}
		// Groups are created level by level: the sort key puts parents first.
		add(&action{op: opCreate, kind: kindGroup, name: spec.Alias + "/" + g.Name, sortKey: fmt.Sprintf("%s/%d/%04d", key, g.level, i),
			group: g, why: why})
	}
}

// profileDiffs says what of a security profile differs from the file: its description, and its
// permissions as a set.
func profileDiffs(sp *SecurityProfileSpec, have *securityProfile) []string {
	var diffs []string
	if sp.Description != have.description {
		diffs = append(diffs, "description")
	}
	got, want := slices.Clone(have.permissions), slices.Clone(sp.Permissions)
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(slices.Compact(got), slices.Compact(want)) {
		diffs = append(diffs, "permissions")
	}
	return diffs
}

// defaultRoutingProfile is the routing profile every new Connect instance has.
const defaultRoutingProfile = "Basic Routing Profile"

// routing plans an instance's queues and routing profiles.
func (pl *planner) routing(spec *InstanceSpec, cur *instance, add func(*action)) {
	var queues map[string]string
	var have map[string]*routingProfile
	fresh := cur == nil // an instance this run creates has BasicQueue and the default profile only
	if !fresh {
		queues, have = cur.queues, cur.rprofiles
	}
	for i := range spec.Queues {
		q := &spec.Queues[i]
		if _, ok := queues[q.Name]; ok {
			pl.p.unchanged++
			continue
		}
		add(&action{op: opCreate, kind: kindQueue, name: spec.Alias + "/" + q.Name, queue: q})
	}
	for i := range spec.RoutingProfiles {
		rp := &spec.RoutingProfiles[i]
		a := &action{kind: kindRoutingProfile, name: spec.Alias + "/" + rp.Name, rprofile: rp}
		switch existing := have[rp.Name]; {
		case existing != nil:
			diffs := routingDiffs(rp, existing, queues)
			if len(diffs) == 0 {
				pl.p.unchanged++
				continue
			}
			a.op, a.spID, a.why, a.updates = opUpdate, existing.id, strings.Join(diffs, ", "), diffs
		case fresh && rp.Name == defaultRoutingProfile:
			a.op, a.why, a.updates = opUpdate, "a profile every new instance has", []string{"description", "mediaConcurrencies", "defaultOutboundQueue", "queues"}
		default:
			a.op = opCreate
		}
		add(a)
	}
}

// routingDiffs says what of a routing profile differs from the file, by the update call that
// changes it. A queue the instance does not have yet (the file creates it) differs.
func routingDiffs(rp *RoutingProfileSpec, have *routingProfile, queues map[string]string) []string {
	var diffs []string
	if rp.Description != have.description {
		diffs = append(diffs, "description")
	}
	if !maps.Equal(rp.MediaConcurrencies, have.concurrency) {
		diffs = append(diffs, "mediaConcurrencies")
	}
	if id, ok := queues[rp.DefaultOutboundQueue]; !ok || id != have.defaultQueue {
		diffs = append(diffs, "defaultOutboundQueue")
	}
	want := map[string][2]int{}
	for _, q := range rp.Queues {
		id, ok := queues[q.Queue]
		if !ok {
			id = "new:" + q.Queue
		}
		want[id+"/"+q.Channel] = [2]int{q.Priority, q.Delay}
	}
	if !maps.Equal(want, have.queues) {
		diffs = append(diffs, "queues")
	}
	return diffs
}
