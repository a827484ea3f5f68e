package imageprep_test

import (
	"testing"

	"github.com/rakam-ml/rakam/infer"
	"github.com/rakam-ml/rakam/internal/outside"
	"github.com/rakam-ml/rakam/internal/outside/outsidetest"
	"github.com/rakam-ml/rakam/mnist"
)

// TestOutsideAgainstTextbook reads every digit grading set of
// internal/outside (300 images each, GradeSeed, the MNIST test set as
// source) with one model, once prepared by imageprep and once by the
// textbook pipeline (outside.Textbook), and fails when imageprep reads any
// set worse; then the same on optdigits, real low-resolution handwriting
// (when python3-sklearn's copy is installed). The model is
// $RAKAM_CNN_MODEL, or the zoo's cnn trained for one epoch on 20,000 MNIST
// images. Images a pipeline refuses count as wrong.
func TestOutsideAgainstTextbook(t *testing.T) {
	path, quick := outsidetest.Model(t) // skips in -short mode without RAKAM_CNN_MODEL
	m, err := infer.Load(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	dir, err := mnist.Locate("")
	if err != nil {
		t.Skipf("no MNIST for the sets made from MNIST digits: %v", err)
	}
	_, grade, err := outsidetest.Sources(dir)
	if err != nil {
		t.Fatal(err)
	}
	const n = 300
	t.Logf("model %s (quick: %v), %d images per set", path, quick, n)
	for _, kind := range outside.Digits() {
		t.Run(string(kind), func(t *testing.T) {
			var src *mnist.Set
			if outside.FromMNIST(kind) {
				src = grade
			}
			set, err := outside.Set(kind, n, outside.GradeSeed, src)
			if err != nil {
				t.Fatal(err)
			}
			againstTextbook(t, m, set, string(kind)+" grading set")
		})
	}
	// Real low-resolution handwriting, by writers who are not MNIST's.
	t.Run(string(outside.Optdigits), func(t *testing.T) {
		againstTextbook(t, m, outsidetest.Optdigits(t), "optdigits set")
	})
}

// againstTextbook reads set with m through imageprep and through the
// textbook pipeline and fails when imageprep reads fewer right.
func againstTextbook(t *testing.T, m *infer.Model, set []outside.Sample, what string) {
	t.Helper()
	ip, err := outsidetest.Score(m, set, outsidetest.Imageprep)
	if err != nil {
		t.Fatal(err)
	}
	tb, err := outsidetest.Score(m, set, outside.Textbook)
	if err != nil {
		t.Fatal(err)
	}
	a, b := outsidetest.Accuracy(set, ip), outsidetest.Accuracy(set, tb)
	t.Logf("%s: imageprep %.3f  textbook %.3f", what, a, b)
	if a < b {
		t.Errorf("imageprep reads %.3f of the %s, the textbook pipeline %.3f; want imageprep at least as good", a, what, b)
	}
}
