package secrets

import (
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"strings"
)

// TextPrefix starts a sealed value kept in a text column: TextPrefix + base64 (standard, padded)
// of the sealed bytes after their magic. AWS secrets are base64 and never hold a ':', so a value
// without the prefix is a secret written before secrets were sealed (legacy plaintext).
const TextPrefix = "cfk1:"

// IsSealedText reports whether v has the layout SealText writes.
func IsSealedText(v string) bool { return strings.HasPrefix(v, TextPrefix) }

// SealText seals a text secret (an access key's) for a text column, bound to context like Seal.
func (s *Sealer) SealText(plaintext, context string) string {
	sealed := s.Seal([]byte(plaintext), []byte(context))
	return TextPrefix + base64.StdEncoding.EncodeToString(sealed[len(magic):])
}

// OpenText opens a value SealText made with the same context.
func (s *Sealer) OpenText(v, context string) (string, error) {
	sealed, err := textBytes(v)
	if err != nil {
		return "", err
	}
	out, err := s.Open(sealed, []byte(context))
	return string(out), err
}

func textBytes(v string) ([]byte, error) {
	if !IsSealedText(v) {
		return nil, errors.New("secrets: not a sealed value")
	}
	body, err := base64.StdEncoding.DecodeString(v[len(TextPrefix):])
	if err != nil {
		return nil, errors.New("secrets: a sealed value is not base64")
	}
	return append(append(make([]byte, 0, len(magic)+len(body)), magic...), body...), nil
}

// OpenOrPlainText returns the secret v holds: opened when sealed, as it is when it is legacy
// plaintext.
func (s *Sealer) OpenOrPlainText(v, context string) (string, error) {
	if !IsSealedText(v) {
		return v, nil
	}
	return s.OpenText(v, context)
}

// ID names the master key without revealing it: the hex of the first bytes of its SHA-256,
// which every value it seals carries too. Operators compare it between machines.
func (s *Sealer) ID() string { return hex.EncodeToString(s.id[:]) }

// Reseal returns v sealed under s, for changing the master key: unchanged (changed false) when
// it is sealed under s already, opened with old and sealed again when sealed under old, and
// sealed when it is not sealed at all (a value written before secrets were sealed). A value
// sealed under neither key, or that does not open, is an error.
func (s *Sealer) Reseal(v, context []byte, old *Sealer) (out []byte, changed bool, err error) {
	if !IsSealed(v) {
		return s.Seal(v, context), true, nil
	}
	if _, err := s.Open(v, context); err == nil {
		return v, false, nil
	} else if !errors.Is(err, ErrWrongMasterKey) {
		return nil, false, err
	}
	plain, err := old.Open(v, context)
	if errors.Is(err, ErrWrongMasterKey) {
		return nil, false, errors.New("secrets: sealed under neither the current nor the new master key")
	}
	if err != nil {
		return nil, false, err
	}
	out = s.Seal(plain, context)
	clear(plain)
	return out, true, nil
}

// ResealText is Reseal for values SealText made (or legacy plaintext text).
func (s *Sealer) ResealText(v, context string, old *Sealer) (out string, changed bool, err error) {
	if !IsSealedText(v) {
		return s.SealText(v, context), true, nil
	}
	sealed, err := textBytes(v)
	if err != nil {
		return "", false, err
	}
	b, changed, err := s.Reseal(sealed, []byte(context), old)
	if err != nil || !changed {
		return v, false, err
	}
	return TextPrefix + base64.StdEncoding.EncodeToString(b[len(magic):]), true, nil
}

// Same reports whether two Sealers hold the same master key.
func (s *Sealer) Same(o *Sealer) bool { return subtle.ConstantTimeCompare(s.id[:], o.id[:]) == 1 }
