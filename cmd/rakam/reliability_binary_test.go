package main

// The reliability audit (see reliability_helpers_test.go) with the real
// binary: SIGINT through main's signal handling, and flag values so large
// that they must run in a process of their own under a memory limit.

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rakam-ml/rakam/nn"
	"github.com/rakam-ml/rakam/train"
)

// TestReliabilityBinary builds the real binary once and runs what needs a
// process of its own: SIGINT through main's signal handling, and flag
// values so large that a run would allocate terabytes (a crash there ends
// the process, so they must not run inside the test binary; they run under
// an address-space limit so a regression cannot eat the machine's memory).
func TestReliabilityBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and trains in -short mode")
	}
	f := newRelFixture(t)
	bin := filepath.Join(t.TempDir(), "rakam")
	build := exec.Command("go", "build", "-o", bin, ".")
	// Pure Go, as released: with cgo, glibc reserves 8 MB of address space
	// per thread, and thread creation can fail under the limit below.
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	t.Run("SIGINT", func(t *testing.T) { relSIGINT(t, f, bin) })
	relHugeValues(t, f, bin)
}

// relSIGINT starts a long training run, sends SIGINT after the first
// progress line, and expects exit 130, one error line saying how to resume,
// a checkpoint in --checkpoint-dir, and no model file.
func relSIGINT(t *testing.T, f *relFixture, bin string) {
	w := filepath.Join(f.root, "w", "sigint")
	ck := filepath.Join(w, "ck")
	out := filepath.Join(w, "m.safetensors")
	cmd := exec.Command(bin, "train", "--model", "baseline-adam", "--data", filepath.Join(f.root, "mn"), "--val", relVal,
		"--epochs", "1000", "--out", out, "--checkpoint-dir", ck)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var lines []string
	sc := bufio.NewScanner(stderr)
	sent := false
	for sc.Scan() {
		lines = append(lines, sc.Text())
		if !sent && strings.HasPrefix(sc.Text(), "epoch ") {
			if err := cmd.Process.Signal(os.Interrupt); err != nil {
				t.Fatal(err)
			}
			sent = true
		}
	}
	err = cmd.Wait()
	code := cmd.ProcessState.ExitCode()
	if !sent {
		t.Fatalf("no progress line before exit %d (%v); stderr:\n%s", code, err, strings.Join(lines, "\n"))
	}
	last := lines[len(lines)-1]
	var errLines []string
	for _, l := range lines {
		if strings.HasPrefix(l, "rakam ") || relPanicked(l) {
			errLines = append(errLines, l)
		}
	}
	if code != exitInterrupted || len(errLines) != 1 || errLines[0] != last || !strings.Contains(last, "--resume") {
		t.Errorf("SIGINT: exit %d, stderr ends %q (%d error lines); want 130 and one line saying how to resume", code, last, len(errLines))
	}
	c, err := train.LoadCheckpoint(ck)
	if err != nil {
		t.Fatalf("no usable checkpoint in --checkpoint-dir after SIGINT: %v", err)
	}
	if c.Epoch() < 1 || c.Epoch() >= 1000 {
		t.Errorf("checkpoint at epoch %d; want one of the first epochs", c.Epoch())
	}
	if _, err := os.Stat(out); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("a model was written after SIGINT (stat: %v)", err)
	}
	if p := relLeftovers(f.root, w, []string{"ck/" + train.CheckpointFile}); len(p) > 0 {
		t.Errorf("after SIGINT: %s", strings.Join(p, "; "))
	}
	var meta trainOptions
	if err := json.Unmarshal(c.Meta(), &meta); err != nil || meta.Model != "baseline-adam" || meta.Epochs != 1000 {
		t.Errorf("checkpoint flags %s (%v); want the run's", c.Meta(), err)
	}
}

