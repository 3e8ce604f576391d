// Package arn builds and parses the Amazon Resource Names connectfed uses: IAM users, roles,
// policies, SAML providers and the account root; STS role sessions; Connect instances, users,
// security and routing profiles and agent groups. Every ARN in connectfed is made here, so
// paths are kept the same way everywhere (arn:aws:iam::ACCOUNT:role/PATH/NAME keeps PATH).
// It knows nothing of the store, the wire or the domain.
package arn

import (
	"errors"
	"strings"
)

// Partition is the only AWS partition connectfed serves.
const Partition = "aws"

// ARN is a parsed Amazon Resource Name: arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE.
type ARN struct {
	Partition, Service, Region, Account, Resource string
}

// ErrMalformed is returned by Parse for text that is not an ARN.
var ErrMalformed = errors.New("arn: not an ARN")

// Parse splits s into its six fields. The resource, which may hold colons, is kept whole.
func Parse(s string) (ARN, error) {
	// Five colons split off the fields; the resource keeps any colon after them. Cut rather
	// than SplitN: no slice to allocate, and ARNs are parsed on every request.
	var parts [5]string
	rest := s
	for i := range parts {
		var ok bool
		if parts[i], rest, ok = strings.Cut(rest, ":"); !ok {
			return ARN{}, ErrMalformed
		}
	}
	if parts[0] != "arn" || parts[1] == "" || parts[2] == "" {
		return ARN{}, ErrMalformed
	}
	return ARN{Partition: parts[1], Service: parts[2], Region: parts[3], Account: parts[4], Resource: rest}, nil
}

func (a ARN) String() string {
	return "arn:" + a.Partition + ":" + a.Service + ":" + a.Region + ":" + a.Account + ":" + a.Resource
}

// iam is the start of every IAM ARN of an account: IAM is global, so it has no region.
func iam(account string) string { return "arn:aws:iam::" + account + ":" }

// Root is arn:aws:iam::ACCOUNT:root.
func Root(account string) string { return iam(account) + "root" }

// User is arn:aws:iam::ACCOUNT:user/PATH/NAME; path is "/" or "/a/b/".
func User(account, path, name string) string { return iam(account) + "user" + cleanPath(path) + name }

// Role is arn:aws:iam::ACCOUNT:role/PATH/NAME.
func Role(account, path, name string) string { return iam(account) + "role" + cleanPath(path) + name }

// Policy is arn:aws:iam::ACCOUNT:policy/PATH/NAME; an AWS managed policy's account is "aws".
func Policy(account, path, name string) string {
	return iam(account) + "policy" + cleanPath(path) + name
}

// SAMLProvider is arn:aws:iam::ACCOUNT:saml-provider/NAME.
func SAMLProvider(account, name string) string { return iam(account) + "saml-provider/" + name }

// ParseSAMLProvider reads arn:aws:iam::ACCOUNT:saml-provider/NAME (no path).
func ParseSAMLProvider(s string) (account, name string, ok bool) {
	n, ok := parseIAM(s, "saml-provider/")
	if !ok || n.Path != "/" {
		return "", "", false
	}
	return n.Account, n.Name, true
}

// ServiceLinkedRole is the role AWS creates for a service in every account that uses it, such
// as Connect's AWSServiceRoleForAmazonConnect.
func ServiceLinkedRole(account, service, name string) string {
	return Role(account, "/aws-service-role/"+service+"/", name)
}

// AssumedRole is a role session: arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION. AWS leaves
// the role's path out of it.
func AssumedRole(account, role, session string) string {
	return "arn:aws:sts::" + account + ":assumed-role/" + role + "/" + session
}

// cleanPath reads an empty path as "/", the path IAM gives an entity created without one.
func cleanPath(path string) string {
	if path == "" {
		return "/"
	}
	return path
}

// Instance is arn:aws:connect:REGION:ACCOUNT:instance/ID.
func Instance(region, account, id string) string {
	return "arn:aws:connect:" + region + ":" + account + ":instance/" + id
}

