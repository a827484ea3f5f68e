package infer

import (
	"fmt"

	"github.com/rakam-ml/rakam/data"
	"github.com/rakam-ml/rakam/imageprep"
	"github.com/rakam-ml/rakam/mnist"
	"github.com/rakam-ml/rakam/nn"
	"github.com/rakam-ml/rakam/tensor"
)

// Pixels is the number of inputs of one example (28x28, row-major) and
// Classes the number of outputs (mnist.NumClasses).
const (
	Pixels  = imageprep.Size * imageprep.Size
	Classes = mnist.NumClasses
)

// Runner runs one model in inference mode. It is not safe for concurrent
// use (the model's layers own their buffers); give each goroutine its own
// Runner on a replica of the model, or use Model.
type Runner struct {
	m        *nn.Sequential
	x        tensor.Tensor
	shape    []int
	norm     []float32 // one batch of normalised uint8 images
	probs    []float32 // Predict's answer, reused
	maxBatch int
}

// NewRunner checks that m takes 28x28 pixels (any shape holding 784
// values: [784] or [1 28 28]) and gives 10 outputs, and returns a Runner
// for it.
func NewRunner(m *nn.Sequential) (*Runner, error) {
	if m == nil {
		return nil, fmt.Errorf("%w: no model", ErrModel)
	}
	if in := m.InputShape(); prodInts(in) != Pixels {
		return nil, fmt.Errorf("%w: input shape %v does not hold 28x28 pixels", ErrModel, in)
	}
	if out := m.OutputShape(); len(out) != 1 || out[0] != Classes {
		return nil, fmt.Errorf("%w: output shape %v; want [%d]", ErrModel, out, Classes)
	}
	return &Runner{m: m, shape: []int{0, Pixels}, maxBatch: MaxBatch(m)}, nil
}

// MaxBatch is the most examples one forward pass of m may take so that its
// layers' buffers stay within nn.ActivationBudget float32 values (128 MiB):
// a valid but very wide model gets smaller batches instead of exhausting
// memory, and a model whose one example already needs more gets 1. It is
// the one memory bound of every inference path.
func MaxBatch(m *nn.Sequential) int {
	return m.MaxBatch(nn.ActivationBudget, nn.ActivationBudget)
}

// MaxBatch is MaxBatch of the Runner's model.
func (r *Runner) MaxBatch() int { return r.maxBatch }

// Model returns the model the Runner runs.
func (r *Runner) Model() *nn.Sequential { return r.m }

// batchSize is want bounded by the memory bound; want < 1 asks for the
// bound itself.
func (r *Runner) batchSize(want int) int {
	if want < 1 {
		return r.maxBatch
	}
	return min(want, r.maxBatch)
}

// Predict returns the n×Classes probabilities (row-major) of the n
// examples of x (n*Pixels values, row-major, 0..1 as MNIST's pixels/255),
// in batches of at most MaxBatch. The slice is the Runner's own and is
// reused by the next call.
func (r *Runner) Predict(x []float32, n int) ([]float32, error) {
	if n <= 0 || len(x) != n*Pixels {
		return nil, fmt.Errorf("%w: %d values for %d examples of %d pixels", ErrInput, len(x), n, Pixels)
	}
	if cap(r.probs) < n*Classes {
		r.probs = make([]float32, n*Classes)
	}
	p := r.probs[:n*Classes]
	err := r.run(p, n, 0, func(lo, k int) []float32 { return x[lo*Pixels : (lo+k)*Pixels] })
	return p, err
}

// PredictInto writes the probabilities of the n examples of x into dst
// (n*Classes values), in batches of at most batch examples (at most
// MaxBatch; batch < 1: MaxBatch). The bits do not depend on batch.
func (r *Runner) PredictInto(dst, x []float32, n, batch int) error {
	if n <= 0 || len(x) != n*Pixels || len(dst) != n*Classes {
		return fmt.Errorf("%w: %d values and room for %d probabilities for %d examples of %d pixels", ErrInput, len(x), len(dst), n, Pixels)
	}
	return r.run(dst, n, batch, func(lo, k int) []float32 { return x[lo*Pixels : (lo+k)*Pixels] })
}

// PredictGray writes the probabilities of the n 8-bit images of images
// (n*Pixels values 0..255, as mnist.Set holds them) into dst (n*Classes
// values), normalising one batch at a time (data.Normalize), so only one
// batch of float32 pixels is ever held. Batches are of at most batch
// examples (at most MaxBatch; batch < 1: MaxBatch).
func (r *Runner) PredictGray(dst []float32, images []uint8, n, batch int) error {
	if n <= 0 || len(images) != n*Pixels || len(dst) != n*Classes {
		return fmt.Errorf("%w: %d pixels and room for %d probabilities for %d images of %d pixels", ErrInput, len(images), len(dst), n, Pixels)
	}
	b := min(r.batchSize(batch), n)
	if cap(r.norm) < b*Pixels {
		r.norm = make([]float32, b*Pixels)
	}
	return r.run(dst, n, b, func(lo, k int) []float32 {
		x := r.norm[:k*Pixels]
		data.Normalize(x, images[lo*Pixels:(lo+k)*Pixels])
		return x
	})
}

// run is the one batching loop: for each batch of at most batch examples
// (bounded by MaxBatch), fill gives its pixels, the model its logits in
// inference mode, and softmax the probabilities, written to dst.
func (r *Runner) run(dst []float32, n, batch int, fill func(lo, k int) []float32) error {
	batch = r.batchSize(batch)
	for lo := 0; lo < n; lo += batch {
		k := min(batch, n-lo)
		r.shape[0] = k
		r.x.Shape, r.x.Data = r.shape, fill(lo, k)
		logits := r.m.Forward(&r.x, false)
		if len(logits.Data) != k*Classes {
			return fmt.Errorf("%w: it returned %d values for %d examples", ErrModel, len(logits.Data), k)
		}
		tensor.SoftmaxRows(k, Classes, dst[lo*Classes:(lo+k)*Classes], logits.Data)
	}
	r.x.Data = nil // let the caller's pixels go
	return nil
}

// Argmax returns the index of the largest probability of p, the lowest
// index on a tie (tensor.ArgmaxRows, as NumPy's argmax): the label of one
// example (0 for an empty p).
func Argmax(p []float32) int {
	var best [1]int
	tensor.ArgmaxRows(1, len(p), p, best[:])
	return best[0]
}

// Labels returns the argmax of each of the n rows of k probabilities of
// probs (n*k values, row-major): the predicted labels. probs holding fewer
// than n*k values is a programmer error (tensor.ArgmaxRows panics).
func Labels(probs []float32, n, k int) []int {
	pred := make([]int, n)
	tensor.ArgmaxRows(n, k, probs, pred)
	return pred
}

func prodInts(s []int) int {
	n := 1
	for _, d := range s {
		n *= d
	}
	return n
}
