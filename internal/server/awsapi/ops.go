package awsapi

import (
	"encoding/json"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/connectfed/connectfed/internal/apierr"
	"github.com/connectfed/connectfed/internal/arn"
	"github.com/connectfed/connectfed/internal/audit"
	"github.com/connectfed/connectfed/internal/awsproto"
	"github.com/connectfed/connectfed/internal/identity"
)

// Operation is one row of the operation table: everything connectfed knows about an AWS
// operation it serves. Routing, quotas and the CLI's listings read it, and so will
// authorization, metrics and the audit trail; adding an operation is adding a row and its
// handler.
type Operation struct {
	// Service is the service of the credential scope: "connect", "iam" or "sts".
	Service string
	// Name is the operation's name in the AWS model: "GetFederationToken".
	Name     string
	Protocol awsproto.Protocol
	// Method and Path route a restJson1 operation: the model's HTTP method and URI pattern,
	// "{Label}" for each path label.
	Method, Path string
	// Action is the IAM action that authorizes a call: "connect:GetFederationToken".
	Action string
	// Resources builds the ARNs a call touches from its input and its caller's account and
	// region, as a policy's Resource must match them ("*" for an action AWS authorizes on no
	// resource).
	Resources func(*Request) []string
	// Keys, when set, are condition keys the request carries beyond the global ones and
	// connect:InstanceId: the tags it asks for (aws:RequestTag/KEY, aws:TagKeys).
	Keys func(*Request) []identity.ContextKey
	// Authorization says who decides whether the caller may call; the zero value is the
	// policy check before the handler.
	Authorization Authorization
	// Unsigned says AWS serves the operation without a signature: the request carries its own
	// credential (AssumeRoleWithSAML's assertion). Such a request has no principal.
	Unsigned bool
	// Quota is AWS's published rate quota of the operation; zero when AWS publishes none.
	Quota Quota

	handle handler
	// segments are Path's, each a literal or a label; labels counts the labels;
	// instanceLabel says the first is {InstanceId}, which connect:InstanceId is read from.
	segments      []segment
	labels        int
	instanceLabel bool
	// eventSource is the audit records' eventSource, connect.amazonaws.com.
	eventSource string
}

// Authorization is who decides whether a caller may call an operation.
type Authorization int

const (
	// PolicyCheck: the caller's IAM policies must allow Action on every resource of
	// Resources, checked before the handler runs (the account root passes).
	PolicyCheck Authorization = iota
	// NoPermission: AWS requires no permission (sts:GetCallerIdentity), so even an explicit
	// deny does not refuse it.
	NoPermission
	// HandlerChecks: the operation weighs a resource policy with the caller's own, so the
	// domain decides (sts:AssumeRole and the role's trust policy).
	HandlerChecks
)

// handler runs one operation: it reads its input from the request and returns what the
// answer holds (a query operation's Result members, nil for none; a restJson1 body).
type handler func(*API, *Request) (any, error)

// ID names the operation as quotas and listings do.
func (op *Operation) ID() OperationID { return OperationID{op.Service, op.Name} }

// OperationID is one AWS operation: the service of its credential scope and its name.
type OperationID struct {
	Service string
	Name    string
}

func (o OperationID) String() string { return o.Service + ":" + o.Name }

// connectQuota is Amazon Connect's published default for every API operation without a
// figure of its own: "a RateLimit of 2 per second, and a BurstLimit of 5 per second" (the
// Connect API reference, reprinted in every SDK's documentation of the service).
// GetFederationToken's own quota, "Rate of GetFederationToken API requests", is the same
// 2 per second per account per Region (Amazon Connect service quotas); AWS publishes no burst
// of its own for it, so it has the default's. AWS publishes no request rates for IAM and STS
// (they throttle at undisclosed account-wide rates), so their rows have none.
var connectQuota = Quota{Rate: 2, Burst: 5}

