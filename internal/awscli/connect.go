package awscli

// The Amazon Connect operations connectfed's CLI offers, modelled as AWS CLI v2 2.9 ships them
// (botocore data connect/2017-08-08).

var (
	stringShape    = &Shape{Kind: KindString}
	timestampShape = &Shape{Kind: KindTimestamp}
)

// GetFederationToken is `aws connect get-federation-token`.
var GetFederationToken = &Operation{
	Name: "GetFederationToken",
	Input: &Shape{Kind: KindStructure, Required: []string{"InstanceId"}, Members: []Member{
		{Name: "InstanceId", Shape: &Shape{Kind: KindString, Min: 1},
			Overview: "The identifier of the Amazon Connect instance."},
	}},
	Output: &Shape{Kind: KindStructure, Members: []Member{
		{Name: "Credentials", Shape: &Shape{Kind: KindStructure, Members: []Member{
			{Name: "AccessToken", Shape: stringShape},
			{Name: "AccessTokenExpiration", Shape: timestampShape},
			{Name: "RefreshToken", Shape: stringShape},
			{Name: "RefreshTokenExpiration", Shape: timestampShape},
		}}},
		{Name: "SignInUrl", Shape: stringShape},
		{Name: "UserArn", Shape: stringShape},
		{Name: "UserId", Shape: stringShape},
	}},
}
