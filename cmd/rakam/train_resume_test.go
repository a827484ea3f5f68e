//go:build unix

package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestHelperProcess is not a test: the resume test runs the test binary as
// "rakam" with RAKAM_TEST_HELPER=1 and the arguments after "--".
// RAKAM_TEST_SIGNAL=SIG@EPOCH:BATCH makes the process send itself SIG
// (KILL or INT) after that batch.
func TestHelperProcess(t *testing.T) {
	if os.Getenv("RAKAM_TEST_HELPER") != "1" {
		return
	}
	args := os.Args
	for i, a := range args {
		if a == "--" {
			args = args[i+1:]
			break
		}
	}
	e := &env{stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr}
	if spec := os.Getenv("RAKAM_TEST_SIGNAL"); spec != "" {
		name, at, _ := strings.Cut(spec, "@")
		es, bs, _ := strings.Cut(at, ":")
		ep, _ := strconv.Atoi(es)
		bt, _ := strconv.Atoi(bs)
		sig := syscall.SIGKILL
		if name == "INT" {
			sig = syscall.SIGINT
		}
		e.afterBatch = func(epoch, batch int) {
			if epoch == ep && batch == bt {
				syscall.Kill(os.Getpid(), sig)
				if sig == syscall.SIGINT {
					// Let the signal reach the context before the next batch.
					for i := 0; i < 1000 && len(sigSeen) == 0; i++ {
						time.Sleep(time.Millisecond)
					}
				}
			}
		}
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	go func() { <-ctx.Done(); sigSeen <- struct{}{} }()
	code := runEnv(ctx, e, args)
	stop()
	os.Exit(code)
}

var sigSeen = make(chan struct{}, 1)

func rakamProcess(t *testing.T, signal string, args ...string) (int, string) {
	t.Helper()
	cmd := exec.Command(os.Args[0], append([]string{"-test.run=^TestHelperProcess$", "--"}, args...)...)
	cmd.Env = append(os.Environ(), "RAKAM_TEST_HELPER=1", "RAKAM_TEST_SIGNAL="+signal)
	var errb bytes.Buffer
	cmd.Stderr = &errb
	err := cmd.Run()
	code := 0
	var xe *exec.ExitError
	if errors.As(err, &xe) {
		code = xe.ExitCode()
		if ws, ok := xe.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			code = -int(ws.Signal())
		}
	} else if err != nil {
		t.Fatal(err)
	}
	return code, errb.String()
}

// resumeReference returns the flags of the small run the resume tests
// interrupt and the model file it writes uninterrupted (trained in dir).
func resumeReference(t *testing.T, dir string) (base []string, want []byte) {
	t.Helper()
	base = []string{"train", "--model", "advanced", "--epochs", "2", "--train-limit", "1500", "--val", "500", "--batch", "50",
		"--schedule", "cosine", "--quiet"}
	ref := filepath.Join(dir, "ref.safetensors")
	if code, errs := rakamProcess(t, "", append(base, "--out", ref)...); code != 0 {
		t.Fatalf("uninterrupted run = %d: %s", code, errs)
	}
	want, err := os.ReadFile(ref)
	if err != nil {
		t.Fatal(err)
	}
	return base, want
}

// TestResumeAfterKill trains a small run three ways: uninterrupted; killed
// with SIGKILL in the middle of its second epoch and resumed from the last
// checkpoint; interrupted with SIGINT (exit 130, checkpoint saved) and
// resumed. All three must write byte-identical model files.
func TestResumeAfterKill(t *testing.T) {
	haveMNIST(t)
	dir := t.TempDir()
	base, want := resumeReference(t, dir)

	// SIGKILL at epoch 2, batch 17 (of 30); the last checkpoint is at batch 16.
	ck := filepath.Join(dir, "ck")
	killed := filepath.Join(dir, "killed.safetensors")
	code, errs := rakamProcess(t, "KILL@2:17", append(base, "--out", killed, "--checkpoint-dir", ck, "--checkpoint-every", "8")...)
	if code != -int(syscall.SIGKILL) {
		t.Fatalf("run to be killed = %d (%s); want death by SIGKILL", code, errs)
	}
	if _, err := os.Stat(killed); err == nil {
		t.Fatal("the killed run wrote a model")
	}
	evs := filepath.Join(dir, "resume.events")
	if code, errs := rakamProcess(t, "", "train", "--resume", ck, "--quiet", "--events", evs); code != 0 {
		t.Fatalf("resume after SIGKILL = %d: %s", code, errs)
	}
	// A run trained again from the start ends with the same bytes too; the
	// resume event (epoch 2, batch 16) says it continued the checkpoint.
	if b, _ := os.ReadFile(evs); !strings.Contains(string(b), `"event":"resume"`) || !strings.Contains(string(b), `"batch":16`) {
		t.Errorf("resume after SIGKILL: events %s; want a resume event at batch 16 (did it train from the start?)", b)
	}
	if got, _ := os.ReadFile(killed); !bytes.Equal(got, want) {
		t.Errorf("model resumed after SIGKILL differs from the uninterrupted run's (%d vs %d bytes)", len(got), len(want))
	}

	// SIGINT at epoch 1, batch 7, no --checkpoint-dir: exit 130 and a
	// checkpoint next to --out.
	inter := filepath.Join(dir, "inter.safetensors")
	code, errs = rakamProcess(t, "INT@1:7", append(base, "--out", inter)...)
	if code != exitInterrupted || !strings.Contains(errs, "--resume") {
		t.Fatalf("interrupted run = %d, %q; want 130 and how to resume", code, errs)
	}
	if code, errs := rakamProcess(t, "", "train", "--resume", filepath.Join(dir, "inter.ckpt"), "--quiet"); code != 0 {
		t.Fatalf("resume after SIGINT = %d: %s", code, errs)
	}
	if got, _ := os.ReadFile(inter); !bytes.Equal(got, want) {
		t.Error("model resumed after SIGINT differs from the uninterrupted run's")
	}
}
