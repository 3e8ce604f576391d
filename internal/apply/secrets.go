package apply

import (
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/connectfed/connectfed/internal/awsini"
)

// createdKey is a new access key and its secret, which IAM shows this once.
type createdKey struct {
	user, id, secret string
}

// secretsFile is an AWS shared credentials file that new keys are appended to, one profile per
// key, named after its IAM user. It is only ever appended to: a profile already there is never
// rewritten, so a secret written by an earlier run cannot be lost; a new key for a user whose
// profile exists gets the next free name (ops-2, ops-3, ...).
type secretsFile struct {
	path     string
	f        *os.File
	existed  bool
	wrote    bool
	profiles map[string]bool
	// needNewline is set when the file does not end in one; empty when it has nothing yet.
	needNewline, empty bool
}

// openSecrets opens (or creates) the file, mode 0600, and reads the profile names in it.
func openSecrets(path string) (*secretsFile, error) {
	_, err := os.Lstat(path)
	existed := err == nil
	f, err := os.OpenFile(path, os.O_RDWR|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("--secrets-file: %w", err)
	}
	// Whatever its mode was, the file now holds secrets: the owner's alone.
	if err := f.Chmod(0o600); err != nil {
		f.Close()
		return nil, fmt.Errorf("--secrets-file: %w", err)
	}
	data, err := io.ReadAll(f)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("--secrets-file: %w", err)
	}
	s := &secretsFile{path: path, f: f, existed: existed, profiles: profileNames(string(data)),
		needNewline: len(data) > 0 && data[len(data)-1] != '\n', empty: len(data) == 0}
	return s, nil
}

// profileNames lists the [sections] of a shared credentials file.
func profileNames(data string) map[string]bool {
	names := map[string]bool{}
	for _, s := range awsini.Parse([]byte(data)) {
		names[s.Name] = true
	}
	return names
}

// write appends a profile for each key and returns the profiles' names.
func (s *secretsFile) write(keys []createdKey) ([]string, error) {
	if s == nil {
		return nil, errors.New("no secrets file")
	}
	sort.Slice(keys, func(i, j int) bool {
		if keys[i].user != keys[j].user {
			return keys[i].user < keys[j].user
		}
		return keys[i].id < keys[j].id
	})
	var b strings.Builder
	if s.needNewline {
		b.WriteString("\n")
	}
	now := time.Now().UTC().Format(time.RFC3339)
	var names []string
	for _, k := range keys {
		name := k.user
		for n := 2; s.profiles[name]; n++ {
			name = fmt.Sprintf("%s-%d", k.user, n)
		}
		s.profiles[name] = true
		names = append(names, "["+name+"]")
		if !s.empty || b.Len() > 0 {
			b.WriteString("\n")
		}
		fmt.Fprintf(&b, "# access key of IAM user %s, created by connectfed apply at %s\n[%s]\naws_access_key_id = %s\naws_secret_access_key = %s\n",
			k.user, now, name, k.id, k.secret)
	}
	if _, err := s.f.WriteString(b.String()); err != nil {
		return nil, fmt.Errorf("write %s: %w", s.path, err)
	}
	if err := s.f.Sync(); err != nil {
		return nil, fmt.Errorf("write %s: %w", s.path, err)
	}
	s.wrote, s.needNewline, s.empty = true, false, false
	return names, nil
}

// close closes the file, and removes it if this run created it and wrote nothing.
func (s *secretsFile) close() {
	if s == nil {
		return
	}
	s.f.Close()
	if !s.existed && !s.wrote {
		os.Remove(s.path)
	}
}
