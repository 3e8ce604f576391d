package identity

import (
	"time"

	"github.com/connectfed/connectfed/internal/arn"
	"github.com/connectfed/connectfed/internal/store"
)

// User is an IAM user as the IAM API shows it.
type User struct {
	Name, ID, Path, ARN string
	CreatedAt           time.Time
	// PermissionsBoundary is the boundary policy's ARN, "" for none (GetUser only).
	PermissionsBoundary string
}

func userOf(u store.User) User {
	return User{Name: u.Name, ID: u.ID, Path: u.Path, ARN: arn.User(u.AccountID, u.Path, u.Name), CreatedAt: u.CreatedAt}
}

// Access key statuses, as IAM writes them.
const (
	KeyActive   = "Active"
	KeyInactive = "Inactive"
)

// AccessKey is an access key as the IAM API shows it. Secret is set only in CreateAccessKey's
// answer: IAM never shows a secret again.
type AccessKey struct {
	ID, UserName, Status string
	Secret               string
	CreatedAt            time.Time
}

func accessKeyOf(k store.AccessKey) AccessKey {
	status := KeyInactive
	if k.Active {
		status = KeyActive
	}
	return AccessKey{ID: k.ID, UserName: k.UserName, Status: status, CreatedAt: k.CreatedAt}
}

// Role is an IAM role as the IAM API shows it; TrustPolicy is the document as written.
type Role struct {
	Name, ID, Path, ARN string
	TrustPolicy         string
	Description         string
	MaxSessionDuration  int
	CreatedAt           time.Time
	// PermissionsBoundary is the boundary policy's ARN, "" for none (GetRole only).
	PermissionsBoundary string
}

func roleOf(r store.Role) Role {
	return Role{Name: r.Name, ID: r.ID, Path: r.Path, ARN: arn.Role(r.AccountID, r.Path, r.Name),
		TrustPolicy: r.TrustPolicy, Description: r.Description, MaxSessionDuration: r.MaxSessionDuration,
		CreatedAt: r.CreatedAt}
}
