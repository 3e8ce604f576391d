package apply

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/connect"
	ctypes "github.com/aws/aws-sdk-go-v2/service/connect/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/connectfed/connectfed/internal/limits"
)

// DefaultParallel is how many requests apply keeps in flight unless told otherwise.
const DefaultParallel = 16

// Progress follows the execution of a plan, one step per request.
type Progress interface {
	Add(n int)
	Finish()
}

// Options say how to apply a file.
type Options struct {
	// DryRun prints the plan and changes nothing.
	DryRun bool
	// Prune deletes what the file's collections do not declare (see the package doc).
	Prune bool
	// Parallel bounds the requests in flight; DefaultParallel when 0.
	Parallel int
	// SecretsFile receives the secrets of new access keys; apply refuses to create keys
	// without it.
	SecretsFile string
	// Out receives the plan, one line per action, and the summary line.
	Out io.Writer
	// Log receives notes: secrets written, undeclared resources kept. Never a secret.
	Log io.Writer
	// Quiet leaves the plan lines out of Out (serve --seed prints the summary only).
	Quiet bool
	// Progress, when set, is called with the number of requests the plan takes and may return
	// a Progress to follow them (the command line shows a bar for large plans on a terminal).
	Progress func(total int) Progress
	// Summary prefixes the summary line; "apply" when empty.
	Summary string
}

// Result counts what an apply did (or, in a dry run, would do).
type Result struct {
	Created, Updated, Replaced, Deleted, Unchanged, Failed int
	// Kept counts undeclared resources left in place because Prune was off.
	Kept int
	// Elapsed is the run's duration.
	Elapsed time.Duration
}

// Changes is how many resources changed.
func (r Result) Changes() int { return r.Created + r.Updated + r.Replaced + r.Deleted }

// runner is one Run.
type runner struct {
	f *File
	o Options
	c *clients
}

// Run makes the server that cfg reaches match the file: it reads what the file's collections
// cover, plans, prints the plan and, unless o.DryRun, carries it out. cfg.Region is the region
// Connect instances live in; the caller resolves it (the file's region, flags, profile).
func Run(ctx context.Context, cfg aws.Config, f *File, o Options) (Result, error) {
	start := time.Now()
	if o.Parallel <= 0 {
		o.Parallel = DefaultParallel
	}
	if o.Out == nil {
		o.Out = io.Discard
	}
	if o.Log == nil {
		o.Log = io.Discard
	}
	if o.Summary == "" {
		o.Summary = "apply"
	}
	if cfg.Region == "" {
		return Result{}, errors.New("no region: set region in the file, --region, AWS_REGION or a profile's region")
	}
	if f.Region != "" && f.Region != cfg.Region {
		return Result{}, fmt.Errorf("%s declares region %s but the region to apply in is %s", f.name, f.Region, cfg.Region)
	}
	var closeIdle func()
	cfg.HTTPClient, closeIdle = pooledClient(cfg.HTTPClient, o.Parallel)
	defer closeIdle()
	r := &runner{f: f, o: o, c: &clients{iam: iam.NewFromConfig(cfg), sts: sts.NewFromConfig(cfg),
		connect: connect.NewFromConfig(cfg), creds: cfg.Credentials}}
	if r.c.creds == nil {
		return Result{}, errors.New("no credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or use a profile")
	}

	st, err := r.read(ctx)
	if err != nil {
		return Result{}, err
	}
	if err := r.describeUsers(ctx, toDescribe(f, st)); err != nil {
		return Result{}, err
	}
	p, err := buildPlan(f, st, o.Prune)
	if err != nil {
		return Result{}, err
	}
	res := Result{Unchanged: p.unchanged, Kept: len(p.kept)}
	keys := p.keysToCreate()
	if len(keys) > 0 && o.SecretsFile == "" {
		msg := fmt.Sprintf("the plan creates %s (%s), whose secrets are shown only once: name a file to keep them with --secrets-file",
			plural(len(keys), "access key"), keyOwners(keys))
		if !o.DryRun {
			return res, errors.New(msg)
		}
		fmt.Fprintln(o.Log, "note: "+msg)
	}
	if !o.Quiet {
		p.print(o.Out)
	}
	r.notes(p)
	if o.DryRun {
		res.Created, res.Updated, res.Replaced, res.Deleted = p.count(opCreate), p.count(opUpdate), p.count(opReplace), p.count(opDelete)
		res.Elapsed = time.Since(start)
		r.summary(res, true)
		return res, nil
	}
	var secrets *secretsFile
	if len(keys) > 0 {
		// Opened before any change, so a file that cannot be written stops the run early.
		if secrets, err = openSecrets(o.SecretsFile); err != nil {
			return res, err
		}
		defer secrets.close()
	}
	err = r.execute(ctx, p, secrets, &res)
	res.Elapsed = time.Since(start)
	r.summary(res, false)
	return res, err
}

