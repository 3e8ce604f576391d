package secrets

import (
	"bytes"
	"encoding/base64"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func TestSealOpen(t *testing.T) {
	s, err := New(bytes.Repeat([]byte{7}, 32))
	if err != nil {
		t.Fatal(err)
	}
	secret := []byte("the signing key's secret bytes!!")
	sealed := s.Seal(secret, []byte("key-1"))
	if bytes.Contains(sealed, secret) || !IsSealed(sealed) {
		t.Fatalf("sealed value shows the secret or lacks the layout: %x", sealed)
	}
	if again := s.Seal(secret, []byte("key-1")); bytes.Equal(again, sealed) {
		t.Errorf("two seals of one secret are equal: the nonce is not fresh")
	}
	got, err := s.Open(sealed, []byte("key-1"))
	if err != nil || !bytes.Equal(got, secret) {
		t.Fatalf("Open = %q, %v", got, err)
	}
	if _, err := s.Open(sealed, []byte("key-2")); err == nil {
		t.Errorf("a value moved to another record opened")
	}
	tampered := bytes.Clone(sealed)
	tampered[len(tampered)-1] ^= 1
	if _, err := s.Open(tampered, []byte("key-1")); err == nil {
		t.Errorf("a tampered value opened")
	}
	other, _ := New(bytes.Repeat([]byte{8}, 32))
	if _, err := other.Open(sealed, []byte("key-1")); !errors.Is(err, ErrWrongMasterKey) {
		t.Errorf("another master key: %v, want ErrWrongMasterKey", err)
	}
	if _, err := s.Open(secret, nil); err == nil {
		t.Errorf("a plain value opened")
	}
	if _, err := New([]byte("short")); err == nil {
		t.Errorf("a short master key was accepted")
	}
}

func TestLoadOrCreate(t *testing.T) {
	t.Setenv(EnvMasterKey, "")
	dir := t.TempDir()
	first, err := LoadOrCreate(dir)
	if err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(filepath.Join(dir, MasterKeyFile))
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("master key file: %v, %v", st, err)
	}
	again, err := LoadOrCreate(dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := again.Open(first.Seal([]byte("x"), nil), nil); err != nil {
		t.Errorf("a restart does not open what was sealed before: %v", err)
	}
	if err := os.Chmod(filepath.Join(dir, MasterKeyFile), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadOrCreate(dir); err == nil {
		t.Errorf("a master key readable by others was accepted")
	}

	t.Setenv(EnvMasterKey, base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{9}, 32)))
	fromEnv, err := LoadOrCreate(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	want, _ := New(bytes.Repeat([]byte{9}, 32))
	if _, err := want.Open(fromEnv.Seal([]byte("x"), nil), nil); err != nil {
		t.Errorf("the master key from the environment is not the one given: %v", err)
	}
	t.Setenv(EnvMasterKey, "not base64!")
	if _, err := LoadOrCreate(t.TempDir()); err == nil {
		t.Errorf("a malformed %s was accepted", EnvMasterKey)
	}
}
