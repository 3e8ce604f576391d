package apply

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"

	"github.com/connectfed/connectfed/internal/limits"
)

// Version is the file format version this package reads.
const Version = 1

// File is a parsed and validated apply file.
type File struct {
	Version int          `yaml:"version"`
	Region  string       `yaml:"region"`
	IAM     *IAMSpec     `yaml:"iam"`
	Connect *ConnectSpec `yaml:"connect"`

	// name is the file's name as the user gave it, for messages.
	name string
}

// IAMSpec declares IAM users and roles. A nil list leaves that collection alone; an empty one
// (users: []) declares that there should be none, which --prune enforces.
type IAMSpec struct {
	Users []UserSpec `yaml:"users"`
	Roles []RoleSpec `yaml:"roles"`
	// Policies are customer managed policies. A changed document becomes the policy's new
	// default version. --prune does not delete undeclared ones: that would mean detaching them
	// from entities the file may not list.
	Policies []ManagedPolicySpec `yaml:"policies"`
	// SAMLProviders are identity providers, each by its metadata; a changed document replaces
	// the provider's.
	SAMLProviders []SAMLProviderSpec `yaml:"samlProviders"`
}

// SAMLProviderSpec is an IAM SAML provider: its metadata document inline (a YAML block
// string), or in a file named relative to the apply file.
type SAMLProviderSpec struct {
	Name         string `yaml:"name"`
	Metadata     string `yaml:"metadata"`
	MetadataFile string `yaml:"metadataFile"`

	line int
}

// ManagedPolicySpec is a customer managed policy: its document as JSON text or the same
// structure in YAML. Path and description are set when it is created (IAM cannot change them).
type ManagedPolicySpec struct {
	Name        string `yaml:"name"`
	Path        string `yaml:"path"`
	Description string `yaml:"description"`
	Document    any    `yaml:"document"`

	line int
	// document is Document as sent to CreatePolicy.
	document string
}

// UserSpec is an IAM user.
type UserSpec struct {
	Name string `yaml:"name"`
	// AccessKeys is how many access keys the user has (0..2, IAM's quota). Unset leaves its keys
	// alone.
	AccessKeys *int `yaml:"accessKeys"`
	// Policies are the user's inline policies by name (see RoleSpec.Policies).
	Policies map[string]any `yaml:"policies"`
	// ManagedPolicies are attached to the user (see RoleSpec.ManagedPolicies).
	ManagedPolicies []string `yaml:"managedPolicies"`

	line int
	// policies are the documents of Policies, as sent to PutUserPolicy.
	policies map[string]string
}

// RoleSpec is an IAM role: Trust (principals allowed to sts:AssumeRole) or a whole
// TrustPolicy document (JSON text or the same structure in YAML).
type RoleSpec struct {
	Name               string   `yaml:"name"`
	Description        string   `yaml:"description"`
	MaxSessionDuration int      `yaml:"maxSessionDuration"`
	Trust              []string `yaml:"trust"`
	TrustPolicy        any      `yaml:"trustPolicy"`
	// Policies are the role's inline policies by name: each a document, as JSON text or the
	// same structure in YAML. Unset leaves the role's inline policies alone; set, apply puts
	// what differs, and --prune deletes the inline policies it does not list.
	Policies map[string]any `yaml:"policies"`
	// ManagedPolicies are attached to the role: ARNs (AWS managed ones such as
	// arn:aws:iam::aws:policy/ReadOnlyAccess) or the names of the file's policies. Unset leaves
	// the role's attachments alone; set, apply attaches what is missing, and --prune detaches
	// what it does not list.
	ManagedPolicies []string `yaml:"managedPolicies"`

	line int
	// policy is the trust policy document sent to CreateRole.
	policy string
	// policies are the documents of Policies, as sent to PutRolePolicy.
	policies map[string]string
}

// ConnectSpec declares Amazon Connect instances.
type ConnectSpec struct {
	Instances []InstanceSpec `yaml:"instances"`
}

// InstanceSpec is an Amazon Connect instance, known by its alias.
type InstanceSpec struct {
	Alias              string `yaml:"alias"`
	IdentityManagement string `yaml:"identityManagement"`
	DirectoryID        string `yaml:"directoryId"`
	InboundCalls       bool   `yaml:"inboundCalls"`
	OutboundCalls      bool   `yaml:"outboundCalls"`
	// Attributes are instance attributes by type (CONTACT_LENS: true); the calls-enabled ones
	// are inboundCalls and outboundCalls. Unlisted attributes are left as they are.
	Attributes map[string]bool `yaml:"attributes"`
	// ApprovedOrigins are the sites that may embed the agent page. Unset leaves them alone;
	// set, apply approves what is missing, and --prune withdraws what it does not list.
	ApprovedOrigins []string `yaml:"approvedOrigins"`
	// SecurityProfiles are created, or updated to the description and permissions given. They
	// are never deleted: undeclared ones include those every instance starts with.
	SecurityProfiles []SecurityProfileSpec `yaml:"securityProfiles"`
	// Queues are created; none is changed or deleted.
	Queues []QueueSpec `yaml:"queues"`
	// RoutingProfiles are created, or updated to the description, concurrency, default
	// outbound queue and queues given; none is deleted.
	RoutingProfiles []RoutingProfileSpec `yaml:"routingProfiles"`
	// Hierarchy is the user hierarchy: its levels and its groups. Groups are created; none is
	// deleted or moved (Connect cannot move a group).
	Hierarchy *HierarchySpec    `yaml:"hierarchy"`
	Users     []ConnectUserSpec `yaml:"users"`

	line int
}