// pooledClient keeps as many idle connections as requests in flight: the SDK's default keeps
// ten per host, and every request beyond that would open (and close) a connection. The client
// is apply's own, so its connections can be closed when the run ends: a server shutting down
// waits for connections that were opened and never used.
func pooledClient(c aws.HTTPClient, parallel int) (aws.HTTPClient, func()) {
	b, ok := c.(*awshttp.BuildableClient)
	if c != nil && !ok {
		return c, func() {}
	}
	if b == nil {
		b = awshttp.NewBuildableClient()
	}
	tr := b.GetTransport()
	tr.MaxIdleConnsPerHost = max(tr.MaxIdleConnsPerHost, parallel)
	tr.MaxIdleConns = max(tr.MaxIdleConns, parallel)
	client := &http.Client{Transport: tr, Timeout: b.GetTimeout(),
		// As the SDK's own client: an AWS API answers, it does not redirect.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	return client, tr.CloseIdleConnections
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}

func keyOwners(keys []*action) string {
	seen := map[string]bool{}
	var out []string
	for _, a := range keys {
		if !seen[a.userName] {
			seen[a.userName] = true
			out = append(out, "user "+a.userName)
		}
	}
	return strings.Join(out, ", ")
}

// notes tells what the plan leaves alone and why.
func (r *runner) notes(p *plan) {
	list := func(items []string) string {
		if len(items) > maxShown {
			return strings.Join(items[:maxShown], ", ") + fmt.Sprintf(" and %d more", len(items)-maxShown)
		}
		return strings.Join(items, ", ")
	}
	if len(p.kept) > 0 {
		fmt.Fprintf(r.o.Log, "not declared, kept (--prune deletes them): %s\n", list(p.kept))
	}
	if len(p.protected) > 0 {
		fmt.Fprintf(r.o.Log, "not declared, never pruned: %s\n", list(p.protected))
	}
}

func (r *runner) summary(res Result, dry bool) {
	w := r.o.Out
	secs := fmt.Sprintf("%.1fs", res.Elapsed.Seconds())
	switch {
	case dry && res.Changes() == 0:
		fmt.Fprintf(w, "%s: dry run, no changes (%d unchanged)\n", r.o.Summary, res.Unchanged)
	case dry:
		fmt.Fprintf(w, "%s: dry run, %d to create, %d to update, %d to replace, %d to delete, %d unchanged; nothing changed\n",
			r.o.Summary, res.Created, res.Updated, res.Replaced, res.Deleted, res.Unchanged)
	case res.Changes() == 0 && res.Failed == 0:
		fmt.Fprintf(w, "%s: no changes (%d unchanged) in %s\n", r.o.Summary, res.Unchanged, secs)
	default:
		failed := ""
		if res.Failed > 0 {
			failed = fmt.Sprintf(", %d failed", res.Failed)
		}
		fmt.Fprintf(w, "%s: %d created, %d updated, %d replaced, %d deleted, %d unchanged%s in %s\n",
			r.o.Summary, res.Created, res.Updated, res.Replaced, res.Deleted, res.Unchanged, failed, secs)
	}
}

// execution is the state of carrying out a plan.
type execution struct {
	r                                           *runner
	progress                                    Progress
	created, updated, replaced, deleted, failed atomic.Int64

	mu sync.Mutex
	// instances are the instances Connect users are created in, by lower-case alias: those
	// that stay, and those created or replaced (with profiles listed once they exist).
	instances map[string]*instance
	// made are the hierarchy groups this run created, by INSTANCE_ID/NAME: their children's
	// parents.
	made map[string]string
}

func (x *execution) step() {
	if x.progress != nil {
		x.progress.Add(1)
	}
}

// do runs one request of an action and counts it.
func (x *execution) do(verb string, a *action, fn func() error) error {
	err := fn()
	x.step()
	if err != nil {
		x.failed.Add(1)
		return failed(verb, a.resource(), err)
	}
	return nil
}

// done counts an action that completed.
func (x *execution) done(a *action) {
	switch a.op {
	case opCreate:
		x.created.Add(1)
	case opUpdate:
		x.updated.Add(1)
	case opReplace:
		x.replaced.Add(1)
	case opDelete:
		x.deleted.Add(1)
	}
}

// execute carries out the plan in stages, each a barrier: what depends on another resource
// waits for the stage that makes it. Within a stage requests run in parallel. A failing stage
// ends the run; keys already created still reach the secrets file.
func (r *runner) execute(ctx context.Context, p *plan, secrets *secretsFile, res *Result) error {
	x := &execution{r: r, instances: map[string]*instance{}}
	total := 0
	for _, a := range p.actions {
		total += a.requests()
	}
	if r.o.Progress != nil && total > 0 {
		x.progress = r.o.Progress(total)
	}
	defer func() {
		if x.progress != nil {
			x.progress.Finish()
		}
		res.Created, res.Updated, res.Replaced, res.Deleted = int(x.created.Load()), int(x.updated.Load()), int(x.replaced.Load()), int(x.deleted.Load())
		res.Failed = int(x.failed.Load())
	}()
	for _, a := range p.actions {
		if a.instKey != "" && a.existing != nil && !(a.kind == kindConnectUser && a.op == opDelete) {
			x.instances[a.instKey] = a.existing
		}
	}
	pick := func(match func(*action) bool) []*action {
		var out []*action
		for _, a := range p.actions {
			if match(a) {
				out = append(out, a)
			}
		}
		return out
	}
	deleting := func(a *action) bool { return a.op == opDelete || a.op == opReplace }
	creating := func(a *action) bool { return a.op == opCreate || a.op == opReplace }
	stages := []struct {
		actions []*action
		run     func(context.Context, *action) error
	}{
		// Inline and attached policies go before their owners.
		{pick(func(a *action) bool {
			return (a.kind == kindPolicy || a.kind == kindAttachment || a.kind == kindSAMLProvider) && a.op == opDelete
		}), x.remove},
		// Users and keys inside what stays go first; an instance's delete takes its users along.
		{pick(func(a *action) bool {
			return deleting(a) && (a.kind == kindConnectUser || a.kind == kindKey || a.kind == kindRole)
		}), x.remove},
		{pick(func(a *action) bool { return deleting(a) && (a.kind == kindUser || a.kind == kindInstance) }), x.remove},
		{pick(func(a *action) bool {
			return creating(a) && (a.kind == kindUser || a.kind == kindRole || a.kind == kindInstance || a.kind == kindManaged ||
				a.kind == kindSAMLProvider)
		}), x.create},
		// Inline policies and attachments once their owners (and the policies) exist.
		{pick(func(a *action) bool { return (a.kind == kindPolicy || a.kind == kindAttachment) && a.op != opDelete }), x.create},
	}
	for _, s := range stages {
		if err := joinErrors(each(ctx, r.o.Parallel, s.actions, s.run)); err != nil {
			return err
		}
	}
	// Keys, and the profiles of new instances, once their owners exist.
	keys := pick(func(a *action) bool { return a.kind == kindKey && a.op == opCreate })
	var made []createdKey
	var mu sync.Mutex
	errs := each(ctx, r.o.Parallel, keys, func(ctx context.Context, a *action) error {
		var out *iam.CreateAccessKeyOutput
		err := x.do("create", a, func() (err error) {
			out, err = r.c.iam.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String(a.userName)})
			return err
		})
		if err != nil {
			return err
		}
		mu.Lock()
		made = append(made, createdKey{user: a.userName, id: aws.ToString(out.AccessKey.AccessKeyId),
			secret: aws.ToString(out.AccessKey.SecretAccessKey)})
		mu.Unlock()
		x.done(a)
		return nil
	})
	if len(made) > 0 {
		profiles, werr := secrets.write(made)
		if werr != nil {
			errs = append(errs, fmt.Errorf("%d new access keys were created but their secrets could not be written (delete the keys and apply again): %w", len(made), werr))
		} else {
			fmt.Fprintf(r.o.Log, "secrets of %s written to %s: profile %s\n", plural(len(made), "new access key"), secrets.path, strings.Join(profiles, ", "))
		}
	}
	if len(errs) > 0 {
		return joinErrors(errs)
	}
	// What an instance holds beside its users: attributes, origins, security profiles and the
	// hierarchy's levels, then its groups, a level at a time so that parents come first.
	parts := pick(func(a *action) bool {
		return a.kind == kindAttribute || a.kind == kindOrigin || a.kind == kindSecurityProfile || a.kind == kindHierarchy ||
			a.kind == kindQueue
	})
	if err := joinErrors(each(ctx, r.o.Parallel, parts, x.part)); err != nil {
		return err
	}
	// Routing profiles once the queues they take contacts from exist.
	if err := joinErrors(each(ctx, r.o.Parallel, pick(func(a *action) bool { return a.kind == kindRoutingProfile }), x.part)); err != nil {
		return err
	}
	for level := 1; level <= 5; level++ {
		groups := pick(func(a *action) bool { return a.kind == kindGroup && a.group.level == level })
		if err := joinErrors(each(ctx, r.o.Parallel, groups, x.part)); err != nil {
			return err
		}
	}
	// Users name profiles and groups: list them again where this run made some.
	var fresh []*instance
	for _, in := range x.instances {
		if in.security == nil || in.groups == nil {
			fresh = append(fresh, in)
		}
	}
	errs = each(ctx, r.o.Parallel, fresh, func(ctx context.Context, in *instance) (err error) {
		if in.security, err = r.securityProfiles(ctx, in.id); err != nil {
			return failed("list", "security profiles of connect instance "+in.alias, err)
		}
		if in.routing, err = r.routingProfiles(ctx, in.id); err != nil {
			return failed("list", "routing profiles of connect instance "+in.alias, err)
		}
		return failed("read", "the user hierarchy of connect instance "+in.alias, r.readHierarchy(ctx, in))
	})
	if len(errs) > 0 {
		return joinErrors(errs)
	}
	users := pick(func(a *action) bool { return a.kind == kindConnectUser && (creating(a) || a.op == opUpdate) })
	return joinErrors(each(ctx, r.o.Parallel, users, x.create))
}

