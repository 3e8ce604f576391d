package awscli

import (
	"os"
	"path/filepath"

	"github.com/connectfed/connectfed/internal/awsini"
)

// Settings of the shared config file that only the CLI reads (output, cli_timestamp_format):
// the SDK's loader resolves everything else.

// ProfileName is the profile in effect: --profile, else AWS_PROFILE, else AWS_DEFAULT_PROFILE
// (the SDK's order), else default.
func ProfileName(flag string) string {
	for _, v := range []string{flag, os.Getenv("AWS_PROFILE"), os.Getenv("AWS_DEFAULT_PROFILE")} {
		if v != "" {
			return v
		}
	}
	return "default"
}

// ProfileSettings reads the key = value settings of a profile in the shared config file
// (AWS_CONFIG_FILE, else ~/.aws/config). A missing file or profile has no settings.
func ProfileSettings(profile string) map[string]string {
	path := os.Getenv("AWS_CONFIG_FILE")
	if path == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return nil
		}
		path = filepath.Join(home, ".aws", "config")
	}
	data, err := os.ReadFile(expandUser(path))
	if err != nil {
		return nil
	}
	settings, _ := awsini.ConfigProfile(awsini.Parse(data), profile)
	return settings
}

// OutputFormat is the format in effect: --output, else AWS_DEFAULT_OUTPUT, else the profile's
// output setting, else json.
func OutputFormat(flag string, settings map[string]string) (string, error) {
	f := flag
	if f == "" {
		f = os.Getenv("AWS_DEFAULT_OUTPUT")
	}
	if f == "" {
		f = settings["output"]
	}
	if f == "" {
		return "json", nil
	}
	for _, o := range OutputFormats {
		if f == o {
			return f, nil
		}
	}
	return "", &Error{Code: ExitGeneral, Message: "Unknown output type: " + f}
}

// TimestampFormat is the profile's cli_timestamp_format: iso8601 (the default) or wire.
func TimestampFormat(settings map[string]string) (string, error) {
	switch f := settings["cli_timestamp_format"]; f {
	case "", TimestampISO8601:
		return TimestampISO8601, nil
	case TimestampWire:
		return f, nil
	default:
		return "", &Error{Code: ExitConfigError, Message: "Unknown cli_timestamp_format value: " + f +
			`, valid values are "wire" or "iso8601"`}
	}
}
