package serve

import (
	"fmt"

	"github.com/rakam-ml/rakam/imageprep"
	"github.com/rakam-ml/rakam/mnist"
	"github.com/rakam-ml/rakam/nn"
	"github.com/rakam-ml/rakam/tensor"
)

// Pixels is the number of inputs of one example (28x28) and Classes the
// number of outputs (mnist.NumClasses).
const (
	Pixels  = imageprep.Size * imageprep.Size
	Classes = mnist.NumClasses
)

// Classifier maps n examples of Pixels values in 0..1 (row-major, n*Pixels
// values) to n*Classes probabilities. The server never calls one Classifier
// from two goroutines at once; the returned slice may be reused by the next
// call.
type Classifier interface {
	Predict(x []float32, n int) ([]float32, error)
}

// Model adapts an nn.Sequential that maps 784 pixels to 10 logits into a
// Classifier.
type Model struct {
	m           *nn.Sequential
	x           tensor.Tensor
	shape       []int
	probs       []float32
	maxExamples int
}

// activationBudget bounds the float32 values one model call may hold in its
// layers' buffers (512 MiB): a valid but very wide model gets smaller
// batches instead of exhausting memory.
const activationBudget = 1 << 27

// MaxExamples is the most examples one Predict call should take so that the
// layers' buffers stay within activationBudget: 1 for a model whose single
// example already needs that much.
func (c *Model) MaxExamples() int { return c.maxExamples }

func prodInts(s []int) int {
	n := 1
	for _, d := range s {
		n *= d
	}
	return n
}

// NewModel checks that m takes 28x28 pixels and gives 10 outputs.
func NewModel(m *nn.Sequential) (*Model, error) {
	in, out := m.InputShape(), m.OutputShape()
	if prodInts(in) != Pixels {
		return nil, fmt.Errorf("serve: model input shape %v does not hold 28x28 pixels", in)
	}
	if len(out) != 1 || out[0] != Classes {
		return nil, fmt.Errorf("serve: model output shape %v; want [%d]", out, Classes)
	}
	return &Model{m: m, shape: []int{0, Pixels}, maxExamples: m.MaxBatch(activationBudget, activationBudget)}, nil
}

// Replicas returns n classifiers sharing m's weights, each with its own
// buffers, so n workers can run at once.
func Replicas(m *nn.Sequential, n int) ([]Classifier, error) {
	var cs []Classifier
	for i := range max(n, 1) {
		r := m
		if i > 0 {
			r = m.Replica()
		}
		c, err := NewModel(r)
		if err != nil {
			return nil, err
		}
		cs = append(cs, c)
	}
	return cs, nil
}

// Predict runs the model in inference mode and applies softmax.
func (c *Model) Predict(x []float32, n int) ([]float32, error) {
	if n <= 0 || len(x) != n*Pixels {
		return nil, fmt.Errorf("serve: Predict: %d values for %d examples", len(x), n)
	}
	c.shape[0] = n
	c.x.Shape, c.x.Data = c.shape, x
	logits := c.m.Forward(&c.x, false)
	if len(logits.Data) != n*Classes {
		return nil, fmt.Errorf("serve: model returned %d values for %d examples", len(logits.Data), n)
	}
	if cap(c.probs) < n*Classes {
		c.probs = make([]float32, n*Classes)
	}
	p := c.probs[:n*Classes]
	tensor.SoftmaxRows(n, Classes, p, logits.Data)
	return p, nil
}