// SecurityProfileSpec is a security profile of an instance, known by its name.
type SecurityProfileSpec struct {
	Name        string   `yaml:"name"`
	Description string   `yaml:"description"`
	Permissions []string `yaml:"permissions"`

	line int
}

// QueueSpec is a queue of an instance, known by its name, on the instance's Basic Hours.
type QueueSpec struct {
	Name        string `yaml:"name"`
	Description string `yaml:"description"`
	MaxContacts *int   `yaml:"maxContacts"`

	line int
}

// RoutingProfileSpec is a routing profile of an instance, known by its name. Queues are named
// too: the instance's (BasicQueue) or the file's.
type RoutingProfileSpec struct {
	Name                 string `yaml:"name"`
	Description          string `yaml:"description"`
	DefaultOutboundQueue string `yaml:"defaultOutboundQueue"`
	// MediaConcurrencies are how many contacts of each channel an agent takes at once
	// (VOICE: 1, CHAT: 2).
	MediaConcurrencies map[string]int     `yaml:"mediaConcurrencies"`
	Queues             []RoutingQueueSpec `yaml:"queues"`

	line int
}

// RoutingQueueSpec is a queue a routing profile takes contacts of a channel from.
type RoutingQueueSpec struct {
	Queue    string `yaml:"queue"`
	Channel  string `yaml:"channel"`
	Priority int    `yaml:"priority"`
	Delay    int    `yaml:"delay"`
}

// HierarchySpec is an instance's user hierarchy: the names of its levels, from the top (one to
// five), and its groups, each under its parent (none for a group of level one), parents first.
type HierarchySpec struct {
	Levels []string             `yaml:"levels"`
	Groups []HierarchyGroupSpec `yaml:"groups"`
}

// HierarchyGroupSpec is a group of the hierarchy, known by its name.
type HierarchyGroupSpec struct {
	Name   string `yaml:"name"`
	Parent string `yaml:"parent"`

	line int
	// level is the group's level, 1 for a group without a parent.
	level int
}

// ConnectUserSpec is a user of an instance. Profiles are named; apply resolves the names to
// ids in the user's instance.
type ConnectUserSpec struct {
	Username                  string   `yaml:"username"`
	Password                  string   `yaml:"password"`
	SecurityProfiles          []string `yaml:"securityProfiles"`
	RoutingProfile            string   `yaml:"routingProfile"`
	PhoneType                 string   `yaml:"phoneType"`
	DeskPhoneNumber           string   `yaml:"deskPhoneNumber"`
	AutoAccept                bool     `yaml:"autoAccept"`
	AfterContactWorkTimeLimit int      `yaml:"afterContactWorkTimeLimit"`
	FirstName                 string   `yaml:"firstName"`
	LastName                  string   `yaml:"lastName"`
	Email                     string   `yaml:"email"`
	SecondaryEmail            string   `yaml:"secondaryEmail"`
	Mobile                    string   `yaml:"mobile"`
	// HierarchyGroup is the name of the user's group ("" for none).
	HierarchyGroup string `yaml:"hierarchyGroup"`

	line int
}

// Name is the file's name as it was given to Parse.
func (f *File) Name() string { return f.name }

// Problem is one thing wrong with a file, at a line (0 when the file as a whole is wrong).
type Problem struct {
	Line    int
	Message string
}

// FileError lists everything wrong with a file; nothing was sent to any server.
type FileError struct {
	Name     string
	Problems []Problem
}

func (e *FileError) Error() string {
	var b strings.Builder
	for i, p := range e.Problems {
		if i > 0 {
			b.WriteString("\n")
		}
		if p.Line > 0 {
			fmt.Fprintf(&b, "%s:%d: %s", e.Name, p.Line, p.Message)
		} else {
			fmt.Fprintf(&b, "%s: %s", e.Name, p.Message)
		}
	}
	return b.String()
}

// Load reads and validates the file at path.
func Load(path string) (*File, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return Parse(path, data)
}

// Parse reads and validates an apply file. name is used in messages only.
func Parse(name string, data []byte) (*File, error) {
	fe := &FileError{Name: name}
	var f File
	dec := yaml.NewDecoder(bytes.NewReader(data))
	// Unknown keys are errors: a misspelt key silently ignored would declare something else.
	dec.KnownFields(true)
	err := dec.Decode(&f)
	if errors.Is(err, io.EOF) {
		fe.Problems = append(fe.Problems, Problem{0, fmt.Sprintf("the file is empty; it starts with \"version: %d\"", Version)})
		return nil, fe
	}
	if err != nil {
		fe.Problems = append(fe.Problems, yamlProblems(err)...)
		return nil, fe
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		fe.Problems = append(fe.Problems, Problem{extra.Line, "one YAML document per file: remove the second one (after ---)"})
		return nil, fe
	}
	// A second pass keeps the node tree for the line numbers of what validation finds.
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		fe.Problems = append(fe.Problems, yamlProblems(err)...)
		return nil, fe
	}
	f.name = name
	v := validator{fe: fe}
	var doc node
	if len(root.Content) > 0 {
		doc = node{root.Content[0]}
	}
	v.file(&f, doc)
	if len(fe.Problems) > 0 {
		sort.SliceStable(fe.Problems, func(i, j int) bool { return fe.Problems[i].Line < fe.Problems[j].Line })
		return nil, fe
	}
	return &f, nil
}