// operations is the table. Connect's paths are the AWS model's.
var operations = []Operation{
	// Amazon Connect (restJson1).
	{Service: "connect", Name: "GetFederationToken", Method: "GET", Path: "/user/federate/{InstanceId}",
		Resources: federatedUser, handle: (*API).getFederationToken},
	{Service: "connect", Name: "CreateInstance", Method: "PUT", Path: "/instance",
		Resources: anyResource, Keys: bodyTags("Tags"), handle: (*API).createInstance},
	{Service: "connect", Name: "ListInstances", Method: "GET", Path: "/instance",
		Resources: anyResource, handle: (*API).listInstances},
	{Service: "connect", Name: "DescribeInstance", Method: "GET", Path: "/instance/{InstanceId}",
		Resources: instance, handle: (*API).describeInstance},
	{Service: "connect", Name: "DeleteInstance", Method: "DELETE", Path: "/instance/{InstanceId}",
		Resources: instance, handle: (*API).deleteInstance},
	{Service: "connect", Name: "AssociateApprovedOrigin", Method: "PUT", Path: "/instance/{InstanceId}/approved-origin",
		Resources: instance, handle: (*API).associateApprovedOrigin},
	{Service: "connect", Name: "DisassociateApprovedOrigin", Method: "DELETE", Path: "/instance/{InstanceId}/approved-origin",
		Resources: instance, handle: (*API).disassociateApprovedOrigin},
	{Service: "connect", Name: "ListApprovedOrigins", Method: "GET", Path: "/instance/{InstanceId}/approved-origins",
		Resources: instance, handle: (*API).listApprovedOrigins},
	{Service: "connect", Name: "DescribeInstanceAttribute", Method: "GET", Path: "/instance/{InstanceId}/attribute/{AttributeType}",
		Resources: instance, handle: (*API).describeInstanceAttribute},
	{Service: "connect", Name: "UpdateInstanceAttribute", Method: "POST", Path: "/instance/{InstanceId}/attribute/{AttributeType}",
		Resources: instance, handle: (*API).updateInstanceAttribute},
	{Service: "connect", Name: "ListInstanceAttributes", Method: "GET", Path: "/instance/{InstanceId}/attributes",
		Resources: instance, handle: (*API).listInstanceAttributes},
	{Service: "connect", Name: "ListSecurityProfiles", Method: "GET", Path: "/security-profiles-summary/{InstanceId}",
		Resources: instance, handle: (*API).listSecurityProfiles},
	{Service: "connect", Name: "CreateSecurityProfile", Method: "PUT", Path: "/security-profiles/{InstanceId}",
		Resources: below("security-profile"), Keys: bodyTags("Tags"), handle: (*API).createSecurityProfile},
	{Service: "connect", Name: "DescribeSecurityProfile", Method: "GET", Path: "/security-profiles/{InstanceId}/{SecurityProfileId}",
		Resources: below("security-profile"), handle: (*API).describeSecurityProfile},
	{Service: "connect", Name: "UpdateSecurityProfile", Method: "POST", Path: "/security-profiles/{InstanceId}/{SecurityProfileId}",
		Resources: below("security-profile"), handle: (*API).updateSecurityProfile},
	{Service: "connect", Name: "DeleteSecurityProfile", Method: "DELETE", Path: "/security-profiles/{InstanceId}/{SecurityProfileId}",
		Resources: below("security-profile"), handle: (*API).deleteSecurityProfile},
	{Service: "connect", Name: "ListSecurityProfilePermissions", Method: "GET", Path: "/security-profiles-permissions/{InstanceId}/{SecurityProfileId}",
		Resources: below("security-profile"), handle: (*API).listSecurityProfilePermissions},
	{Service: "connect", Name: "ListRoutingProfiles", Method: "GET", Path: "/routing-profiles-summary/{InstanceId}",
		Resources: instance, handle: (*API).listRoutingProfiles},
	{Service: "connect", Name: "CreateRoutingProfile", Method: "PUT", Path: "/routing-profiles/{InstanceId}",
		Resources: below("routing-profile"), Keys: bodyTags("Tags"), handle: (*API).createRoutingProfile},
	{Service: "connect", Name: "DescribeRoutingProfile", Method: "GET", Path: "/routing-profiles/{InstanceId}/{RoutingProfileId}",
		Resources: below("routing-profile"), handle: (*API).describeRoutingProfile},
	{Service: "connect", Name: "UpdateRoutingProfileName", Method: "POST", Path: "/routing-profiles/{InstanceId}/{RoutingProfileId}/name",
		Resources: below("routing-profile"), handle: (*API).updateRoutingProfileName},
	{Service: "connect", Name: "UpdateRoutingProfileConcurrency", Method: "POST", Path: "/routing-profiles/{InstanceId}/{RoutingProfileId}/concurrency",
		Resources: below("routing-profile"), handle: (*API).updateRoutingProfileConcurrency},
	{Service: "connect", Name: "UpdateRoutingProfileDefaultOutboundQueue", Method: "POST",
		Path: "/routing-profiles/{InstanceId}/{RoutingProfileId}/default-outbound-queue", Resources: below("routing-profile"),
		handle: (*API).updateRoutingProfileDefaultOutboundQueue},
	{Service: "connect", Name: "UpdateRoutingProfileQueues", Method: "POST", Path: "/routing-profiles/{InstanceId}/{RoutingProfileId}/queues",
		Resources: below("routing-profile"), handle: (*API).updateRoutingProfileQueues},
	{Service: "connect", Name: "AssociateRoutingProfileQueues", Method: "POST", Path: "/routing-profiles/{InstanceId}/{RoutingProfileId}/associate-queues",
		Resources: below("routing-profile"), handle: (*API).associateRoutingProfileQueues},
	{Service: "connect", Name: "DisassociateRoutingProfileQueues", Method: "POST",
		Path: "/routing-profiles/{InstanceId}/{RoutingProfileId}/disassociate-queues", Resources: below("routing-profile"),
		handle: (*API).disassociateRoutingProfileQueues},
	{Service: "connect", Name: "ListRoutingProfileQueues", Method: "GET", Path: "/routing-profiles/{InstanceId}/{RoutingProfileId}/queues",
		Resources: below("routing-profile"), handle: (*API).listRoutingProfileQueues},
	{Service: "connect", Name: "DeleteRoutingProfile", Method: "DELETE", Path: "/routing-profiles/{InstanceId}/{RoutingProfileId}",
		Resources: below("routing-profile"), handle: (*API).deleteRoutingProfile},
	{Service: "connect", Name: "CreateQueue", Method: "PUT", Path: "/queues/{InstanceId}",
		Resources: below("queue"), Keys: bodyTags("Tags"), handle: (*API).createQueue},
	{Service: "connect", Name: "DescribeQueue", Method: "GET", Path: "/queues/{InstanceId}/{QueueId}",
		Resources: below("queue"), handle: (*API).describeQueue},
	{Service: "connect", Name: "ListQueues", Method: "GET", Path: "/queues-summary/{InstanceId}",
		Resources: instance, handle: (*API).listQueues},
	{Service: "connect", Name: "CreateUser", Method: "PUT", Path: "/users/{InstanceId}",
		Resources: newConnectUser, Keys: bodyTags("Tags"), handle: (*API).createUser},
	{Service: "connect", Name: "DescribeUser", Method: "GET", Path: "/users/{InstanceId}/{UserId}",
		Resources: connectUser, handle: (*API).describeUser},
	{Service: "connect", Name: "DeleteUser", Method: "DELETE", Path: "/users/{InstanceId}/{UserId}",
		Resources: connectUser, handle: (*API).deleteUser},
	{Service: "connect", Name: "UpdateUserIdentityInfo", Method: "POST", Path: "/users/{InstanceId}/{UserId}/identity-info",
		Resources: connectUser, handle: (*API).updateUserIdentityInfo},
	{Service: "connect", Name: "UpdateUserPhoneConfig", Method: "POST", Path: "/users/{InstanceId}/{UserId}/phone-config",
		Resources: connectUser, handle: (*API).updateUserPhoneConfig},
	{Service: "connect", Name: "UpdateUserRoutingProfile", Method: "POST", Path: "/users/{InstanceId}/{UserId}/routing-profile",
		Resources: connectUser, handle: (*API).updateUserRoutingProfile},
	{Service: "connect", Name: "UpdateUserSecurityProfiles", Method: "POST", Path: "/users/{InstanceId}/{UserId}/security-profiles",
		Resources: connectUser, handle: (*API).updateUserSecurityProfiles},
	{Service: "connect", Name: "UpdateUserHierarchy", Method: "POST", Path: "/users/{InstanceId}/{UserId}/hierarchy",
		Resources: connectUser, handle: (*API).updateUserHierarchy},
	{Service: "connect", Name: "UpdateUserHierarchyStructure", Method: "POST", Path: "/user-hierarchy-structure/{InstanceId}",
		Resources: instance, handle: (*API).updateUserHierarchyStructure},
	{Service: "connect", Name: "DescribeUserHierarchyStructure", Method: "GET", Path: "/user-hierarchy-structure/{InstanceId}",
		Resources: instance, handle: (*API).describeUserHierarchyStructure},
	{Service: "connect", Name: "CreateUserHierarchyGroup", Method: "PUT", Path: "/user-hierarchy-groups/{InstanceId}",
		Resources: newAgentGroup, Keys: bodyTags("Tags"), handle: (*API).createUserHierarchyGroup},
	{Service: "connect", Name: "DescribeUserHierarchyGroup", Method: "GET", Path: "/user-hierarchy-groups/{InstanceId}/{HierarchyGroupId}",
		Resources: agentGroup, handle: (*API).describeUserHierarchyGroup},
	{Service: "connect", Name: "ListUserHierarchyGroups", Method: "GET", Path: "/user-hierarchy-groups-summary/{InstanceId}",
		Resources: instance, handle: (*API).listUserHierarchyGroups},
	{Service: "connect", Name: "UpdateUserHierarchyGroupName", Method: "POST", Path: "/user-hierarchy-groups/{InstanceId}/{HierarchyGroupId}/name",
		Resources: agentGroup, handle: (*API).updateUserHierarchyGroupName},
	{Service: "connect", Name: "DeleteUserHierarchyGroup", Method: "DELETE", Path: "/user-hierarchy-groups/{InstanceId}/{HierarchyGroupId}",
		Resources: agentGroup, handle: (*API).deleteUserHierarchyGroup},
	{Service: "connect", Name: "SearchUsers", Method: "POST", Path: "/search-users", Resources: bodyInstance, Keys: bodyInstanceKey,
		handle: (*API).searchUsers},
	{Service: "connect", Name: "TagResource", Method: "POST", Path: "/tags/{resourceArn}", Resources: labelARN,
		Keys: bodyTags("tags"), handle: (*API).tagResource},
	{Service: "connect", Name: "UntagResource", Method: "DELETE", Path: "/tags/{resourceArn}", Resources: labelARN,
		Keys: queryTagKeys, handle: (*API).untagResource},
	{Service: "connect", Name: "ListTagsForResource", Method: "GET", Path: "/tags/{resourceArn}", Resources: labelARN,
		handle: (*API).listTagsForResource},
	{Service: "connect", Name: "ListUsers", Method: "GET", Path: "/users-summary/{InstanceId}",
		Resources: instance, handle: (*API).listUsers},

	// IAM (query).
	{Service: "iam", Name: "CreateUser", Resources: iamUserNamed("UserName"), handle: (*API).createIAMUser},
	{Service: "iam", Name: "GetUser", Resources: iamUserOrCaller, handle: (*API).getIAMUser},
	{Service: "iam", Name: "ListUsers", Resources: anyResource, handle: (*API).listIAMUsers},
	{Service: "iam", Name: "DeleteUser", Resources: iamUserNamed("UserName"), handle: (*API).deleteIAMUser},
	{Service: "iam", Name: "CreateAccessKey", Resources: iamUserOrCaller, handle: (*API).createAccessKey},
	{Service: "iam", Name: "ListAccessKeys", Resources: iamUserOrCaller, handle: (*API).listAccessKeys},
	{Service: "iam", Name: "UpdateAccessKey", Resources: iamUserOrCaller, handle: (*API).updateAccessKey},
	{Service: "iam", Name: "DeleteAccessKey", Resources: iamUserOrCaller, handle: (*API).deleteAccessKey},
	{Service: "iam", Name: "CreateRole", Resources: iamRole, handle: (*API).createRole},
	{Service: "iam", Name: "GetRole", Resources: iamRole, handle: (*API).getRole},
	{Service: "iam", Name: "ListRoles", Resources: anyResource, handle: (*API).listRoles},
	{Service: "iam", Name: "DeleteRole", Resources: iamRole, handle: (*API).deleteRole},
	{Service: "iam", Name: "PutUserPolicy", Resources: iamUserNamed("UserName"), handle: (*API).putUserPolicy},
	{Service: "iam", Name: "GetUserPolicy", Resources: iamUserNamed("UserName"), handle: (*API).getUserPolicy},
	{Service: "iam", Name: "ListUserPolicies", Resources: iamUserNamed("UserName"), handle: (*API).listUserPolicies},
	{Service: "iam", Name: "DeleteUserPolicy", Resources: iamUserNamed("UserName"), handle: (*API).deleteUserPolicy},
	{Service: "iam", Name: "PutRolePolicy", Resources: iamRole, handle: (*API).putRolePolicy},
	{Service: "iam", Name: "GetRolePolicy", Resources: iamRole, handle: (*API).getRolePolicy},
	{Service: "iam", Name: "ListRolePolicies", Resources: iamRole, handle: (*API).listRolePolicies},
	{Service: "iam", Name: "DeleteRolePolicy", Resources: iamRole, handle: (*API).deleteRolePolicy},
	{Service: "iam", Name: "UpdateAssumeRolePolicy", Resources: iamRole, handle: (*API).updateAssumeRolePolicy},
	{Service: "iam", Name: "CreatePolicy", Resources: newPolicy, handle: (*API).createPolicy},
	{Service: "iam", Name: "GetPolicy", Resources: formValue("PolicyArn"), handle: (*API).getPolicy},
	{Service: "iam", Name: "ListPolicies", Resources: anyResource, handle: (*API).listPolicies},
	{Service: "iam", Name: "DeletePolicy", Resources: formValue("PolicyArn"), handle: (*API).deletePolicy},
	{Service: "iam", Name: "CreatePolicyVersion", Resources: formValue("PolicyArn"), handle: (*API).createPolicyVersion},
	{Service: "iam", Name: "GetPolicyVersion", Resources: formValue("PolicyArn"), handle: (*API).getPolicyVersion},
	{Service: "iam", Name: "ListPolicyVersions", Resources: formValue("PolicyArn"), handle: (*API).listPolicyVersions},
	{Service: "iam", Name: "SetDefaultPolicyVersion", Resources: formValue("PolicyArn"), handle: (*API).setDefaultPolicyVersion},
	{Service: "iam", Name: "DeletePolicyVersion", Resources: formValue("PolicyArn"), handle: (*API).deletePolicyVersion},
	{Service: "iam", Name: "AttachUserPolicy", Resources: iamUserNamed("UserName"), handle: (*API).attachUserPolicy},
	{Service: "iam", Name: "DetachUserPolicy", Resources: iamUserNamed("UserName"), handle: (*API).detachUserPolicy},
	{Service: "iam", Name: "ListAttachedUserPolicies", Resources: iamUserNamed("UserName"), handle: (*API).listAttachedUserPolicies},
	{Service: "iam", Name: "AttachRolePolicy", Resources: iamRole, handle: (*API).attachRolePolicy},
	{Service: "iam", Name: "DetachRolePolicy", Resources: iamRole, handle: (*API).detachRolePolicy},
	{Service: "iam", Name: "ListAttachedRolePolicies", Resources: iamRole, handle: (*API).listAttachedRolePolicies},
	{Service: "iam", Name: "PutUserPermissionsBoundary", Resources: iamUserNamed("UserName"), handle: (*API).putUserPermissionsBoundary},
	{Service: "iam", Name: "DeleteUserPermissionsBoundary", Resources: iamUserNamed("UserName"), handle: (*API).deleteUserPermissionsBoundary},
	{Service: "iam", Name: "PutRolePermissionsBoundary", Resources: iamRole, handle: (*API).putRolePermissionsBoundary},
	{Service: "iam", Name: "DeleteRolePermissionsBoundary", Resources: iamRole, handle: (*API).deleteRolePermissionsBoundary},
	{Service: "iam", Name: "CreateSAMLProvider", Resources: newSAMLProvider, handle: (*API).createSAMLProvider},
	{Service: "iam", Name: "GetSAMLProvider", Resources: formValue("SAMLProviderArn"), handle: (*API).getSAMLProvider},
	{Service: "iam", Name: "ListSAMLProviders", Resources: anyResource, handle: (*API).listSAMLProviders},
	{Service: "iam", Name: "UpdateSAMLProvider", Resources: formValue("SAMLProviderArn"), handle: (*API).updateSAMLProvider},
	{Service: "iam", Name: "DeleteSAMLProvider", Resources: formValue("SAMLProviderArn"), handle: (*API).deleteSAMLProvider},
	{Service: "iam", Name: "SimulatePrincipalPolicy", Resources: formValue("PolicySourceArn"), handle: (*API).simulatePrincipalPolicy},
	{Service: "iam", Name: "SimulateCustomPolicy", Resources: anyResource, handle: (*API).simulateCustomPolicy},

	// CloudTrail (JSON 1.1): the audit trail.
	{Service: "cloudtrail", Name: "LookupEvents", Resources: anyResource, handle: (*API).lookupEvents},

	// STS (query).
	{Service: "sts", Name: "GetCallerIdentity", Resources: anyResource, Authorization: NoPermission, handle: (*API).getCallerIdentity},
	{Service: "sts", Name: "AssumeRole", Resources: formValue("RoleArn"), Authorization: HandlerChecks, handle: (*API).assumeRole},
	{Service: "sts", Name: "AssumeRoleWithSAML", Resources: formValue("RoleArn"), Authorization: HandlerChecks, Unsigned: true,
		handle: (*API).assumeRoleWithSAML},
}

