package atomicfile

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
)

func TestWriteReplacesAtomically(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "model.bin")
	if err := WriteFile(p, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	boom := errors.New("boom")
	err := Write(p, 0o644, func(w io.Writer) error {
		w.Write([]byte("half of the new"))
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("Write = %v; want the callback's error", err)
	}
	if b, _ := os.ReadFile(p); string(b) != "old" {
		t.Fatalf("after a failed Write the file holds %q; want the old content", b)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 1 {
		t.Fatalf("a failed Write left %d entries in the directory; want only the target", len(ents))
	}
	if err := WriteFile(p, []byte("new"), 0o600); err != nil {
		t.Fatal(err)
	}
	st, _ := os.Stat(p)
	if b, _ := os.ReadFile(p); string(b) != "new" || st.Mode().Perm() != 0o600 {
		t.Fatalf("after Write the file holds %q with mode %v; want \"new\", 0600", b, st.Mode().Perm())
	}
}

func TestCheckTarget(t *testing.T) {
	dir := t.TempDir()
	if err := CheckTarget(filepath.Join(dir, "sub", "out.bin")); err != nil {
		t.Errorf("CheckTarget in a new subdirectory = %v; want nil", err)
	}
	if err := CheckTarget(dir); err == nil {
		t.Error("CheckTarget of a directory = nil; want an error")
	}
	file := filepath.Join(dir, "plain")
	os.WriteFile(file, nil, 0o644)
	if err := CheckTarget(filepath.Join(file, "out.bin")); err == nil {
		t.Error("CheckTarget under a regular file = nil; want an error")
	}
}
