// Package awsini reads and writes the INI files the AWS tools share: the credentials file
// (~/.aws/credentials, and the ones connectfed writes in its data directory) and the config
// file (~/.aws/config, whose sections are "profile NAME" but for "default"). It is the one
// reader of that format in connectfed; the SDK's own loader resolves credentials for clients.
package awsini

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"strings"
)

// Section is one [section] of a file, with its top-level settings. Nested sub-settings (lines
// indented under a "key =" line, as for s3 = ...) are not kept.
type Section struct {
	Name     string
	Settings map[string]string
}

// Parse reads every section of data, in order. Comments (# or ;) and blank lines are skipped;
// settings before the first section belong to none and are dropped, as the AWS tools do.
func Parse(data []byte) []Section {
	var out []Section
	var cur *Section
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		trimmed := strings.TrimSpace(line)
		if trimmed == "" || trimmed[0] == '#' || trimmed[0] == ';' {
			continue
		}
		if trimmed[0] == '[' && strings.HasSuffix(trimmed, "]") {
			out = append(out, Section{Name: strings.TrimSpace(trimmed[1 : len(trimmed)-1]), Settings: map[string]string{}})
			cur = &out[len(out)-1]
			continue
		}
		if cur == nil || line[0] == ' ' || line[0] == '\t' {
			continue // before any section, or a nested sub-setting
		}
		if k, v, ok := strings.Cut(trimmed, "="); ok {
			cur.Settings[strings.TrimSpace(k)] = strings.TrimSpace(v)
		}
	}
	return out
}

// ConfigProfile is the settings of a profile in a config file's sections: [default] or
// [profile NAME] (a plain [NAME] is read too, as the AWS CLI does). A later section of the same
// profile adds to an earlier one. ok is false when no section names it.
func ConfigProfile(sections []Section, profile string) (settings map[string]string, ok bool) {
	settings = map[string]string{}
	for _, s := range sections {
		name := s.Name
		if p, isProfile := strings.CutPrefix(name, "profile "); isProfile {
			name = strings.TrimSpace(p)
		}
		if name != profile {
			continue
		}
		ok = true
		for k, v := range s.Settings {
			settings[k] = v
		}
	}
	return settings, ok
}

// Credential is one profile of a credentials file.
type Credential struct {
	AccessKeyID, SecretAccessKey string
}

// ReadCredentials reads the profiles of a credentials file; every profile must have both keys.
func ReadCredentials(path string) (map[string]Credential, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	out := map[string]Credential{}
	for _, s := range Parse(data) {
		c := out[s.Name]
		if v, ok := s.Settings["aws_access_key_id"]; ok {
			c.AccessKeyID = v
		}
		if v, ok := s.Settings["aws_secret_access_key"]; ok {
			c.SecretAccessKey = v
		}
		out[s.Name] = c
	}
	for name, c := range out {
		if c.AccessKeyID == "" || c.SecretAccessKey == "" {
			return nil, fmt.Errorf("%s: profile [%s] needs aws_access_key_id and aws_secret_access_key", path, name)
		}
	}
	return out, nil
}

// WriteCredentials writes profiles as a credentials file, mode 0600, and never over an
// existing file: it holds secrets nobody else has.
func WriteCredentials(path string, profiles map[string]Credential) error {
	var b strings.Builder
	for name, c := range profiles {
		fmt.Fprintf(&b, "[%s]\naws_access_key_id = %s\naws_secret_access_key = %s\n", name, c.AccessKeyID, c.SecretAccessKey)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("write credentials: %w", err)
	}
	if _, err := f.WriteString(b.String()); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	return f.Close()
}
