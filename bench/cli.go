package main

// -cli: the wall time of `connectfed get-federation-token` against `aws connect
// get-federation-token` for the same call, as the same role session (from the environment),
// against the same server. Each CLI runs once unmeasured (the first run of a Python CLI
// compiles its modules), then the two alternate, run by run, and the medians are compared.

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// awsV2Path is where Debian's awscli package (AWS CLI v2) installs it; an AWS CLI v1 may
// shadow it on PATH.
const awsV2Path = "/usr/bin/aws"

// cliStats are the timings of the CLIs.
type cliStats struct {
	Runs           int             `json:"runs"`
	AWS            string          `json:"aws"` // its path and version
	Connectfed     time.Duration   `json:"connectfedMedianNs"`
	AWSCLI         time.Duration   `json:"awsMedianNs"`
	ConnectfedRuns []time.Duration `json:"connectfedRunsNs"`
	AWSCLIRuns     []time.Duration `json:"awsRunsNs"`
	ConnectfedCmd  string          `json:"connectfedCommand"`
	AWSCLICmd      string          `json:"awsCommand"`
}

// Ratio is connectfed's median as a fraction of the AWS CLI's.
func (c cliStats) Ratio() float64 {
	if c.AWSCLI <= 0 {
		return 0
	}
	return float64(c.Connectfed) / float64(c.AWSCLI)
}

// findAWS is the AWS CLI to time: the flag's, else v2 at its Debian path, else aws on PATH.
func findAWS(flagPath string) (string, error) {
	if flagPath != "" {
		return exec.LookPath(flagPath)
	}
	if fi, err := os.Stat(awsV2Path); err == nil && fi.Mode()&0o111 != 0 {
		return awsV2Path, nil
	}
	p, err := exec.LookPath("aws")
	if err != nil {
		return "", fmt.Errorf("no AWS CLI: %s is missing and aws is not on PATH (Debian: apt-get install awscli; or -aws PATH)", awsV2Path)
	}
	return p, nil
}

func timeCLIs(ctx context.Context, bin, awsFlag, endpoint string, fx fixture, runs int, tmp string) (cliStats, error) {
	awsPath, err := findAWS(awsFlag)
	if err != nil {
		return cliStats{}, err
	}
	env := cliEnv(fx, tmp)
	version, _ := exec.CommandContext(ctx, awsPath, "--version").CombinedOutput() // v1 prints it on stderr
	st := cliStats{Runs: runs, AWS: awsPath + " (" + strings.TrimSpace(string(version)) + ")"}
	args := []string{"get-federation-token", "--instance-id", fx.InstanceID, "--endpoint-url", endpoint}
	cf := exec.Command(bin, args...)
	aw := exec.Command(awsPath, append([]string{"connect"}, args...)...)
	st.ConnectfedCmd = "connectfed " + strings.Join(args, " ")
	st.AWSCLICmd = "aws connect " + strings.Join(args, " ")

	for i := -1; i < runs; i++ { // run -1 is the unmeasured first
		for _, c := range []struct {
			cmd  *exec.Cmd
			into *[]time.Duration
		}{{cf, &st.ConnectfedRuns}, {aw, &st.AWSCLIRuns}} {
			took, err := timeOnce(ctx, c.cmd, env)
			if err != nil {
				return st, err
			}
			if i >= 0 {
				*c.into = append(*c.into, took)
			}
		}
	}
	st.Connectfed, st.AWSCLI = median(st.ConnectfedRuns), median(st.AWSCLIRuns)
	return st, nil
}

// cliEnv is the caller's environment with every AWS_ variable replaced: the role session's
// credentials, the region, and config files that do not exist, so that no profile of the
// machine leaks in.
func cliEnv(fx fixture, tmp string) []string {
	env := withoutPrefix(os.Environ(), "AWS_")
	return append(env,
		"AWS_ACCESS_KEY_ID="+fx.Session.AccessKeyID,
		"AWS_SECRET_ACCESS_KEY="+fx.Session.SecretAccessKey,
		"AWS_SESSION_TOKEN="+fx.Session.SessionToken,
		"AWS_DEFAULT_REGION="+region,
		"AWS_CONFIG_FILE="+filepath.Join(tmp, "no-aws-config"),
		"AWS_SHARED_CREDENTIALS_FILE="+filepath.Join(tmp, "no-aws-credentials"),
		"AWS_PAGER=",
		"AWS_EC2_METADATA_DISABLED=true",
	)
}

// timeOnce runs a copy of tmpl and times it; a run that fails or prints no token is an error
// with its stderr (which carries no secret: both CLIs print only the error).
func timeOnce(ctx context.Context, tmpl *exec.Cmd, env []string) (time.Duration, error) {
	cmd := exec.CommandContext(ctx, tmpl.Path, tmpl.Args[1:]...)
	cmd.Env = env
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	err := cmd.Run()
	took := time.Since(start)
	if err != nil || !bytes.Contains(stdout.Bytes(), []byte("AccessToken")) {
		return 0, fmt.Errorf("%s %s: %v, no token in its output\n%s", filepath.Base(tmpl.Path), tmpl.Args[1], err, stderr.String())
	}
	return took, nil
}

func median(ds []time.Duration) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Sorted(slices.Values(ds))
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}
