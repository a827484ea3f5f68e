package main

// The reliability audit (see reliability_helpers_test.go): the thread
// count, the augmentation workers and the search workers do not change
// what a run produces.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/rakam-ml/rakam/tensor"
)

// TestReliabilityThreadCount: the thread count of the matrix products does
// not change the result. The same seed trained with 1, 2 and 3 threads (1
// and 2 for the CNN) gives byte-identical model files (GEMM splits C into fixed partitions and
// every element is summed in the same order whatever the thread count).
func TestReliabilityThreadCount(t *testing.T) {
	if testing.Short() {
		t.Skip("trains in -short mode")
	}
	f := newRelFixture(t)
	def := tensor.Threads()
	for _, model := range []string{"advanced", "cnn"} {
		var first []byte
		limit := "400"
		if model == "cnn" {
			limit = "200"
		}
		threads := []string{"1", "2", "3"}
		if model == "cnn" {
			threads = threads[:2]
		}
		for _, th := range threads {
			out := filepath.Join(f.root, "w", model+"-"+th+".safetensors")
			args := []string{"train", "--model", model, "--data", filepath.Join(f.root, "mn"), "--val", relVal, "--epochs", "1",
				"--train-limit", limit, "--batch", "50", "--threads", th, "--quiet", "--out", out}
			code, _, errs := runCLI(t, args...)
			if code != 0 {
				t.Fatalf("rakam %s = %d: %s", strings.Join(args, " "), code, errs)
			}
			if got := tensor.Threads(); got != def {
				t.Fatalf("--threads %s changed the process default tensor.Threads() from %d to %d; want the run's own budget", th, def, got)
			}
			b := mustRead(t, out)
			if first == nil {
				first = b
			} else if !bytes.Equal(b, first) {
				t.Errorf("%s: the model trained with %s threads differs from the one trained with 1", model, th)
			}
		}
	}
}

// TestReliabilityAugmentWorkers: with --augment the data loader prepares
// batches on GOMAXPROCS worker goroutines, each with its own random
// stream; GOMAXPROCS 1 and 2 (with 1 and 2 GEMM threads) give
// byte-identical models.
func TestReliabilityAugmentWorkers(t *testing.T) {
	if testing.Short() {
		t.Skip("trains in -short mode")
	}
	f := newRelFixture(t)
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	defer tensor.SetThreads(tensor.Threads())
	var first []byte
	for _, procs := range []int{1, 2} {
		runtime.GOMAXPROCS(procs)
		out := filepath.Join(f.root, "w", fmt.Sprintf("augment-%d.safetensors", procs))
		args := []string{"train", "--model", "advanced", "--augment", "--data", filepath.Join(f.root, "mn"), "--val", relVal, "--epochs", "1",
			"--train-limit", "300", "--batch", "50", "--threads", fmt.Sprint(procs), "--quiet", "--out", out}
		if code, _, errs := runCLI(t, args...); code != 0 {
			t.Fatalf("rakam %s = %d: %s", strings.Join(args, " "), code, errs)
		}
		b := mustRead(t, out)
		if first == nil {
			first = b
		} else if !bytes.Equal(b, first) {
			t.Errorf("--augment: the model trained with GOMAXPROCS=%d differs from the one with GOMAXPROCS=1", procs)
		}
	}
}

// TestReliabilitySearchWorkers: a search trains its trials in parallel;
// one worker or two give the same table (each trial runs its matrix
// products on one thread and has its own seeded random streams).
func TestReliabilitySearchWorkers(t *testing.T) {
	if testing.Short() {
		t.Skip("trains in -short mode")
	}
	f := newRelFixture(t)
	type table struct {
		Trials []struct {
			Params      map[string]any `json:"params"`
			ValAccuracy float64        `json:"val_accuracy"`
			ValLoss     float64        `json:"val_loss"`
		} `json:"trials"`
		Winner struct {
			TestAccuracy float64 `json:"test_accuracy"`
			TestLoss     float64 `json:"test_loss"`
		} `json:"winner"`
	}
	var tables [2]table
	for i, workers := range []string{"1", "2"} {
		args := []string{"search", "--data", filepath.Join(f.root, "mn"), "--val", relVal, "--trials", "3", "--epochs", "1",
			"--space", "lr=0.0003..0.003;hidden=32,64;batch=50", "--workers", workers, "--quiet", "--json"}
		code, out, errs := runCLI(t, args...)
		if code != 0 {
			t.Fatalf("rakam %s = %d: %s", strings.Join(args, " "), code, errs)
		}
		if err := json.Unmarshal([]byte(out), &tables[i]); err != nil || len(tables[i].Trials) != 3 {
			t.Fatalf("search --json: %v\n%s", err, out)
		}
	}
	a, _ := json.Marshal(tables[0])
	b, _ := json.Marshal(tables[1])
	if !bytes.Equal(a, b) {
		t.Errorf("search with 1 worker:\n%s\nwith 2 workers:\n%s", a, b)
	}
}