var (
	yamlLine     = regexp.MustCompile(`^(?:yaml: )?line (\d+): (.*)$`)
	unknownField = regexp.MustCompile(`^field (\S+) not found in type (\S+)$`)
)

// yamlProblems turns the YAML decoder's errors into problems with lines, and its Go type names
// into the words of the file format.
func yamlProblems(err error) []Problem {
	var msgs []string
	var te *yaml.TypeError
	if errors.As(err, &te) {
		msgs = te.Errors
	} else {
		msgs = []string{err.Error()}
	}
	var out []Problem
	for _, m := range msgs {
		p := Problem{Message: strings.TrimPrefix(m, "yaml: ")}
		if sm := yamlLine.FindStringSubmatch(m); sm != nil {
			p.Line, _ = strconv.Atoi(sm[1])
			p.Message = sm[2]
		}
		if sm := unknownField.FindStringSubmatch(p.Message); sm != nil {
			p.Message = fmt.Sprintf("unknown key %q", sm[1])
			if spec, ok := specTypes[strings.TrimPrefix(sm[2], "apply.")]; ok {
				p.Message += fmt.Sprintf(" in %s (known keys: %s)", spec.what, strings.Join(yamlKeys(spec.typ), ", "))
			}
		}
		out = append(out, p)
	}
	return out
}

// specTypes names each part of the format for messages.
var specTypes = map[string]struct {
	what string
	typ  reflect.Type
}{
	"File":            {"the file", reflect.TypeFor[File]()},
	"IAMSpec":         {"iam", reflect.TypeFor[IAMSpec]()},
	"UserSpec":        {"an IAM user", reflect.TypeFor[UserSpec]()},
	"RoleSpec":        {"an IAM role", reflect.TypeFor[RoleSpec]()},
	"ConnectSpec":     {"connect", reflect.TypeFor[ConnectSpec]()},
	"InstanceSpec":    {"a Connect instance", reflect.TypeFor[InstanceSpec]()},
	"ConnectUserSpec": {"a Connect user", reflect.TypeFor[ConnectUserSpec]()},
}

func yamlKeys(t reflect.Type) []string {
	var keys []string
	for i := range t.NumField() {
		if tag := t.Field(i).Tag.Get("yaml"); tag != "" {
			keys = append(keys, strings.Split(tag, ",")[0])
		}
	}
	return keys
}

// node is a position in the YAML tree; a missing node answers line 0.
type node struct{ n *yaml.Node }

func (n node) key(k string) node {
	if n.n == nil || n.n.Kind != yaml.MappingNode {
		return node{}
	}
	for i := 0; i+1 < len(n.n.Content); i += 2 {
		if n.n.Content[i].Value == k {
			return node{n.n.Content[i+1]}
		}
	}
	return node{}
}

func (n node) index(i int) node {
	if n.n == nil || n.n.Kind != yaml.SequenceNode || i >= len(n.n.Content) {
		return node{}
	}
	return node{n.n.Content[i]}
}

// line is the node's line, or else fallback's (a missing key is reported where its parent is).
func (n node) line(fallback ...node) int {
	if n.n != nil {
		return n.n.Line
	}
	for _, f := range fallback {
		if f.n != nil {
			return f.n.Line
		}
	}
	return 0
}

