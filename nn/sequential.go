package nn

import (
	"encoding/binary"
	"fmt"

	"github.com/rakam-ml/rakam/tensor"
)

// Sequential is a model that applies its layers in order. Build it from a
// Spec; the Spec it was built from stays in the Spec field so that Save can
// write it and Load can rebuild the model.
//
// A Sequential is not safe for concurrent use: its layers own their
// buffers. Use Replica for one copy per goroutine sharing the weights.
type Sequential struct {
	Spec   Spec
	Layers []Layer

	shapes  [][]int       // per-example shape before each layer, and the output
	in      tensor.Tensor // the input batch viewed as (N, Spec.Input...)
	inShp   []int
	threads int // the budget SetThreads gave every layer (0: the default)
	// folded[i]: layer i's work is done by a neighbour (fuse.go), so
	// Forward and Backward skip it.
	folded []bool
}

// InputShape returns the per-example input shape, e.g. [784] or [1 28 28].
func (m *Sequential) InputShape() []int { return append([]int(nil), m.shapes[0]...) }

// OutputShape returns the per-example output shape, e.g. [10].
func (m *Sequential) OutputShape() []int { return append([]int(nil), m.shapes[len(m.shapes)-1]...) }

// Shapes returns the per-example shape before each layer and, last, the
// output shape, as the ONNX exporter and the summary need them.
func (m *Sequential) Shapes() [][]int {
	out := make([][]int, len(m.shapes))
	for i, s := range m.shapes {
		out[i] = append([]int(nil), s...)
	}
	return out
}

// Forward runs the model on a batch. x holds N examples of prod(InputShape)
// values each, with any shape whose first dimension is N: (N, 784) and
// (N, 1, 28, 28) both work. It returns the output (N, out...) — logits for
// the zoo's models — owned by the last layer. Passing a batch of the wrong
// size is a programmer error and panics.
func (m *Sequential) Forward(x *tensor.Tensor, train bool) *tensor.Tensor {
	per := prod(m.shapes[0])
	if len(x.Shape) == 0 || x.Cols() != per || x.Rows()*per != len(x.Data) {
		panic(fmt.Sprintf("nn: Sequential.Forward: input %v does not hold examples of shape %v", x.Shape, m.shapes[0]))
	}
	m.inShp = append(append(m.inShp[:0], x.Rows()), m.shapes[0]...)
	m.in.Shape = m.inShp
	m.in.Data = x.Data
	h := &m.in
	for i, l := range m.Layers {
		if !m.isFolded(i) {
			h = l.Forward(h, train)
		}
	}
	return h
}

// Backward propagates dy, the gradient of the loss with respect to the
// output of the last Forward, through the model and sets every parameter's
// Grad (overwriting it). It does not compute the gradient with respect to
// the input; BackwardInput does.
func (m *Sequential) Backward(dy *tensor.Tensor) {
	first := 0
	for first < len(m.Layers)-1 && m.isFolded(first) {
		first++
	}
	for i := len(m.Layers) - 1; i >= 0; i-- {
		if !m.isFolded(i) {
			dy = m.Layers[i].Backward(dy, i > first)
		}
	}
}

// BackwardInput is Backward that also returns the gradient with respect to
// the model's input, (N, InputShape...), owned by the first layer: the
// saliency map of an explanation.
func (m *Sequential) BackwardInput(dy *tensor.Tensor) *tensor.Tensor {
	for i := len(m.Layers) - 1; i >= 0; i-- {
		if !m.isFolded(i) {
			dy = m.Layers[i].Backward(dy, true)
		}
	}
	return dy
}

// Params returns every trainable parameter, in layer order.
func (m *Sequential) Params() []*Param {
	var ps []*Param
	for _, l := range m.Layers {
		ps = append(ps, l.Params()...)
	}
	return ps
}

// State returns every non-trainable persistent tensor (BatchNorm running
// statistics), in layer order.
func (m *Sequential) State() []*Param {
	var ps []*Param
	for _, l := range m.Layers {
		ps = append(ps, l.State()...)
	}
	return ps
}

