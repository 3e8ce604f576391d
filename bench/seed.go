package main

// The fast path that seeds the -scale store: with connectfed stopped, the harness opens its
// SQLite file and writes the generated records with the store's bulk methods
// (internal/store/sqlstore/bulk.go), which write exactly the rows that the API would, a
// transaction per batch, instead of a million API calls. Generated Connect users are copies of
// agent1 (its Details bytes) under other names and ids; generated access keys belong to
// generated IAM users, two each, as IAM allows.

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"slices"
	"time"

	"github.com/google/uuid"

	"github.com/connectfed/connectfed/internal/store"
	"github.com/connectfed/connectfed/internal/store/sqlite"
)

// seedBatch is how many records one bulk call (one transaction) writes.
const seedBatch = 100_000

// seedStats is what the seeding did and how long it took.
type seedStats struct {
	ConnectUsers      int           `json:"connectUsersAdded"`
	ConnectUsersTotal int           `json:"connectUsersTotal"`
	IAMUsers          int           `json:"iamUsersAdded"`
	AccessKeys        int           `json:"accessKeysAdded"`
	AccessKeysTotal   int           `json:"accessKeysTotal"`
	Took              time.Duration `json:"tookNs"`
	FileBytes         int64         `json:"fileBytes"`
}

// seedScale fills the store at path until the fixture's instance holds users Connect users
// and the store keys access keys, and says how long that took: opening, writing and closing
// the database (its checkpoint included).
func seedScale(ctx context.Context, path string, fx fixture, users, keys int, logf func(string, ...any)) (st seedStats, err error) {
	start := time.Now()
	if _, err := os.Stat(path); err != nil {
		return st, fmt.Errorf("connectfed's store is not where expected: %w", err)
	}
	s, err := sqlite.Open(path)
	if err != nil {
		return st, err
	}
	defer func() {
		if cerr := s.Close(); cerr != nil {
			err = errors.Join(err, cerr)
		}
		st.Took = time.Since(start)
		if fi, serr := os.Stat(path); serr == nil {
			st.FileBytes = fi.Size()
		}
	}()

	agent, err := s.GetConnectUserByUsername(ctx, fx.InstanceID, agentName)
	if err != nil {
		return st, fmt.Errorf("read %s back: %w", agentName, err)
	}
	now := time.Now().UTC()
	st.ConnectUsersTotal = extraUsers + 1 // agent1 and the provisioned users
	// The ids are random UUIDs, as CreateUser makes them, handed out in sorted order: the
	// usernames are in order too, so both indexes of connect_users grow at their end instead of
	// splitting pages all over the file, which halves the seeding time.
	ids := make([]string, max(0, users-st.ConnectUsersTotal))
	for i := range ids {
		ids[i] = uuid.NewString()
	}
	slices.Sort(ids)
	batch := make([]store.ConnectUser, 0, min(len(ids), seedBatch))
	for i, id := range ids {
		batch = append(batch, store.ConnectUser{InstanceID: fx.InstanceID, ID: id, Username: userName(extraUsers + 1 + i),
			Details: agent.Details, CreatedAt: now, UpdatedAt: now})
		if len(batch) == cap(batch) || i == len(ids)-1 {
			if err := s.CreateConnectUsers(ctx, batch); err != nil {
				return st, err
			}
			st.ConnectUsers += len(batch)
			st.ConnectUsersTotal += len(batch)
			batch = batch[:0]
			logf("  %s Connect users (%s)", thousands(st.ConnectUsersTotal), time.Since(start).Round(time.Millisecond))
		}
	}

	existing := 0
	for _, owner := range []string{"", "bench-ops"} { // the root's key and the provisioned user's
		ks, err := s.ListAccessKeys(ctx, fx.AccountID, owner)
		if err != nil {
			return st, err
		}
		existing += len(ks)
	}
	st.AccessKeysTotal = existing
	add := max(0, keys-existing)
	var iamUsers []store.User
	var accessKeys []store.AccessKey
	for i := 0; len(accessKeys) < add; i++ {
		u := store.User{AccountID: fx.AccountID, Name: fmt.Sprintf("bench-iam-%06d", i+1), ID: "AIDA" + randomBase32(17), Path: "/", CreatedAt: now}
		iamUsers = append(iamUsers, u)
		for k := 0; k < 2 && len(accessKeys) < add; k++ {
			accessKeys = append(accessKeys, store.AccessKey{ID: "AKIA" + randomBase32(16), Secret: randomSecret(),
				AccountID: fx.AccountID, UserName: u.Name, Active: true, CreatedAt: now})
		}
	}
	if err := s.CreateUsers(ctx, iamUsers); err != nil {
		return st, err
	}
	for len(accessKeys) > 0 {
		n := min(len(accessKeys), seedBatch)
		if err := s.CreateAccessKeys(ctx, accessKeys[:n]); err != nil {
			return st, err
		}
		accessKeys = accessKeys[n:]
		st.AccessKeys += n
	}
	st.IAMUsers = len(iamUsers)
	st.AccessKeysTotal += st.AccessKeys
	logf("  %s IAM users, %s access keys in all", thousands(st.IAMUsers), thousands(st.AccessKeysTotal))
	return st, nil
}

var idEncoding = base32.StdEncoding.WithPadding(base32.NoPadding)

// randomBase32 is n random characters of AWS ids' alphabet (A-Z, 2-7).
func randomBase32(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return idEncoding.EncodeToString(b)[:n]
}

// randomSecret is a 40-character secret access key.
func randomSecret() string {
	b := make([]byte, 30)
	rand.Read(b)
	return base64.StdEncoding.EncodeToString(b)
}
