package main

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"strings"
	"testing"
)

// TestRunErrors: usage errors exit 2, a study directory without the
// model to start from exits 1 naming the file, and nothing is written.
func TestRunErrors(t *testing.T) {
	var log bytes.Buffer
	if code := run(nil, &log); code != 2 || !strings.Contains(log.String(), "--out") {
		t.Errorf("no --out: exit %d, %q; want 2 and a word on --out", code, log.String())
	}
	log.Reset()
	out := t.TempDir() + "/m.safetensors"
	if code := run([]string{"--study", t.TempDir(), "--out", out}, &log); code != 1 || !strings.Contains(log.String(), "cnn-augment-seed2.safetensors") {
		t.Errorf("empty study: exit %d, %q; want 1 and the missing file named", code, log.String())
	}
	log.Reset()
	if code := run([]string{"--out", out, "--max-res", "3"}, &log); code != 1 || !strings.Contains(log.String(), "MaxResolution") {
		t.Errorf("max-res below min-res: exit %d, %q; want 1 and MaxResolution named", code, log.String())
	}
	if _, err := os.Stat(out); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("after the failures, %s: %v; want it not written", out, err)
	}
}
