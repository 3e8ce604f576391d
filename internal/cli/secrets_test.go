package cli

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/connect"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/jackc/pgx/v5"

	"github.com/connectfed/connectfed/internal/app"
	"github.com/connectfed/connectfed/internal/awsini"
	"github.com/connectfed/connectfed/internal/secrets"
	"github.com/connectfed/connectfed/internal/store"
	"github.com/connectfed/connectfed/internal/store/postgres"
	"github.com/connectfed/connectfed/internal/store/sealed"
	"github.com/connectfed/connectfed/internal/store/storetest"
)

// The tests here hold connectfed to issue 8's "secrets at rest": what a server keeps in its
// database (the SQLite file with its log, or PostgreSQL's rows) reveals no usable secret, and
// connectfed keys rewrap changes the master key they are sealed under.

// atRest is what a server handed out while the tests used it as clients do.
type atRest struct {
	root, ops, bob, agent awsCreds
	instanceID            string
	// access and refresh are a federation token pair, minted and then refreshed once, so that
	// the store has the records of a used token.
	access, refresh string
}

// useServer exercises r as a client would: an IAM user with a key, a role session, federation
// tokens. The demo (o.demo) made the user ops, its key and the role.
func useServer(t *testing.T, r *running, dataDir string) atRest {
	t.Helper()
	ctx := context.Background()
	var f atRest
	if id := os.Getenv(envRootKeyID); id != "" {
		f.root = awsCreds{AccessKeyID: id, SecretAccessKey: os.Getenv(envRootSecret)}
	} else {
		creds, err := awsini.ReadCredentials(filepath.Join(dataDir, app.RootCredentialsFile))
		if err != nil {
			t.Fatal(err)
		}
		f.root = awsCreds{AccessKeyID: creds["default"].AccessKeyID, SecretAccessKey: creds["default"].SecretAccessKey}
	}
	demo, err := awsini.ReadCredentials(filepath.Join(dataDir, demoCredentialsFile))
	if err != nil {
		t.Fatal(err)
	}
	f.ops = awsCreds{AccessKeyID: demo[demoUser].AccessKeyID, SecretAccessKey: demo[demoUser].SecretAccessKey}

	admin := newSDK(r.endpoint, f.root)
	if _, err := admin.iam.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("bob")}); err != nil {
		t.Fatal(err)
	}
	k, err := admin.iam.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("bob")})
	if err != nil {
		t.Fatal(err)
	}
	f.bob = awsCreds{AccessKeyID: aws.ToString(k.AccessKey.AccessKeyId), SecretAccessKey: aws.ToString(k.AccessKey.SecretAccessKey)}
	assumed, err := newSDK(r.endpoint, f.ops).sts.AssumeRole(ctx, &sts.AssumeRoleInput{
		RoleArn: aws.String("arn:aws:iam::123456789012:role/" + demoRole), RoleSessionName: aws.String(demoAgent)})
	if err != nil {
		t.Fatal(err)
	}
	f.agent = awsCreds{AccessKeyID: aws.ToString(assumed.Credentials.AccessKeyId),
		SecretAccessKey: aws.ToString(assumed.Credentials.SecretAccessKey), SessionToken: aws.ToString(assumed.Credentials.SessionToken)}
	f.instanceID = admin.instanceID(t, demoInstanceAlias)
	minted, err := newSDK(r.endpoint, f.agent).connect.GetFederationToken(ctx, &connect.GetFederationTokenInput{InstanceId: aws.String(f.instanceID)})
	if err != nil {
		t.Fatal(err)
	}
	status, env := nativeCall(t, r.endpoint, "/federation/v1/refresh", map[string]string{"refreshToken": aws.ToString(minted.Credentials.RefreshToken)}, nil)
	if status != 200 || !env.Success {
		t.Fatalf("refresh: %d %+v", status, env)
	}
	f.access, _ = env.Data["accessToken"].(string)
	f.refresh, _ = env.Data["refreshToken"].(string)
	if f.access == "" || f.refresh == "" {
		t.Fatalf("refresh answered no tokens: %+v", env.Data)
	}
	f.check(t, r.endpoint)
	return f
}