// service is one AWS service the server answers for, with its operations.
type service struct {
	protocol awsproto.Protocol
	xmlns    string
	// version is a query service's API version, which its errors name.
	version string
	// target is an awsJson1_1 service's X-Amz-Target: the service shape's name, which the
	// operation's follows after a dot; botocore prefixes it with the model's namespace.
	target string
	// actions are a query service's operations by name; routes a restJson1 service's, by
	// method and first path segment, in table order within each.
	actions map[string]*Operation
	routes  map[routeKey][]*Operation
}

// routeKey picks the restJson1 operations a request may be: its method and its path's first
// segment as sent, a literal in every pattern of the table (init makes sure).
type routeKey struct{ method, head string }

// services are the services by credential-scope name, filled from the table.
var services = map[string]*service{
	"connect":    {protocol: awsproto.RestJSON},
	"iam":        {protocol: awsproto.Query, xmlns: awsproto.IAMNamespace, version: "2010-05-08"},
	"sts":        {protocol: awsproto.Query, xmlns: awsproto.STSNamespace, version: "2011-06-15"},
	"cloudtrail": {protocol: awsproto.JSON11, target: "CloudTrail_20131101"},
}

func init() {
	for i := range operations {
		op := &operations[i]
		svc := services[op.Service]
		if svc == nil {
			panic("awsapi: operation " + op.Name + " of unknown service " + op.Service)
		}
		op.Protocol = svc.protocol
		op.eventSource = audit.Source(op.Service)
		if op.Action == "" {
			op.Action = op.Service + ":" + op.Name
		}
		if op.Quota == (Quota{}) && op.Service == "connect" {
			op.Quota = connectQuota
		}
		if svc.protocol == awsproto.Query || svc.protocol == awsproto.JSON11 {
			if svc.actions == nil {
				svc.actions = map[string]*Operation{}
			}
			svc.actions[op.Name] = op
			continue
		}
		op.segments, op.labels = compilePath(op.Path)
		for _, seg := range op.segments {
			if seg.label {
				op.instanceLabel = seg.literal == "InstanceId"
				break
			}
		}
		if op.segments[0].label {
			panic("awsapi: " + op.Name + "'s path " + op.Path + " begins with a label: routes are found by their first segment")
		}
		key := routeKey{op.Method, op.segments[0].literal}
		if svc.routes == nil {
			svc.routes = map[routeKey][]*Operation{}
		}
		svc.routes[key] = append(svc.routes[key], op)
	}
}

