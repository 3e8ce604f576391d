// Package layering holds no code: its test checks the import rules of docs/architecture.md, so
// that a domain package that reaches for net/http, or a store that reaches for the domain,
// fails CI instead of slipping in.
package layering