// check asserts that every credential f holds authenticates at endpoint, and that its
// federation tokens verify there.
func (f atRest) check(t *testing.T, endpoint string) {
	t.Helper()
	for _, c := range []struct {
		name string
		c    awsCreds
		arn  string
	}{{"root", f.root, ":root"}, {"ops", f.ops, ":user/ops"}, {"bob", f.bob, ":user/bob"},
		{"agent", f.agent, ":assumed-role/" + demoRole + "/" + demoAgent}} {
		if arn, err := callerOf(endpoint, c.c); err != nil || !strings.HasSuffix(arn, c.arn) {
			t.Errorf("%s: GetCallerIdentity = %q, %v", c.name, arn, err)
		}
	}
	status, env := nativeCall(t, endpoint, "/federation/v1/introspect", map[string]string{"token": f.access}, &f.ops)
	if status != 200 || env.Data["active"] != true {
		t.Errorf("introspect of an access token minted before: %d %+v", status, env)
	}
}

// needles are the byte strings no store may hold: every secret and its usual encodings.
type needles map[string][]byte

func (n needles) addBytes(name string, b []byte) {
	if len(b) == 0 {
		panic("needle " + name + " is empty")
	}
	n[name] = b
	n[name+" (hex)"] = []byte(hex.EncodeToString(b))
	n[name+" (HEX)"] = []byte(strings.ToUpper(hex.EncodeToString(b)))
	n[name+" (base64)"] = []byte(strings.TrimRight(base64.StdEncoding.EncodeToString(b), "="))
	n[name+" (base64url)"] = []byte(base64.RawURLEncoding.EncodeToString(b))
}

// addText adds a text secret, and the bytes it decodes to when it is base64 (AWS secrets are).
func (n needles) addText(name, s string) {
	n.addBytes(name, []byte(s))
	if b, err := base64.StdEncoding.DecodeString(s); err == nil && len(b) >= 16 {
		n.addBytes(name+" decoded", b)
	}
}