// segment is one part of a restJson1 path pattern: a literal, or a {Label}.
type segment struct {
	// literal is the text of a literal segment, or the name of a label; member is a label's
	// name as an audit record's requestParameters name it (InstanceId: instanceId).
	literal, member string
	label           bool
}

// compilePath splits "/users/{InstanceId}/{UserId}/identity-info" into its segments, and counts
// the labels.
func compilePath(path string) ([]segment, int) {
	var segs []segment
	n := 0
	for _, part := range strings.Split(strings.TrimPrefix(path, "/"), "/") {
		if strings.HasPrefix(part, "{") && strings.HasSuffix(part, "}") {
			name := strings.Trim(part, "{}")
			segs = append(segs, segment{literal: name, member: audit.LowerCamel(name), label: true})
			n++
			continue
		}
		segs = append(segs, segment{literal: part})
	}
	return segs, n
}

// Operations returns every row of the table, sorted by service and name.
func Operations() []Operation {
	ops := slices.Clone(operations)
	slices.SortFunc(ops, func(a, b Operation) int { return strings.Compare(a.ID().String(), b.ID().String()) })
	return ops
}

// routeQuery finds the action a query-protocol request names (parameters from the body and the
// URL query, so presigned GETs work too).
func (svc *service) routeQuery(req *Request) (*Operation, error) {
	values, err := url.ParseQuery(string(req.Payload))
	if err != nil {
		return nil, apierr.New(apierr.SerializationError, "The request body is not a valid form.")
	}
	for k, v := range req.URL.Query() {
		if _, dup := values[k]; !dup {
			values[k] = v
		}
	}
	req.Form = Form{values}
	action := req.Form.get("Action")
	req.info.Operation = action
	if action == "" {
		return nil, apierr.New(apierr.MissingAction, "Missing Action")
	}
	op := svc.actions[action]
	if op == nil {
		return nil, apierr.New(apierr.InvalidAction, "Could not find operation %s for version %s", action, svc.version)
	}
	req.info.Service = op.Service
	return op, nil
}

