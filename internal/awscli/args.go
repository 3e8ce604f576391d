package awscli

import (
	"fmt"
	"slices"
	"strings"

	"github.com/spf13/pflag"

	"github.com/connectfed/connectfed/internal/awscli/pyvalue"
)

// The argument grammar is argparse's, as AWS CLI v2 drives it: the global options are parsed
// first from the whole command line, the operation's options from what is left; a value may be
// given as "--name value" or "--name=value", but "--name --other" is a missing value; options
// may be abbreviated to any unambiguous prefix; whatever no option claims is reported as
// "Unknown options". pflag holds the definitions (and so cobra's help shows them) and converts
// the values; the order of parsing and the messages are argparse's.

type argKind int

const (
	argValue         argKind = iota // --name VALUE
	argFlag                         // --name
	argOptionalValue                // --name [VALUE]; Const without one
)

type argSpec struct {
	name    string
	kind    argKind
	choices []string
	konst   string
	global  bool
}

var globalSpecs = []argSpec{
	{name: "debug", kind: argFlag, global: true},
	{name: "endpoint-url", global: true},
	{name: "no-verify-ssl", kind: argFlag, global: true},
	{name: "no-paginate", kind: argFlag, global: true},
	{name: "output", choices: OutputFormats, global: true},
	{name: "query", global: true},
	{name: "profile", global: true},
	{name: "region", global: true},
	{name: "version", kind: argFlag, global: true},
	{name: "color", choices: []string{"on", "off", "auto"}, global: true},
	{name: "no-sign-request", kind: argFlag, global: true},
	{name: "ca-bundle", global: true},
	{name: "cli-read-timeout", global: true},
	{name: "cli-connect-timeout", global: true},
	{name: "cli-binary-format", choices: []string{"base64", "raw-in-base64-out"}, global: true},
	{name: "no-cli-pager", kind: argFlag, global: true},
	{name: "cli-auto-prompt", kind: argFlag, global: true},
	{name: "no-cli-auto-prompt", kind: argFlag, global: true},
}

// ParseArgs parses args into the flags c defined. It returns nil, or an *Error
// with code 252 and argparse's message.
func (c *Command) ParseArgs(args []string) error {
	rest, err := c.parsePass(c.fs, args, true)
	if err != nil || c.G.Version {
		return err
	}
	extras, err := c.parsePass(c.fs, rest, false)
	if err != nil {
		return err
	}
	if missing := c.missingRequired(args); len(missing) > 0 {
		return c.usageError("the following arguments are required: " + strings.Join(missing, ", "))
	}
	if len(extras) > 0 {
		return &Error{Code: ExitParamError, Usage: c.Usage, Message: "Unknown options: " + strings.Join(reportOrder(extras), ", ")}
	}
	return nil
}

// reportOrder is the order AWS CLI v2 lists unknown arguments in: as given, except that the
// first bare word comes last (its parsers take it for the command's positional on the way
// and hand it back after the rest).
func reportOrder(extras []string) []string {
	for i, e := range extras {
		if !optionLike(e) {
			out := append(slices.Clone(extras[:i]), extras[i+1:]...)
			return append(out, e)
		}
	}
	return extras
}

func (c *Command) usageError(msg string) *Error {
	return UsageError(c.Prog, c.Usage, msg)
}

// UsageError is argparse's error: the usage lines, then "<prog>: error: <msg>"; code 252.
func UsageError(prog, usage, msg string) *Error {
	return &Error{Code: ExitParamError, Usage: usage, Message: prog + ": error: " + msg}
}

// InvalidOperation is AWS CLI v2's error for an operation a service does not have.
func InvalidOperation(prog, usage, name string, operations []string) *Error {
	return UsageError(prog, usage, "argument operation: "+invalidChoice(name, operations))
}

