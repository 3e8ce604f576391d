// Package secrets owns encryption at rest: a master key (the key-encryption key) and sealing
// of the secrets connectfed keeps in its store with AES-256-GCM, so that a database file or a
// row alone reveals no usable secret. It knows nothing of what it seals.
package secrets

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// EnvMasterKey holds the master key (32 bytes, base64) when the operator supplies it.
const EnvMasterKey = "CONNECTFED_MASTER_KEY"

// MasterKeyFile is where a generated master key is kept in the data directory.
const MasterKeyFile = "master-key"

// magic starts every sealed value: version 1 of this layout.
var magic = []byte("cfk1")

const kekIDLen = 8

// Sealer seals and opens secrets under one master key.
type Sealer struct {
	aead cipher.AEAD
	// id names the master key inside each sealed value (the first bytes of its SHA-256), so a
	// value sealed under another master key is reported as such, not as corrupt.
	id [kekIDLen]byte
}

// New returns a Sealer for a 32-byte master key.
func New(masterKey []byte) (*Sealer, error) {
	if len(masterKey) != 32 {
		return nil, fmt.Errorf("secrets: the master key must be 32 bytes, not %d", len(masterKey))
	}
	block, err := aes.NewCipher(masterKey)
	if err != nil {
		return nil, fmt.Errorf("secrets: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("secrets: %w", err)
	}
	s := &Sealer{aead: aead}
	sum := sha256.Sum256(masterKey)
	copy(s.id[:], sum[:])
	return s, nil
}

// Seal encrypts plaintext. context binds the value to its place (a record's id): a value moved
// to another record does not open.
func (s *Sealer) Seal(plaintext, context []byte) []byte {
	out := make([]byte, 0, len(magic)+kekIDLen+s.aead.NonceSize()+len(plaintext)+s.aead.Overhead())
	out = append(out, magic...)
	out = append(out, s.id[:]...)
	nonce := make([]byte, s.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		panic("secrets: no randomness: " + err.Error())
	}
	out = append(out, nonce...)
	return s.aead.Seal(out, nonce, plaintext, context)
}

// ErrWrongMasterKey: the value was sealed under another master key.
var ErrWrongMasterKey = errors.New("secrets: sealed under another master key")

// IsSealed reports whether v has the layout Seal writes.
func IsSealed(v []byte) bool { return bytes.HasPrefix(v, magic) }

// Open decrypts a value Seal made with the same context.
func (s *Sealer) Open(sealed, context []byte) ([]byte, error) {
	head := len(magic) + kekIDLen + s.aead.NonceSize()
	if !IsSealed(sealed) || len(sealed) < head+s.aead.Overhead() {
		return nil, errors.New("secrets: not a sealed value")
	}
	if !bytes.Equal(sealed[len(magic):len(magic)+kekIDLen], s.id[:]) {
		return nil, ErrWrongMasterKey
	}
	nonce := sealed[len(magic)+kekIDLen : head]
	out, err := s.aead.Open(nil, nonce, sealed[head:], context)
	if err != nil {
		return nil, errors.New("secrets: a sealed value does not open (tampered, or moved from another record)")
	}
	return out, nil
}

// LoadOrCreate returns the Sealer of the master key in CONNECTFED_MASTER_KEY (base64 of 32
// bytes) when set, else of <dataDir>/master-key, which it creates (mode 0600) on first use. The
// database and the key file belong apart: a copy of the database alone opens nothing.
func LoadOrCreate(dataDir string) (*Sealer, error) {
	if v := os.Getenv(EnvMasterKey); v != "" {
		key, err := ParseKey(v)
		if err != nil {
			return nil, fmt.Errorf("%s must be the base64 of 32 bytes (e.g. openssl rand -base64 32)", EnvMasterKey)
		}
		return New(key)
	}
	path := filepath.Join(dataDir, MasterKeyFile)
	key, err := ReadKeyFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return create(path)
	}
	if err != nil {
		return nil, err
	}
	return New(key)
}

// ParseKey decodes a master key as it is kept: the base64 of 32 bytes, spaces around ignored.
func ParseKey(text string) ([]byte, error) {
	key, err := base64.StdEncoding.DecodeString(strings.TrimSpace(text))
	if err != nil || len(key) != 32 {
		return nil, errors.New("secrets: a master key is the base64 of 32 bytes")
	}
	return key, nil
}

// ReadKeyFile reads a master key file, refusing one that others may read.
func ReadKeyFile(path string) ([]byte, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read the master key: %w", err)
	}
	if st, err := os.Stat(path); err == nil && st.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("%s is readable by others (mode %v): chmod 600 it", path, st.Mode().Perm())
	}
	key, err := ParseKey(string(data))
	if err != nil {
		return nil, fmt.Errorf("%s must hold the base64 of 32 bytes", path)
	}
	return key, nil
}

// GenerateKey returns a new random master key.
func GenerateKey() ([]byte, error) {
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return nil, fmt.Errorf("secrets: no randomness: %w", err)
	}
	return key, nil
}

func create(path string) (*Sealer, error) {
	key, err := GenerateKey()
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("create the master key: %w", err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, fmt.Errorf("create the master key: %w", err)
	}
	_, werr := f.WriteString(base64.StdEncoding.EncodeToString(key) + "\n")
	serr := f.Sync()
	if cerr := f.Close(); werr == nil && serr == nil {
		werr = cerr
	}
	if werr != nil || serr != nil {
		return nil, fmt.Errorf("write the master key: %w", errors.Join(werr, serr))
	}
	return New(key)
}

// WriteKeyFile makes path hold key (mode 0600), replacing what it held in one step: the key is
// written to a temporary file beside it and synced, renamed over path, and the directory synced,
// so that after a crash path holds either the old key or the new one, whole.
func WriteKeyFile(path string, key []byte) (err error) {
	if len(key) != 32 {
		return fmt.Errorf("secrets: the master key must be 32 bytes, not %d", len(key))
	}
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return fmt.Errorf("write the master key: %w", err)
	}
	defer func() {
		if err != nil {
			os.Remove(f.Name())
		}
	}()
	// CreateTemp makes the file 0600; say so anyway, against a different default one day.
	werr := f.Chmod(0o600)
	if werr == nil {
		_, werr = f.WriteString(base64.StdEncoding.EncodeToString(key) + "\n")
	}
	if werr == nil {
		werr = f.Sync()
	}
	if cerr := f.Close(); werr == nil {
		werr = cerr
	}
	if werr != nil {
		return fmt.Errorf("write the master key: %w", werr)
	}
	if err := os.Rename(f.Name(), path); err != nil {
		return fmt.Errorf("write the master key: %w", err)
	}
	return syncDir(dir)
}

// MoveKeyFile renames a key file written by WriteKeyFile over to, durably.
func MoveKeyFile(from, to string) error {
	if err := os.Rename(from, to); err != nil {
		return fmt.Errorf("replace the master key: %w", err)
	}
	return syncDir(filepath.Dir(to))
}

// syncDir makes a rename in dir durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("sync %s: %w", dir, err)
	}
	serr := d.Sync()
	if cerr := d.Close(); serr == nil {
		serr = cerr
	}
	if serr != nil {
		return fmt.Errorf("sync %s: %w", dir, serr)
	}
	return nil
}
