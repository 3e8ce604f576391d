// Package limits holds AWS's published numeric limits and rules that connectfed enforces, each
// with where AWS states it, so that the domain, apply's checks and the CLI agree on one figure.
// It knows nothing of errors or the wire: callers phrase the refusal.
package limits

// STS AssumeRole's DurationSeconds (STS API reference, AssumeRole: "minimum value of 900,
// maximum value of 43200"; the default is one hour).
const (
	SessionDurationMin     = 900
	SessionDurationMax     = 43200
	SessionDurationDefault = 3600
	// ChainedSessionMax caps a session assumed with another role session's credentials
	// (IAM user guide, "Role chaining": "limits your role session to a maximum of one hour").
	ChainedSessionMax = 3600
)

// IAM CreateRole's MaxSessionDuration (IAM API reference: "1 hour to 12 hours", default one
// hour).
const (
	RoleMaxSessionMin     = 3600
	RoleMaxSessionMax     = 43200
	RoleMaxSessionDefault = 3600
)

// Lengths from the IAM and STS models.
const (
	UserNameMax        = 64 // CreateUser's UserName
	UserNameLookupMax  = 128
	RoleNameMax        = 64
	RoleSessionNameMin = 2
	RoleSessionNameMax = 64
	RoleARNMin         = 20
	RoleARNMax         = 2048
	PathMax            = 512
	DescriptionMax     = 1000
	PolicyNameMax      = 128
	PolicyDocumentMax  = 131072
	// The inline policies of one user, or one role, together at most (IAM quotas page:
	// "User policy size cannot exceed 2,048 characters", role 10,240; white space not counted).
	UserInlinePoliciesMax = 2048
	RoleInlinePoliciesMax = 10240
	// ManagedPolicyMax is a managed policy document's size (IAM quotas page: "Managed policy
	// size cannot exceed 6,144 characters", white space not counted).
	ManagedPolicyMax = 6144
	// PolicyVersionsMax: "A managed policy can have up to five versions" (IAM quotas page).
	PolicyVersionsMax = 5
	// AttachedPoliciesMax is the default quota of managed policies attached to one user or
	// role (IAM quotas page, "Managed policies attached to an IAM role/user": 10).
	AttachedPoliciesMax = 10
	// PolicyARNMin and PolicyARNMax bound the IAM model's arnType.
	PolicyARNMin = 20
	PolicyARNMax = 2048
	// SessionPolicyMax is AssumeRole's Policy (the STS model: 1..2048), and SessionPolicyARNsMax
	// its PolicyArns ("You can provide up to 10 managed policy ARNs").
	SessionPolicyMax     = 2048
	SessionPolicyARNsMax = 10
	// AccessKeysPerUser is IAM's quota of access keys per user (IAM quotas page).
	AccessKeysPerUser = 2
)

// Connect's user password rule (CreateUser, Password: "must be between 8 and 64 characters
// and contain at least one uppercase letter, one lowercase letter and one number"; the model's
// pattern is ^(?=.*[a-z])(?=.*[A-Z])(?=.*\d)[a-zA-Z\d\S]{8,64}$).
const (
	PasswordMin = 8
	PasswordMax = 64
	// PasswordRule says the rule in a sentence, for refusals that must not echo the password.
	PasswordRule = "8 to 64 characters with at least one lower-case letter, one upper-case letter and one digit"
)

// ValidPassword reports whether p satisfies Connect's password rule: 8 to 64 characters, none
// of them white space, with a lower-case letter, an upper-case letter and a digit.
func ValidPassword(p string) bool {
	n, lower, upper, digit := 0, false, false, false
	for _, r := range p {
		n++
		switch {
		case r == ' ' || r == '\t' || r == '\n' || r == '\r' || r == '\f':
			return false
		case 'a' <= r && r <= 'z':
			lower = true
		case 'A' <= r && r <= 'Z':
			upper = true
		case '0' <= r && r <= '9':
			digit = true
		}
	}
	return n >= PasswordMin && n <= PasswordMax && lower && upper && digit
}

// Amazon Connect's limits from its model.
const (
	ConnectUsernameMax      = 100
	InstanceIDMax           = 100
	InstanceAliasMax        = 45
	ClientTokenMax          = 500
	SecurityProfilesPerUser = 10
	TagsMax                 = 50
	TagKeyMax               = 128
	TagValueMax             = 256
)

// SAML providers and AssumeRoleWithSAML (IAM and STS API references, and AWS's SAML guide).
const (
	// SAMLProviderNameMax: CreateSAMLProvider's Name, 1..128 of [\w._-].
	SAMLProviderNameMax = 128
	// SAMLMetadataMin and SAMLMetadataMax bound SAMLMetadataDocument.
	SAMLMetadataMin = 1000
	SAMLMetadataMax = 10_000_000
	// SAMLAssertionMax bounds AssumeRoleWithSAML's SAMLAssertion.
	SAMLAssertionMax = 100_000
	// SAMLRedeemWithin is how long after its issue an assertion may be redeemed: "Token must be
	// redeemed within 5 minutes of issuance".
	SAMLRedeemWithinSeconds = 300
)

// SessionTagsMax: a session carries at most 50 tags (STS, "Passing session tags"); their keys
// and values have TagKeyMax and TagValueMax.
const SessionTagsMax = 50
