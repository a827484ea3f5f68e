package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestPredictOutsideDigits runs rakam predict over testdata/digits, digits
// drawn and typeset outside MNIST (see testdata/digits/generate.go), and
// reports the accuracy. It needs a trained model, named by RAKAM_CNN_MODEL
// (for example from 'rakam train --model cnn'); the target is at least 19
// in 20 right.
func TestPredictOutsideDigits(t *testing.T) {
	model := os.Getenv("RAKAM_CNN_MODEL")
	if model == "" {
		t.Skip("set RAKAM_CNN_MODEL to a trained model (rakam train --model cnn) to measure accuracy on testdata/digits")
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
		want := int(base[0] - '0')
		if p.Label == nil || !strings.Contains("0123456789", base[:1]) {
			t.Errorf("%s: no label (%s)", base, p.Error)
			continue
		}
		if *p.Label == want {
			right++
		} else {
			t.Logf("%s: predicted %d (p=%.3f); true %d (p=%.3f)", base, *p.Label, p.Probabilities[*p.Label], want, p.Probabilities[want])
		}
	}
	acc := float64(right) / float64(len(preds))
	t.Logf("%s on testdata/digits: %d/%d right (%.1f%%)", filepath.Base(model), right, len(preds), 100*acc)
	if acc < 0.95 {
		t.Errorf("accuracy %.3f on digits outside MNIST; want at least 0.95 (19 in 20)", acc)
	}
}
