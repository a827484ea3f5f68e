package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rakam-ml/rakam/mnist"
	"github.com/rakam-ml/rakam/results"
	"github.com/rakam-ml/rakam/tensor"
)

func haveMNIST(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("skipping MNIST training in -short mode")
	}
	if _, err := mnist.Locate(""); err != nil {
		t.Skipf("MNIST not found: %v", err)
	}
}

func TestTrainFlagErrors(t *testing.T) {
	dir := t.TempDir()
	tests := [][]string{
		{"train"},
		{"train", "--model", "resnet"},
		{"train", "--model", "cnn-real"},
		{"train", "--model", "cnn", "--epochs", "0"},
		{"train", "--model", "cnn", "--batch", "0"},
		{"train", "--model", "cnn", "--lr", "0"},
		{"train", "--model", "cnn", "--epochs", "x"},
		{"train", "--model", "cnn", "--batch", "-3"},
		{"train", "--model", "cnn", "--lr", "-1"},
		{"train", "--model", "cnn", "--lr", "NaN"},
		{"train", "--model", "cnn", "--optimizer", "rmsprop"},
		{"train", "--model", "cnn", "--schedule", "warmup"},
		{"train", "--model", "cnn", "--schedule", "step:gamma=2"},
		{"train", "--model", "cnn", "--val", "-1"},
		{"train", "--model", "cnn", "--checkpoint-every", "5"},
		{"train", "--model", "cnn", "--early-stopping", "3", "--val", "0"},
		{"train", "--model", "cnn", "--threads", "-1"},
		{"train", "--model", "cnn", "--weight-decay", "-0.5"},
		{"train", "--model", "cnn", "--clip-norm", "-1"},
		{"train", "--model", "cnn", "extra"},
		{"train", "--resume", dir, "--epochs", "3"},
		{"eval"},
		{"eval", "a", "b"},
		{"eval", "--batch", "0", "a"},
		{"models", "x"},
		{"models", "--bogus"},
	}
	for _, args := range tests {
		if args[0] == "train" && len(args) > 1 && args[1] == "--model" {
			// Should a case pass the checks by mistake, fail fast on data
			// rather than train a model.
			args = append(args, "--data", filepath.Join(dir, "no-mnist"))
		}
		code, _, errs := runCLI(t, args...)
		if code != exitUsage || !strings.Contains(errs, "--help") {
			t.Errorf("rakam %s = %d, stderr %q; want exit 2 and a usage hint", strings.Join(args, " "), code, errs)
		}
	}
}

func TestTrainFailuresExit1(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "file")
	os.WriteFile(file, []byte("x"), 0o644)
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"train", "--model", "baseline-adam", "--out", filepath.Join(file, "m.safetensors")}, "--out"},
		{[]string{"train", "--model", "baseline-adam", "--checkpoint-dir", filepath.Join(file, "ck")}, "--checkpoint-dir"},
		{[]string{"train", "--model", "baseline-adam", "--data", filepath.Join(dir, "none"), "--out", filepath.Join(dir, "m")}, "none"},
		{[]string{"train", "--resume", dir}, "no checkpoint"},
		{[]string{"eval", file}, "file"},
		{[]string{"eval", filepath.Join(dir, "missing.safetensors")}, "missing.safetensors"},
	}
	for _, tc := range tests {
		code, _, errs := runCLI(t, tc.args...)
		lines := strings.Split(strings.TrimSpace(errs), "\n")
		last := lines[len(lines)-1]
		if code != exitFailure || !strings.Contains(last, tc.want) || !strings.HasPrefix(last, "rakam ") {
			t.Errorf("rakam %s = %d, stderr %q; want exit 1 and one line naming %q", strings.Join(tc.args, " "), code, errs, tc.want)
		}
	}
}

