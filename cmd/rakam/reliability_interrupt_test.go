package main

// The reliability audit (see reliability_helpers_test.go): runs that stop
// early, because the loss diverged or the user pressed Ctrl-C.

import (
	"fmt"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/rakam-ml/rakam/train"
)

// TestReliabilityDivergence: a learning rate that makes the loss explode
// stops training with a message naming the epoch and batch; no model is
// written and the last checkpoint kept is a good one.
func TestReliabilityDivergence(t *testing.T) {
	if testing.Short() {
		t.Skip("trains in -short mode")
	}
	f := newRelFixture(t)
	cases := []relCase{
		{name: "train-lr-100", args: []string{"train", "--model", "baseline-adam", "--lr", "100", "--data", "{mn}", "--val", relVal,
			"--epochs", "3", "--quiet", "--out", "{w}/m.safetensors", "--checkpoint-dir", "{w}/ck", "--checkpoint-every", "1"},
			code: exitFailure, want: []string{"diverged at epoch 1, batch", "no model saved", "learning rate"},
			keep: []string{"ck/" + train.CheckpointFile},
			check: func(t *testing.T, w, stdout, stderr string) {
				ck, err := train.LoadCheckpoint(filepath.Join(w, "ck"))
				if err != nil {
					t.Fatalf("the checkpoint kept after divergence does not load: %v", err)
				}
				m := regexp.MustCompile(`batch (\d+)`).FindStringSubmatch(stderr)
				if ck.Epoch() != 1 || m == nil || fmt.Sprint(ck.Batch()+1) != m[1] {
					t.Errorf("checkpoint at epoch %d batch %d; want the last good batch before the one named in %q", ck.Epoch(), ck.Batch(), stderr)
				}
			}},
		{name: "train-lr-1e6-sgd", args: []string{"train", "--model", "baseline-sgd", "--lr", "1e6", "--data", "{mn}", "--val", relVal,
			"--epochs", "2", "--quiet", "--out", "{w}/m.safetensors"},
			code: exitFailure, want: []string{"diverged at epoch", "batch"}},
		{name: "scratch-lr-1e6", args: []string{"scratch", "--lr", "1e6", "--data", "{mn}", "--val", relVal, "--epochs", "2",
			"--out", "{w}/s.safetensors"}, code: exitFailure, want: []string{"diverged", "epoch", "batch"}, progress: true,
			bug: "scratch.Train only stops on a NaN/Inf loss, but tensor.CrossEntropy clamps the loss at -log(1e-12) = 27.6, so a run that has blown up (accuracy 10%) finishes with exit 0 and saves its model"},
		{name: "search-lr-1e9", args: []string{"search", "--space", "lr=1e9", "--method", "grid", "--epochs", "1", "--data", "{mn}",
			"--val", relVal, "--quiet"}, code: exitFailure, want: []string{"every search trial failed", "diverged at epoch 1, batch"}},
	}
	runRelCases(t, f, cases)
}

// TestReliabilityInterrupt: a command whose context is cancelled (Ctrl-C)
// exits 130 with one line, leaves no partial output, and train saves a
// checkpoint it can resume from. serve documents exit 0 after a graceful
// shutdown.
func TestReliabilityInterrupt(t *testing.T) {
	f := newRelFixture(t)
	cases := []relCase{
		{name: "train", args: []string{"train", "--model", "baseline-adam", "--data", "{mn}", "--val", relVal, "--epochs", "2", "--quiet",
			"--out", "{w}/m.safetensors", "--checkpoint-dir", "{w}/ck"}, code: exitInterrupted, cancel: true,
			want: []string{"interrupted", "--resume"}, keep: []string{"ck/" + train.CheckpointFile},
			check: func(t *testing.T, w, stdout, stderr string) {
				if _, err := train.LoadCheckpoint(filepath.Join(w, "ck")); err != nil {
					t.Errorf("no usable checkpoint after the interrupt: %v", err)
				}
			}},
		{name: "train-no-checkpoint-dir", args: []string{"train", "--model", "baseline-adam", "--data", "{mn}", "--val", relVal, "--epochs", "2",
			"--quiet", "--out", "{w}/m.safetensors"}, code: exitInterrupted, cancel: true,
			want: []string{"interrupted", "m.ckpt"}, keep: []string{"m.ckpt/" + train.CheckpointFile}},
		{name: "scratch", args: []string{"scratch", "--data", "{mn}", "--val", relVal, "--out", "{w}/s.safetensors"}, code: exitInterrupted,
			cancel: true, want: []string{"interrupted"}, progress: true},
		{name: "search", args: []string{"search", "--data", "{mn}", "--val", relVal, "--trials", "2", "--epochs", "1", "--quiet"},
			code: exitInterrupted, cancel: true, want: []string{"interrupted"}},
		{name: "compare", args: []string{"compare", "--quick", "--data", "{mn}", "--val", relVal, "--quiet", "--out", "{w}/cmp"},
			code: exitInterrupted, cancel: true, want: []string{"interrupted"}},
		{name: "predict", args: []string{"predict", "--model", "{model}", "{img}"}, code: exitInterrupted, cancel: true,
			want: []string{"interrupted"}},
		{name: "data-download", args: []string{"data", "download", "--to", "{w}/d", "--mirror", "http://127.0.0.1:1/"},
			code: exitInterrupted, cancel: true, want: []string{"interrupted"}},
		{name: "serve", args: []string{"serve", "--model", "{model}", "--addr", "127.0.0.1:0"}, code: exitOK, cancel: true},
	}
	runRelCases(t, f, cases)
}