// secretsOf lists what must not be found at rest: f's secrets and tokens, the token signing
// keys (read through the master key) and the master key itself.
func secretsOf(t *testing.T, f atRest, o serveOptions) needles {
	t.Helper()
	n := needles{}
	for name, c := range map[string]awsCreds{"root": f.root, "ops": f.ops, "bob": f.bob, "agent": f.agent} {
		n.addText(name+"'s secret access key", c.SecretAccessKey)
	}
	n.addText("the session token", f.agent.SessionToken)
	n.addText("an access token", f.access)
	n.addText("a refresh token", f.refresh)
	st, err := app.OpenStore(context.Background(), o.database, o.dataDir, postgres.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	sealer, err := secrets.LoadOrCreate(o.dataDir)
	if err != nil {
		t.Fatal(err)
	}
	keys, err := sealed.Wrap(st, sealer).ListSigningKeys(context.Background())
	if err != nil || len(keys) == 0 {
		t.Fatalf("signing keys: %v, %v", keys, err)
	}
	for _, k := range keys {
		n.addBytes("signing key "+k.ID, k.Secret)
	}
	n.addBytes("the master key", masterKey(t, o.dataDir))
	return n
}

func masterKey(t *testing.T, dataDir string) []byte {
	t.Helper()
	if v := os.Getenv(secrets.EnvMasterKey); v != "" {
		key, err := secrets.ParseKey(v)
		if err != nil {
			t.Fatal(err)
		}
		return key
	}
	key, err := secrets.ReadKeyFile(filepath.Join(dataDir, secrets.MasterKeyFile))
	if err != nil {
		t.Fatal(err)
	}
	return key
}

// search fails t for every needle raw holds. present must be in raw: it shows raw is the data
// the server wrote, not an empty or stale copy.
func (n needles) search(t *testing.T, where string, raw []byte, present string) {
	t.Helper()
	if !bytes.Contains(raw, []byte(present)) {
		t.Fatalf("%s does not hold %s: not the server's data (%d bytes)", where, present, len(raw))
	}
	for name, b := range n {
		if bytes.Contains(raw, b) {
			t.Errorf("%s holds %s", where, name)
		}
	}
}

// sqliteFiles is the SQLite database of dataDir as it is on disk: the file, its write-ahead
// log and shared memory, whichever exist.
func sqliteFiles(t *testing.T, dataDir string) []byte {
	t.Helper()
	var all []byte
	for _, suffix := range []string{"", "-wal", "-shm", "-journal"} {
		b, err := os.ReadFile(filepath.Join(dataDir, "connectfed.db"+suffix))
		if err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
		all = append(all, b...)
	}
	return all
}

// postgresRows is every row of every table of the schema: each row as PostgreSQL renders it
// as text (byte strings as \x hex), and each value as the driver returns it.
func postgresRows(t *testing.T, db *sql.DB, schema string) []byte {
	t.Helper()
	tables := storetest.QueryStrings(t, db, `SELECT table_name FROM information_schema.tables WHERE table_schema = '`+schema+`' ORDER BY 1`)
	if len(tables) < 5 {
		t.Fatalf("schema %s has tables %v", schema, tables)
	}
	var all bytes.Buffer
	for _, table := range tables {
		name := pgx.Identifier{schema, table}.Sanitize()
		for _, row := range storetest.QueryStrings(t, db, `SELECT t::text FROM `+name+` t`) {
			all.WriteString(row + "\n")
		}
		rows, err := db.Query(`SELECT * FROM ` + name)
		if err != nil {
			t.Fatal(err)
		}
		cols, _ := rows.Columns()
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		for rows.Next() {
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			for _, v := range vals {
				switch v := v.(type) {
				case []byte:
					all.Write(v)
				default:
					fmt.Fprint(&all, v)
				}
				all.WriteByte(0)
			}
		}
		if err := rows.Close(); err != nil {
			t.Fatal(err)
		}
	}
	return all.Bytes()
}

// The SQLite file (with its log, while the server runs and after it stopped) holds no secret.
func TestSecretsAtRest(t *testing.T) {
	t.Setenv(secrets.EnvMasterKey, "")
	dir := t.TempDir()
	o := testOptions(dir)
	o.demo = true
	r := startServe(t, o)
	f := useServer(t, r, dir)
	n := secretsOf(t, f, o)
	n.search(t, "the running server's SQLite files", sqliteFiles(t, dir), f.bob.AccessKeyID)
	r.stop()
	n.search(t, "the stopped server's SQLite files", sqliteFiles(t, dir), f.bob.AccessKeyID)
}

// PostgreSQL's rows hold no secret, before and after the master key (from the environment,
// as replicas have it) is changed; a server with the new key serves the old credentials and
// tokens, and one with the old key refuses to start.
func TestSecretsAtRestPostgres(t *testing.T) {
	db, schema, url := postgresSchema(t)
	replicaEnv(t)
	dir := t.TempDir()
	o := testOptions(dir)
	o.database = url
	o.demo = true
	r := startServe(t, o)
	f := useServer(t, r, dir)
	n := secretsOf(t, f, o)
	n.search(t, "PostgreSQL's rows", postgresRows(t, db, schema), f.bob.AccessKeyID)
	r.stop()

	oldKey := os.Getenv(secrets.EnvMasterKey)
	newKey := base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{8}, 32))
	t.Setenv(envNewMasterKey, newKey)
	out := runKeys(t, 0, "keys", "rewrap", "--database", url, "--data-dir", dir)
	for _, want := range []string{"Re-sealed every secret", "token signing keys", "Now set " + secrets.EnvMasterKey, envNewMasterKey, "Restart every server"} {
		if !strings.Contains(out, want) {
			t.Errorf("keys rewrap says no %q:\n%s", want, out)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, secrets.MasterKeyFile)); !os.IsNotExist(err) {
		t.Errorf("a rewrap from %s wrote a key file: %v", secrets.EnvMasterKey, err)
	}
	t.Setenv(secrets.EnvMasterKey, newKey)
	n.addBytes("the new master key", masterKey(t, dir))
	n.search(t, "PostgreSQL's rows after the rewrap", postgresRows(t, db, schema), f.bob.AccessKeyID)

	r = startServe(t, o)
	f.check(t, r.endpoint)
	r.stop()
	t.Setenv(secrets.EnvMasterKey, oldKey)
	wantWrongKey(t, o)
	t.Setenv(secrets.EnvMasterKey, newKey)
	// A rerun (the operator not sure it finished) finds everything under the new key.
	out = runKeys(t, 0, "keys", "rewrap", "--database", url, "--data-dir", dir)
	if !strings.Contains(out, "nothing to re-seal") {
		t.Errorf("a rerun of keys rewrap:\n%s", out)
	}
}

