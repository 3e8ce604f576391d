package cli

import (
	"bytes"
	"context"
	"errors"
	"net"
	"net/http"
	"os"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials/ec2rolecreds"
	"github.com/aws/smithy-go/logging"

	"github.com/connectfed/connectfed/internal/awscli"
)

// loadCLIConfig resolves configuration exactly as the SDK (and so the AWS CLI) does, with the
// global options layered on top.
func loadCLIConfig(ctx context.Context, g *awscli.Globals, log *awscli.DebugLog) (aws.Config, error) {
	readTimeout, err := awscli.Timeout("read", g.ReadTimeout, g.Given("cli-read-timeout"))
	if err != nil {
		return aws.Config{}, err
	}
	connectTimeout, err := awscli.Timeout("connect", g.ConnectTimeout, g.Given("cli-connect-timeout"))
	if err != nil {
		return aws.Config{}, err
	}
	hc := awshttp.NewBuildableClient().
		WithDialerOptions(func(d *net.Dialer) { d.Timeout = connectTimeout }).
		WithReadTimeout(readTimeout).
		WithTransportOptions(func(tr *http.Transport) {
			// One request per run: keeping connections would only leave them behind.
			tr.DisableKeepAlives = true
			if g.NoVerifySSL {
				tr.TLSClientConfig.InsecureSkipVerify = true
			}
		})
	// The SDK's own warnings (an IMDSv1 fallback, say) would break stderr's likeness to the
	// AWS CLI's; they go to the --debug log instead.
	logger := logging.Logger(logging.Nop{})
	if log.Enabled() {
		logger = logging.LoggerFunc(func(_ logging.Classification, format string, v ...any) {
			log.Printf("aws-sdk-go-v2", format, v...)
		})
	}
	opts := []func(*config.LoadOptions) error{config.WithHTTPClient(hc), config.WithAppID("connectfed"), config.WithLogger(logger)}
	if g.Profile != "" {
		opts = append(opts, config.WithSharedConfigProfile(g.Profile))
	}
	if g.Region != "" {
		opts = append(opts, config.WithRegion(g.Region))
	}
	if g.CABundle != "" {
		pem, err := os.ReadFile(g.CABundle)
		if err != nil {
			return aws.Config{}, awscli.General(err)
		}
		opts = append(opts, config.WithCustomCABundle(bytes.NewReader(pem)))
	}
	if g.NoSignRequest {
		opts = append(opts, config.WithCredentialsProvider(aws.AnonymousCredentials{}))
	}
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		var notFound config.SharedConfigProfileNotExistError
		if errors.As(err, &notFound) {
			return aws.Config{}, awscli.ProfileNotFound(notFound.Profile)
		}
		return aws.Config{}, awscli.General(err)
	}
	return cfg, nil
}

// credentialsError reports a failure to find credentials. When the chain fell through to the
// instance metadata service, nothing was configured: AWS CLI v2's "Unable to locate
// credentials". Anything else (an SSO session expired, a role that cannot be assumed) is
// reported as it is.
func credentialsError(cfg aws.Config, err error) error {
	if cache, ok := cfg.Credentials.(*aws.CredentialsCache); ok && cache.IsCredentialsProvider(&ec2rolecreds.Provider{}) {
		return awscli.NoCredentials()
	}
	if cfg.Credentials == nil {
		return awscli.NoCredentials()
	}
	return awscli.General(err)
}