// relHugeValues runs flag values that ask for absurd amounts of memory.
// Each must end as a usage error naming the flag (exit 2) or, where the
// value can safely be clamped, succeed; never as the runtime's "fatal
// error: out of memory" with its goroutine dump.
func relHugeValues(t *testing.T, f *relFixture, bin string) {
	const limitKB = 1 << 20 // 1 GiB of address space: enough for these small runs and the runtime's reservations
	mn := filepath.Join(f.root, "mn")
	// A valid model whose first layer makes 3000 channels of 28x28 per image
	// (2.4 million values: 9 GB at eval's default batch of 1000, far over the
	// 1 GiB limit below; the evaluation itself stays quick),
	// pooled down to 10 outputs.
	wide, err := nn.Build(nn.Spec{Input: []int{1, 28, 28}, Layers: []nn.LayerSpec{
		{Kind: "Conv2D", Filters: 3000, Kernel: 1}, {Kind: "MaxPool2D", Kernel: 28}, {Kind: "Conv2D", Filters: 10, Kernel: 1}, {Kind: "Flatten"},
	}}, 1)
	if err != nil {
		t.Fatal(err)
	}
	wideModel := filepath.Join(f.root, "bad", "wide.safetensors")
	if err := nn.Save(wideModel, wide, nil); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name  string
		args  []string
		flag  string // named by the usage error
		ok    bool   // may also succeed (the value is clamped)
		bug   string
		code  int  // the error's exit code, if not 2
		serve bool // a server: stopped with SIGINT after 2 s
	}{
		{name: "control-eval", args: []string{"eval", "--data", mn, f.model}, ok: true},
		{name: "control-serve", args: []string{"serve", "--model", f.model, "--addr", "127.0.0.1:0"}, ok: true, serve: true},
		{name: "eval-batch", args: []string{"eval", "--data", mn, "--batch", "1000000000", f.model}, flag: "--batch", ok: true},
		{name: "eval-wide-model", args: []string{"eval", "--data", mn, wideModel}, flag: "wide.safetensors", ok: true, code: exitFailure,
			bug: "a valid 1 MB model file (Conv2D of 20000 1x1 filters) makes eval allocate batch × 15.7M float32s (31 GB for the 500 test images here, 63 GB at the default --batch 1000 on MNIST) and die with \"fatal error: out of memory\"; " +
				"bound batch × the spec's largest activation in train.Evaluate, as serve and predict now do (serve.Model.MaxExamples)"},
		{name: "train-batch", args: []string{"train", "--model", "baseline-adam", "--data", mn, "--val", relVal, "--epochs", "1", "--quiet",
			"--batch", "1000000000", "--out", filepath.Join(f.root, "w", "huge-train.safetensors")}, flag: "--batch", ok: true,
			bug: "train --batch 1000000000 allocates batch×784 float32s (3 TB) and dies with \"fatal error: out of memory\"; clamp the batch to the training-set size or reject it"},
		{name: "scratch-batch", args: []string{"scratch", "--data", mn, "--val", relVal, "--epochs", "1", "--batch", "1000000000"},
			flag: "--batch", ok: true,
			bug: "scratch --batch 1000000000 dies with \"fatal error: out of memory\"; clamp the batch to the training-set size or reject it"},
		{name: "scratch-hidden", args: []string{"scratch", "--data", mn, "--val", relVal, "--epochs", "1", "--hidden", "1000000000"},
			flag: "--hidden",
			bug:  "scratch --hidden 1000000000 allocates 784×10⁹ weights and dies with \"fatal error: out of memory\"; bound --hidden (search's space allows 1..65536)"},
		{name: "search-trials", args: []string{"search", "--data", mn, "--val", relVal, "--epochs", "1", "--quiet", "--trials", "1000000000"},
			flag: "--trials",
			bug:  "search --trials 1000000000 builds every trial up front and dies with \"fatal error: out of memory\"; bound --trials"},
		{name: "compare-trials", args: []string{"compare", "--quick", "--data", mn, "--val", relVal, "--quiet", "--trials", "1000000000",
			"--out", filepath.Join(f.root, "w", "huge-compare")}, flag: "--trials",
			bug: "compare --trials 1000000000 dies with \"fatal error: out of memory\" (the search it runs builds every trial up front); bound --trials"},
		{name: "serve-queue", args: []string{"serve", "--model", f.model, "--addr", "127.0.0.1:0", "--queue", "1000000000"},
			flag: "--queue", ok: true, serve: true},
	}
	for _, tc := range cases {
		t.Run("huge/"+tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
			defer cancel()
			cmd := exec.CommandContext(ctx, "sh", append([]string{"-c", fmt.Sprintf("ulimit -v %d && exec \"$0\" \"$@\"", limitKB), bin}, tc.args...)...)
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			if tc.serve {
				// A server that starts is fine; stop it as Ctrl-C would.
				time.AfterFunc(2*time.Second, func() { cmd.Process.Signal(os.Interrupt) })
			}
			cmd.Wait()
			code := cmd.ProcessState.ExitCode()
			var probs []string
			if code == exitOK && tc.ok {
				if relPanicked(stderr.String()) {
					probs = append(probs, "stderr shows a panic or a trace")
				}
			} else {
				want := tc.code
				if want == 0 {
					want = exitUsage
				}
				probs = relProblems(relCase{code: want, want: []string{tc.flag}}, code, stderr.String())
			}
			if len(probs) > 0 {
				msg := fmt.Sprintf("rakam %s\n  exit %d, stderr (first 5 lines):\n%s  problems:\n    %s", strings.Join(tc.args, " "), code,
					relIndent(relHead(stderr.String(), 5)), strings.Join(probs, "\n    "))
				if tc.bug != "" {
					// A defect the audit found and that was fixed has come back.
					msg = "regression of a fixed defect: " + tc.bug + "\n" + msg
				}
				t.Error(msg)
			}
		})
	}
}

func relHead(s string, n int) string {
	lines := strings.SplitN(s, "\n", n+1)
	if len(lines) > n {
		lines = lines[:n]
	}
	return strings.Join(lines, "\n")
}
