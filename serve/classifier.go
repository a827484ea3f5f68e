package serve

import (
	"fmt"

	"github.com/rakam-ml/rakam/infer"
	"github.com/rakam-ml/rakam/nn"
)

// Pixels is the number of inputs of one example (28x28) and Classes the
// number of outputs (mnist.NumClasses): infer's.
const (
	Pixels  = infer.Pixels
	Classes = infer.Classes
)

// Classifier maps n examples of Pixels values in 0..1 (row-major, n*Pixels
// values) to n*Classes probabilities. The server never calls one Classifier
// from two goroutines at once; the returned slice may be reused by the next
// call.
type Classifier interface {
	Predict(x []float32, n int) ([]float32, error)
}

// Model adapts an nn.Sequential that maps 784 pixels to 10 logits into a
// Classifier: a thin wrapper of infer.Runner, the inference path eval and
// rakam predict run too, so the server's probabilities are theirs, bit for
// bit.
type Model struct {
	r *infer.Runner
}

// MaxExamples is the most examples one Predict call should take so that the
// layers' buffers stay within the one memory bound of inference
// (infer.MaxBatch): 1 for a model whose single example already needs more.
func (c *Model) MaxExamples() int { return c.r.MaxBatch() }

// NewModel checks that m takes 28x28 pixels and gives 10 outputs.
func NewModel(m *nn.Sequential) (*Model, error) {
	r, err := infer.NewRunner(m)
	if err != nil {
		return nil, fmt.Errorf("serve: %w", err)
	}
	return &Model{r: r}, nil
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
	p, err := c.r.Predict(x, n)
	if err != nil {
		return nil, fmt.Errorf("serve: Predict: %w", err)
	}
	return p, nil
}
