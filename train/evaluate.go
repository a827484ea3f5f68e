package train

import (
	"fmt"

	"github.com/rakam-ml/rakam/infer"
	"github.com/rakam-ml/rakam/metrics"
	"github.com/rakam-ml/rakam/mnist"
	"github.com/rakam-ml/rakam/nn"
)

// Classes is the number of MNIST classes, mnist.NumClasses.
const Classes = mnist.NumClasses

// Result is a model's performance on a labelled set.
type Result struct {
	Summary metrics.Summary
	LogLoss float64   // mean −ln p(true class), probabilities clipped as scikit-learn does
	Probs   []float32 // N×10 class probabilities, row-major
	Pred    []int     // N predicted classes
}

// Predict returns the N×10 class probabilities of the model (in inference
// mode) for every image of set, computed batch images at a time (fewer for
// a model too wide for that many within the memory bound: see
// infer.MaxBatch). It runs the one inference path, infer.Runner, so the
// bits are those serve and rakam predict give for the same pixels.
func Predict(model *nn.Sequential, set *mnist.Set, batch int) ([]float32, error) {
	if set == nil || set.N == 0 {
		return nil, fmt.Errorf("train: Predict: empty set")
	}
	if batch <= 0 {
		return nil, fmt.Errorf("train: Predict: batch size %d; want at least 1", batch)
	}
	if set.Rows*set.Cols != infer.Pixels || len(set.Images) != set.N*infer.Pixels {
		return nil, fmt.Errorf("train: Predict: a set of %d images of %dx%d in %d bytes; want 28x28 images", set.N, set.Rows, set.Cols, len(set.Images))
	}
	r, err := infer.NewRunner(model)
	if err != nil {
		return nil, fmt.Errorf("train: %w", err)
	}
	probs := make([]float32, set.N*Classes)
	if err := r.PredictGray(probs, set.Images, set.N, batch); err != nil {
		return nil, fmt.Errorf("train: %w", err)
	}
	return probs, nil
}

// Evaluate runs the model over set and scores it: confusion-matrix metrics,
// log loss and the probabilities themselves.
func Evaluate(model *nn.Sequential, set *mnist.Set, batch int) (*Result, error) {
	probs, err := Predict(model, set, batch)
	if err != nil {
		return nil, err
	}
	pred := infer.Labels(probs, set.N, Classes)
	c := metrics.NewConfusion(Classes)
	if err := c.AddAll(set.Labels, pred); err != nil {
		return nil, fmt.Errorf("train: %w", err)
	}
	ll, err := metrics.LogLoss(probs, set.Labels, Classes)
	if err != nil {
		return nil, fmt.Errorf("train: %w", err)
	}
	return &Result{Summary: c.Summarize(), LogLoss: ll, Probs: probs, Pred: pred}, nil
}