// unservedOperation is the error for an unsigned request that names an operation no service
// here serves: an X-Amz-Target, a query Action, or a method and path that no restJson1 route
// takes. A request that names a served operation, or none at all, gets nil: it needs a
// signature.
func unservedOperation(req *Request) error {
	if target := req.Header.Get("X-Amz-Target"); target != "" {
		if _, err := services["cloudtrail"].routeTarget(req); err != nil {
			return err
		}
		return nil
	}
	values, _ := url.ParseQuery(string(req.Payload))
	action := values.Get("Action")
	if action == "" {
		action = req.URL.Query().Get("Action")
	}
	if action != "" {
		for _, svc := range []string{"iam", "sts"} {
			if services[svc].actions[action] != nil {
				return nil
			}
		}
		return apierr.New(apierr.InvalidAction, "connectfed serves no operation %s (of IAM, STS or CloudTrail).", action)
	}
	if req.Method == "POST" && req.URL.Path == "/" {
		return nil // a query request without its Action: nothing is named
	}
	if _, err := services["connect"].routeREST(req); err != nil {
		return err
	}
	return nil
}

// routeTarget finds the awsJson1_1 operation X-Amz-Target names.
func (svc *service) routeTarget(req *Request) (*Operation, error) {
	target := req.Header.Get("X-Amz-Target")
	dot := strings.LastIndexByte(target, '.')
	name := target[dot+1:]
	if dot < 0 || !strings.HasSuffix(target[:dot], svc.target) || req.Method != "POST" {
		return nil, apierr.New(apierr.UnknownOperation, "Unknown operation %s %s (X-Amz-Target %q)", req.Method, req.URL.Path, target)
	}
	req.info.Operation = name
	op := svc.actions[name]
	if op == nil {
		return nil, apierr.New(apierr.UnknownOperation, "Unknown operation %s: connectfed serves LookupEvents of CloudTrail.", name)
	}
	req.info.Service = op.Service
	return op, nil
}

