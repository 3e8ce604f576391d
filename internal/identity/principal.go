// Package identity owns who is calling: accounts, IAM users, roles, access keys and STS
// sessions, the principals they authenticate as, and the IAM and STS operations on them. It
// answers "which secret signs for this access key, and who is that" for the server's SigV4
// check, and enforces what AWS forbids regardless of policy. It knows nothing of HTTP or of the
// wire formats; it returns *apierr.Error for everything a caller may see.
package identity

// Kind is the sort of principal that signed a request.
type Kind int

const (
	// Root is the account root user.
	Root Kind = iota
	// IAMUser is an IAM user signing with a long-term access key.
	IAMUser
	// AssumedRole is a role session from STS AssumeRole.
	AssumedRole
)

func (k Kind) String() string {
	switch k {
	case Root:
		return "root"
	case IAMUser:
		return "user"
	case AssumedRole:
		return "assumed-role"
	}
	return "unknown"
}

// Principal is an authenticated caller.
type Principal struct {
	Kind      Kind
	AccountID string
	// ARN is what GetCallerIdentity answers: arn:aws:iam::ACCOUNT:root,
	// arn:aws:iam::ACCOUNT:user/PATH/NAME or arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION.
	ARN string
	// UserID is what GetCallerIdentity answers as UserId: the account id for root, AIDA... for a
	// user, AROA...:SESSION for a role session.
	UserID string
	// UserName is the IAM user's name (IAMUser only).
	UserName string
	// RoleName, RoleID, RolePath, RoleARN and SessionName describe a role session (AssumedRole
	// only).
	RoleName    string
	RoleARN     string
	RoleID      string
	RolePath    string
	SessionName string
	// AccessKeyID is the key the request was signed with.
	AccessKeyID string
	// session holds a role session's session policies; nil when it has none.
	session *sessionPolicies
	// owner names whose policies govern the principal, once Lookup has worked it out.
	owner policyOwner
	// tags are a role session's tags (aws:PrincipalTag/KEY), transitive those of them passed
	// on when the session assumes a role.
	tags       map[string]string
	transitive []string
}

// sessionPolicies are the policies AssumeRole was given for a session, which narrow what the
// role's own policies allow.
type sessionPolicies struct {
	document string
	arns     []string
}
