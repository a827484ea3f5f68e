//go:build unix

package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestTrainResumesByItself kills a run with --checkpoint-dir in its second
// epoch and starts the same command again, without --resume (as a
// restarted pod does): it must say it resumes and write the model an
// uninterrupted run writes, byte for byte. The same directory given to a
// run with another learning rate is refused, naming the flag, and the
// checkpoint is left as it was.
func TestTrainResumesByItself(t *testing.T) {
	haveMNIST(t)
	dir := t.TempDir()
	base, want := resumeReference(t, dir)
	ck := filepath.Join(dir, "ck")
	out := filepath.Join(dir, "pod.safetensors")
	pod := append(base, "--out", out, "--checkpoint-dir", ck, "--checkpoint-every", "8")
	if code, errs := rakamProcess(t, "KILL@2:17", pod...); code != -int(syscall.SIGKILL) {
		t.Fatalf("run to be killed = %d (%s); want death by SIGKILL", code, errs)
	}
	ckFile := filepath.Join(ck, "checkpoint.safetensors")
	saved, err := os.ReadFile(ckFile)
	if err != nil {
		t.Fatalf("the killed run left no checkpoint: %v", err)
	}

	other := append(append([]string(nil), pod...), "--lr", "0.002")
	code, errs := rakamProcess(t, "", other...)
	if code != 1 || !strings.Contains(errs, "another run") || !strings.Contains(errs, "--lr 0.001 there, 0.002 here") {
		t.Errorf("a run with another --lr on the checkpoint = %d, %q; want 1 naming --lr", code, errs)
	}
	if now, _ := os.ReadFile(ckFile); !bytes.Equal(now, saved) {
		t.Error("the refused run changed the checkpoint")
	}
	if _, err := os.Stat(out); err == nil {
		t.Fatal("the refused run wrote a model")
	}

	// Started again, same flags (not --quiet: the resume is announced).
	again := append([]string(nil), pod...)
	for i, a := range again {
		if a == "--quiet" {
			again = append(again[:i], again[i+1:]...)
			break
		}
	}
	code, errs = rakamProcess(t, "", again...)
	if code != 0 || !strings.Contains(errs, "resuming from "+ckFile+" at epoch 2, batch 16") {
		t.Fatalf("the same command again = %d, %q; want 0 and resuming at epoch 2, batch 16", code, errs)
	}
	if got, _ := os.ReadFile(out); !bytes.Equal(got, want) {
		t.Errorf("the model of the run started again differs from the uninterrupted run's (%d vs %d bytes)", len(got), len(want))
	}
}
