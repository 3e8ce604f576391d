package identity

import (
	"crypto/rand"
	"encoding/base32"
	"encoding/base64"
)

// AWS identifiers are a four-letter prefix and base32-alphabet characters (A-Z, 2-7).
const (
	prefixAccessKey = "AKIA"
	prefixSession   = "ASIA"
	prefixUser      = "AIDA"
	prefixRole      = "AROA"
)

var idEncoding = base32.StdEncoding.WithPadding(base32.NoPadding)

// newID returns prefix followed by n random base32 characters.
func newID(prefix string, n int) string {
	b := make([]byte, n) // n bytes give more than n base32 characters
	if _, err := rand.Read(b); err != nil {
		panic("identity: no randomness: " + err.Error())
	}
	return prefix + idEncoding.EncodeToString(b)[:n]
}

// newAccessKeyID is 20 characters, as AWS's.
func newAccessKeyID() string { return newID(prefixAccessKey, 16) }

// newSessionKeyID is 20 characters, as AWS's temporary keys.
func newSessionKeyID() string { return newID(prefixSession, 16) }

// newUserID and newRoleID are 21 characters, as AWS's unique ids.
func newUserID() string { return newID(prefixUser, 17) }
func newRoleID() string { return newID(prefixRole, 17) }

// newSecret returns a 40-character secret access key.
func newSecret() string {
	b := make([]byte, 30)
	if _, err := rand.Read(b); err != nil {
		panic("identity: no randomness: " + err.Error())
	}
	return base64.StdEncoding.EncodeToString(b)
}

// newSessionToken returns an opaque session token. Only its hash is stored.
func newSessionToken() string {
	b := make([]byte, 96)
	if _, err := rand.Read(b); err != nil {
		panic("identity: no randomness: " + err.Error())
	}
	return base64.StdEncoding.EncodeToString(b)
}