// instanceOf is the instance an action concerns, as this run knows it.
func (x *execution) instanceOf(a *action) (*instance, error) {
	x.mu.Lock()
	defer x.mu.Unlock()
	in := x.instances[a.instKey]
	if in == nil {
		return nil, fmt.Errorf("instance %s was not created", a.inst.Alias)
	}
	return in, nil
}

// stale marks what an instance holds as changed, so it is listed again before users name it.
func (x *execution) stale(in *instance) {
	x.mu.Lock()
	in.security, in.groups = nil, nil
	x.mu.Unlock()
}

// part carries out an action on what an instance holds beside its users.
func (x *execution) part(ctx context.Context, a *action) error {
	in, err := x.instanceOf(a)
	if err != nil {
		return err
	}
	c, id := x.r.c.connect, aws.String(in.id)
	verb := map[op]string{opCreate: "create", opUpdate: "update", opDelete: "delete"}[a.op]
	err = x.do(verb, a, func() error {
		switch a.kind {
		case kindAttribute:
			_, err := c.UpdateInstanceAttribute(ctx, &connect.UpdateInstanceAttributeInput{InstanceId: id,
				AttributeType: ctypes.InstanceAttributeType(a.attribute), Value: aws.String(a.value)})
			return err
		case kindOrigin:
			if a.op == opDelete {
				_, err := c.DisassociateApprovedOrigin(ctx, &connect.DisassociateApprovedOriginInput{InstanceId: id, Origin: aws.String(a.origin)})
				return err
			}
			_, err := c.AssociateApprovedOrigin(ctx, &connect.AssociateApprovedOriginInput{InstanceId: id, Origin: aws.String(a.origin)})
			return err
		case kindSecurityProfile:
			return x.putSecurityProfile(ctx, in, a)
		case kindHierarchy:
			structure := &ctypes.HierarchyStructureUpdate{}
			slots := []**ctypes.HierarchyLevelUpdate{&structure.LevelOne, &structure.LevelTwo, &structure.LevelThree,
				&structure.LevelFour, &structure.LevelFive}
			for i, name := range a.levels {
				*slots[i] = &ctypes.HierarchyLevelUpdate{Name: aws.String(name)}
			}
			_, err := c.UpdateUserHierarchyStructure(ctx, &connect.UpdateUserHierarchyStructureInput{InstanceId: id, HierarchyStructure: structure})
			return err
		case kindGroup:
			return x.createGroup(ctx, in, a)
		case kindQueue:
			return x.createQueue(ctx, in, a)
		case kindRoutingProfile:
			return x.putRoutingProfile(ctx, in, a)
		}
		return nil
	})
	if err == nil {
		x.done(a)
	}
	return err
}

