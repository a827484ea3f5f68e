package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rakam-ml/rakam/internal/outside"
	"github.com/rakam-ml/rakam/internal/outside/outsidetest"
	"github.com/rakam-ml/rakam/mnist"
)

// outsideFloors are the least accuracy rakam predict must reach on each
// grading set of internal/outside (100 images each) with the quick cnn; a
// trained cnn does better. They sit about five points under what the
// quick cnn reads on the tuning sets (docs/outside.md).
var outsideFloors = map[outside.Kind]float64{
	outside.Pen:    0.92,
	outside.Font:   0.88,
	outside.LowRes: 0.85,
	outside.Blur:   0.90,
	outside.Thick:  0.88,
	outside.Thin:   0.92,
	outside.Photo:  0.78,
}

// TestPredictOutsideDigits runs rakam predict --json over digits drawn and
// typeset outside MNIST and checks the accuracy:
//
//   - testdata/digits (see testdata/digits/generate.go): with
//     RAKAM_CNN_MODEL naming a trained model (from 'rakam train --model
//     cnn') the target is the issue's, at least 19 in 20; without it, the
//     test trains the zoo's cnn for one epoch on 20,000 MNIST images (about
//     ten seconds) and asks for 9 in 10 from that weaker model;
//   - the grading sets of internal/outside (100 images of each digit kind,
//     GradeSeed, the MNIST test set as source), written to a temporary
//     directory: at least outsideFloors of each. A blank answer (label -1)
//     counts as wrong.
func TestPredictOutsideDigits(t *testing.T) {
	model, quick := outsidetest.Model(t) // skips in -short mode without RAKAM_CNN_MODEL
	want := 0.95
	if quick {
		want = 0.90
	}
	t.Run("testdata", func(t *testing.T) {
		dir := filepath.Join("..", "..", "testdata", "digits")
		preds := predictDir(t, model, dir)
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
			switch {
			case *p.Label == truth:
				right++
			case *p.Label < 0:
				t.Logf("%s: answered blank; true %d", base, truth)
			default:
				t.Logf("%s: predicted %d (p=%.3f); true %d (p=%.3f)", base, *p.Label, p.Probabilities[*p.Label], truth, p.Probabilities[truth])
			}
		}
		acc := float64(right) / float64(len(preds))
		t.Logf("%s on testdata/digits: %d/%d right (%.1f%%)", filepath.Base(model), right, len(preds), 100*acc)
		if acc < want {
			t.Errorf("accuracy %.3f on digits outside MNIST; want at least %.2f", acc, want)
		}
	})

	mdir, err := mnist.Locate("")
	if err != nil {
		t.Skipf("no MNIST for the grading sets made from MNIST digits: %v", err)
	}
	test, err := mnist.LoadTest(mdir)
	if err != nil {
		t.Fatal(err)
	}
	const n = 100
	for _, kind := range outside.Digits() {
		t.Run("grading/"+string(kind), func(t *testing.T) {
			var src *mnist.Set
			if outside.FromMNIST(kind) {
				src = test
			}
			set, err := outside.Set(kind, n, outside.GradeSeed, src)
			if err != nil {
				t.Fatal(err)
			}
			dir := t.TempDir()
			truth := map[string]int{}
			for _, s := range set {
				if err := os.WriteFile(filepath.Join(dir, s.Name), s.Data, 0o644); err != nil {
					t.Fatal(err)
				}
				truth[s.Name] = s.Label
			}
			preds := predictDir(t, model, dir)
			if len(preds) != n {
				t.Fatalf("rakam predict gave %d answers for %d images", len(preds), n)
			}
			right := 0
			for _, p := range preds {
				label, ok := truth[filepath.Base(p.File)]
				if !ok {
					t.Fatalf("an answer for %s, which was not written", p.File)
				}
				if p.Label != nil && *p.Label == label {
					right++
				}
			}
			acc := float64(right) / n
			t.Logf("%s on the %s grading set: %d/%d right", filepath.Base(model), kind, right, n)
			if floor := outsideFloors[kind]; acc < floor {
				t.Errorf("rakam predict: accuracy %.2f on the %s grading set; want at least %.2f", acc, kind, floor)
			}
		})
	}
}

// predictDir runs rakam predict --json over dir and decodes the answers.
func predictDir(t *testing.T, model, dir string) []prediction {
	t.Helper()
	var out, errb bytes.Buffer
	if code := run(context.Background(), []string{"predict", "--model", model, "--json", dir}, nil, &out, &errb); code != 0 {
		t.Fatalf("rakam predict --json %s = %d: %s", dir, code, errb.String())
	}
	var preds []prediction
	if err := json.Unmarshal(out.Bytes(), &preds); err != nil {
		t.Fatal(err)
	}
	return preds
}
