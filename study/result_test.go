package study

import (
	"testing"

	"github.com/rakam-ml/rakam/metrics"
	"github.com/rakam-ml/rakam/nn"
	"github.com/rakam-ml/rakam/results"
	"github.com/rakam-ml/rakam/train"
)

// TestNewResult: the run's fields come from the model and history, the
// row's own fields are kept, and the test fields only with a test result.
func TestNewResult(t *testing.T) {
	z, err := ZooByName("baseline-adam")
	if err != nil {
		t.Fatal(err)
	}
	model, err := nn.Build(z.Spec, 1)
	if err != nil {
		t.Fatal(err)
	}
	hist := &train.History{
		Epochs:          []results.Epoch{{Epoch: 1, TrainLoss: 0.5}, {Epoch: 2, TrainLoss: 0.25}},
		SecondsPerEpoch: []float64{1, 3},
		TrainSeconds:    4,
		Images:          100,
	}
	row := results.Model{Name: "row", Model: "784-10", Optimizer: "adam", Regularization: "none",
		Config: map[string]any{"seed": 1}, Extra: map[string]any{"x": 2}}
	got := NewResult(row, model, hist, nil)
	if got.Name != "row" || got.Model != "784-10" || got.Optimizer != "adam" || got.Regularization != "none" ||
		got.Config["seed"] != 1 || got.Extra["x"] != 2 {
		t.Errorf("NewResult dropped the row's own fields: %+v", got)
	}
	if got.Epochs != 2 || got.TrainSeconds != 4 || got.ImagesPerSecond != 25 || got.Params != model.NumParams() ||
		len(got.History) != 2 || got.History[1].TrainLoss != 0.25 || len(got.SecondsPerEpoch) != 2 || got.SecondsPerEpoch[1] != 3 {
		t.Errorf("NewResult(run) = epochs %d, %v s, %v img/s, %d params, history %v, %v s/epoch; want 2, 4, 25, %d, two epochs, [1 3]",
			got.Epochs, got.TrainSeconds, got.ImagesPerSecond, got.Params, got.History, got.SecondsPerEpoch, model.NumParams())
	}
	if got.TestAccuracy != 0 || got.Confusion != nil {
		t.Errorf("NewResult without a test result set test fields: accuracy %v", got.TestAccuracy)
	}
	cm := metrics.NewConfusion(10)
	cm.Add(3, 3)
	cm.Add(3, 5)
	test := &train.Result{Summary: cm.Summarize(), LogLoss: 0.7}
	got = NewResult(row, model, hist, test)
	if got.TestAccuracy != 0.5 || got.TestLoss != 0.7 {
		t.Errorf("NewResult(test) = accuracy %v, loss %v; want 0.5, 0.7", got.TestAccuracy, got.TestLoss)
	}
}