// The patterns of the AWS models, checked here so a bad file fails before any request.
var (
	regionPattern   = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-\d+$`)
	iamNamePattern  = regexp.MustCompile(`^[\w+=,.@-]+$`)
	aliasPattern    = regexp.MustCompile(`^[\da-zA-Z]+(-*[\da-zA-Z])*$`)
	directoryID     = regexp.MustCompile(`^d-[0-9a-f]{10}$`)
	usernamePattern = regexp.MustCompile(`^[a-zA-Z0-9_+=,.@-]+$`)
	e164Pattern     = regexp.MustCompile(`^\+[1-9]\d{1,14}$`)
	principalARN    = regexp.MustCompile(`^arn:aws[\w-]*:(iam|sts)::\d{12}:\S+$`)
	accountID       = regexp.MustCompile(`^\d{12}$`)
	// policyARN is a customer (account id) or AWS (aws) managed policy; policyPathPattern a path.
	policyARN         = regexp.MustCompile(`^arn:aws[\w-]*:iam::(\d{12}|aws):policy(/[\x21-\x7e]+)*/[\w+=,.@-]+$`)
	policyPathPattern = regexp.MustCompile(`^/([\x21-\x7e]*/)?$`)
)

type validator struct{ fe *FileError }

func (v validator) problem(line int, format string, args ...any) {
	v.fe.Problems = append(v.fe.Problems, Problem{line, fmt.Sprintf(format, args...)})
}

func (v validator) file(f *File, doc node) {
	if f.Version != Version {
		if f.Version == 0 {
			v.problem(doc.key("version").line(doc), "version is required: start the file with \"version: %d\"", Version)
		} else {
			v.problem(doc.key("version").line(doc), "version %d is not supported: this connectfed reads version %d", f.Version, Version)
		}
	}
	if f.Region != "" && !regionPattern.MatchString(f.Region) {
		v.problem(doc.key("region").line(doc), "region %q is not a region name such as us-east-1", f.Region)
	}
	if f.IAM != nil {
		iam := doc.key("iam")
		v.managedPolicies(f.IAM.Policies, iam.key("policies"))
		v.samlProviders(f.IAM.SAMLProviders, iam.key("samlProviders"), f.name)
		v.users(f.IAM.Users, iam.key("users"))
		v.roles(f.IAM.Roles, iam.key("roles"))
		declared := map[string]bool{}
		for _, p := range f.IAM.Policies {
			declared[strings.ToLower(p.Name)] = true
		}
		for i, u := range f.IAM.Users {
			v.attachments("IAM user "+strconv.Quote(u.Name), u.ManagedPolicies, declared, iam.key("users").index(i))
		}
		for i, r := range f.IAM.Roles {
			v.attachments("IAM role "+strconv.Quote(r.Name), r.ManagedPolicies, declared, iam.key("roles").index(i))
		}
	}
	if f.Connect != nil {
		v.instances(f.Connect.Instances, doc.key("connect").key("instances"))
	}
}

// firstSeen finds duplicates: it reports the line a key was first declared at.
type firstSeen map[string]int

func (s firstSeen) dup(key string, line int) (int, bool) {
	if at, ok := s[key]; ok {
		return at, true
	}
	s[key] = line
	return 0, false
}

func (v validator) name(what, value string, maxLen int, n, parent node) bool {
	switch {
	case value == "":
		v.problem(n.line(parent), "%s needs a name", what)
	case utf8.RuneCountInString(value) > maxLen:
		v.problem(n.line(parent), "%s name %q is longer than %d characters", what, value, maxLen)
	case !iamNamePattern.MatchString(value):
		v.problem(n.line(parent), "%s name %q may hold only letters, digits and _+=,.@-", what, value)
	default:
		return true
	}
	return false
}

func (v validator) users(users []UserSpec, list node) {
	seen := firstSeen{}
	for i := range users {
		u := &users[i]
		item := list.index(i)
		u.line = item.line(list)
		if !v.name("an IAM user", u.Name, 64, item.key("name"), item) {
			continue
		}
		if at, dup := seen.dup(strings.ToLower(u.Name), u.line); dup {
			v.problem(u.line, "IAM user %q is declared twice (first at line %d; IAM names ignore case)", u.Name, at)
		}
		if u.AccessKeys != nil && (*u.AccessKeys < 0 || *u.AccessKeys > 2) {
			v.problem(item.key("accessKeys").line(item), "IAM user %q: accessKeys is %d; IAM allows 0 to 2 keys per user", u.Name, *u.AccessKeys)
		}
		u.policies = v.inlinePolicies("IAM user "+strconv.Quote(u.Name), u.Policies, item)
	}
}

func (v validator) roles(roles []RoleSpec, list node) {
	seen := firstSeen{}
	for i := range roles {
		r := &roles[i]
		item := list.index(i)
		r.line = item.line(list)
		if !v.name("an IAM role", r.Name, 64, item.key("name"), item) {
			continue
		}
		if at, dup := seen.dup(strings.ToLower(r.Name), r.line); dup {
			v.problem(r.line, "IAM role %q is declared twice (first at line %d; IAM names ignore case)", r.Name, at)
		}
		if d := r.MaxSessionDuration; d != 0 && (d < limits.RoleMaxSessionMin || d > limits.RoleMaxSessionMax) {
			v.problem(item.key("maxSessionDuration").line(item), "IAM role %q: maxSessionDuration %d is not between %d and %d seconds",
				r.Name, d, limits.RoleMaxSessionMin, limits.RoleMaxSessionMax)
		}
		r.policies = v.inlinePolicies("IAM role "+strconv.Quote(r.Name), r.Policies, item)
		if utf8.RuneCountInString(r.Description) > 1000 {
			v.problem(item.key("description").line(item), "IAM role %q: description is longer than 1000 characters", r.Name)
		}
		switch {
		case r.Trust != nil && r.TrustPolicy != nil:
			v.problem(item.key("trustPolicy").line(item), "IAM role %q: give trust or trustPolicy, not both", r.Name)
		case r.TrustPolicy != nil:
			doc, err := policyDocument(r.TrustPolicy)
			if err != nil {
				v.problem(item.key("trustPolicy").line(item), "IAM role %q: trustPolicy: %v", r.Name, err)
			}
			r.policy = doc
		case len(r.Trust) > 0:
			ok := true
			for j, p := range r.Trust {
				if p != "*" && !accountID.MatchString(p) && !principalARN.MatchString(p) {
					v.problem(item.key("trust").index(j).line(item), "IAM role %q: trust principal %q is not an account id, an IAM ARN or \"*\"", r.Name, p)
					ok = false
				}
			}
			if ok {
				r.policy = trustPolicy(r.Trust)
			}
		default:
			v.problem(item.key("trust").line(item), "IAM role %q needs trust (principals allowed to assume it) or a trustPolicy document", r.Name)
		}
	}
}

// trustPolicy is the document that lets principals call sts:AssumeRole.
func trustPolicy(principals []string) string {
	var aws any = principals
	if len(principals) == 1 {
		aws = principals[0]
	}
	doc, _ := json.Marshal(map[string]any{
		"Version": "2012-10-17",
		"Statement": []any{map[string]any{
			"Effect": "Allow", "Principal": map[string]any{"AWS": aws}, "Action": "sts:AssumeRole",
		}},
	})
	return string(doc)
}

func (v validator) managedPolicies(policies []ManagedPolicySpec, list node) {
	seen := firstSeen{}
	for i := range policies {
		p := &policies[i]
		item := list.index(i)
		p.line = item.line(list)
		if !v.name("a managed policy", p.Name, limits.PolicyNameMax, item.key("name"), item) {
			continue
		}
		if at, dup := seen.dup(strings.ToLower(p.Name), p.line); dup {
			v.problem(p.line, "managed policy %q is declared twice (first at line %d; IAM names ignore case)", p.Name, at)
		}
		if p.Path != "" && !policyPathPattern.MatchString(p.Path) {
			v.problem(item.key("path").line(item), "managed policy %q: path %q must begin and end with / (as /agents/)", p.Name, p.Path)
		}
		if p.Document == nil {
			v.problem(p.line, "managed policy %q needs a document", p.Name)
			continue
		}
		doc, err := policyDocument(p.Document)
		if err != nil {
			v.problem(item.key("document").line(item), "managed policy %q: document: %v", p.Name, err)
		}
		p.document = doc
	}
}

// samlProviderName is CreateSAMLProvider's Name pattern.
var samlProviderName = regexp.MustCompile(`^[\w._-]+$`)

// samlProviders checks the providers and reads metadata files, relative to the apply file.
func (v validator) samlProviders(providers []SAMLProviderSpec, list node, fileName string) {
	seen := firstSeen{}
	for i := range providers {
		p := &providers[i]
		item := list.index(i)
		p.line = item.line(list)
		if p.Name == "" || len(p.Name) > 128 || !samlProviderName.MatchString(p.Name) {
			v.problem(p.line, "SAML provider %q: a name is 1 to 128 of letters, digits and ._-", p.Name)
			continue
		}
		if at, dup := seen.dup(strings.ToLower(p.Name), p.line); dup {
			v.problem(p.line, "SAML provider %q is declared twice (first at line %d)", p.Name, at)
		}
		switch {
		case (p.Metadata == "") == (p.MetadataFile == ""):
			v.problem(p.line, "SAML provider %q: give metadata (the document) or metadataFile (its path), one of them", p.Name)
		case p.MetadataFile != "":
			path := p.MetadataFile
			if !filepath.IsAbs(path) {
				path = filepath.Join(filepath.Dir(fileName), path)
			}
			b, err := os.ReadFile(path)
			if err != nil {
				v.problem(item.key("metadataFile").line(item), "SAML provider %q: %v", p.Name, err)
				continue
			}
			p.Metadata = string(b)
		}
	}
}

// attachments checks that each managed policy an entity names is a policy ARN or one of the
// file's policies.
func (v validator) attachments(owner string, refs []string, declared map[string]bool, item node) {
	list := item.key("managedPolicies")
	for j, ref := range refs {
		if strings.HasPrefix(ref, "arn:") {
			if !policyARN.MatchString(ref) {
				v.problem(list.index(j).line(item), "%s: %q is not a managed policy ARN (arn:aws:iam::ACCOUNT:policy/NAME)", owner, ref)
			}
			continue
		}
		if !declared[strings.ToLower(ref)] {
			v.problem(list.index(j).line(item), "%s: managed policy %q is neither an ARN nor a policy of this file's iam.policies", owner, ref)
		}
	}
}

// inlinePolicies checks an entity's inline policies (names as IAM allows them, documents JSON
// objects) and returns their documents; the server checks the grammar.
func (v validator) inlinePolicies(owner string, policies map[string]any, item node) map[string]string {
	if policies == nil {
		return nil
	}
	out := make(map[string]string, len(policies))
	list := item.key("policies")
	for name, doc := range policies {
		at := list.key(name).line(item)
		if name == "" || utf8.RuneCountInString(name) > limits.PolicyNameMax || !iamNamePattern.MatchString(name) {
			v.problem(at, "%s: policy name %q: 1 to %d letters, digits and _+=,.@-", owner, name, limits.PolicyNameMax)
			continue
		}
		text, err := policyDocument(doc)
		if err != nil {
			v.problem(at, "%s: policy %q: %v", owner, name, err)
			continue
		}
		out[name] = text
	}
	return out
}

// policyDocument reads a trustPolicy: JSON text, or the document written in YAML.
func policyDocument(v any) (string, error) {
	if s, ok := v.(string); ok {
		var doc map[string]any
		if err := json.Unmarshal([]byte(s), &doc); err != nil {
			return "", fmt.Errorf("not a JSON object: %v", err)
		}
		return s, nil
	}
	if _, ok := v.(map[string]any); !ok {
		return "", errors.New("want a policy document: a mapping, or JSON text")
	}
	b, err := json.Marshal(v)
	if err != nil {
		return "", err
	}
	return string(b), nil
}

// Identity management types of an instance.
const (
	saml              = "SAML"
	connectManaged    = "CONNECT_MANAGED"
	existingDirectory = "EXISTING_DIRECTORY"
)

func (v validator) instances(instances []InstanceSpec, list node) {
	seen := firstSeen{}
	for i := range instances {
		in := &instances[i]
		item := list.index(i)
		in.line = item.line(list)
		al := item.key("alias")
		switch {
		case in.Alias == "":
			v.problem(al.line(item), "a Connect instance needs an alias: apply knows instances by alias")
			continue
		case len(in.Alias) > 45 || !aliasPattern.MatchString(in.Alias) || strings.HasPrefix(in.Alias, "d-"):
			v.problem(al.line(item), "Connect instance alias %q: 1 to 45 letters, digits and inner dashes, not starting with d-", in.Alias)
			continue
		}
		if at, dup := seen.dup(strings.ToLower(in.Alias), in.line); dup {
			v.problem(in.line, "Connect instance %q is declared twice (first at line %d)", in.Alias, at)
		}
		im := item.key("identityManagement")
		switch in.IdentityManagement {
		case "":
			v.problem(im.line(item), "Connect instance %q needs identityManagement: SAML, CONNECT_MANAGED or EXISTING_DIRECTORY", in.Alias)
		case saml, connectManaged, existingDirectory:
		default:
			v.problem(im.line(item), "Connect instance %q: identityManagement %q is not SAML, CONNECT_MANAGED or EXISTING_DIRECTORY", in.Alias, in.IdentityManagement)
		}
		dir := item.key("directoryId")
		switch {
		case in.IdentityManagement == existingDirectory && in.DirectoryID == "":
			v.problem(dir.line(item), "Connect instance %q: EXISTING_DIRECTORY needs a directoryId", in.Alias)
		case in.IdentityManagement != existingDirectory && in.DirectoryID != "":
			v.problem(dir.line(item), "Connect instance %q: directoryId is for EXISTING_DIRECTORY instances only", in.Alias)
		case in.DirectoryID != "" && !directoryID.MatchString(in.DirectoryID):
			v.problem(dir.line(item), "Connect instance %q: directoryId %q is not d- and 10 hex digits", in.Alias, in.DirectoryID)
		}
		v.instanceAttributes(in, item)
		v.securityProfiles(in, item.key("securityProfiles"))
		v.queues(in, item.key("queues"))
		v.routingProfiles(in, item.key("routingProfiles"))
		v.hierarchy(in, item.key("hierarchy"))
		v.connectUsers(in, item.key("users"))
	}
}

// instanceAttributeTypes are the attribute types apply may set: the model's, without the
// calls-enabled ones, which inboundCalls and outboundCalls set.
var instanceAttributeTypes = []string{"CONTACTFLOW_LOGS", "CONTACT_LENS", "AUTO_RESOLVE_BEST_VOICES", "USE_CUSTOM_TTS_VOICES",
	"EARLY_MEDIA", "MULTI_PARTY_CONFERENCE", "HIGH_VOLUME_OUTBOUND", "ENHANCED_CONTACT_MONITORING", "ENHANCED_CHAT_MONITORING",
	"MULTI_PARTY_CHAT_CONFERENCE", "MESSAGE_STREAMING"}

// originPattern is an approved origin as Connect takes it: a scheme, a host, an optional port.
var originPattern = regexp.MustCompile(`^https?://[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?(?::[0-9]{1,5})?$`)

func (v validator) instanceAttributes(in *InstanceSpec, item node) {
	attrs := item.key("attributes")
	for t := range in.Attributes {
		switch {
		case t == "INBOUND_CALLS" || t == "OUTBOUND_CALLS":
			v.problem(attrs.line(item), "Connect instance %q: set %s with inboundCalls or outboundCalls", in.Alias, t)
		case !slices.Contains(instanceAttributeTypes, t):
			v.problem(attrs.line(item), "Connect instance %q: %q is not an instance attribute (%s)", in.Alias, t, strings.Join(instanceAttributeTypes, ", "))
		}
	}
	origins := item.key("approvedOrigins")
	seen := firstSeen{}
	for i, o := range in.ApprovedOrigins {
		line := origins.index(i).line(origins, item)
		if !originPattern.MatchString(o) {
			v.problem(line, "Connect instance %q: approved origin %q is not a scheme, a host and an optional port, such as https://agents.example.com", in.Alias, o)
		} else if at, dup := seen.dup(o, line); dup {
			v.problem(line, "Connect instance %q: approved origin %q is listed twice (first at line %d)", in.Alias, o, at)
		}
	}
}

func (v validator) securityProfiles(in *InstanceSpec, list node) {
	seen := firstSeen{}
	for i := range in.SecurityProfiles {
		p := &in.SecurityProfiles[i]
		item := list.index(i)
		p.line = item.line(list)
		what := fmt.Sprintf("Connect instance %q: security profile %q", in.Alias, p.Name)
		switch {
		case p.Name == "":
			v.problem(p.line, "Connect instance %q: a security profile needs a name", in.Alias)
			continue
		case utf8.RuneCountInString(p.Name) > 127:
			v.problem(p.line, "%s: the name is longer than 127 characters", what)
		}
		if at, dup := seen.dup(p.Name, p.line); dup {
			v.problem(p.line, "%s is declared twice (first at line %d)", what, at)
		}
		if utf8.RuneCountInString(p.Description) > 250 {
			v.problem(item.key("description").line(item), "%s: the description is longer than 250 characters", what)
		}
		if len(p.Permissions) > 500 {
			v.problem(item.key("permissions").line(item), "%s has %d permissions; at most 500", what, len(p.Permissions))
		}
		for j, perm := range p.Permissions {
			if perm == "" || utf8.RuneCountInString(perm) > 128 {
				v.problem(item.key("permissions").index(j).line(item), "%s: permission %q is not 1 to 128 characters", what, perm)
			}
		}
	}
}

func (v validator) queues(in *InstanceSpec, list node) {
	seen := firstSeen{}
	for i := range in.Queues {
		q := &in.Queues[i]
		q.line = list.index(i).line(list)
		switch {
		case q.Name == "" || utf8.RuneCountInString(q.Name) > 127:
			v.problem(q.line, "Connect instance %q: a queue needs a name of 1 to 127 characters", in.Alias)
			continue
		case utf8.RuneCountInString(q.Description) > 250:
			v.problem(q.line, "Connect instance %q: queue %q: the description is longer than 250 characters", in.Alias, q.Name)
		case q.MaxContacts != nil && *q.MaxContacts < 0:
			v.problem(q.line, "Connect instance %q: queue %q: maxContacts is negative", in.Alias, q.Name)
		}
		if at, dup := seen.dup(q.Name, q.line); dup {
			v.problem(q.line, "Connect instance %q: queue %q is declared twice (first at line %d)", in.Alias, q.Name, at)
		}
	}
}

// channels are Connect's media channels.
var channels = []string{"VOICE", "CHAT", "TASK", "EMAIL"}

func (v validator) routingProfiles(in *InstanceSpec, list node) {
	seen := firstSeen{}
	for i := range in.RoutingProfiles {
		rp := &in.RoutingProfiles[i]
		rp.line = list.index(i).line(list)
		what := fmt.Sprintf("Connect instance %q: routing profile %q", in.Alias, rp.Name)
		if rp.Name == "" || utf8.RuneCountInString(rp.Name) > 127 {
			v.problem(rp.line, "Connect instance %q: a routing profile needs a name of 1 to 127 characters", in.Alias)
			continue
		}
		if at, dup := seen.dup(rp.Name, rp.line); dup {
			v.problem(rp.line, "%s is declared twice (first at line %d)", what, at)
		}
		if rp.Description == "" || utf8.RuneCountInString(rp.Description) > 250 {
			v.problem(rp.line, "%s needs a description of 1 to 250 characters (Connect requires one)", what)
		}
		if rp.DefaultOutboundQueue == "" {
			v.problem(rp.line, "%s needs a defaultOutboundQueue (a queue's name, such as BasicQueue)", what)
		}
		if len(rp.MediaConcurrencies) == 0 {
			v.problem(rp.line, "%s needs mediaConcurrencies, such as {VOICE: 1}", what)
		}
		for ch, n := range rp.MediaConcurrencies {
			limit := 10
			if ch == "VOICE" {
				limit = 1
			}
			if !slices.Contains(channels, ch) {
				v.problem(rp.line, "%s: %q is not a channel (VOICE, CHAT, TASK, EMAIL)", what, ch)
			} else if n < 1 || n > limit {
				v.problem(rp.line, "%s: %s concurrency %d is not 1 to %d", what, ch, n, limit)
			}
		}
		taken := map[string]bool{}
		for _, q := range rp.Queues {
			switch {
			case q.Queue == "" || !slices.Contains(channels, q.Channel):
				v.problem(rp.line, "%s: each of its queues needs a queue name and a channel (VOICE, CHAT, TASK, EMAIL)", what)
			case q.Priority < 1 || q.Priority > 99 || q.Delay < 0 || q.Delay > 9999:
				v.problem(rp.line, "%s: queue %s: priority is 1 to 99 and delay 0 to 9999", what, q.Queue)
			case taken[q.Queue+"/"+q.Channel]:
				v.problem(rp.line, "%s: queue %s is listed twice for %s", what, q.Queue, q.Channel)
			}
			taken[q.Queue+"/"+q.Channel] = true
		}
	}
}

func (v validator) hierarchy(in *InstanceSpec, n node) {
	h := in.Hierarchy
	if h == nil {
		return
	}
	line := n.line()
	if len(h.Levels) > 5 {
		v.problem(line, "Connect instance %q: the hierarchy has %d levels; at most 5", in.Alias, len(h.Levels))
	}
	for i, name := range h.Levels {
		if name == "" || utf8.RuneCountInString(name) > 50 {
			v.problem(n.key("levels").index(i).line(n), "Connect instance %q: hierarchy level %d needs a name of 1 to 50 characters", in.Alias, i+1)
		}
	}
	groups := n.key("groups")
	levels := map[string]int{}
	for i := range h.Groups {
		g := &h.Groups[i]
		item := groups.index(i)
		g.line = item.line(groups, n)
		switch {
		case g.Name == "" || utf8.RuneCountInString(g.Name) > 100:
			v.problem(g.line, "Connect instance %q: a hierarchy group needs a name of 1 to 100 characters", in.Alias)
			continue
		case levels[g.Name] != 0:
			v.problem(g.line, "Connect instance %q: hierarchy group %q is declared twice", in.Alias, g.Name)
			continue
		}
		g.level = 1
		if g.Parent != "" {
			parent, ok := levels[g.Parent]
			if !ok {
				v.problem(g.line, "Connect instance %q: hierarchy group %q: its parent %q is not declared before it", in.Alias, g.Name, g.Parent)
				continue
			}
			g.level = parent + 1
		}
		if g.level > len(h.Levels) {
			v.problem(g.line, "Connect instance %q: hierarchy group %q would be at level %d; the hierarchy has %d levels", in.Alias, g.Name, g.level, len(h.Levels))
		}
		levels[g.Name] = g.level
	}
}

func (v validator) connectUsers(in *InstanceSpec, list node) {
	seen := firstSeen{}
	for i := range in.Users {
		u := &in.Users[i]
		item := list.index(i)
		u.line = item.line(list)
		un := item.key("username")
		switch {
		case u.Username == "":
			v.problem(un.line(item), "a Connect user of instance %q needs a username", in.Alias)
			continue
		case len(u.Username) > 100 || !usernamePattern.MatchString(u.Username):
			v.problem(un.line(item), "Connect username %q: 1 to 100 letters, digits and _+=,.@-", u.Username)
			continue
		}
		what := fmt.Sprintf("Connect user %s/%s", in.Alias, u.Username)
		if at, dup := seen.dup(u.Username, u.line); dup {
			v.problem(u.line, "%s is declared twice (first at line %d)", what, at)
		}
		sp := item.key("securityProfiles")
		switch n := len(u.SecurityProfiles); {
		case n == 0:
			v.problem(sp.line(item), "%s needs securityProfiles (names, such as [Agent])", what)
		case n > 10:
			v.problem(sp.line(item), "%s has %d securityProfiles; at most 10", what, n)
		}
		names := firstSeen{}
		for j, p := range u.SecurityProfiles {
			if p == "" {
				v.problem(sp.index(j).line(sp, item), "%s: a security profile name is empty", what)
			} else if _, dup := names.dup(p, 0); dup {
				v.problem(sp.index(j).line(sp, item), "%s: security profile %q is listed twice", what, p)
			}
		}
		if u.RoutingProfile == "" {
			v.problem(item.key("routingProfile").line(item), "%s needs a routingProfile (a name, such as Basic Routing Profile)", what)
		}
		pt := item.key("phoneType")
		switch u.PhoneType {
		case "", "SOFT_PHONE":
			if u.DeskPhoneNumber != "" {
				v.problem(item.key("deskPhoneNumber").line(item), "%s: deskPhoneNumber needs phoneType DESK_PHONE", what)
			}
		case "DESK_PHONE":
			if u.DeskPhoneNumber == "" {
				v.problem(pt.line(item), "%s: phoneType DESK_PHONE needs a deskPhoneNumber", what)
			}
		default:
			v.problem(pt.line(item), "%s: phoneType %q is not SOFT_PHONE or DESK_PHONE", what, u.PhoneType)
		}
		if u.DeskPhoneNumber != "" && !e164Pattern.MatchString(u.DeskPhoneNumber) {
			v.problem(item.key("deskPhoneNumber").line(item), "%s: deskPhoneNumber %q is not an E.164 number such as +12065550100", what, u.DeskPhoneNumber)
		}
		if u.Mobile != "" && !e164Pattern.MatchString(u.Mobile) {
			v.problem(item.key("mobile").line(item), "%s: mobile %q is not an E.164 number such as +12065550100", what, u.Mobile)
		}
		if u.AfterContactWorkTimeLimit < 0 {
			v.problem(item.key("afterContactWorkTimeLimit").line(item), "%s: afterContactWorkTimeLimit is negative", what)
		}
		if utf8.RuneCountInString(u.FirstName) > 255 {
			v.problem(item.key("firstName").line(item), "%s: firstName is longer than 255 characters", what)
		}
		if utf8.RuneCountInString(u.LastName) > 300 {
			v.problem(item.key("lastName").line(item), "%s: lastName is longer than 300 characters", what)
		}
		// Never echo a password.
		pw := item.key("password")
		switch {
		case in.IdentityManagement == connectManaged && u.Password == "":
			v.problem(pw.line(item), "%s needs a password: instance %q is CONNECT_MANAGED", what, in.Alias)
		case in.IdentityManagement != connectManaged && u.Password != "":
			v.problem(pw.line(item), "%s: a password is for users of CONNECT_MANAGED instances only", what)
		case u.Password != "" && !limits.ValidPassword(u.Password):
			v.problem(pw.line(item), "%s: the password must be %s", what, limits.PasswordRule)
		}
	}
}
