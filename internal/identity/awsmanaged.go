package identity

import (
	"sort"
	"time"

	"github.com/connectfed/connectfed/internal/arn"
	iampolicy "github.com/connectfed/connectfed/internal/policy"
)

// awsManagedPolicy is a policy AWS maintains and every account can attach:
// arn:aws:iam::aws:policy/NAME. Their documents are AWS's published statements for the
// services connectfed serves (connect, iam, sts); statements about other services are left
// out, since no request here could match them.
type awsManagedPolicy struct {
	name, id, path, description, version string
	document                             string
	doc                                  *iampolicy.Document
}

// awsManagedCreated is the date AWS gives these policies' creation (2015-02-06, when managed
// policies appeared); connectfed has no other history of them.
var awsManagedCreated = time.Date(2015, 2, 6, 18, 39, 46, 0, time.UTC)

var awsManagedPolicies = []*awsManagedPolicy{
	{name: "AdministratorAccess", id: "ANPAIWMBCKSKIEE64ZLYK", path: "/", version: "v1",
		description: "Provides full access to AWS services and resources.",
		document: `{
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Action": "*",
            "Resource": "*"
        }
    ]
}`},
	{name: "ReadOnlyAccess", id: "ANPAILL3HVNFSB6DCOWYQ", path: "/", version: "v1",
		description: "Provides read-only access to AWS services and resources.",
		document: `{
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "ReadOnlyActions",
            "Effect": "Allow",
            "Action": [
                "connect:Describe*",
                "connect:List*",
                "connect:Search*",
                "iam:Generate*",
                "iam:Get*",
                "iam:List*",
                "iam:Simulate*",
                "sts:GetCallerIdentity"
            ],
            "Resource": "*"
        }
    ]
}`},
	{name: "AmazonConnect_FullAccess", id: "ANPAJPZFVZ6XDXZGCSNQ4", path: "/", version: "v1",
		description: "Full access to Amazon Connect",
		document: `{
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "AllowConnectActions",
            "Effect": "Allow",
            "Action": [
                "connect:*"
            ],
            "Resource": "*"
        },
        {
            "Sid": "AllowCreateServiceLinkedRole",
            "Effect": "Allow",
            "Action": "iam:CreateServiceLinkedRole",
            "Resource": "*",
            "Condition": {
                "StringEquals": {
                    "iam:AWSServiceName": "connect.amazonaws.com"
                }
            }
        },
        {
            "Sid": "AllowIAMServiceLinkedRoleManagement",
            "Effect": "Allow",
            "Action": [
                "iam:DeleteServiceLinkedRole",
                "iam:PutRolePolicy"
            ],
            "Resource": "arn:aws:iam::*:role/aws-service-role/connect.amazonaws.com/AWSServiceRoleForAmazonConnect*"
        }
    ]
}`},
	{name: "AmazonConnectReadOnlyAccess", id: "ANPAIVZMH7VU6YYKRY6ZU", path: "/", version: "v1",
		description: "Grants permission to view the Amazon Connect instances in your account.",
		document: `{
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "AllowConnectReadOnly",
            "Effect": "Allow",
            "Action": [
                "connect:Get*",
                "connect:Describe*",
                "connect:List*"
            ],
            "Resource": "*"
        },
        {
            "Sid": "DenyConnectFederationAction",
            "Effect": "Deny",
            "Action": [
                "connect:GetFederationToken"
            ],
            "Resource": "*"
        }
    ]
}`},
	{name: "IAMFullAccess", id: "ANPAI7XKCFMBPM3QQRRVQ", path: "/", version: "v1",
		description: "Provides full access to IAM via the AWS Management Console.",
		document: `{
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Action": [
                "iam:*"
            ],
            "Resource": "*"
        }
    ]
}`},
	{name: "IAMReadOnlyAccess", id: "ANPAJKSO7NDY4T57MWDSQ", path: "/", version: "v1",
		description: "Provides read only access to IAM via the AWS Management Console.",
		document: `{
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Action": [
                "iam:GenerateCredentialReport",
                "iam:GenerateServiceLastAccessedDetails",
                "iam:Get*",
                "iam:List*",
                "iam:SimulateCustomPolicy",
                "iam:SimulatePrincipalPolicy"
            ],
            "Resource": "*"
        }
    ]
}`},
}

// awsManagedByARN finds the AWS managed policies by ARN; their documents are parsed once.
var awsManagedByARN = func() map[string]*awsManagedPolicy {
	m := make(map[string]*awsManagedPolicy, len(awsManagedPolicies))
	for _, p := range awsManagedPolicies {
		doc, err := iampolicy.Parse(p.document, iampolicy.Identity)
		if err != nil {
			panic("identity: AWS managed policy " + p.name + ": " + err.Error())
		}
		p.doc = doc
		m[arn.Policy("aws", p.path, p.name)] = p
	}
	sort.Slice(awsManagedPolicies, func(i, j int) bool { return awsManagedPolicies[i].name < awsManagedPolicies[j].name })
	return m
}()
