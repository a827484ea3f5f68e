package train

import (
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rakam-ml/rakam/nn"
	"github.com/rakam-ml/rakam/optim"
	"github.com/rakam-ml/rakam/results"
)

// TestEarlyStoppingKeras replays val_loss values through EarlyStopping
// (patience 2, min_delta 0.01, restore_best_weights) and checks the epoch
// it stops at and the weights it restores, worked by hand from Keras' rule.
func TestEarlyStoppingKeras(t *testing.T) {
	m := build(t, mlpSpec(false, false), 1)
	w := m.Params()[0].Value.Data
	opt, _ := optim.ByName("sgd", 0.1)
	r := &Run{Model: m, Optimizer: opt, LRScale: 1}
	es := &EarlyStopping{Patience: 2, MinDelta: 0.01, RestoreBestWeights: true}
	losses := []float64{1.0, 0.8, 0.795, 0.9, 0.5}
	for i, l := range losses {
		w[0] = float32(i) // mark the weights with the epoch
		r.Epoch = i
		if err := es.OnEpochEnd(r, results.Epoch{Epoch: i + 1, ValLoss: l}); err != nil {
			t.Fatal(err)
		}
		if r.Stop {
			break
		}
	}
	// Epoch 2 (0.8) is the best; 0.795 is not better by 0.01 (wait 1),
	// 0.9 makes wait 2 = patience: stop after epoch 4 with epoch 2's weights.
	if !r.Stop || es.StoppedEpoch() != 4 || es.BestEpoch() != 2 || w[0] != 1 {
		t.Errorf("stop=%v stopped=%d best=%d w[0]=%v; want true, 4, 2, 1", r.Stop, es.StoppedEpoch(), es.BestEpoch(), w[0])
	}
	acc := &EarlyStopping{Monitor: "val_accuracy", Patience: 1}
	r2 := &Run{Model: m, Optimizer: opt}
	for i, a := range []float64{0.9, 0.95, 0.96, 0.95} {
		r2.Epoch = i
		acc.OnEpochEnd(r2, results.Epoch{Epoch: i + 1, ValAccuracy: a})
		if r2.Stop != (i == 3) {
			t.Fatalf("val_accuracy %v at epoch %d: stop = %v", a, i+1, r2.Stop)
		}
	}
	if err := (&EarlyStopping{Monitor: "val_f1"}).OnEpochEnd(r2, results.Epoch{}); err == nil {
		t.Error("unknown monitor: no error")
	}
}

func TestModelCheckpoint(t *testing.T) {
	dir := t.TempDir()
	var saved []string
	save := func(path string, m *nn.Sequential, e results.Epoch) error {
		saved = append(saved, filepath.Base(path))
		return os.WriteFile(path, []byte("x"), 0o644)
	}
	mc := &ModelCheckpoint{Filepath: filepath.Join(dir, "m-{epoch:02d}.safetensors"), SaveBestOnly: true, Save: save}
	if got := mc.Path(3); filepath.Base(got) != "m-03.safetensors" {
		t.Errorf("Path(3) = %q", got)
	}
	if got := (&ModelCheckpoint{Filepath: "e{epoch}-{epoch:3d}"}).Path(7); got != "e7-007" {
		t.Errorf("Path(7) = %q; want e7-007", got)
	}
	m := build(t, mlpSpec(false, false), 1)
	r := &Run{Model: m}
	for i, l := range []float64{1, 0.5, 0.7, 0.4} {
		if err := mc.OnEpochEnd(r, results.Epoch{Epoch: i + 1, ValLoss: l}); err != nil {
			t.Fatal(err)
		}
	}
	if got := strings.Join(saved, ","); got != "m-01.safetensors,m-02.safetensors,m-04.safetensors" {
		t.Errorf("saved %s; want epochs 1, 2 and 4", got)
	}
	m.Params()[0].Value.Data[0] = float32(math.NaN())
	err := (&ModelCheckpoint{Filepath: filepath.Join(dir, "nan"), Save: save}).OnEpochEnd(r, results.Epoch{Epoch: 5})
	var de *DivergenceError
	if !errors.As(err, &de) {
		t.Errorf("saving NaN weights: %v; want a DivergenceError", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "nan")); err == nil {
		t.Error("a model with NaN weights was saved")
	}
}