// routeREST finds the restJson1 operation of a request's method and path. Labels are split
// from the path as sent and then unescaped, so an instance ARN's %2F stays inside its label.
func (svc *service) routeREST(req *Request) (*Operation, error) {
	parts := strings.Split(strings.TrimPrefix(req.URL.EscapedPath(), "/"), "/")
	for _, op := range svc.routes[routeKey{req.Method, parts[0]}] {
		labels, ok := matchPath(op, parts)
		if !ok {
			continue
		}
		req.Labels = labels
		req.info.Service, req.info.Operation = op.Service, op.Name
		return op, nil
	}
	return nil, apierr.New(apierr.UnknownOperation, "Unknown operation %s %s", req.Method, req.URL.Path)
}

// matchPath matches a path's segments against an operation's pattern and returns its labels,
// unescaped (each may be empty). A pattern without labels also takes a trailing slash.
func matchPath(op *Operation, parts []string) ([]string, bool) {
	if len(parts) == len(op.segments)+1 && op.labels == 0 && parts[len(parts)-1] == "" {
		parts = parts[:len(parts)-1]
	}
	if len(parts) != len(op.segments) {
		return nil, false
	}
	for i, seg := range op.segments { // the literals first: most candidates fail there, at no cost
		if !seg.label && parts[i] != seg.literal {
			return nil, false
		}
	}
	var labels []string
	if op.labels > 0 {
		labels = make([]string, 0, op.labels)
	}
	for i, seg := range op.segments {
		if !seg.label {
			continue
		}
		v, err := url.PathUnescape(parts[i])
		if err != nil {
			return nil, false
		}
		labels = append(labels, v)
	}
	return labels, true
}