// putSecurityProfile creates a security profile, or updates one the instance has (a default
// one of an instance this run created is found by name).
func (x *execution) putSecurityProfile(ctx context.Context, in *instance, a *action) error {
	c, sp := x.r.c.connect, a.sprofile
	id := a.spID
	if a.op == opUpdate && id == "" {
		profiles, err := x.r.securityProfiles(ctx, in.id)
		if err != nil {
			return err
		}
		if id = profiles[sp.Name]; id == "" {
			a.op = opCreate // the server has no such default: make it
		}
	}
	permissions := sp.Permissions
	if permissions == nil {
		permissions = []string{}
	}
	if a.op == opCreate {
		_, err := c.CreateSecurityProfile(ctx, &connect.CreateSecurityProfileInput{InstanceId: aws.String(in.id),
			SecurityProfileName: aws.String(sp.Name), Description: optional(sp.Description), Permissions: permissions})
		if err == nil {
			x.stale(in)
		}
		return err
	}
	_, err := c.UpdateSecurityProfile(ctx, &connect.UpdateSecurityProfileInput{InstanceId: aws.String(in.id),
		SecurityProfileId: aws.String(id), Description: aws.String(sp.Description), Permissions: permissions})
	return err
}

// createQueue creates a queue on the instance's Basic Hours: the hours of its BasicQueue.
func (x *execution) createQueue(ctx context.Context, in *instance, a *action) error {
	c := x.r.c.connect
	queues, err := x.r.queueIDs(ctx, in.id)
	if err != nil {
		return err
	}
	basic, ok := queues["BasicQueue"]
	if !ok {
		return fmt.Errorf("instance %s has no BasicQueue to take the hours of operation from", in.alias)
	}
	d, err := c.DescribeQueue(ctx, &connect.DescribeQueueInput{InstanceId: aws.String(in.id), QueueId: aws.String(basic)})
	if err != nil {
		return err
	}
	q := a.queue
	in2 := &connect.CreateQueueInput{InstanceId: aws.String(in.id), Name: aws.String(q.Name), Description: optional(q.Description),
		HoursOfOperationId: d.Queue.HoursOfOperationId}
	if q.MaxContacts != nil {
		in2.MaxContacts = aws.Int32(int32(*q.MaxContacts))
	}
	_, err = c.CreateQueue(ctx, in2)
	return err
}

