package apply

import (
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// FuzzParse feeds Parse any bytes as an apply file. It must never panic; it fails only with a
// *FileError listing at least one problem, none of which echoes a password of the file; and a
// file it accepts is complete: version 1, its name kept, every role with a trust policy that
// is a JSON object, every name it validated non-empty.
func FuzzParse(f *testing.F) {
	for _, example := range []string{"demo.yaml", "contact-centre.yaml"} {
		if data, err := os.ReadFile("../../examples/" + example); err == nil {
			f.Add(data)
		}
	}
	f.Add([]byte("version: 1\n"))
	f.Add([]byte(""))
	f.Add([]byte("version: 1\n---\nversion: 1\n"))
	f.Add([]byte("version: 2\nregion: mars-1\nbogus: true\n"))
	f.Add([]byte("version: 1\niam:\n  users:\n    - name: a\n      accessKeys: 3\n    - name: A\n  roles:\n    - name: r\n      trust: [\"*\", \"x\"]\n      trustPolicy: \"{\"\n"))
	f.Add([]byte("version: 1\niam:\n  roles:\n    - name: r\n      trustPolicy: {Statement: [{Effect: Allow}]}\n      maxSessionDuration: 1\n"))
	f.Add([]byte("version: 1\nconnect:\n  instances:\n    - alias: m\n      identityManagement: CONNECT_MANAGED\n      users:\n        - username: u\n          password: Secret-Passw0rd\n          securityProfiles: [Agent, Agent]\n          routingProfile: Basic\n          phoneType: DESK_PHONE\n          mobile: \"+0\"\n"))
	f.Add([]byte("version: 1\nconnect:\n  instances:\n    - alias: s\n      identityManagement: SAML\n      users:\n        - username: u\n          password: Secret-Passw0rd\n"))
	f.Add([]byte("a: &a [*a, *a]\nb: &b [*a, *a, *a, *a]\nc: [*b, *b, *b, *b]\n"))
	f.Add([]byte("version: !!binary AAAA\nregion: [\n"))
	f.Add([]byte("\xff\xfe v\x00ersion: 1"))
	f.Fuzz(func(t *testing.T, data []byte) {
		file, err := Parse("fuzz.yaml", data)
		if err != nil {
			var fe *FileError
			if !errors.As(err, &fe) || file != nil {
				t.Fatalf("Parse: %T %v with file %v; want a *FileError and no file", err, err, file)
			}
			if len(fe.Problems) == 0 || fe.Name != "fuzz.yaml" {
				t.Fatalf("Parse: a FileError without problems: %+v", fe)
			}
			msg := err.Error()
			for _, p := range passwords(data) {
				if strings.Contains(msg, p) {
					t.Fatalf("the error echoes the password %q:\n%s", p, msg)
				}
			}
			return
		}
		if file == nil || file.Version != Version || file.Name() != "fuzz.yaml" {
			t.Fatalf("Parse accepted %+v", file)
		}
		if file.IAM != nil {
			for _, u := range file.IAM.Users {
				if u.Name == "" {
					t.Fatalf("an IAM user without a name: %+v", u)
				}
			}
			for _, r := range file.IAM.Roles {
				var doc map[string]any
				if r.Name == "" || json.Unmarshal([]byte(r.policy), &doc) != nil {
					t.Fatalf("role %q accepted with trust policy %q", r.Name, r.policy)
				}
			}
		}
		if file.Connect != nil {
			for _, in := range file.Connect.Instances {
				if in.Alias == "" {
					t.Fatalf("an instance without an alias: %+v", in)
				}
				for _, u := range in.Users {
					if u.Username == "" || len(u.SecurityProfiles) == 0 || u.RoutingProfile == "" {
						t.Fatalf("instance %s: an incomplete user %+v", in.Alias, u)
					}
				}
			}
		}
	})
}

// passwords finds the values of every "password" key in data (those long enough to be told
// from an accident), however the file is otherwise wrong.
func passwords(data []byte) []string {
	var root yaml.Node
	if yaml.Unmarshal(data, &root) != nil {
		return nil
	}
	var out []string
	var walk func(n *yaml.Node, depth int)
	walk = func(n *yaml.Node, depth int) {
		if n == nil || depth > 100 {
			return
		}
		if n.Kind == yaml.MappingNode {
			for i := 0; i+1 < len(n.Content); i += 2 {
				k, v := n.Content[i], n.Content[i+1]
				if k.Value == "password" && v.Kind == yaml.ScalarNode && len(v.Value) >= 6 {
					out = append(out, v.Value)
				}
			}
		}
		for _, c := range n.Content {
			walk(c, depth+1)
		}
	}
	walk(&root, 0)
	return out
}
