// Package apply owns declarative seeding: the apply file format (versioned YAML declaring IAM
// users and their access keys, roles, Connect instances and their users), its validation, the
// plan that makes a server match it (create, replace, delete) and the plan's execution with
// bounded parallelism, and the secrets file new access keys are written to.
//
// It talks to a server only through the AWS SDK clients (IAM, STS, Amazon Connect), exactly as
// any other client does, so it works against a remote connectfed or real AWS alike; it must not
// know about connectfed's store, domain packages or HTTP handlers. Where credentials, region and
// endpoint come from is the caller's business: Run takes a resolved aws.Config.
//
// The rules a user relies on:
//
//   - Identity: IAM users and roles by name (case-insensitively, as IAM compares them), Connect
//     instances by alias within the account and region, Connect users by username within their
//     instance.
//   - No update operations exist for roles, instances and Connect users, so a changed declaration
//     is a replace: delete, then create. Replacing an instance deletes its users; it is refused
//     when that would lose users the file does not declare, unless --prune owns them.
//   - Prune deletes, in the account and region, everything of a collection the file declares
//     (a list present in the file, even empty) that the list does not name. A collection the file
//     leaves out is never touched. Never pruned: the caller's own IAM user, the access key it
//     signs with, the role of its session, and service-linked roles.
//   - Secrets are written once, to the secrets file, never printed.
package apply
