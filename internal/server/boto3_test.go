package server_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// boto3Script is the provisioning script of examples/, which a team would run as it is.
var boto3Script = filepath.Join("..", "..", "examples", "boto3", "provision.py")

// boto3Python is a python3 that imports boto3: the one on PATH, else Debian's (.ci/run
// installs python3-boto3 where neither has it); the test skips without one.
func boto3Python(t *testing.T) string {
	t.Helper()
	var tried []string
	for _, name := range []string{"python3", "/usr/bin/python3"} {
		python, err := exec.LookPath(name)
		if err != nil {
			tried = append(tried, err.Error())
			continue
		}
		out, err := exec.Command(python, "-c", "import boto3").CombinedOutput()
		if err == nil {
			return python
		}
		tried = append(tried, fmt.Sprintf("%s cannot import boto3: %s", python, bytes.TrimSpace(out)))
	}
	t.Skipf("no python3 with boto3 (install Debian's python3-boto3): %s", strings.Join(tried, "; "))
	return ""
}

// runPython runs the script with only the credentials and endpoint given: no profile or
// config of the machine's reaches it.
func runPython(t *testing.T, python string, env []string, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	cmd := exec.Command(python, append([]string{boto3Script}, args...)...)
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir(),
		"AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null", "AWS_EC2_METADATA_DISABLED=true"}, env...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err = cmd.Run()
	return out.String(), errOut.String(), err
}

// The boto3 script provisions an instance, a hierarchy, profiles and 20 users, changes every
// field of each user, tags, searches, walks every paginator over 260 items and deletes it all,
// unchanged against connectfed; every answer matches the Connect model's output shape member
// by member, in botocore's copy of the model.
func TestBoto3Provisioning(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end with boto3; skipped with -short")
	}
	python := boto3Python(t)
	// The checker must be able to fail: it finds each defect planted in a body.
	if out, errOut, err := runPython(t, python, nil, "--self-test"); err != nil {
		t.Fatalf("the shape checker's self-test: %v\n%s%s", err, out, errOut)
	}

	e := newEnv(t)
	out, errOut, err := runPython(t, python, []string{"AWS_ACCESS_KEY_ID=" + e.root.AccessKeyID,
		"AWS_SECRET_ACCESS_KEY=" + e.root.SecretAccessKey, "AWS_DEFAULT_REGION=us-east-1"},
		"--endpoint-url", e.url, "--paginate", "260")
	if err != nil {
		t.Fatalf("provision.py: %v\nstdout:\n%s\nstderr:\n%s", err, out, errOut)
	}
	var report struct {
		Checked  map[string]int `json:"operations_checked"`
		Findings []string       `json:"shape_findings"`
		Failures []string       `json:"failures"`
	}
	if err := json.Unmarshal([]byte(out[strings.Index(out, "\n{")+1:]), &report); err != nil {
		t.Fatalf("the report: %v\n%s", err, out)
	}
	if len(report.Findings)+len(report.Failures) != 0 {
		t.Errorf("findings %q, failures %q", report.Findings, report.Failures)
	}
	// Every operation with an answer body was checked.
	for _, op := range []string{"CreateInstance", "DescribeInstance", "CreateUserHierarchyGroup", "DescribeUserHierarchyGroup",
		"DescribeUserHierarchyStructure", "ListUserHierarchyGroups", "CreateSecurityProfile", "DescribeSecurityProfile",
		"ListSecurityProfiles", "ListSecurityProfilePermissions", "CreateQueue", "DescribeQueue", "ListQueues", "CreateRoutingProfile",
		"DescribeRoutingProfile", "ListRoutingProfiles", "ListRoutingProfileQueues", "CreateUser", "DescribeUser", "ListUsers",
		"SearchUsers", "ListTagsForResource", "DescribeInstanceAttribute", "ListInstanceAttributes", "ListApprovedOrigins"} {
		if report.Checked[op] == 0 {
			t.Errorf("no answer of %s was checked against the model (checked: %v)", op, report.Checked)
		}
	}
	for _, line := range []string{"list_users:", "search_users:", "list_security_profiles:", "list_routing_profiles:", "list_queues:",
		"list_user_hierarchy_groups:", "list_approved_origins:", "list_security_profile_permissions:", "list_routing_profile_queues:"} {
		if !strings.Contains(out, line) {
			t.Errorf("the paginators' report has no %s line:\n%s", line, out)
		}
	}
}