// putRoutingProfile creates a routing profile, or changes what differs of one the instance
// has, its queues named by the names they have now.
func (x *execution) putRoutingProfile(ctx context.Context, in *instance, a *action) error {
	c, rp := x.r.c.connect, a.rprofile
	queues, err := x.r.queueIDs(ctx, in.id)
	if err != nil {
		return err
	}
	queueID := func(name string) (*string, error) {
		id, ok := queues[name]
		if !ok {
			return nil, fmt.Errorf("instance %s has no queue %q", in.alias, name)
		}
		return aws.String(id), nil
	}
	defaultQueue, err := queueID(rp.DefaultOutboundQueue)
	if err != nil {
		return err
	}
	var concurrency []ctypes.MediaConcurrency
	for _, ch := range slices.Sorted(maps.Keys(rp.MediaConcurrencies)) {
		concurrency = append(concurrency, ctypes.MediaConcurrency{Channel: ctypes.Channel(ch), Concurrency: aws.Int32(int32(rp.MediaConcurrencies[ch]))})
	}
	want := map[string]ctypes.RoutingProfileQueueConfig{}
	for _, q := range rp.Queues {
		id, err := queueID(q.Queue)
		if err != nil {
			return err
		}
		want[*id+"/"+q.Channel] = ctypes.RoutingProfileQueueConfig{QueueReference: &ctypes.RoutingProfileQueueReference{QueueId: id,
			Channel: ctypes.Channel(q.Channel)}, Priority: aws.Int32(int32(q.Priority)), Delay: aws.Int32(int32(q.Delay))}
	}
	if a.op == opCreate {
		var configs []ctypes.RoutingProfileQueueConfig
		for _, k := range slices.Sorted(maps.Keys(want)) {
			configs = append(configs, want[k])
		}
		_, err := c.CreateRoutingProfile(ctx, &connect.CreateRoutingProfileInput{InstanceId: aws.String(in.id), Name: aws.String(rp.Name),
			Description: aws.String(rp.Description), DefaultOutboundQueueId: defaultQueue, MediaConcurrencies: concurrency,
			QueueConfigs: configs[:min(len(configs), 10)]})
		if err != nil {
			return err
		}
		x.stale(in)
		if len(configs) <= 10 {
			return nil
		}
		// CreateRoutingProfile takes ten queue configs: the rest are associated after.
		profiles, err := x.r.routingProfiles(ctx, in.id)
		if err != nil {
			return err
		}
		return x.routingQueues(ctx, in.id, profiles[rp.Name], configs[10:], nil, nil)
	}
	id := a.spID
	if id == "" { // the default profile of an instance this run created
		profiles, err := x.r.routingProfiles(ctx, in.id)
		if err != nil {
			return err
		}
		id = profiles[rp.Name]
	}
	rid := aws.String(id)
	for _, call := range a.updates {
		switch call {
		case "description":
			_, err = c.UpdateRoutingProfileName(ctx, &connect.UpdateRoutingProfileNameInput{InstanceId: aws.String(in.id), RoutingProfileId: rid,
				Description: aws.String(rp.Description)})
		case "mediaConcurrencies":
			_, err = c.UpdateRoutingProfileConcurrency(ctx, &connect.UpdateRoutingProfileConcurrencyInput{InstanceId: aws.String(in.id),
				RoutingProfileId: rid, MediaConcurrencies: concurrency})
		case "defaultOutboundQueue":
			_, err = c.UpdateRoutingProfileDefaultOutboundQueue(ctx, &connect.UpdateRoutingProfileDefaultOutboundQueueInput{
				InstanceId: aws.String(in.id), RoutingProfileId: rid, DefaultOutboundQueueId: defaultQueue})
		case "queues":
			err = x.syncRoutingQueues(ctx, in.id, id, want)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// syncRoutingQueues makes a routing profile take contacts from exactly the queue configs of
// want: it associates what is missing, updates the priority and delay of what differs, and
// disassociates the rest.
func (x *execution) syncRoutingQueues(ctx context.Context, instanceID, profileID string, want map[string]ctypes.RoutingProfileQueueConfig) error {
	have := map[string][2]int{}
	p := connect.NewListRoutingProfileQueuesPaginator(x.r.c.connect, &connect.ListRoutingProfileQueuesInput{InstanceId: aws.String(instanceID),
		RoutingProfileId: aws.String(profileID), MaxResults: aws.Int32(100)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return err
		}
		for _, q := range page.RoutingProfileQueueConfigSummaryList {
			have[aws.ToString(q.QueueId)+"/"+string(q.Channel)] = [2]int{int(aws.ToInt32(q.Priority)), int(q.Delay)}
		}
	}
	var add, change []ctypes.RoutingProfileQueueConfig
	var drop []ctypes.RoutingProfileQueueReference
	for _, k := range slices.Sorted(maps.Keys(want)) {
		q := want[k]
		cur, ok := have[k]
		switch {
		case !ok:
			add = append(add, q)
		case cur != [2]int{int(*q.Priority), int(*q.Delay)}:
			change = append(change, q)
		}
	}
	for _, k := range slices.Sorted(maps.Keys(have)) {
		if _, ok := want[k]; !ok {
			id, ch, _ := strings.Cut(k, "/")
			drop = append(drop, ctypes.RoutingProfileQueueReference{QueueId: aws.String(id), Channel: ctypes.Channel(ch)})
		}
	}
	return x.routingQueues(ctx, instanceID, profileID, add, change, drop)
}

// routingQueues associates, updates and disassociates queue configs, ten a request (the
// operations' limit).
func (x *execution) routingQueues(ctx context.Context, instanceID, profileID string, add, change []ctypes.RoutingProfileQueueConfig,
	drop []ctypes.RoutingProfileQueueReference) error {
	c, inst, rid := x.r.c.connect, aws.String(instanceID), aws.String(profileID)
	for chunk := range slices.Chunk(drop, 10) {
		if _, err := c.DisassociateRoutingProfileQueues(ctx, &connect.DisassociateRoutingProfileQueuesInput{InstanceId: inst, RoutingProfileId: rid,
			QueueReferences: chunk}); err != nil {
			return err
		}
	}
	for chunk := range slices.Chunk(add, 10) {
		if _, err := c.AssociateRoutingProfileQueues(ctx, &connect.AssociateRoutingProfileQueuesInput{InstanceId: inst, RoutingProfileId: rid,
			QueueConfigs: chunk}); err != nil {
			return err
		}
	}
	for chunk := range slices.Chunk(change, 10) {
		if _, err := c.UpdateRoutingProfileQueues(ctx, &connect.UpdateRoutingProfileQueuesInput{InstanceId: inst, RoutingProfileId: rid,
			QueueConfigs: chunk}); err != nil {
			return err
		}
	}
	return nil
}

// createGroup creates a hierarchy group under its parent, which an earlier level made or the
// instance had.
func (x *execution) createGroup(ctx context.Context, in *instance, a *action) error {
	g := a.group
	in2 := &connect.CreateUserHierarchyGroupInput{InstanceId: aws.String(in.id), Name: aws.String(g.Name)}
	if g.Parent != "" {
		x.mu.Lock()
		parent := x.made[in.id+"/"+g.Parent]
		if parent == "" && in.groups != nil {
			parent = in.groups[g.Parent]
		}
		x.mu.Unlock()
		if parent == "" {
			return fmt.Errorf("its parent %s does not exist", g.Parent)
		}
		in2.ParentGroupId = aws.String(parent)
	}
	out, err := x.r.c.connect.CreateUserHierarchyGroup(ctx, in2)
	if err != nil {
		return err
	}
	x.mu.Lock()
	if x.made == nil {
		x.made = map[string]string{}
	}
	x.made[in.id+"/"+g.Name] = aws.ToString(out.HierarchyGroupId)
	x.mu.Unlock()
	x.stale(in)
	return nil
}

// putManagedPolicy creates a managed policy, or makes its document the new default version,
// first deleting the oldest other version when the policy has IAM's five.
func (x *execution) putManagedPolicy(ctx context.Context, a *action) error {
	c, spec := x.r.c, a.managed
	if a.current == nil {
		in := &iam.CreatePolicyInput{PolicyName: aws.String(spec.Name), PolicyDocument: aws.String(spec.document)}
		if spec.Path != "" {
			in.Path = aws.String(spec.Path)
		}
		if spec.Description != "" {
			in.Description = aws.String(spec.Description)
		}
		_, err := c.iam.CreatePolicy(ctx, in)
		return err
	}
	cur := a.current
	if len(cur.versions) >= limits.PolicyVersionsMax {
		for _, v := range cur.versions {
			if v == cur.defaultVersion {
				continue
			}
			if _, err := c.iam.DeletePolicyVersion(ctx, &iam.DeletePolicyVersionInput{PolicyArn: aws.String(cur.arn), VersionId: aws.String(v)}); err != nil {
				return err
			}
			break
		}
	}
	_, err := c.iam.CreatePolicyVersion(ctx, &iam.CreatePolicyVersionInput{PolicyArn: aws.String(cur.arn),
		PolicyDocument: aws.String(spec.document), SetAsDefault: true})
	return err
}

// remove deletes a resource: the first half of a replace, or a delete.
func (x *execution) remove(ctx context.Context, a *action) error {
	c := x.r.c
	err := x.do("delete", a, func() error {
		var err error
		switch a.kind {
		case kindConnectUser:
			_, err = c.connect.DeleteUser(ctx, &connect.DeleteUserInput{InstanceId: aws.String(a.existing.id), UserId: aws.String(a.cuserID)})
		case kindKey:
			_, err = c.iam.DeleteAccessKey(ctx, &iam.DeleteAccessKeyInput{UserName: aws.String(a.userName), AccessKeyId: aws.String(a.keyID)})
		case kindRole:
			_, err = c.iam.DeleteRole(ctx, &iam.DeleteRoleInput{RoleName: aws.String(a.name)})
		case kindUser:
			_, err = c.iam.DeleteUser(ctx, &iam.DeleteUserInput{UserName: aws.String(a.userName)})
		case kindInstance:
			_, err = c.connect.DeleteInstance(ctx, &connect.DeleteInstanceInput{InstanceId: aws.String(a.existing.id)})
		case kindSAMLProvider:
			_, err = c.iam.DeleteSAMLProvider(ctx, &iam.DeleteSAMLProviderInput{SAMLProviderArn: aws.String(a.samlARN)})
		case kindAttachment:
			at := a.attachment
			if at.ownerKind == "user" {
				_, err = c.iam.DetachUserPolicy(ctx, &iam.DetachUserPolicyInput{UserName: aws.String(at.owner), PolicyArn: aws.String(at.policyARN)})
			} else {
				_, err = c.iam.DetachRolePolicy(ctx, &iam.DetachRolePolicyInput{RoleName: aws.String(at.owner), PolicyArn: aws.String(at.policyARN)})
			}
		case kindPolicy:
			p := a.policy
			if p.ownerKind == "user" {
				_, err = c.iam.DeleteUserPolicy(ctx, &iam.DeleteUserPolicyInput{UserName: aws.String(p.owner), PolicyName: aws.String(p.name)})
			} else {
				_, err = c.iam.DeleteRolePolicy(ctx, &iam.DeleteRolePolicyInput{RoleName: aws.String(p.owner), PolicyName: aws.String(p.name)})
			}
		}
		return err
	})
	if err == nil && a.op == opDelete {
		x.done(a)
	}
	return err
}

// create makes a resource: a create, or the second half of a replace.
func (x *execution) create(ctx context.Context, a *action) error {
	c := x.r.c
	verb := "create"
	if a.op == opUpdate {
		verb = "update"
	}
	err := x.do(verb, a, func() error {
		switch a.kind {
		case kindUser:
			_, err := c.iam.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(a.user.Name)})
			return err
		case kindRole:
			in := &iam.CreateRoleInput{RoleName: aws.String(a.role.Name), AssumeRolePolicyDocument: aws.String(a.role.policy)}
			if a.role.Description != "" {
				in.Description = aws.String(a.role.Description)
			}
			if a.role.MaxSessionDuration != 0 {
				in.MaxSessionDuration = aws.Int32(int32(a.role.MaxSessionDuration))
			}
			_, err := c.iam.CreateRole(ctx, in)
			return err
		case kindInstance:
			return x.createInstance(ctx, a)
		case kindConnectUser:
			if a.op == opUpdate {
				return x.updateConnectUser(ctx, a)
			}
			return x.createConnectUser(ctx, a)
		case kindManaged:
			return x.putManagedPolicy(ctx, a)
		case kindSAMLProvider:
			if a.op == opReplace {
				_, err := c.iam.UpdateSAMLProvider(ctx, &iam.UpdateSAMLProviderInput{SAMLProviderArn: aws.String(a.samlARN),
					SAMLMetadataDocument: aws.String(a.saml.Metadata)})
				return err
			}
			_, err := c.iam.CreateSAMLProvider(ctx, &iam.CreateSAMLProviderInput{Name: aws.String(a.saml.Name),
				SAMLMetadataDocument: aws.String(a.saml.Metadata)})
			return err
		case kindAttachment:
			at := a.attachment
			if at.ownerKind == "user" {
				_, err := c.iam.AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: aws.String(at.owner), PolicyArn: aws.String(at.policyARN)})
				return err
			}
			_, err := c.iam.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: aws.String(at.owner), PolicyArn: aws.String(at.policyARN)})
			return err
		case kindPolicy:
			p := a.policy
			if p.ownerKind == "user" {
				_, err := c.iam.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String(p.owner),
					PolicyName: aws.String(p.name), PolicyDocument: aws.String(p.document)})
				return err
			}
			_, err := c.iam.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String(p.owner),
				PolicyName: aws.String(p.name), PolicyDocument: aws.String(p.document)})
			return err
		}
		return nil
	})
	if err == nil {
		x.done(a)
	}
	return err
}

