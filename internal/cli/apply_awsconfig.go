package cli

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
)

// awsSource is what the command line says about where credentials, region and endpoint come
// from; empty fields defer to the environment and the shared files.
type awsSource struct {
	profile, region, endpointURL string
}

// loadAWSConfig resolves credentials, region and endpoint exactly as the AWS CLI does, then
// applies the command line's choices over them.
func loadAWSConfig(ctx context.Context, s awsSource) (aws.Config, error) {
	var opts []func(*config.LoadOptions) error
	if s.profile != "" {
		opts = append(opts, config.WithSharedConfigProfile(s.profile))
	}
	if s.region != "" {
		opts = append(opts, config.WithRegion(s.region))
	}
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return cfg, err
	}
	if s.endpointURL != "" {
		cfg.BaseEndpoint = aws.String(s.endpointURL)
	}
	return cfg, nil
}