// Resource-ARN builders. They read the input as sent, before the handler checks it: a
// policy is evaluated on what the caller asked for.

// anyResource is for actions AWS authorizes on no particular resource.
func anyResource(*Request) []string { return []string{"*"} }

// instanceRefOf is the instance a Connect request's InstanceId label names.
func instanceRefOf(req *Request) arn.InstanceRef {
	return arn.ResolveInstance(req.Labels[0], req.Region, req.Principal.AccountID)
}

func instanceARNOf(req *Request) string {
	in := instanceRefOf(req)
	return arn.Instance(in.Region, in.Account, in.ID)
}

// instanceIDOf is the id of the instance a Connect request names (connect:InstanceId).
func instanceIDOf(req *Request) string { return instanceRefOf(req).ID }

func instance(req *Request) []string { return []string{instanceARNOf(req)} }

// federatedUser is GetFederationToken's resource: INSTANCE_ARN/user/${aws:userid}, the form
// AWS's documented policy for the operation matches.
func federatedUser(req *Request) []string {
	in := instanceRefOf(req)
	return []string{arn.FederatedUser(in.Region, in.Account, in.ID, req.Principal.UserID)}
}

// below is the resource of an instance of one kind ("security-profile", "queue") that a
// request's second label names: INSTANCE_ARN/KIND/ID; for a request without one (a Create:
// the id is not known yet), INSTANCE_ARN/KIND/*.
func below(kind string) func(*Request) []string {
	return func(req *Request) []string {
		id := "*"
		if len(req.Labels) > 1 {
			id = req.Labels[1]
		}
		return []string{instanceARNOf(req) + "/" + kind + "/" + id}
	}
}

// agentGroup is the hierarchy group a request's second label names; newAgentGroup the one
// CreateUserHierarchyGroup makes (its id is not known yet).
func agentGroup(req *Request) []string {
	in := instanceRefOf(req)
	return []string{arn.AgentGroup(in.Region, in.Account, in.ID, req.Labels[1])}
}

