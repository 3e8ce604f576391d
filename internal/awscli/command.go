package awscli

import (
	"strings"
	"unicode"

	"github.com/spf13/pflag"
)

// Command is one operation command, such as `aws connect get-federation-token`, with the
// global options every AWS CLI command takes.
type Command struct {
	Op    *Operation
	Prog  string // the program name in "<prog>: error: ..."
	Usage string // the usage lines of argparse-style errors, without "usage: "
	G     Globals

	specs        []argSpec
	params       []paramFlag
	cliInputJSON string
	cliInputYAML string
	skeleton     string
	fs           *pflag.FlagSet
}

// Globals are the AWS CLI's global options.
type Globals struct {
	Debug, NoVerifySSL, NoPaginate, NoSignRequest, Version bool
	NoCLIPager, CLIAutoPrompt, NoCLIAutoPrompt             bool
	EndpointURL, Output, Query, Profile, Region, Color     string
	CABundle, ReadTimeout, ConnectTimeout, BinaryFormat    string

	fs *pflag.FlagSet
}

// Given reports whether the global option was on the command line.
func (g *Globals) Given(name string) bool { return g.fs.Changed(name) }

type paramFlag struct {
	member, flag string
	value        string
}

// NewCommand prepares op's command; DefineFlags must follow before parsing.
func NewCommand(op *Operation, prog, usage string) *Command {
	return &Command{Op: op, Prog: prog, Usage: usage}
}

// DefineFlags defines every option on fs, bound to c, in the order AWS CLI v2 documents them.
func (c *Command) DefineFlags(fs *pflag.FlagSet) {
	c.fs, c.G.fs = fs, fs
	fs.SortFlags = false
	c.params = make([]paramFlag, len(c.Op.Input.Members))
	for i, m := range c.Op.Input.Members {
		c.params[i] = paramFlag{member: m.Name, flag: cliName(m.Name)}
		fs.StringVar(&c.params[i].value, c.params[i].flag, "", m.Overview)
		c.specs = append(c.specs, argSpec{name: c.params[i].flag})
	}
	fs.StringVar(&c.cliInputJSON, "cli-input-json", "",
		"read the parameters from this JSON (inline or file://PATH), in the form --generate-cli-skeleton prints; options given as flags win")
	fs.StringVar(&c.cliInputYAML, "cli-input-yaml", "", "as --cli-input-json, in YAML (--generate-cli-skeleton yaml-input)")
	fs.StringVar(&c.skeleton, "generate-cli-skeleton", "",
		"print a skeleton of the input (input, yaml-input) or of the output (output), and send nothing")
	fs.Lookup("generate-cli-skeleton").NoOptDefVal = "input"
	c.specs = append(c.specs, argSpec{name: "cli-input-json"}, argSpec{name: "cli-input-yaml"},
		argSpec{name: "generate-cli-skeleton", kind: argOptionalValue, konst: "input",
			choices: []string{"input", "output", "yaml-input"}})

	g := &c.G
	fs.BoolVar(&g.Debug, "debug", false, "log the request and the response on stderr, secrets masked")
	fs.StringVar(&g.EndpointURL, "endpoint-url", "", "send the request to this URL instead of the resolved endpoint")
	fs.BoolVar(&g.NoVerifySSL, "no-verify-ssl", false, "do not verify the endpoint's TLS certificate")
	fs.BoolVar(&g.NoPaginate, "no-paginate", false, "accepted for compatibility; the operation has a single page")
	fs.StringVar(&g.Output, "output", "", "output format: json, text, table, yaml or yaml-stream (default: profile's output, or json)")
	fs.StringVar(&g.Query, "query", "", "JMESPath expression to filter the output with")
	fs.StringVar(&g.Profile, "profile", "", "profile of the shared config and credentials files to use")
	fs.StringVar(&g.Region, "region", "", "region to use, over AWS_REGION, AWS_DEFAULT_REGION and the profile's")
	fs.BoolVar(&g.Version, "version", false, "print the version and exit")
	fs.StringVar(&g.Color, "color", "auto", "colour the table output: on, off or auto (on when stdout is a terminal)")
	fs.BoolVar(&g.NoSignRequest, "no-sign-request", false, "send the request unsigned (anonymous credentials)")
	fs.StringVar(&g.CABundle, "ca-bundle", "", "PEM file of the CA certificates to verify the endpoint with")
	fs.StringVar(&g.ReadTimeout, "cli-read-timeout", "", "seconds a read may block; 0 blocks forever (default 60)")
	fs.StringVar(&g.ConnectTimeout, "cli-connect-timeout", "", "seconds to wait for a connection; 0 waits forever (default 60)")
	fs.StringVar(&g.BinaryFormat, "cli-binary-format", "", "accepted for compatibility; the operation has no binary values")
	fs.BoolVar(&g.NoCLIPager, "no-cli-pager", false, "accepted for compatibility; output is never paged")
	fs.BoolVar(&g.CLIAutoPrompt, "cli-auto-prompt", false, "accepted for compatibility; there is no auto-prompt")
	fs.BoolVar(&g.NoCLIAutoPrompt, "no-cli-auto-prompt", false, "accepted for compatibility; there is no auto-prompt")
	c.specs = append(c.specs, globalSpecs...)
}

// Skeleton is the value of --generate-cli-skeleton: "", input, yaml-input or output.
func (c *Command) Skeleton() string { return c.skeleton }

// cliName is the option botocore derives from a member name: InstanceId → instance-id.
func cliName(member string) string {
	var b strings.Builder
	rs := []rune(member)
	for i, r := range rs {
		if unicode.IsUpper(r) && i > 0 && (unicode.IsLower(rs[i-1]) || (i+1 < len(rs) && unicode.IsLower(rs[i+1]))) {
			b.WriteByte('-')
		}
		b.WriteRune(unicode.ToLower(r))
	}
	return b.String()
}