// parsePass consumes the options of one parser (the global one, or the operation's) and
// returns the arguments it did not claim, in order.
func (c *Command) parsePass(fs *pflag.FlagSet, args []string, global bool) ([]string, error) {
	var rest []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			// Everything after "--" is positional, and nothing here takes positionals.
			if global {
				return append(rest, args[i:]...), nil
			}
			return append(rest, args[i+1:]...), nil
		}
		if !optionLike(a) {
			rest = append(rest, a)
			continue
		}
		name, explicit, hasExplicit := a, "", false
		if j := strings.IndexByte(a, '='); j >= 0 {
			name, explicit, hasExplicit = a[:j], a[j+1:], true
		}
		spec, err := c.lookup(name, global)
		if err != nil {
			return nil, err
		}
		if spec == nil {
			rest = append(rest, a)
			continue
		}
		var value string
		switch spec.kind {
		case argFlag:
			if hasExplicit {
				return nil, c.usageError(fmt.Sprintf("argument --%s: ignored explicit argument %s", spec.name, pyvalue.ReprString(explicit)))
			}
			value = "true"
		case argValue:
			switch {
			case hasExplicit:
				value = explicit
			case i+1 < len(args) && !optionLike(args[i+1]):
				i++
				value = args[i]
			default:
				return nil, c.usageError(fmt.Sprintf("argument --%s: expected one argument", spec.name))
			}
		case argOptionalValue:
			switch {
			case hasExplicit:
				value = explicit
			case i+1 < len(args) && !optionLike(args[i+1]):
				i++
				value = args[i]
			default:
				value = spec.konst
			}
		}
		if len(spec.choices) > 0 && !slices.Contains(spec.choices, value) {
			return nil, c.usageError(fmt.Sprintf("argument --%s: %s", spec.name, invalidChoice(value, spec.choices)))
		}
		if err := fs.Set(spec.name, value); err != nil {
			return nil, c.usageError(fmt.Sprintf("argument --%s: %v", spec.name, err))
		}
		if spec.name == "version" {
			// argparse's version action prints and exits as soon as it is reached.
			return nil, nil
		}
	}
	return rest, nil
}

// optionLike is argparse's test for an argument that starts an option rather than being a
// value: it starts with "-", is not "-" alone or a negative number, and has no space.
func optionLike(a string) bool {
	if len(a) < 2 || a[0] != '-' || strings.ContainsRune(a, ' ') {
		return false
	}
	return !isNegativeNumber(a)
}

// isNegativeNumber matches argparse's ^-\d+$|^-\d*\.\d+$.
func isNegativeNumber(a string) bool {
	digits, dot, fracDigits := 0, false, 0
	for _, r := range a[1:] {
		switch {
		case r >= '0' && r <= '9' && !dot:
			digits++
		case r >= '0' && r <= '9':
			fracDigits++
		case r == '.' && !dot:
			dot = true
		default:
			return false
		}
	}
	if dot {
		return fracDigits > 0
	}
	return digits > 0
}

// lookup finds the option an argument names, exactly or by an unambiguous prefix, among the
// global options or the operation's.
func (c *Command) lookup(name string, global bool) (*argSpec, error) {
	if !strings.HasPrefix(name, "--") {
		return nil, nil
	}
	var matches []*argSpec
	for i := range c.specs {
		s := &c.specs[i]
		if s.global != global {
			continue
		}
		if "--"+s.name == name {
			return s, nil
		}
		if strings.HasPrefix("--"+s.name, name) {
			matches = append(matches, s)
		}
	}
	switch len(matches) {
	case 0:
		return nil, nil
	case 1:
		return matches[0], nil
	}
	names := make([]string, len(matches))
	for i, m := range matches {
		names[i] = "--" + m.name
	}
	return nil, c.usageError(fmt.Sprintf("ambiguous option: %s could match %s", name, strings.Join(names, ", ")))
}

// invalidChoice is AWS CLI v2's message for a value outside an option's choices: the choices
// two to a line, then any close match.
func invalidChoice(value string, choices []string) string {
	msg := []string{"Invalid choice, valid choices are:\n"}
	for i := 0; i < len(choices); i += 2 {
		var line []string
		for _, c := range choices[i:min(i+2, len(choices))] {
			line = append(line, fmt.Sprintf("%-40s", c))
		}
		msg = append(msg, strings.Join(line, " | "))
	}
	if possible := closeMatches(value, choices); len(possible) > 0 {
		msg = append(msg, fmt.Sprintf("\n\nInvalid choice: %s, maybe you meant:\n", pyvalue.ReprString(value)))
		for _, p := range possible {
			msg = append(msg, "  * "+p)
		}
	}
	return strings.Join(msg, "\n")
}

// missingRequired lists the required options not given, unless an argument that makes them
// optional is on the command line: --cli-input-json, --cli-input-yaml, or
// --generate-cli-skeleton other than "output" (checked, as AWS CLI v2 does, on the raw words).
func (c *Command) missingRequired(args []string) []string {
	for i, a := range args {
		switch a {
		case "--cli-input-json", "--cli-input-yaml":
			return nil
		case "--generate-cli-skeleton":
			if i+1 >= len(args) || args[i+1] != "output" {
				return nil
			}
		}
	}
	var missing []string
	for _, p := range c.params {
		if c.Op.Input.required(p.member) && !c.fs.Changed(p.flag) {
			missing = append(missing, "--"+p.flag)
		}
	}
	return missing
}
