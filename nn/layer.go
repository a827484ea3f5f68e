package nn

import (
	"fmt"
	"slices"

	"github.com/rakam-ml/rakam/tensor"
)

// Param is a named tensor a model keeps: a trainable weight with its
// gradient, or a piece of persistent state (BatchNorm running statistics)
// whose Grad is nil.
//
// Name is the key the tensor has in a saved model, "layers.<i>.<name>" once
// the layer belongs to a Sequential built by Build (for example
// "layers.0.weight", "layers.2.running_mean").
type Param struct {
	Name  string
	Value *tensor.Tensor
	Grad  *tensor.Tensor // same shape as Value; nil for state
	// Decay says whether weight decay should apply: true for the weights
	// of Dense and Conv2D, false for biases and BatchNorm's gamma and beta.
	Decay bool
}

// Layer is one step of a Sequential model. Shapes below are per batch: N is
// the batch size and in/out are the per-example shapes OutShape relates.
//
// Layers own their buffers: Forward and Backward return tensors that belong
// to the layer and stay valid until the next call of the same method, and
// after the first batch of a given size they allocate nothing. Forward keeps
// a reference to x (not a copy) for Backward, so x must not change between
// Forward and the Backward that follows it.
type Layer interface {
	// Kind names the layer type as it appears in a Spec: "Dense",
	// "Conv2D", "MaxPool2D", "BatchNorm", "Dropout", "ReLU", ... (Kinds
	// lists them; each registers itself in its own file, see registry.go).
	Kind() string
	// Forward maps x, (N, in...), to y, (N, out...). train selects
	// training behaviour (batch statistics in BatchNorm, masks in Dropout).
	Forward(x *tensor.Tensor, train bool) *tensor.Tensor
	// Backward takes dy, (N, out...), the gradient of the loss with
	// respect to the last Forward's output, overwrites the gradients of
	// Params, and returns dx, (N, in...), or nil when needDx is false (the
	// first layer of a model has no use for it, and skipping it saves a
	// third of a Dense layer's work).
	Backward(dy *tensor.Tensor, needDx bool) *tensor.Tensor
	// Params lists the trainable parameters (nil when there are none).
	Params() []*Param
	// State lists non-trainable persistent tensors saved with the model,
	// such as BatchNorm's running mean and variance. Their Grad is nil.
	State() []*Param
	// OutShape returns the per-example output shape for a per-example
	// input shape, e.g. [1 28 28] -> [32 28 28] for a 3x3 Conv2D with 32
	// filters and padding 1.
	OutShape(in []int) []int
	// FLOPs returns the floating-point operations of one forward pass for
	// one example with the per-example input shape in, counting a
	// multiply-add as two.
	FLOPs(in []int) int64
}

// RandomLayer is implemented by layers that draw random numbers during
// training (Dropout). Checkpoints save and restore the generator's state so
// a resumed run draws the same masks as an uninterrupted one.
type RandomLayer interface {
	Layer
	MarshalRNG() ([]byte, error)
	UnmarshalRNG(b []byte) error
}

func prod(shape []int) int {
	n := 1
	for _, d := range shape {
		n *= d
	}
	return n
}

// reuse is tensor.EnsureShape that allocates nothing when t already has
// the shape: EnsureShape's shape argument escapes, so calling it with
// literal dimensions would put a slice on the heap every step. Here only
// the slow path copies shape.
func reuse(t *tensor.Tensor, shape ...int) *tensor.Tensor {
	if t != nil && slices.Equal(t.Shape, shape) {
		return t
	}
	return tensor.EnsureShape(t, append([]int(nil), shape...)...)
}

// checkIn panics with a clear message when x does not hold (N, in...)
// examples. A shape mismatch inside a model is a programmer error: the
// Sequential checks the model input, and Build checks that shapes chain.
func checkIn(kind string, x *tensor.Tensor, in int) {
	if len(x.Shape) == 0 || x.Cols() != in || x.Rows()*in != len(x.Data) {
		panic(fmt.Sprintf("nn: %s: input %v does not hold rows of %d values", kind, x.Shape, in))
	}
}
