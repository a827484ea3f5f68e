package study

import (
	"github.com/rakam-ml/rakam/nn"
	"github.com/rakam-ml/rakam/results"
	"github.com/rakam-ml/rakam/train"
)

// NewResult builds the results object of a finished run: row holds what
// the caller names and describes (Name, Model, Optimizer, Regularization,
// Config, Extra); the epochs, timing, history and parameter count come
// from the trained model and its history, and the test-set fields from
// test when it is not nil. Train and `rakam train` both build their
// results this way, so the two cannot fill a field differently.
func NewResult(row results.Model, model *nn.Sequential, hist *train.History, test *train.Result) results.Model {
	row.Epochs = len(hist.Epochs)
	row.SecondsPerEpoch = hist.SecondsPerEpoch
	row.TrainSeconds = hist.TrainSeconds
	row.ImagesPerSecond = hist.ImagesPerSecond()
	row.Params = model.NumParams()
	row.History = hist.Epochs
	if test != nil {
		row.SetTest(test.Summary, test.LogLoss)
	}
	return row
}
