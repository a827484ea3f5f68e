package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/rakam-ml/rakam/nn"
	"github.com/rakam-ml/rakam/results"
	"github.com/rakam-ml/rakam/study"
)

func TestTrainInitFlags(t *testing.T) {
	dir := t.TempDir()
	m := filepath.Join(dir, "m.safetensors")
	none := filepath.Join(dir, "no-data")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"train", "--init", m, "--model", "cnn"}, "--init and --model"},
		{[]string{"train", "--model", "cnn", "--init", m, "--epochs", "1"}, "drop --model"},
		{[]string{"train", "--init", m, "--mix-mnist", "1"}, "--mix-mnist must be at least 0 and below 1"},
		{[]string{"train", "--init", m, "--mix-mnist", "-0.1"}, "--mix-mnist must be"},
		{[]string{"train", "--init", m, "--mix-mnist", "NaN"}, "--mix-mnist must be"},
		{[]string{"train", "--init", m, "--out", m}, "is the --init file"},
		{[]string{"train", "--init", m, "--lr", "0"}, "--lr must be positive"},
		{[]string{"train"}, "--model (or --init FILE) is required"},
	} {
		args := append(tc.args, "--data", none)
		code, _, errs := runCLI(t, args...)
		if code != exitUsage || !strings.Contains(errs, tc.want) {
			t.Errorf("rakam %s = %d, %q; want exit 2 and %q", strings.Join(args, " "), code, errs, tc.want)
		}
	}
	code, _, errs := runCLI(t, "train", "--init", m, "--data", none)
	if code != exitFailure || !strings.Contains(lastLine(errs), "--init") || !strings.Contains(lastLine(errs), m) {
		t.Errorf("rakam train --init MISSING = %d, %q; want exit 1 naming the file", code, errs)
	}
}

// TestTrainInitWrongShape: a model whose input is not a 28x28 image, or
// whose output is not ten digits, is refused before any data is read, with
// an error saying what it takes and what the data are.
func TestTrainInitWrongShape(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		name string
		spec nn.Spec
		want string
	}{
		{"input100", nn.Spec{Input: []int{100}, Layers: []nn.LayerSpec{{Kind: "Dense", Units: 10}}}, "takes 100 inputs (shape [100])"},
		{"input32x32", nn.Spec{Input: []int{1, 32, 32}, Layers: []nn.LayerSpec{{Kind: "Flatten"}, {Kind: "Dense", Units: 10}}}, "takes 1024 inputs"},
		{"output5", nn.Spec{Input: []int{784}, Layers: []nn.LayerSpec{{Kind: "Dense", Units: 5}}}, "gives 5 outputs"},
	} {
		m, err := nn.Build(tc.spec, 1)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		path := filepath.Join(dir, tc.name+".safetensors")
		if err := nn.Save(path, m, nil); err != nil {
			t.Fatal(err)
		}
		// No --data: MNIST is not even loaded before the refusal.
		code, _, errs := runCLI(t, "train", "--init", path, "--data", filepath.Join(dir, "no-data"), "--out", filepath.Join(dir, "out.safetensors"))
		last := lastLine(errs)
		if code != exitFailure || !strings.Contains(last, tc.want) || !strings.Contains(last, path) || !strings.Contains(last, "28x28 images (784 inputs) of 10 digits") {
			t.Errorf("train --init %s = %d, %q; want exit 1 and %q", tc.name, code, last, tc.want)
		}
	}
}

func fileSHA256(t *testing.T, path string) string {
	t.Helper()
	d := sha256.Sum256(mustRead(t, path))
	return hex.EncodeToString(d[:])
}

func initWeights(t *testing.T, path string) ([]float32, map[string]string) {
	t.Helper()
	m, meta, err := nn.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	var w []float32
	for _, p := range m.Tensors() {
		w = append(w, p.Value.Data...)
	}
	return w, meta
}