// Tensors returns Params followed by State: everything Save writes.
func (m *Sequential) Tensors() []*Param {
	return append(m.Params(), m.State()...)
}

// NumParams is the number of trainable values, as Keras' "Trainable params".
func (m *Sequential) NumParams() int {
	n := 0
	for _, p := range m.Params() {
		n += p.Value.Len()
	}
	return n
}

// NumState is the number of non-trainable saved values (BatchNorm running
// statistics), as Keras' "Non-trainable params".
func (m *Sequential) NumState() int {
	n := 0
	for _, p := range m.State() {
		n += p.Value.Len()
	}
	return n
}

// FLOPs is the forward cost of one example, counting a multiply-add as two.
func (m *Sequential) FLOPs() int64 {
	var f int64
	for i, l := range m.Layers {
		f += l.FLOPs(m.shapes[i])
	}
	return f
}

// RandomLayers returns the layers whose random state a checkpoint must keep.
func (m *Sequential) RandomLayers() []RandomLayer {
	var rs []RandomLayer
	for _, l := range m.Layers {
		if r, ok := l.(RandomLayer); ok {
			rs = append(rs, r)
		}
	}
	return rs
}

// SetThreads gives the model a thread budget: its layer passes and matrix
// products run on at most n goroutines, the caller's included (n < 1: the
// process default, tensor.Threads(), read at each call). Results do not
// depend on it. Models trained side by side take 1 each, without touching
// the process-wide setting. Replicas inherit it.
func (m *Sequential) SetThreads(n int) {
	m.threads = max(n, 0)
	for _, l := range m.Layers {
		if t, ok := l.(threaded); ok {
			t.setThreads(m.threads)
		}
	}
}

// Threads reports the budget SetThreads gave (0: the default).
func (m *Sequential) Threads() int { return m.threads }

// Replica returns a model with the same Spec whose parameters and state
// share m's Value tensors but which has its own buffers and gradients, so
// several goroutines can run inference (train=false) on one set of weights
// at once. Training a replica would write the shared weights: don't.
func (m *Sequential) Replica() *Sequential {
	r, err := Build(m.Spec, 0)
	if err != nil {
		panic("nn: Replica: spec of a built model does not build: " + err.Error())
	}
	src, dst := m.Tensors(), r.Tensors()
	for i := range src {
		dst[i].Value = src[i].Value
	}
	r.SetThreads(m.threads)
	return r
}

// MarshalRNG returns the state of every random layer's generator (the
// Dropout masks still to come), for a checkpoint: a uvarint count, then per
// layer a uvarint length and the generator's bytes.
func (m *Sequential) MarshalRNG() ([]byte, error) {
	rs := m.RandomLayers()
	b := binary.AppendUvarint(nil, uint64(len(rs)))
	for _, r := range rs {
		s, err := r.MarshalRNG()
		if err != nil {
			return nil, fmt.Errorf("nn: %s generator: %w", r.Kind(), err)
		}
		b = binary.AppendUvarint(b, uint64(len(s)))
		b = append(b, s...)
	}
	return b, nil
}

// UnmarshalRNG restores generator states written by MarshalRNG of a model
// with the same Spec, so training resumes with the masks an uninterrupted
// run would have drawn.
func (m *Sequential) UnmarshalRNG(b []byte) error {
	rs := m.RandomLayers()
	n, k := binary.Uvarint(b)
	if k <= 0 || n != uint64(len(rs)) {
		return fmt.Errorf("nn: generator state holds %d layers; the model has %d random layers", n, len(rs))
	}
	b = b[k:]
	for i, r := range rs {
		l, k := binary.Uvarint(b)
		if k <= 0 || l > uint64(len(b)-k) {
			return fmt.Errorf("nn: generator state of random layer %d is truncated", i)
		}
		if err := r.UnmarshalRNG(b[k : k+int(l)]); err != nil {
			return err
		}
		b = b[k+int(l):]
	}
	if len(b) != 0 {
		return fmt.Errorf("nn: %d trailing bytes after the generator states", len(b))
	}
	return nil
}
