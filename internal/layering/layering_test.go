package layering

import (
	"bufio"
	"bytes"
	"os/exec"
	"strings"
	"testing"
)

const module = "github.com/connectfed/connectfed/"

// rule forbids the packages matching from to depend, directly or not, on those matching to.
type rule struct {
	why      string
	from, to []string
}

// The rules of docs/architecture.md. A pattern ending in "/..." matches the package and those
// below it.
var rules = []rule{
	{"the domain knows nothing of HTTP or the wire",
		[]string{"internal/apierr", "internal/arn", "internal/limits", "internal/cache", "internal/secrets",
			"internal/identity", "internal/connect", "internal/token", "internal/policy"},
		[]string{"net/http", "internal/server/...", "internal/awsproto", "internal/sigv4", "internal/cli",
			"internal/apply", "internal/awscli", "internal/app"}},
	{"the domain reaches storage through the store interface only",
		[]string{"internal/identity", "internal/connect", "internal/token"},
		[]string{"internal/store/sqlite", "internal/store/postgres", "internal/store/sqlstore", "internal/store/storetest"}},
	{"a store knows no domain package",
		[]string{"internal/store/..."},
		[]string{"internal/identity", "internal/connect", "internal/token", "internal/apply", "internal/server/...",
			"internal/cli", "internal/awsproto", "internal/sigv4", "internal/awscli"}},
	{"leaves import nothing of ours",
		[]string{"internal/apierr", "internal/arn", "internal/limits", "internal/cache", "internal/awsini", "internal/policy"},
		[]string{"internal/..."}},
	{"the server never reaches up to the wiring or the CLI",
		[]string{"internal/server/...", "internal/awsproto", "internal/sigv4"},
		[]string{"internal/app", "internal/cli", "internal/apply", "internal/awscli"}},
	{"the AWS CLI's value model, table and YAML writers know nothing of the command",
		[]string{"internal/awscli/pyvalue", "internal/awscli/table", "internal/awscli/yamlfmt"},
		[]string{"internal/awscli"}},
	{"reading SAML knows nothing of the server, the storage backends or the CLI",
		[]string{"internal/saml", "internal/saml/samltest"},
		[]string{"internal/server/...", "internal/store/sqlite", "internal/store/postgres", "internal/store/sqlstore",
			"internal/cli", "internal/app", "internal/apply"}},
	{"the wiring is below the CLI",
		[]string{"internal/app"},
		[]string{"internal/cli", "internal/apply", "internal/awscli"}},
	{"the surfaces are mounted side by side, none inside another",
		[]string{"internal/server/awsapi", "internal/server/tokenapi", "internal/server/signin",
			"internal/server/httpx", "internal/server/limit"},
		[]string{"internal/server"}},
	{"surfaces share httpx and limit, not each other",
		[]string{"internal/server/tokenapi", "internal/server/signin"},
		[]string{"internal/server/awsapi"}},
}

func matches(pattern, pkg string) bool {
	if !strings.HasPrefix(pattern, "internal/") {
		return pkg == pattern // a standard library package
	}
	pkg, ok := strings.CutPrefix(pkg, module)
	if !ok {
		return false
	}
	if base, ok := strings.CutSuffix(pattern, "/..."); ok {
		return pkg == base || strings.HasPrefix(pkg, base+"/")
	}
	return pkg == pattern
}

func matchesAny(patterns []string, pkg string) bool {
	for _, p := range patterns {
		if matches(p, pkg) {
			return true
		}
	}
	return false
}

// deps lists every package of the module with its dependencies (not its tests'), from go list.
func deps(t *testing.T) map[string][]string {
	cmd := exec.Command("go", "list", "-deps=false", "-f", `{{.ImportPath}}{{range .Deps}} {{.}}{{end}}`, module+"...")
	cmd.Dir = "../.."
	out, err := cmd.Output()
	if err != nil {
		var stderr []byte
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = ee.Stderr
		}
		t.Fatalf("go list: %v\n%s", err, stderr)
	}
	all := map[string][]string{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		all[f[0]] = f[1:]
	}
	return all
}

func TestLayering(t *testing.T) {
	all := deps(t)
	for _, r := range rules {
		checked := 0
		for pkg, ds := range all {
			if !matchesAny(r.from, pkg) {
				continue
			}
			checked++
			for _, d := range ds {
				if d != pkg && matchesAny(r.to, d) {
					t.Errorf("%s depends on %s: %s", strings.TrimPrefix(pkg, module), strings.TrimPrefix(d, module), r.why)
				}
			}
		}
		if checked == 0 {
			t.Errorf("rule %q matched no package: the layout changed and the rule checks nothing", r.why)
		}
	}
}