// TestFineTuneOwnDigits is the whole story end to end: a folder of 1,000
// labelled PNG digits (MNIST test digits drawn dark on white at twice the
// size, as scans) with one corrupt file is imported (the corrupt file named
// and DIR untouched, then skipped with --skip-bad), a small model trained
// on MNIST is fine-tuned on it for one epoch, alone and mixed with MNIST,
// and the fine-tuned model loads, records where it came from and scores on
// the imported test split as eval does.
func TestFineTuneOwnDigits(t *testing.T) {
	haveMNIST(t)
	root := t.TempDir()
	src := filepath.Join(root, "src")
	digitFolder(t, src, 1000)
	corrupt := filepath.Join(src, "4", "scan-broken.png")
	png := mustRead(t, filepath.Join(src, "4", "00004.png"))
	if err := os.WriteFile(corrupt, png[:len(png)*2/3], 0o644); err != nil {
		t.Fatal(err)
	}

	// A failed import names the file and leaves DIR as it was.
	dir := filepath.Join(root, "digits")
	os.MkdirAll(dir, 0o755)
	os.WriteFile(filepath.Join(dir, "mine.txt"), []byte("keep me"), 0o644)
	before := dirState(t, dir)
	code, _, errs := runCLI(t, "data", "import", src, "--to", dir, "--force")
	if code != exitFailure || !strings.Contains(lastLine(errs), corrupt) {
		t.Fatalf("import of a folder with a corrupt image = %d, %q; want exit 1 naming %s", code, lastLine(errs), corrupt)
	}
	if !mapsEqual(before, dirState(t, dir)) {
		t.Fatal("a failed import changed DIR")
	}
	code, sum, errs := importJSON(t, src, "--to", dir, "--force", "--skip-bad", "--test-fraction", "0.2", "--seed", "1")
	if code != 0 {
		t.Fatalf("import --skip-bad = %d: %s", code, errs)
	}
	// The split is dealt over the 1,001 files before the corrupt one is
	// found out: 200 test images, or 199 if it was one of them.
	if sum.Images != 1000 || len(sum.Skipped) != 1 || sum.Skipped[0].Path != corrupt || (sum.Test != 200 && sum.Test != 199) {
		t.Fatalf("import: %d images, %d test, skipped %v; want 1000, 200 or 199 and %s", sum.Images, sum.Test, sum.Skipped, corrupt)
	}
	if _, err := os.Stat(filepath.Join(dir, "mine.txt")); err == nil {
		t.Error("import --force kept a file of the old DIR")
	}

	// A small model trained on MNIST, then fine-tuned on the imported set.
	base := filepath.Join(root, "base.safetensors")
	if code, _, errs := runCLI(t, "train", "--model", "baseline-adam", "--epochs", "1", "--train-limit", "3000", "--val", "500",
		"--quiet", "--out", base); code != 0 {
		t.Fatalf("training the base model = %d: %s", code, errs)
	}
	baseW, _ := initWeights(t, base)
	baseSum := fileSHA256(t, base)
	tuned := filepath.Join(root, "tuned.safetensors")
	code, out, errs := runCLI(t, "train", "--init", base, "--data", dir, "--epochs", "1", "--out", tuned, "--json")
	if code != 0 {
		t.Fatalf("rakam train --init = %d: %s", code, errs)
	}
	var res results.Model
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("train --init --json: %v\n%s", err, out)
	}
	var scored int
	for _, row := range res.Confusion {
		for _, n := range row {
			scored += n
		}
	}
	// The training images less the default validation (a tenth).
	nVal := sum.Train / 10
	nTrain := sum.Train - nVal
	if want := fmt.Sprintf("%s: %d train, %d validation, %d test images", dir, nTrain, nVal, sum.Test); !strings.Contains(errs, want) {
		t.Errorf("stderr does not describe the imported set (%s):\n%s", want, errs)
	}
	if res.Name != "base-finetuned" || scored != sum.Test || res.Epochs != 1 || !(res.TestAccuracy > 0.5) {
		t.Errorf("fine-tuned: name %q, %d test images scored, %d epochs, accuracy %v; want base-finetuned, the imported test images, 1, above 0.5",
			res.Name, scored, res.Epochs, res.TestAccuracy)
	}
	if res.Config["init"] != base || res.Config["init_sha256"] != baseSum || res.Config["optimizer"] != "adam" || res.Config["lr"] != 1e-4 || res.Config["batch"] != 32.0 {
		t.Errorf("config %v; want init %s (%s) with the fine-tuning defaults adam, lr 0.0001, batch 32", res.Config, base, baseSum)
	}
	tunedW, meta := initWeights(t, tuned)
	if len(tunedW) != len(baseW) || slices.Equal(tunedW, baseW) {
		t.Error("the fine-tuned model has the base model's weights, or another architecture")
	}
	var cfg trainOptions
	if err := json.Unmarshal([]byte(meta[nn.MetaTrainConfig]), &cfg); err != nil || cfg.Init != "base.safetensors" || cfg.InitSHA256 != baseSum || cfg.Model != "" {
		t.Errorf("saved %s = %s; want init base.safetensors and its SHA-256 %s", nn.MetaTrainConfig, meta[nn.MetaTrainConfig], baseSum)
	}
	if meta[nn.MetaDatasetSHA256] != sum.DatasetSHA256 || meta[nn.MetaName] != "base-finetuned" {
		t.Errorf("saved dataset %s, name %s; want the imported set's %s and base-finetuned", meta[nn.MetaDatasetSHA256], meta[nn.MetaName], sum.DatasetSHA256)
	}
	code, out, errs = runCLI(t, "eval", "--data", dir, "--json", tuned)
	var ev results.Model
	if code != 0 || json.Unmarshal([]byte(out), &ev) != nil {
		t.Fatalf("rakam eval --data DIR = %d: %s", code, errs)
	}
	if ev.TestAccuracy != res.TestAccuracy || ev.TestLoss != res.TestLoss {
		t.Errorf("eval on the imported test split: accuracy %v loss %v; train said %v %v", ev.TestAccuracy, ev.TestLoss, res.TestAccuracy, res.TestLoss)
	}

	// Mixed with MNIST half and half: as many MNIST images as imported
	// ones, and the weights differ from the run without them.
	mixed := filepath.Join(root, "mixed.safetensors")
	ck := filepath.Join(root, "ck")
	args := []string{"train", "--init", base, "--data", dir, "--epochs", "1", "--mix-mnist", "0.5", "--out", mixed, "--checkpoint-dir", ck}
	code, _, errs = runCLI(t, args...)
	if want := fmt.Sprintf("include %d MNIST training images", nTrain); code != 0 || !strings.Contains(errs, want) {
		t.Fatalf("rakam train --mix-mnist 0.5 = %d; want %q:\n%s", code, want, errs)
	}
	mixedW, _ := initWeights(t, mixed)
	if slices.Equal(mixedW, tunedW) {
		t.Error("--mix-mnist 0.5 trained the same weights as no mixing")
	}
	// Interrupted in its second epoch and resumed, a fine-tuning run ends
	// with the bytes of the uninterrupted one.
	two := []string{"train", "--init", base, "--data", dir, "--epochs", "2", "--quiet"}
	whole := filepath.Join(root, "whole.safetensors")
	if code, _, errs := runCLI(t, append(two, "--out", whole)...); code != 0 {
		t.Fatalf("uninterrupted two-epoch run = %d: %s", code, errs)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stderr bytes.Buffer
	ie := &env{stdin: strings.NewReader(""), stdout: io.Discard, stderr: &stderr,
		afterBatch: func(epoch, batch int) {
			if epoch == 2 && batch == 5 {
				cancel()
			}
		}}
	ck2 := filepath.Join(root, "ck2")
	resumed := filepath.Join(root, "resumed.safetensors")
	if code := runEnv(ctx, ie, append(two, "--out", resumed, "--checkpoint-dir", ck2)); code != exitInterrupted {
		t.Fatalf("interrupted run = %d; want %d: %s", code, exitInterrupted, stderr.String())
	}
	if code, _, errs := runCLI(t, "train", "--resume", ck2, "--quiet"); code != 0 {
		t.Fatalf("rakam train --resume = %d: %s", code, errs)
	}
	if !bytes.Equal(mustRead(t, resumed), mustRead(t, whole)) {
		t.Error("a fine-tuning run interrupted and resumed wrote another model file than the uninterrupted run")
	}

	// The checkpoint records the --init file by digest: the same command
	// over a changed file is another run, and --resume refuses it.
	z, _ := study.ZooByName("baseline-adam")
	other, err := nn.Build(z.Spec, 2)
	if err != nil {
		t.Fatal(err)
	}
	if err := nn.Save(base, other, nil); err != nil {
		t.Fatal(err)
	}
	code, _, errs = runCLI(t, args...)
	if code != exitFailure || !strings.Contains(errs, "--init-sha256") {
		t.Errorf("the same command after the --init file changed = %d, %q; want exit 1 naming --init-sha256", code, errs)
	}
	code, _, errs = runCLI(t, "train", "--resume", ck)
	if code != exitFailure || !strings.Contains(errs, "restore it to resume") {
		t.Errorf("--resume after the --init file changed = %d, %q; want exit 1", code, errs)
	}

	// --mix-mnist needs another data set than MNIST, and MNIST images enough.
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--mix-mnist", "0.5"}, "is MNIST itself"},
		{[]string{"--data", dir, "--mix-mnist", "0.99"}, "at most --mix-mnist 0.98"},
	} {
		args := append([]string{"train", "--init", base, "--epochs", "1", "--out", filepath.Join(root, "x.safetensors")}, tc.args...)
		code, _, errs = runCLI(t, args...)
		if code != exitUsage || !strings.Contains(errs, tc.want) {
			t.Errorf("rakam %s = %d, %q; want exit 2 and %q", strings.Join(args, " "), code, errs, tc.want)
		}
	}
}