func (x *execution) createInstance(ctx context.Context, a *action) error {
	s := a.inst
	in := &connect.CreateInstanceInput{IdentityManagementType: ctypes.DirectoryType(s.IdentityManagement),
		InstanceAlias: aws.String(s.Alias), InboundCallsEnabled: aws.Bool(s.InboundCalls),
		OutboundCallsEnabled: aws.Bool(s.OutboundCalls)}
	if s.DirectoryID != "" {
		in.DirectoryId = aws.String(s.DirectoryID)
	}
	out, err := x.r.c.connect.CreateInstance(ctx, in)
	if err != nil {
		return err
	}
	x.mu.Lock()
	x.instances[strings.ToLower(s.Alias)] = &instance{id: aws.ToString(out.Id), alias: s.Alias}
	x.mu.Unlock()
	return nil
}

// userIDs are the ids of a user's profiles and group: as planned, or looked up by name now that
// the profiles and groups of this run exist.
func (x *execution) userIDs(a *action) (in *instance, security []string, routing, group string, err error) {
	if in, err = x.instanceOf(a); err != nil {
		return nil, nil, "", "", err
	}
	security, routing, group = a.securityIDs, a.routingID, a.groupID
	x.mu.Lock()
	defer x.mu.Unlock()
	if security == nil {
		if security, routing, err = resolveProfiles(in, a.cuser); err != nil {
			return nil, nil, "", "", err
		}
	}
	if name := a.cuser.HierarchyGroup; name != "" && group == "" {
		if group = in.groups[name]; group == "" {
			return nil, nil, "", "", fmt.Errorf("instance %s has no hierarchy group %q", in.alias, name)
		}
	}
	return in, security, routing, group, nil
}