func TestModelsJSON(t *testing.T) {
	code, out, _ := runCLI(t, "models", "--json")
	var got struct {
		Models []zooModel `json:"models"`
	}
	dec := json.NewDecoder(strings.NewReader(out))
	if code != 0 || dec.Decode(&got) != nil || dec.More() {
		t.Fatalf("rakam models --json = %d, %q; want one JSON object", code, out)
	}
	// 784·128 + 128 + 128·10 + 10 = 101,770, as Keras' summary says.
	want := map[string]int{"baseline-adam": 101770, "baseline-sgd": 101770, "batchnorm": 101770 + 256}
	for _, m := range got.Models {
		if n, ok := want[m.Name]; ok && m.Params != n {
			t.Errorf("%s: %d parameters; want %d", m.Name, m.Params, n)
		}
		delete(want, m.Name)
	}
	if len(want) > 0 {
		t.Errorf("models missing from the list: %v", want)
	}
	code, out, _ = runCLI(t, "models")
	if code != 0 || !strings.Contains(out, "cnn") || !strings.Contains(out, "101770") {
		t.Errorf("rakam models = %d, %q", code, out)
	}
}

// TestTrainEvalJSON trains a small run and checks the JSON contract, that
// eval of the saved file agrees, and that the same seed gives the same file.
func TestTrainEvalJSON(t *testing.T) {
	haveMNIST(t)
	dir := t.TempDir()
	args := func(out string) []string {
		return []string{"train", "--model", "batchnorm", "--epochs", "2", "--train-limit", "2000", "--val", "1000",
			"--batch", "64", "--schedule", "cosine", "--out", out, "--json"}
	}
	a := filepath.Join(dir, "a.safetensors")
	code, out, errs := runCLI(t, args(a)...)
	if code != 0 {
		t.Fatalf("rakam train = %d; stderr:\n%s", code, errs)
	}
	var res results.Model
	dec := json.NewDecoder(strings.NewReader(out))
	if err := dec.Decode(&res); err != nil || dec.More() {
		t.Fatalf("stdout is not exactly one JSON object (%v):\n%s", err, out)
	}
	if res.Name != "batchnorm" || res.Epochs != 2 || len(res.History) != 2 || len(res.SecondsPerEpoch) != 2 ||
		res.Params != 102026 || res.TestAccuracy < 0.8 || len(res.Confusion) != 10 || res.ImagesPerSecond <= 0 {
		t.Errorf("result %+v", res)
	}
	if res.History[1].LR >= res.History[0].LR {
		t.Errorf("cosine schedule: lr %v then %v; want decreasing", res.History[0].LR, res.History[1].LR)
	}
	code, out, errs = runCLI(t, "eval", "--json", a)
	var ev results.Model
	if code != 0 || json.Unmarshal([]byte(out), &ev) != nil {
		t.Fatalf("rakam eval = %d, %s", code, errs)
	}
	if ev.TestAccuracy != res.TestAccuracy || ev.TestLoss != res.TestLoss || ev.Name != "batchnorm" {
		t.Errorf("eval: accuracy %v loss %v; train said %v %v", ev.TestAccuracy, ev.TestLoss, res.TestAccuracy, res.TestLoss)
	}
	// Same seed, one thread instead of all: the same bytes.
	defer tensor.SetThreads(tensor.Threads())
	b := filepath.Join(dir, "b.safetensors")
	if code, _, errs := runCLI(t, append(args(b), "--threads", "1")...); code != 0 {
		t.Fatalf("second run = %d: %s", code, errs)
	}
	fa, _ := os.ReadFile(a)
	fb, _ := os.ReadFile(b)
	if !bytes.Equal(fa, fb) {
		t.Error("two runs with the same seed (all threads, then one) wrote different model files")
	}
}

func TestTrainDivergence(t *testing.T) {
	haveMNIST(t)
	dir := t.TempDir()
	out := filepath.Join(dir, "m.safetensors")
	code, _, errs := runCLI(t, "train", "--model", "baseline-adam", "--lr", "100", "--train-limit", "2000", "--val", "500",
		"--epochs", "2", "--out", out, "--checkpoint-dir", filepath.Join(dir, "ck"))
	if code != exitFailure || !strings.Contains(errs, "diverged at epoch 1, batch") || !strings.Contains(errs, "no model saved") {
		t.Errorf("rakam train --lr 100 = %d, %q; want exit 1 and a divergence message with epoch and batch", code, errs)
	}
	if _, err := os.Stat(out); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a model was saved after divergence (stat: %v)", err)
	}
}