// runKeys runs connectfed with args and wants exit code code; it returns stdout, or stderr
// when the command failed.
func runKeys(t *testing.T, code int, args ...string) string {
	t.Helper()
	var out, errOut bytes.Buffer
	if got := Main(args, strings.NewReader(""), &out, &errOut); got != code {
		t.Fatalf("connectfed %v: exit %d, want %d:\n%s%s", args, got, code, out.String(), errOut.String())
	}
	if code != 0 {
		return errOut.String()
	}
	return out.String()
}

// wantWrongKey wants serve to refuse to start with o, saying the master key is not the one the
// store's secrets are sealed under.
func wantWrongKey(t *testing.T, o serveOptions) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	err := runServe(ctx, o, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "sealed under another master key") ||
		!strings.Contains(err.Error(), "same master key") {
		t.Errorf("serve with the old master key: %v, want a refusal naming the master key", err)
	}
}

// keys rewrap with the master key in the data directory: interrupted, finished by a rerun,
// and then the server authenticates every old credential and verifies old tokens with the
// new key, refuses to start with the old one, and a rerun changes nothing.
func TestKeysRewrap(t *testing.T) {
	t.Setenv(secrets.EnvMasterKey, "")
	t.Setenv(envNewMasterKey, "")
	dir := t.TempDir()
	keyFile := filepath.Join(dir, secrets.MasterKeyFile)
	o := testOptions(dir)
	o.demo = true
	r := startServe(t, o)
	f := useServer(t, r, dir)
	r.stop()
	oldKey, err := os.ReadFile(keyFile)
	if err != nil {
		t.Fatal(err)
	}

	// A session sealed under a key that is neither the current nor the new one stops the
	// rewrap after the signing and access keys, as a crash would.
	st, err := app.OpenStore(context.Background(), "", dir, postgres.Options{})
	if err != nil {
		t.Fatal(err)
	}
	stranger, _ := secrets.New(bytes.Repeat([]byte{3}, 32))
	const strangerID = "ASIAZZZZZZZZZZZZZZZZ"
	if err := st.CreateSession(context.Background(), store.Session{AccessKeyID: strangerID,
		Secret: stranger.SealText("x", "connectfed session "+strangerID), TokenHash: []byte{1}, AccountID: "123456789012",
		RoleName: "r", RoleID: "AROA1", SessionName: "s", ExpiresAt: time.Now().Add(-time.Hour)}); err != nil {
		t.Fatal(err)
	}
	st.Close()
	errOut := runKeys(t, 1, "keys", "rewrap", "--data-dir", dir)
	if !strings.Contains(errOut, strangerID) || !strings.Contains(errOut, "neither the current nor the new master key") || !strings.Contains(errOut, "rerun") {
		t.Errorf("an interrupted keys rewrap says:\n%s", errOut)
	}
	if now, _ := os.ReadFile(keyFile); !bytes.Equal(now, oldKey) {
		t.Fatal("an interrupted rewrap replaced the master key")
	}
	pending := filepath.Join(dir, pendingMasterKeyFile)
	if st, err := os.Stat(pending); err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("the new key of an interrupted rewrap: %v, %v", st, err)
	}
	// Half done, the old key opens no signing key: a server refuses to start.
	wantWrongKey(t, o)

	// Without the stranger, a rerun finishes with the key the first run chose.
	st, err = app.OpenStore(context.Background(), "", dir, postgres.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if n, err := st.DeleteExpiredSessions(context.Background(), time.Now()); err != nil || n != 1 {
		t.Fatalf("delete the stranger: %d, %v", n, err)
	}
	st.Close()
	newKey, err := os.ReadFile(pending)
	if err != nil {
		t.Fatal(err)
	}
	out := runKeys(t, 0, "keys", "rewrap", "--data-dir", dir)
	for _, want := range []string{"Finishing an interrupted rewrap", "Re-sealed every secret", "Replaced " + keyFile, "Restart every server"} {
		if !strings.Contains(out, want) {
			t.Errorf("keys rewrap says no %q:\n%s", want, out)
		}
	}
	t.Logf("keys rewrap:\n%s", out)
	if now, _ := os.ReadFile(keyFile); !bytes.Equal(now, newKey) {
		t.Fatal("the master key file does not hold the new key")
	}
	if st, err := os.Stat(keyFile); err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("the new master key file: %v, %v", st, err)
	}
	if _, err := os.Stat(pending); !os.IsNotExist(err) {
		t.Errorf("%s is left behind: %v", pending, err)
	}

	// With the new key: every credential and token made before works, and nothing is readable.
	r = startServe(t, o)
	f.check(t, r.endpoint)
	status, env := nativeCall(t, r.endpoint, "/federation/v1/refresh", map[string]string{"refreshToken": f.refresh}, nil)
	if status != 200 || !env.Success {
		t.Errorf("refresh of a token minted before the rewrap: %d %+v", status, env)
	}
	r.stop()
	n := secretsOf(t, f, o)
	n.addBytes("the old master key", mustParseKey(t, oldKey))
	n.search(t, "the SQLite files after the rewrap", sqliteFiles(t, dir), f.bob.AccessKeyID)

	// With the old key: refused, clearly.
	if err := os.WriteFile(keyFile, oldKey, 0o600); err != nil {
		t.Fatal(err)
	}
	wantWrongKey(t, o)
	if err := os.WriteFile(keyFile, newKey, 0o600); err != nil {
		t.Fatal(err)
	}

	// A rerun with the key now in use re-seals nothing and leaves the file be.
	given := filepath.Join(t.TempDir(), "new-master-key")
	if err := os.WriteFile(given, newKey, 0o600); err != nil {
		t.Fatal(err)
	}
	out = runKeys(t, 0, "keys", "rewrap", "--data-dir", dir, "--new-master-key-file", given)
	if !strings.Contains(out, "nothing to re-seal") || strings.Contains(out, "Replaced") {
		t.Errorf("a rerun with the same key:\n%s", out)
	}
	if now, _ := os.ReadFile(keyFile); !bytes.Equal(now, newKey) {
		t.Error("a rerun with the same key changed the key file")
	}
	// A key file others may read is refused, as serve refuses one.
	if err := os.Chmod(given, 0o644); err != nil {
		t.Fatal(err)
	}
	if errOut := runKeys(t, 1, "keys", "rewrap", "--data-dir", dir, "--new-master-key-file", given); !strings.Contains(errOut, "chmod 600") {
		t.Errorf("a new key file others may read:\n%s", errOut)
	}
}

func mustParseKey(t *testing.T, text []byte) []byte {
	t.Helper()
	key, err := secrets.ParseKey(string(text))
	if err != nil {
		t.Fatal(err)
	}
	return key
}