func identityInfo(u *ConnectUserSpec) *ctypes.UserIdentityInfo {
	return &ctypes.UserIdentityInfo{FirstName: optional(u.FirstName), LastName: optional(u.LastName),
		Email: optional(u.Email), SecondaryEmail: optional(u.SecondaryEmail), Mobile: optional(u.Mobile)}
}

func (x *execution) createConnectUser(ctx context.Context, a *action) error {
	in, security, routing, group, err := x.userIDs(a)
	if err != nil {
		return err
	}
	u := a.cuser
	input := &connect.CreateUserInput{InstanceId: aws.String(in.id), Username: aws.String(u.Username),
		SecurityProfileIds: security, RoutingProfileId: aws.String(routing), PhoneConfig: phoneConfig(u), HierarchyGroupId: optional(group)}
	if u.Password != "" {
		input.Password = aws.String(u.Password)
	}
	if u.FirstName != "" || u.LastName != "" || u.Email != "" || u.SecondaryEmail != "" || u.Mobile != "" {
		input.IdentityInfo = identityInfo(u)
	}
	_, err = x.r.c.connect.CreateUser(ctx, input)
	return err
}

// updateConnectUser changes what differs of a user in place, one call per kind of field, so
// the user keeps its id and its tokens. Each call counts as a request; the first failure ends
// it.
func (x *execution) updateConnectUser(ctx context.Context, a *action) error {
	in, security, routing, group, err := x.userIDs(a)
	if err != nil {
		return err
	}
	c, u := x.r.c.connect, a.cuser
	inst, user := aws.String(in.id), aws.String(a.cuserID)
	for i, call := range a.updates {
		if i > 0 {
			x.step() // do counts the last
		}
		switch call {
		case "security":
			_, err = c.UpdateUserSecurityProfiles(ctx, &connect.UpdateUserSecurityProfilesInput{InstanceId: inst, UserId: user, SecurityProfileIds: security})
		case "routing":
			_, err = c.UpdateUserRoutingProfile(ctx, &connect.UpdateUserRoutingProfileInput{InstanceId: inst, UserId: user, RoutingProfileId: aws.String(routing)})
		case "phone":
			_, err = c.UpdateUserPhoneConfig(ctx, &connect.UpdateUserPhoneConfigInput{InstanceId: inst, UserId: user, PhoneConfig: phoneConfig(u)})
		case "identity":
			_, err = c.UpdateUserIdentityInfo(ctx, &connect.UpdateUserIdentityInfoInput{InstanceId: inst, UserId: user, IdentityInfo: identityInfo(u)})
		case "hierarchy":
			_, err = c.UpdateUserHierarchy(ctx, &connect.UpdateUserHierarchyInput{InstanceId: inst, UserId: user, HierarchyGroupId: optional(group)})
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// phoneConfig is the phone a user declares; SOFT_PHONE unless it says otherwise.
func phoneConfig(u *ConnectUserSpec) *ctypes.UserPhoneConfig {
	pc := &ctypes.UserPhoneConfig{PhoneType: ctypes.PhoneTypeSoftPhone, AutoAccept: u.AutoAccept,
		AfterContactWorkTimeLimit: int32(u.AfterContactWorkTimeLimit)}
	if u.PhoneType != "" {
		pc.PhoneType = ctypes.PhoneType(u.PhoneType)
	}
	if u.DeskPhoneNumber != "" {
		pc.DeskPhoneNumber = aws.String(u.DeskPhoneNumber)
	}
	return pc
}

func optional(s string) *string {
	if s == "" {
		return nil
	}
	return aws.String(s)
}
