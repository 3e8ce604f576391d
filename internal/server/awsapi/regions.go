package awsapi

import (
	"slices"

	"github.com/connectfed/connectfed/internal/apierr"
)

// Regions are AWS's regions (its partitions' public list, as of December 2026): a credential
// scoped to any other region is refused as AWS refuses it. serve --regions replaces the list.
var Regions = []string{
	"af-south-1", "ap-east-1", "ap-east-2", "ap-northeast-1", "ap-northeast-2", "ap-northeast-3", "ap-south-1", "ap-south-2",
	"ap-southeast-1", "ap-southeast-2", "ap-southeast-3", "ap-southeast-4", "ap-southeast-5", "ap-southeast-6", "ap-southeast-7",
	"ca-central-1", "ca-west-1", "cn-north-1", "cn-northwest-1", "eu-central-1", "eu-central-2", "eu-north-1", "eu-south-1",
	"eu-south-2", "eu-west-1", "eu-west-2", "eu-west-3", "il-central-1", "me-central-1", "me-south-1", "mx-central-1",
	"sa-east-1", "us-east-1", "us-east-2", "us-gov-east-1", "us-gov-west-1", "us-west-1", "us-west-2",
}

// checkRegion refuses a credential scoped to a region the server does not know, with AWS's
// answer to one (nil regions: every region is known).
func checkRegion(regions []string, region string) error {
	if regions == nil || slices.Contains(regions, region) {
		return nil
	}
	return apierr.New(apierr.InvalidSignature, "Credential should be scoped to a valid region, not '%s'. ", region)
}
