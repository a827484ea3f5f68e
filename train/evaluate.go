package train

import (
	"fmt"

	"github.com/rakam-ml/rakam/data"
	"github.com/rakam-ml/rakam/metrics"
	"github.com/rakam-ml/rakam/mnist"
	"github.com/rakam-ml/rakam/nn"
	"github.com/rakam-ml/rakam/tensor"
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
// mode) for every image of set, computed batch images at a time.
func Predict(model *nn.Sequential, set *mnist.Set, batch int) ([]float32, error) {
	if set == nil || set.N == 0 {
		return nil, fmt.Errorf("train: Predict: empty set")
	}
	if batch <= 0 {
		return nil, fmt.Errorf("train: Predict: batch size %d; want at least 1", batch)
	}
	if out := model.OutputShape(); len(out) != 1 || out[0] != Classes {
		return nil, fmt.Errorf("train: model output shape %v; want [%d]", out, Classes)
	}
	// A valid but very wide model gets smaller batches, not an out-of-memory crash.
	batch = model.MaxBatch(batch, nn.ActivationBudget)
	pixels := set.Rows * set.Cols
	if in := model.InputShape(); prodInts(in) != pixels {
		return nil, fmt.Errorf("train: model input shape %v does not hold %dx%d images", in, set.Rows, set.Cols)
	}
	probs := make([]float32, set.N*Classes)
	x := make([]float32, min(batch, set.N)*pixels)
	var xt tensor.Tensor
	shape := []int{0, pixels}
	for lo := 0; lo < set.N; lo += batch {
		n := min(batch, set.N-lo)
		data.Normalize(x[:n*pixels], set.Images[lo*pixels:(lo+n)*pixels])
		shape[0] = n
		xt.Shape, xt.Data = shape, x[:n*pixels]
		logits := model.Forward(&xt, false)
		tensor.SoftmaxRows(n, Classes, probs[lo*Classes:(lo+n)*Classes], logits.Data)
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
	pred := make([]int, set.N)
	tensor.ArgmaxRows(set.N, Classes, probs, pred)
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

func prodInts(s []int) int {
	n := 1
	for _, d := range s {
		n *= d
	}
	return n
}
