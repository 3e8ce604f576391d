package secrets

import (
	"bytes"
	"encoding/base64"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func mustNew(t *testing.T, b byte) *Sealer {
	t.Helper()
	s, err := New(bytes.Repeat([]byte{b}, 32))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestSealText(t *testing.T) {
	s := mustNew(t, 1)
	secret := "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
	v := s.SealText(secret, "AKIA1")
	if !IsSealedText(v) || strings.Contains(v, secret) || strings.ContainsAny(v[len(TextPrefix):], ":\x00") {
		t.Fatalf("sealed text %q", v)
	}
	if got, err := s.OpenText(v, "AKIA1"); err != nil || got != secret {
		t.Fatalf("OpenText = %q, %v", got, err)
	}
	if _, err := s.OpenText(v, "AKIA2"); err == nil {
		t.Error("a sealed text moved to another record opened")
	}
	if _, err := mustNew(t, 2).OpenText(v, "AKIA1"); !errors.Is(err, ErrWrongMasterKey) {
		t.Errorf("another master key: %v, want ErrWrongMasterKey", err)
	}
	if _, err := s.OpenText(TextPrefix+"not base64!", "AKIA1"); err == nil {
		t.Error("a malformed sealed text opened")
	}
	if got, err := s.OpenOrPlainText(secret, "AKIA1"); err != nil || got != secret {
		t.Errorf("a legacy plaintext secret: %q, %v", got, err)
	}
	if got, err := s.OpenOrPlainText(v, "AKIA1"); err != nil || got != secret {
		t.Errorf("OpenOrPlainText of a sealed text: %q, %v", got, err)
	}
}

func TestReseal(t *testing.T) {
	old, next, other := mustNew(t, 1), mustNew(t, 2), mustNew(t, 3)
	ctx := []byte("key-1")
	secret := []byte("a signing key's secret, 32 byte")

	// Sealed under the old key: re-sealed under the new one, bound to the same record.
	out, changed, err := next.Reseal(old.Seal(secret, ctx), ctx, old)
	if err != nil || !changed {
		t.Fatalf("Reseal = %v, %v", changed, err)
	}
	if got, err := next.Open(out, ctx); err != nil || !bytes.Equal(got, secret) {
		t.Fatalf("the re-sealed value opens to %q, %v", got, err)
	}
	if _, err := old.Open(out, ctx); !errors.Is(err, ErrWrongMasterKey) {
		t.Errorf("the old key opens the re-sealed value: %v", err)
	}
	// Under the new key already: left as it is.
	if again, changed, err := next.Reseal(out, ctx, old); err != nil || changed || !bytes.Equal(again, out) {
		t.Errorf("Reseal of a value under the new key: %v, %v", changed, err)
	}
	// In the clear: sealed.
	if out, changed, err := next.Reseal(secret, ctx, old); err != nil || !changed {
		t.Errorf("Reseal of a plain value: %v, %v", changed, err)
	} else if got, _ := next.Open(out, ctx); !bytes.Equal(got, secret) {
		t.Errorf("a plain value sealed opens to %q", got)
	}
	// Under neither key, or moved from another record: refused.
	if _, _, err := next.Reseal(other.Seal(secret, ctx), ctx, old); err == nil {
		t.Error("a value under a third key was re-sealed")
	}
	if _, _, err := next.Reseal(old.Seal(secret, []byte("key-2")), ctx, old); err == nil {
		t.Error("a value moved from another record was re-sealed")
	}

	// The text form alike.
	text := old.SealText("text secret", "AKIA1")
	outText, changed, err := next.ResealText(text, "AKIA1", old)
	if err != nil || !changed {
		t.Fatalf("ResealText = %v, %v", changed, err)
	}
	if got, err := next.OpenText(outText, "AKIA1"); err != nil || got != "text secret" {
		t.Fatalf("re-sealed text opens to %q, %v", got, err)
	}
	if _, changed, err := next.ResealText(outText, "AKIA1", old); err != nil || changed {
		t.Errorf("ResealText of a text under the new key: %v, %v", changed, err)
	}
	if out, changed, err := next.ResealText("legacy", "AKIA1", old); err != nil || !changed || !IsSealedText(out) {
		t.Errorf("ResealText of legacy plaintext: %q, %v, %v", out, changed, err)
	}
	if _, _, err := next.ResealText(other.SealText("x", "AKIA1"), "AKIA1", old); err == nil {
		t.Error("a text under a third key was re-sealed")
	}
	if !next.Same(mustNew(t, 2)) || next.Same(old) || len(next.ID()) != 16 {
		t.Errorf("Same or ID: %s %s", next.ID(), old.ID())
	}
}

func TestWriteKeyFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, MasterKeyFile)
	t.Setenv(EnvMasterKey, "")
	first, err := LoadOrCreate(dir)
	if err != nil {
		t.Fatal(err)
	}
	key := bytes.Repeat([]byte{5}, 32)
	if err := WriteKeyFile(path, key); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(path)
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("key file after WriteKeyFile: %v, %v", st, err)
	}
	got, err := ReadKeyFile(path)
	if err != nil || !bytes.Equal(got, key) {
		t.Fatalf("ReadKeyFile = %x, %v", got, err)
	}
	loaded, err := LoadOrCreate(dir)
	if err != nil || loaded.Same(first) || !loaded.Same(mustNew(t, 5)) {
		t.Fatalf("LoadOrCreate after a replacement: %v", err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("WriteKeyFile left files behind: %v", entries)
	}
	if err := WriteKeyFile(path, []byte("short")); err == nil {
		t.Error("a short key was written")
	}

	pending := filepath.Join(dir, MasterKeyFile+".new")
	if err := WriteKeyFile(pending, bytes.Repeat([]byte{6}, 32)); err != nil {
		t.Fatal(err)
	}
	if err := MoveKeyFile(pending, path); err != nil {
		t.Fatal(err)
	}
	if s, err := LoadOrCreate(dir); err != nil || !s.Same(mustNew(t, 6)) {
		t.Errorf("after MoveKeyFile: %v", err)
	}

	if err := os.WriteFile(filepath.Join(dir, "loose"), []byte(base64.StdEncoding.EncodeToString(key)), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadKeyFile(filepath.Join(dir, "loose")); err == nil || !strings.Contains(err.Error(), "chmod 600") {
		t.Errorf("a key file others may read: %v", err)
	}
}

// What a credential load from the store pays to open its secret.
func BenchmarkOpenText(b *testing.B) {
	s, _ := New(bytes.Repeat([]byte{1}, 32))
	v := s.SealText("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "connectfed access key AKIAIOSFODNN7EXAMPLE")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.OpenText(v, "connectfed access key AKIAIOSFODNN7EXAMPLE"); err != nil {
			b.Fatal(err)
		}
	}
}
