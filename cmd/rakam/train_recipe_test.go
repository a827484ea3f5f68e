package main

import (
	"encoding/json"
	"maps"
	"path/filepath"
	"slices"
	"testing"

	"github.com/rakam-ml/rakam/nn"
	"github.com/rakam-ml/rakam/results"
	"github.com/rakam-ml/rakam/study"
)

// TestTrainFlagsReachTheRun: the flags that only rakam train sets
// (--clip-norm, --weight-decay, --augment) reach study.Train's optimiser
// and loader: each changes the trained weights, and the same flags twice do
// not.
func TestTrainFlagsReachTheRun(t *testing.T) {
	haveMNIST(t)
	dir := t.TempDir()
	weights := func(name string, flags ...string) []float32 {
		t.Helper()
		out := filepath.Join(dir, name+".safetensors")
		args := append([]string{"train", "--model", "baseline-adam", "--epochs", "1", "--train-limit", "400", "--val", "100",
			"--batch", "50", "--quiet", "--out", out}, flags...)
		if code, _, errs := runCLI(t, args...); code != 0 {
			t.Fatalf("rakam %v = %d: %s", args, code, errs)
		}
		m, _, err := nn.Load(out)
		if err != nil {
			t.Fatal(err)
		}
		var w []float32
		for _, p := range m.Tensors() {
			w = append(w, p.Value.Data...)
		}
		return w
	}
	plain := weights("plain")
	if again := weights("again"); !slices.Equal(plain, again) {
		t.Fatal("two runs with the same flags trained different weights")
	}
	for _, flags := range [][]string{{"--clip-norm", "0.01"}, {"--weight-decay", "0.5"}, {"--augment"}} {
		if got := weights(flags[0][2:], flags...); slices.Equal(got, plain) {
			t.Errorf("rakam train %v trained the same weights as without it: the flag did not reach the run", flags)
		}
	}
	if adamw, wd0 := weights("adamw", "--optimizer", "adamw"), weights("adamw-wd0", "--optimizer", "adamw", "--weight-decay", "0"); slices.Equal(adamw, wd0) {
		t.Error("adamw with its default weight decay and with --weight-decay 0 trained the same weights")
	}
}

// TestTrainMetadataLikeTheStudy: rakam train saves the same metadata keys
// as a model the study trains (study.ModelMetadata's, with the architecture),
// and its metrics read as study.Metrics.
func TestTrainMetadataLikeTheStudy(t *testing.T) {
	haveMNIST(t)
	out := filepath.Join(t.TempDir(), "m.safetensors")
	if code, _, errs := runCLI(t, "train", "--model", "baseline-adam", "--epochs", "1", "--train-limit", "400", "--val", "100",
		"--quiet", "--out", out); code != 0 {
		t.Fatalf("rakam train = %d: %s", code, errs)
	}
	_, meta, err := nn.Load(out)
	if err != nil {
		t.Fatal(err)
	}
	want := slices.Sorted(maps.Keys(study.ModelMetadata(&results.Model{}, nil, "")))
	want = append(want, nn.MetaSpec)
	slices.Sort(want)
	if got := slices.Sorted(maps.Keys(meta)); !slices.Equal(got, want) {
		t.Errorf("rakam train's metadata keys = %v; want the study's %v", got, want)
	}
	var m study.Metrics
	if err := json.Unmarshal([]byte(meta[nn.MetaMetrics]), &m); err != nil || m.Epochs != 1 || !(m.TestAccuracy > 0.2) || meta[nn.MetaName] != "baseline-adam" {
		t.Errorf("rakam train's %s = %s, name %q; want epochs 1, accuracy above chance, name baseline-adam", nn.MetaMetrics, meta[nn.MetaMetrics], meta[nn.MetaName])
	}
}
