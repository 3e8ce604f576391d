package store

import (
	"context"
	"encoding/json"
	"fmt"
)

// ChangeKind says which kind of record a Change concerns.
type ChangeKind string

// The changes a store announces: those that make a copy cached by another process wrong.
// Creations are not announced (a cache holds no copy of what did not exist, and misses go to
// the store), nor are revocations and used tokens, which are read from the store every time.
const (
	// ChangedAccessKey: an access key was updated (deactivated) or deleted. ID is its id.
	ChangedAccessKey ChangeKind = "access-key"
	// ChangedIAMUser: an IAM user was deleted. AccountID and Name say which.
	ChangedIAMUser ChangeKind = "iam-user"
	// ChangedInstance: a Connect instance was deleted with its users, or changed (its flags,
	// attributes or tags). AccountID, Region and ID say which.
	ChangedInstance ChangeKind = "instance"
	// ChangedConnectUser: a Connect user was created, changed or deleted. InstanceID and ID
	// say which.
	ChangedConnectUser ChangeKind = "connect-user"
	// ChangedPolicies: a policy of the account changed (an inline or managed policy, an
	// attachment or a permissions boundary). AccountID says which account.
	ChangedPolicies ChangeKind = "policies"
	// ChangedSigningKeys: a token signing key was created or deleted. ID is its id.
	ChangedSigningKeys ChangeKind = "signing-keys"
	// ChangesMissed: changes may have gone unannounced (the watch was interrupted), so
	// everything cached may be stale.
	ChangesMissed ChangeKind = "missed"
)

// Change announces that a record changed, so that processes sharing the store can drop what
// they cached of it.
type Change struct {
	Kind       ChangeKind `json:"k"`
	AccountID  string     `json:"a,omitempty"`
	Region     string     `json:"r,omitempty"`
	InstanceID string     `json:"i,omitempty"`
	ID         string     `json:"id,omitempty"`
	Name       string     `json:"n,omitempty"`
}

// Encode is the change as a short JSON text, for a notification payload.
func (c Change) Encode() string {
	b, err := json.Marshal(c)
	if err != nil {
		panic(err) // a struct of strings always marshals
	}
	return string(b)
}

// DecodeChange reads a Change that Encode wrote.
func DecodeChange(s string) (Change, error) {
	var c Change
	if err := json.Unmarshal([]byte(s), &c); err != nil {
		return Change{}, fmt.Errorf("store: decode change: %w", err)
	}
	if c.Kind == "" {
		return Change{}, fmt.Errorf("store: decode change: no kind")
	}
	return c, nil
}

// Watcher is implemented by stores that several processes share (PostgreSQL). Each announces
// the changes it commits, and Watch hears those of every process, its own included.
type Watcher interface {
	// Watch calls fn, from one goroutine, for every change any process commits from the moment
	// Watch is listening, until ctx is done; it then returns nil. When the connection it
	// listens on fails, it tells onErr (if not nil) why, reconnects by itself, and calls fn
	// with ChangesMissed once it listens again, since announcements made meanwhile are lost.
	// It returns an error only when it cannot start listening at all.
	Watch(ctx context.Context, fn func(Change), onErr func(error)) error
}