func newAgentGroup(req *Request) []string {
	in := instanceRefOf(req)
	return []string{arn.AgentGroup(in.Region, in.Account, in.ID, "*")}
}

// bodyInstanceRef is the instance a Connect request names in its JSON body's InstanceId (the
// search operations): by id in the caller's account and region, or by ARN.
func bodyInstanceRef(req *Request) arn.InstanceRef {
	var body struct {
		InstanceID string `json:"InstanceId"`
	}
	_ = json.Unmarshal(req.Payload, &body) // a body that is not JSON is refused by the handler
	return arn.ResolveInstance(body.InstanceID, req.Region, req.Principal.AccountID)
}

func bodyInstance(req *Request) []string {
	in := bodyInstanceRef(req)
	return []string{arn.Instance(in.Region, in.Account, in.ID)}
}

// bodyInstanceKey is connect:InstanceId for a request that names its instance in its body.
func bodyInstanceKey(req *Request) []identity.ContextKey {
	return []identity.ContextKey{{Name: "connect:InstanceId", Value: bodyInstanceRef(req).ID}}
}

// bodyTags are the tags a JSON body asks for, under member (Connect spells it Tags or tags), as
// aws:RequestTag/KEY and aws:TagKeys.
func bodyTags(member string) func(*Request) []identity.ContextKey {
	return func(req *Request) []identity.ContextKey {
		var body map[string]json.RawMessage
		var tags map[string]string
		if json.Unmarshal(req.Payload, &body) != nil || json.Unmarshal(body[member], &tags) != nil || len(tags) == 0 {
			return nil
		}
		keys := make([]string, 0, len(tags))
		out := make([]identity.ContextKey, 0, len(tags)+1)
		for k, v := range tags {
			keys = append(keys, k)
			out = append(out, identity.ContextKey{Name: "aws:RequestTag/" + k, Value: v})
		}
		slices.Sort(keys)
		return append(out, identity.ContextKey{Name: "aws:TagKeys", Values: keys})
	}
}

// queryTagKeys are the tag keys UntagResource names, as aws:TagKeys.
func queryTagKeys(req *Request) []identity.ContextKey {
	keys := req.URL.Query()["tagKeys"]
	if len(keys) == 0 {
		return nil
	}
	return []identity.ContextKey{{Name: "aws:TagKeys", Values: keys}}
}

// labelARN is the resource a Connect request names by ARN in its path (the tag operations).
func labelARN(req *Request) []string { return []string{req.Labels[0]} }

// newConnectUser is CreateUser's resource: the user does not exist yet, so its id is a
// wildcard (INSTANCE_ARN/agent/*), which policies on the instance's users match.
func newConnectUser(req *Request) []string { return []string{instanceARNOf(req) + "/agent/*"} }

func connectUser(req *Request) []string {
	return []string{instanceARNOf(req) + "/agent/" + req.Labels[1]}
}

// iamUserNamed is the IAM user a parameter names, with the request's Path when it has one
// (CreateUser); other operations name users without their path.
func iamUserNamed(param string) func(*Request) []string {
	return func(req *Request) []string {
		return []string{arn.User(req.Principal.AccountID, req.Form.get("Path"), req.Form.get(param))}
	}
}

// iamUserOrCaller is the user UserName names, or, without one, the caller itself, which is
// whom IAM acts on then.
func iamUserOrCaller(req *Request) []string {
	if name := req.Form.get("UserName"); name != "" {
		return []string{arn.User(req.Principal.AccountID, "", name)}
	}
	return []string{req.Principal.ARN}
}

func iamRole(req *Request) []string {
	return []string{arn.Role(req.Principal.AccountID, req.Form.get("Path"), req.Form.get("RoleName"))}
}

// newPolicy is the managed policy CreatePolicy makes: arn:aws:iam::ACCOUNT:policy/PATH/NAME.
func newPolicy(req *Request) []string {
	return []string{arn.Policy(req.Principal.AccountID, req.Form.get("Path"), req.Form.get("PolicyName"))}
}

// newSAMLProvider is the provider CreateSAMLProvider makes.
func newSAMLProvider(req *Request) []string {
	return []string{arn.SAMLProvider(req.Principal.AccountID, req.Form.get("Name"))}
}

// formValue is an ARN the request passes as a parameter.
func formValue(param string) func(*Request) []string {
	return func(req *Request) []string { return []string{req.Form.get(param)} }
}

// integer reads an optional integer parameter; absent is 0.
func (f Form) integer(name string) (int, error) {
	v := f.Values.Get(name)
	if v == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return 0, apierr.Validation(apierr.ValidationError, apierr.Invalid(name, v, "Member must be a number"))
	}
	return n, nil
}
