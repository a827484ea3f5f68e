package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rakam-ml/rakam/data"
	"github.com/rakam-ml/rakam/mnist"
	"github.com/rakam-ml/rakam/nn"
	"github.com/rakam-ml/rakam/optim"
	"github.com/rakam-ml/rakam/study"
	"github.com/rakam-ml/rakam/train"
)

// TestPredictOutsideDigits runs rakam predict over testdata/digits, digits
// drawn and typeset outside MNIST (see testdata/digits/generate.go), and
// checks the accuracy. With RAKAM_CNN_MODEL naming a trained model (from
// 'rakam train --model cnn') the target is the issue's: at least 19 in 20.
// Without it, the test trains the zoo's cnn for one epoch on 20,000 MNIST
// images (about ten seconds) and asks for 9 in 10 from that weaker model.
func TestPredictOutsideDigits(t *testing.T) {
	model, want := os.Getenv("RAKAM_CNN_MODEL"), 0.95
	if model == "" {
		if testing.Short() {
			t.Skip("skipping training in -short mode; set RAKAM_CNN_MODEL to a trained cnn to measure accuracy on testdata/digits")
		}
		model, want = quickCNN(t), 0.90
	}
	dir := filepath.Join("..", "..", "testdata", "digits")
	var out, errb bytes.Buffer
	if code := run(context.Background(), []string{"predict", "--model", model, "--json", dir}, nil, &out, &errb); code != 0 {
		t.Fatalf("rakam predict = %d: %s", code, errb.String())
	}
	var preds []prediction
	if err := json.Unmarshal(out.Bytes(), &preds); err != nil {
		t.Fatal(err)
	}
	if len(preds) < 20 {
		t.Fatalf("only %d images in %s; want at least 20", len(preds), dir)
	}
	right := 0
	for _, p := range preds {
		base := filepath.Base(p.File)
		if p.Label == nil || !strings.Contains("0123456789", base[:1]) {
			t.Errorf("%s: no label (%s)", base, p.Error)
			continue
		}
		truth := int(base[0] - '0')
		if *p.Label == truth {
			right++
		} else {
			t.Logf("%s: predicted %d (p=%.3f); true %d (p=%.3f)", base, *p.Label, p.Probabilities[*p.Label], truth, p.Probabilities[truth])
		}
	}
	acc := float64(right) / float64(len(preds))
	t.Logf("%s on testdata/digits: %d/%d right (%.1f%%)", filepath.Base(model), right, len(preds), 100*acc)
	if acc < want {
		t.Errorf("accuracy %.3f on digits outside MNIST; want at least %.2f", acc, want)
	}
}

// quickCNN trains the zoo's cnn for one epoch on 20,000 MNIST training
// images and saves it, or skips the test when MNIST is not available.
func quickCNN(t *testing.T) string {
	dir, err := mnist.Locate("")
	if err != nil {
		t.Skipf("no MNIST to train on (%v); set RAKAM_CNN_MODEL to a trained cnn", err)
	}
	set, err := mnist.LoadTrain(dir)
	if err != nil {
		t.Fatal(err)
	}
	entry, err := study.ZooByName("cnn")
	if err != nil {
		t.Fatal(err)
	}
	m, err := nn.Build(entry.Spec, 1)
	if err != nil {
		t.Fatal(err)
	}
	idx := make([]int, 20000)
	for i := range idx {
		idx[i] = i
	}
	loader, err := data.NewLoader(set.Subset(idx), 64, data.Options{Shuffle: true, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := train.Fit(context.Background(), m, loader, nil, train.Config{Epochs: 1, Optimizer: optim.NewAdam(0.002)}); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "quick-cnn.safetensors")
	if err := nn.Save(path, m, map[string]string{"rakam.name": "quick-cnn"}); err != nil {
		t.Fatal(err)
	}
	return path
}
