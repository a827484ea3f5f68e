// Package outsidetest holds what tests need to measure preprocessing on the
// outside sets: the model they are read with (a trained cnn named by
// RAKAM_CNN_MODEL, or one trained quickly on the spot), the MNIST source
// sets of the two seeds, and scoring. Only tests import it: it trains
// models, so it imports study, train and infer (the packages it imports
// cannot use it in their own internal tests).
package outsidetest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/rakam-ml/rakam/data"
	"github.com/rakam-ml/rakam/imageprep"
	"github.com/rakam-ml/rakam/infer"
	"github.com/rakam-ml/rakam/internal/outside"
	"github.com/rakam-ml/rakam/mnist"
	"github.com/rakam-ml/rakam/nn"
	"github.com/rakam-ml/rakam/optim"
	"github.com/rakam-ml/rakam/study"
	"github.com/rakam-ml/rakam/train"
)

// ModelEnv names a trained model file to use instead of a quick one.
const ModelEnv = "RAKAM_CNN_MODEL"

// Model returns the path of the model tests read digits with: the file
// named by $RAKAM_CNN_MODEL (a 'rakam train --model cnn' model, say), or
// else the zoo's cnn trained for one epoch on the first 20,000 MNIST
// training images (about ten to twenty seconds), saved in a temporary
// directory. quick reports the latter. Without MNIST the test is skipped.
func Model(tb testing.TB) (path string, quick bool) {
	tb.Helper()
	if p := os.Getenv(ModelEnv); p != "" {
		return p, false
	}
	if testing.Short() {
		tb.Skipf("skipping training in -short mode; set %s to a trained cnn", ModelEnv)
	}
	dir, err := mnist.Locate("")
	if err != nil {
		tb.Skipf("no MNIST to train on (%v); set %s to a trained cnn", err, ModelEnv)
	}
	path, err = TrainQuickCNN(dir, tb.TempDir())
	if err != nil {
		tb.Fatal(err)
	}
	return path, true
}

// TrainQuickCNN trains the zoo's cnn for one epoch on the first 20,000
// images of the MNIST training set in mnistDir (batch 64, Adam at 0.002,
// shuffled with seed 1; weights initialised with seed 1) and saves it as
// quick-cnn.safetensors in outDir.
func TrainQuickCNN(mnistDir, outDir string) (string, error) {
	set, err := mnist.LoadTrain(mnistDir)
	if err != nil {
		return "", err
	}
	entry, err := study.ZooByName("cnn")
	if err != nil {
		return "", err
	}
	m, err := nn.Build(entry.Spec, 1)
	if err != nil {
		return "", err
	}
	idx := make([]int, min(20000, set.N))
	for i := range idx {
		idx[i] = i
	}
	loader, err := data.NewLoader(set.Subset(idx), 64, data.Options{Shuffle: true, Seed: 1})
	if err != nil {
		return "", err
	}
	if _, err := train.Fit(context.Background(), m, loader, nil, train.Config{Epochs: 1, Optimizer: optim.NewAdam(0.002)}); err != nil {
		return "", err
	}
	path := filepath.Join(outDir, "quick-cnn.safetensors")
	if err := nn.Save(path, m, map[string]string{nn.MetaName: "quick-cnn"}); err != nil {
		return "", err
	}
	return path, nil
}

// Sources returns the MNIST sets the kinds made from MNIST digits take
// their digits from: for TuneSeed the study's validation split
// (study.LoadData(dir, 5000, 1).Val), for GradeSeed the test set.
func Sources(mnistDir string) (tune, grade *mnist.Set, err error) {
	d, err := study.LoadData(mnistDir, 5000, 1)
	if err != nil {
		return nil, nil, err
	}
	return d.Val, d.Test, nil
}

// Prep turns an encoded image into the model's 784 inputs.
type Prep func(data []byte) ([]float32, error)

// Imageprep is imageprep.Prepare as a Prep.
func Imageprep(data []byte) ([]float32, error) {
	d, err := imageprep.Prepare(data)
	if err != nil {
		return nil, err
	}
	return d.Pixels, nil
}

// Score prepares every sample with prep and reads it with m. It returns
// the predicted label of each sample, -1 where prep refused it.
func Score(m *infer.Model, set []outside.Sample, prep Prep) ([]int, error) {
	x := make([]float32, 0, len(set)*784)
	var at []int
	pred := make([]int, len(set))
	for i, s := range set {
		px, err := prep(s.Data)
		pred[i] = -1
		if err != nil {
			continue
		}
		if len(px) != 784 {
			return nil, fmt.Errorf("outsidetest: %s: prep gave %d values; want 784", s.Name, len(px))
		}
		x = append(x, px...)
		at = append(at, i)
	}
	if len(at) == 0 {
		return pred, nil
	}
	probs, err := m.PredictBatch(x, len(at))
	if err != nil {
		return nil, err
	}
	for j, l := range infer.Labels(probs, len(at), 10) {
		pred[at[j]] = l
	}
	return pred, nil
}

// Accuracy is the fraction of samples whose prediction is their label.
func Accuracy(set []outside.Sample, pred []int) float64 {
	if len(set) == 0 {
		return 0
	}
	right := 0
	for i, s := range set {
		if pred[i] == s.Label {
			right++
		}
	}
	return float64(right) / float64(len(set))
}

// Optdigits returns the real low-resolution handwriting set
// (outside.ReadOptdigits of outside.OptdigitsFile), skipping the test when
// the file is not installed (Debian's python3-sklearn, which .ci/run
// installs) and failing it when the file cannot be read.
func Optdigits(t testing.TB) []outside.Sample {
	t.Helper()
	set, err := outside.ReadOptdigitsFile(outside.OptdigitsFile)
	if errors.Is(err, os.ErrNotExist) {
		t.Skipf("%v (install python3-sklearn)", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	return set
}
