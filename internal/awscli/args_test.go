package awscli

import (
	"bytes"
	"net/http"
	"strings"
	"testing"

	"github.com/spf13/pflag"
)

func newTestCommand() *Command {
	c := NewCommand(GetFederationToken, "aws", "USAGE")
	c.DefineFlags(pflag.NewFlagSet("t", pflag.ContinueOnError))
	return c
}

func parseError(args ...string) string {
	err := newTestCommand().ParseArgs(args)
	if err == nil {
		return ""
	}
	var b bytes.Buffer
	err.(*Error).Write(&b)
	return b.String()
}

func TestParseArgsErrorsAsArgparse(t *testing.T) {
	const usage = "\nusage: USAGE\n\n"
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--instance-id", "x"}, ""},
		{[]string{"--instance-id=x", "--output=text", "--debug"}, ""},
		{[]string{"--inst", "x"}, ""}, // an unambiguous prefix
		{[]string{"--cli-input-json", "{}"}, ""},
		{[]string{"--generate-cli-skeleton"}, ""},
		{[]string{"--generate-cli-skeleton", "--instance-id", "x"}, ""},
		{nil, usage + "aws: error: the following arguments are required: --instance-id\n\n"},
		{[]string{"--generate-cli-skeleton", "output"}, usage + "aws: error: the following arguments are required: --instance-id\n\n"},
		{[]string{"--instance-id"}, usage + "aws: error: argument --instance-id: expected one argument\n\n"},
		{[]string{"--instance-id", "--output", "json"}, usage + "aws: error: argument --instance-id: expected one argument\n\n"},
		{[]string{"--instance-id", "x", "--debug=1"}, usage + "aws: error: argument --debug: ignored explicit argument '1'\n\n"},
		{[]string{"--instance-id", "x", "--bogus", "y", "--", "z"}, usage + "Unknown options: --bogus, z, y\n\n"},
		{[]string{"a", "b", "--instance-id", "x", "--more=1"}, usage + "Unknown options: b, --more=1, a\n\n"},
		{[]string{"--instance-id", "x", "--output", "jsn"}, usage + "aws: error: argument --output: Invalid choice, valid choices are:\n\n" +
			"json                                     | text                                    \n" +
			"table                                    | yaml                                    \n" +
			"yaml-stream                             \n\n\nInvalid choice: 'jsn', maybe you meant:\n\n  * json\n\n"},
		{[]string{"--instance-id", "x", "--c", "1"}, usage + "aws: error: ambiguous option: --c could match --color, " +
			"--ca-bundle, --cli-read-timeout, --cli-connect-timeout, --cli-binary-format, --cli-auto-prompt\n\n"},
	} {
		if got := parseError(c.args...); got != c.want {
			t.Errorf("%q:\n got %q\nwant %q", c.args, got, c.want)
		}
	}
	c := newTestCommand()
	if err := c.ParseArgs([]string{"--instance-id", "x", "--cli-read-timeout", "-1", "--version", "--bogus"}); err != nil || !c.G.Version {
		t.Errorf("--version: %v", err)
	}
}

func TestInputFromFlagsAndCLIInput(t *testing.T) {
	c := newTestCommand()
	if err := c.ParseArgs([]string{"--instance-id", "flag", "--cli-input-yaml", "Foo: 1\nInstanceId: yaml\nBar: [a, {b: null}]"}); err != nil {
		t.Fatal(err)
	}
	p, err := c.Input()
	if err != nil {
		t.Fatal(err)
	}
	if String(p, "InstanceId") != "flag" {
		t.Errorf("the flag did not win: %v", p)
	}
	var b bytes.Buffer
	c.Validate(p).(*Error).Write(&b)
	want := "\nParameter validation failed:\nUnknown parameter in input: \"Foo\", must be one of: InstanceId\n" +
		"Unknown parameter in input: \"Bar\", must be one of: InstanceId\n"
	if b.String() != want {
		t.Errorf("got %q, want %q", b.String(), want)
	}
	for _, c := range []struct{ input, want string }{
		{`{"InstanceId": 5}`, "Invalid type for parameter InstanceId, value: 5, type: <class 'int'>, valid types: <class 'str'>"},
		{`{"InstanceId": ["a", 1.5, null, true]}`, "Invalid type for parameter InstanceId, value: ['a', 1.5, None, True], type: <class 'list'>, valid types: <class 'str'>"},
		{`{"InstanceId": ""}`, "Invalid length for parameter InstanceId, value: 0, valid min length: 1"},
		{`{}`, `Missing required parameter in input: "InstanceId"`},
	} {
		cmd := newTestCommand()
		cmd.ParseArgs([]string{"--cli-input-json", c.input})
		p, err := cmd.Input()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Validate(p); err == nil || !strings.HasSuffix(err.Error(), "\n"+c.want) {
			t.Errorf("%s: %v, want %q", c.input, err, c.want)
		}
	}
}

func TestResponseErrorReadsTheWireAsBotocore(t *testing.T) {
	h := func(kv ...string) http.Header {
		hd := http.Header{}
		for i := 0; i < len(kv); i += 2 {
			hd.Set(kv[i], kv[i+1])
		}
		return hd
	}
	for _, c := range []struct {
		status int
		header http.Header
		body   string
		want   string
	}{
		{404, h("X-Amzn-ErrorType", "ResourceNotFoundException:http://internal"), `{"message":"gone"}`, "(ResourceNotFoundException) when calling the Op operation: gone"},
		{400, h(), `{"__type":"com.amazon#ValidationException","Message":"bad"}`, "(ValidationException) when calling the Op operation: bad"},
		{400, h(), `{"code":"Thing","message":"m"}`, "(Thing) when calling the Op operation: m"},
		{502, h(), `<html>bad gateway</html>`, "(502) when calling the Op operation: <html>bad gateway</html>"},
		{404, h(), ``, "(404) when calling the Op operation: "},
	} {
		got := ResponseError("Op", c.status, c.header, []byte(c.body), -1).Message
		if got != "An error occurred "+c.want {
			t.Errorf("%d %s: %q", c.status, c.body, got)
		}
	}
	if got := ResponseError("Op", 500, h(), []byte(`{"message":"m"}`), 2).Message; !strings.Contains(got, "operation (reached max retries: 2): m") {
		t.Errorf("retries: %q", got)
	}
}

func TestMaskBody(t *testing.T) {
	got := MaskBody([]byte(`{"Credentials":{"AccessToken":"a1","SessionToken":"s","SecretAccessKey":"k","Expiration":1},` +
		`"SignInUrl":"https://h/p?token=t&x=1#frag","UserId":"u"}`))
	want := `{"Credentials":{"AccessToken":"****","SessionToken":"****","SecretAccessKey":"****","Expiration":1},` +
		`"SignInUrl":"https://h/p?token=****\u0026x=****#****","UserId":"u"}`
	if got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	if got := MaskBody([]byte("token=abc")); strings.Contains(got, "abc") {
		t.Errorf("a body that is not JSON is shown: %s", got)
	}
}
