package awscli

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"unicode"
	"unicode/utf8"

	"github.com/connectfed/connectfed/internal/awscli/pyvalue"
)

// Params are an operation's parameters in the order botocore sees them: the options given on
// the command line, then the --cli-input-* keys no option already set.
type Params = pyvalue.Object

// Get returns a parameter's value and whether it is set.
func Get(p Params, name string) (any, bool) {
	for _, kv := range p {
		if kv.Key == name {
			return kv.Value, true
		}
	}
	return nil, false
}

// Input gathers the parameters from the options and from --cli-input-json or --cli-input-yaml,
// failing as AWS CLI v2 does (code 252) on input it cannot read.
func (c *Command) Input() (Params, error) {
	var p Params
	for _, f := range c.params {
		if c.fs.Changed(f.flag) {
			p = append(p, pyvalue.KeyValue{Key: f.member, Value: f.value})
		}
	}
	jsonGiven, yamlGiven := c.fs.Changed("cli-input-json"), c.fs.Changed("cli-input-yaml")
	if !jsonGiven && !yamlGiven {
		return p, nil
	}
	if jsonGiven && yamlGiven {
		return nil, paramErrorf("Only one --cli-input- parameter may be specified.")
	}
	name, value := "cli-input-json", c.cliInputJSON
	if yamlGiven {
		name, value = "cli-input-yaml", c.cliInputYAML
	}
	data, err := paramFile(value)
	if err != nil {
		return nil, paramErrorf("Error parsing parameter '--%s': %v", name, err)
	}
	var loaded any
	if yamlGiven {
		loaded, err = pyvalue.DecodeYAML(data)
		if err != nil {
			return nil, paramErrorf("Error parsing parameter '%s': Invalid YAML received.", name)
		}
	} else {
		loaded, err = pyvalue.DecodeJSON(data)
		if err != nil {
			return nil, paramErrorf("Error parsing parameter '%s': Invalid JSON received.", name)
		}
	}
	obj, ok := loaded.(pyvalue.Object)
	if !ok {
		return nil, paramErrorf("Error parsing parameter '--%s': Invalid type: expecting map, received <class '%s'>",
			name, pyvalue.TypeName(loaded))
	}
	for _, kv := range obj {
		if _, set := Get(p, kv.Key); !set {
			p = append(p, kv)
		}
	}
	return p, nil
}

// paramFile reads the file a file:// or fileb:// value names (with ~ and $VARS expanded, as
// awscli's paramfile does), or returns the value itself.
func paramFile(value string) ([]byte, error) {
	var path string
	switch {
	case strings.HasPrefix(value, "file://"):
		path = value[len("file://"):]
	case strings.HasPrefix(value, "fileb://"):
		path = value[len("fileb://"):]
	default:
		return []byte(value), nil
	}
	path = expandVars(expandUser(path))
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("Unable to load paramfile %s: %s", value, pyOSError(err, path))
	}
	return data, nil
}

// pyOSError words a file error as Python's OSError: [Errno 2] No such file or directory: 'x'.
func pyOSError(err error, path string) string {
	var errno syscall.Errno
	if pe, ok := err.(*os.PathError); ok {
		if e, ok := pe.Err.(syscall.Errno); ok {
			errno = e
		}
	}
	if errno == 0 {
		return err.Error()
	}
	text := errno.Error()
	if text != "" {
		r, n := utf8.DecodeRuneInString(text)
		text = string(unicode.ToUpper(r)) + text[n:]
	}
	return fmt.Sprintf("[Errno %d] %s: %s", int(errno), text, pyvalue.ReprString(path))
}

func expandUser(p string) string {
	if p != "~" && !strings.HasPrefix(p, "~/") {
		return p
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return p
	}
	return filepath.Join(home, p[1:])
}

// expandVars is os.path.expandvars: $NAME and ${NAME} of set variables, others left alone.
func expandVars(p string) string {
	return os.Expand(p, func(name string) string {
		if v, ok := os.LookupEnv(name); ok {
			return v
		}
		if strings.ContainsAny(p, "{") && strings.Contains(p, "${"+name+"}") {
			return "${" + name + "}"
		}
		return "$" + name
	})
}
