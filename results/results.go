// Package results defines the JSON object every rakam command that trains
// or evaluates a model prints with --json, and that reports are built from.
// Field names are a contract: later tools and reports rely on them.
package results

import "github.com/rakam-ml/rakam/metrics"

// Epoch is one row of a training history.
type Epoch struct {
	Epoch         int     `json:"epoch"`
	TrainLoss     float64 `json:"train_loss"`
	TrainAccuracy float64 `json:"train_accuracy"`
	ValLoss       float64 `json:"val_loss"`
	ValAccuracy   float64 `json:"val_accuracy"`
	LR            float64 `json:"lr,omitempty"`
	Seconds       float64 `json:"seconds,omitempty"`
}

// Model is the result of training (or only evaluating) one model.
type Model struct {
	Name            string               `json:"name"`
	Model           string               `json:"model"`
	TestAccuracy    float64              `json:"test_accuracy"`
	TestLoss        float64              `json:"test_loss"`
	MacroPrecision  float64              `json:"macro_precision"`
	MacroRecall     float64              `json:"macro_recall"`
	MacroF1         float64              `json:"macro_f1"`
	WeightedF1      float64              `json:"weighted_f1"`
	PerClass        []metrics.ClassScore `json:"per_class"`
	Confusion       [][]int              `json:"confusion"`
	Epochs          int                  `json:"epochs"`
	SecondsPerEpoch []float64            `json:"seconds_per_epoch"`
	TrainSeconds    float64              `json:"train_seconds"`
	ImagesPerSecond float64              `json:"train_images_per_second,omitempty"`
	Params          int                  `json:"params"`
	History         []Epoch              `json:"history"`
	Optimizer       string               `json:"optimizer,omitempty"`
	Regularization  string               `json:"regularization,omitempty"`
	Config          map[string]any       `json:"config,omitempty"`
	Extra           map[string]any       `json:"extra,omitempty"`
}

// SetTest fills the test-set fields from a metrics summary and a log loss.
func (m *Model) SetTest(s metrics.Summary, loss float64) {
	m.TestAccuracy = s.Accuracy
	m.TestLoss = loss
	m.MacroPrecision = s.MacroPrecision
	m.MacroRecall = s.MacroRecall
	m.MacroF1 = s.MacroF1
	m.WeightedF1 = s.WeightedF1
	m.PerClass = s.PerClass
	m.Confusion = s.Confusion
}