// ConnectUser is a Connect user: INSTANCE_ARN/agent/USER_ID.
func ConnectUser(region, account, instanceID, userID string) string {
	return Instance(region, account, instanceID) + "/agent/" + userID
}

// SecurityProfile is INSTANCE_ARN/security-profile/ID.
func SecurityProfile(region, account, instanceID, id string) string {
	return Instance(region, account, instanceID) + "/security-profile/" + id
}

// RoutingProfile is INSTANCE_ARN/routing-profile/ID.
func RoutingProfile(region, account, instanceID, id string) string {
	return Instance(region, account, instanceID) + "/routing-profile/" + id
}

// Queue is INSTANCE_ARN/queue/ID.
func Queue(region, account, instanceID, id string) string {
	return Instance(region, account, instanceID) + "/queue/" + id
}

// AgentGroup is a user hierarchy group: INSTANCE_ARN/agent-group/ID.
func AgentGroup(region, account, instanceID, id string) string {
	return Instance(region, account, instanceID) + "/agent-group/" + id
}

// FederatedUser is the resource GetFederationToken is authorized on:
// INSTANCE_ARN/user/AWS_USERID, where AWS_USERID is the caller's aws:userid (AIDA... for an
// IAM user, AROA...:SESSION for a role session), as AWS documents its policy
// ("Resource": "arn:aws:connect:REGION:ACCOUNT:instance/INSTANCE_ID/user/${aws:userid}").
func FederatedUser(region, account, instanceID, awsUserID string) string {
	// One concatenation, one allocation: it is built on every GetFederationToken.
	return "arn:" + Partition + ":connect:" + region + ":" + account + ":instance/" + instanceID + "/user/" + awsUserID
}

// Named is an IAM entity's ARN taken apart: its account, path ("/" or "/a/b/") and name.
type Named struct {
	Account, Path, Name string
}

// ParseRole reads arn:aws:iam::ACCOUNT:role/PATH/NAME, path kept.
func ParseRole(s string) (Named, bool) { return parseIAM(s, "role/") }

// ParseUser reads arn:aws:iam::ACCOUNT:user/PATH/NAME, path kept.
func ParseUser(s string) (Named, bool) { return parseIAM(s, "user/") }

// ParsePolicy reads arn:aws:iam::ACCOUNT:policy/PATH/NAME (ACCOUNT may be "aws").
func ParsePolicy(s string) (Named, bool) { return parseIAM(s, "policy/") }

func parseIAM(s, kind string) (Named, bool) {
	a, err := Parse(s)
	if err != nil || a.Partition != Partition || a.Service != "iam" || a.Region != "" || a.Account == "" {
		return Named{}, false
	}
	rest, ok := strings.CutPrefix(a.Resource, kind)
	if !ok {
		return Named{}, false
	}
	i := strings.LastIndexByte(rest, '/')
	n := Named{Account: a.Account, Path: "/" + rest[:i+1], Name: rest[i+1:]}
	if n.Name == "" || strings.Contains(n.Path, "//") {
		return Named{}, false
	}
	return n, true
}

// InstanceRef is a Connect instance named by ARN.
type InstanceRef struct {
	Region, Account, ID string
}

// ParseInstance reads arn:aws:connect:REGION:ACCOUNT:instance/ID. The id is not checked.
func ParseInstance(s string) (InstanceRef, bool) {
	a, err := Parse(s)
	if err != nil || a.Partition != Partition || a.Service != "connect" {
		return InstanceRef{}, false
	}
	id, ok := strings.CutPrefix(a.Resource, "instance/")
	if !ok || id == "" || strings.Contains(id, "/") {
		return InstanceRef{}, false
	}
	return InstanceRef{Region: a.Region, Account: a.Account, ID: id}, true
}

// ResolveInstance is the instance ref names as a Connect request does: an instance ARN as
// given, or an id in the caller's account and region.
func ResolveInstance(ref, region, account string) InstanceRef {
	if in, ok := ParseInstance(ref); ok {
		return in
	}
	return InstanceRef{Region: region, Account: account, ID: ref}
}
