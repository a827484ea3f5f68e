package nn

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
)

// Spec is the serialisable architecture of a Sequential model: the
// per-example input shape and the layers in order with their
// hyperparameters. Saved models carry it as JSON in their metadata so a
// file rebuilds its own model.
//
// For MNIST, Input is [784] for multilayer perceptrons and [1, 28, 28] (NCHW
// without the N) for convolutional networks; a Sequential accepts any
// (N, 784) batch for either, since the data are the same row-major pixels.
type Spec struct {
	Input  []int       `json:"input"`
	Layers []LayerSpec `json:"layers"`
}

// LayerSpec describes one layer. Fields that do not apply to a Kind must be
// zero; zero fields that do apply take the defaults given.
type LayerSpec struct {
	Kind string `json:"kind"`

	// Dense: output features.
	Units int `json:"units,omitempty"`
	// Conv2D: output channels.
	Filters int `json:"filters,omitempty"`
	// Conv2D and MaxPool2D: square kernel size (MaxPool2D default 2).
	Kernel int `json:"kernel,omitempty"`
	// Conv2D (default 1) and MaxPool2D (default = Kernel).
	Stride int `json:"stride,omitempty"`
	// Conv2D: zero padding on each side (default 0).
	Pad int `json:"pad,omitempty"`
	// Dense and Conv2D weight initialiser: "glorot" (uniform, Keras'
	// default; the default for Dense), "he" (normal, the default for
	// Conv2D) or "small" (0.01·N(0,1), study 1's).
	Init string `json:"init,omitempty"`

	// Dropout: fraction of inputs dropped in training, in [0, 1).
	Rate float64 `json:"rate,omitempty"`
	// LeakyReLU: slope for negative inputs (default 0.01).
	Alpha float64 `json:"alpha,omitempty"`
	// BatchNorm: epsilon (default 1e-5) and momentum of the running
	// statistics, PyTorch's convention: running = (1-m)·running + m·batch
	// (default 0.1, which is Keras' momentum 0.9).
	Eps      float64 `json:"eps,omitempty"`
	Momentum float64 `json:"momentum,omitempty"`
}

// Limits on what a Spec may ask for, so a hostile saved file cannot make
// Build allocate without bound.
const (
	maxDim        = 1 << 16
	maxLayers     = 1024
	maxParamCount = 1 << 28
	// maxActivation bounds the values of one example at any point of the
	// model (a 28x28 image is 784; the zoo's cnn peaks at 12,544).
	maxActivation = 1 << 24
)

// ParseSpec decodes a Spec from JSON, rejecting unknown fields, and
// validates it.
func ParseSpec(b []byte) (Spec, error) {
	var s Spec
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&s); err != nil {
		return Spec{}, fmt.Errorf("nn: spec: %w", err)
	}
	if dec.More() {
		return Spec{}, errors.New("nn: spec: trailing data after JSON object")
	}
	if err := s.Validate(); err != nil {
		return Spec{}, err
	}
	return s, nil
}

// JSON returns the Spec's canonical JSON encoding.
func (s Spec) JSON() []byte {
	b, err := json.Marshal(s)
	if err != nil {
		panic(err) // a Spec holds only ints, floats and strings
	}
	return b
}

// Validate checks that every layer is known, its hyperparameters are in
// range, shapes chain from Input to the last layer, and sizes stay within
// limits. The error names the layer at fault.
func (s Spec) Validate() error {
	_, err := s.Shapes()
	return err
}

// Shapes returns the per-example shape before every layer and after the
// last: Shapes()[0] is Input and Shapes()[len(Layers)] the output.
func (s Spec) Shapes() ([][]int, error) {
	shapes, _, err := s.analyze()
	return shapes, err
}

// countValues returns how many float32 values the built model saves:
// parameters and state.
func (s Spec) countValues() (int, error) {
	_, n, err := s.analyze()
	return n, err
}

func (s Spec) analyze() ([][]int, int, error) {
	if len(s.Input) == 0 || len(s.Input) > 3 {
		return nil, 0, fmt.Errorf("nn: spec: input shape %v: want 1 to 3 dimensions", s.Input)
	}
	for _, d := range s.Input {
		if d <= 0 || d > maxDim {
			return nil, 0, fmt.Errorf("nn: spec: input shape %v: dimensions must be in 1..%d", s.Input, maxDim)
		}
	}
	if a := prod(s.Input); a > maxActivation {
		return nil, 0, fmt.Errorf("nn: spec: input shape %v holds %d values per example; at most %d", s.Input, a, maxActivation)
	}
	if len(s.Layers) == 0 {
		return nil, 0, errors.New("nn: spec: no layers")
	}
	if len(s.Layers) > maxLayers {
		return nil, 0, fmt.Errorf("nn: spec: %d layers; at most %d", len(s.Layers), maxLayers)
	}
	shapes := [][]int{append([]int(nil), s.Input...)}
	in := shapes[0]
	var params int
	for i, l := range s.Layers {
		out, n, err := l.check(in)
		if err != nil {
			return nil, 0, fmt.Errorf("nn: spec: layer %d (%s): %w", i, l.Kind, err)
		}
		if a := prod(out); a > maxActivation {
			return nil, 0, fmt.Errorf("nn: spec: layer %d (%s): output shape %v holds %d values per example; at most %d", i, l.Kind, out, a, maxActivation)
		}
		params += n
		if params > maxParamCount {
			return nil, 0, fmt.Errorf("nn: spec: layer %d (%s): more than %d parameters", i, l.Kind, maxParamCount)
		}
		shapes = append(shapes, out)
		in = out
	}
	return shapes, params, nil
}

// check validates l for per-example input shape in and returns its output
// shape and parameter count (state included).
func (l LayerSpec) check(in []int) (out []int, params int, err error) {
	zero := func(names ...string) error {
		for _, n := range names {
			var bad bool
			switch n {
			case "units":
				bad = l.Units != 0
			case "filters":
				bad = l.Filters != 0
			case "kernel":
				bad = l.Kernel != 0
			case "stride":
				bad = l.Stride != 0
			case "pad":
				bad = l.Pad != 0
			case "init":
				bad = l.Init != ""
			case "rate":
				bad = l.Rate != 0
			case "alpha":
				bad = l.Alpha != 0
			case "eps":
				bad = l.Eps != 0
			case "momentum":
				bad = l.Momentum != 0
			}
			if bad {
				return fmt.Errorf("field %q does not apply to %s", n, l.Kind)
			}
		}
		return nil
	}
	checkInit := func() error {
		switch l.Init {
		case "", "glorot", "he", "small":
			return nil
		}
		return fmt.Errorf("init %q: want \"glorot\", \"he\" or \"small\"", l.Init)
	}
	n := prod(in)
	switch l.Kind {
	case "Dense":
		if err := zero("filters", "kernel", "stride", "pad", "rate", "alpha", "eps", "momentum"); err != nil {
			return nil, 0, err
		}
		if err := checkInit(); err != nil {
			return nil, 0, err
		}
		if l.Units <= 0 || l.Units > maxDim {
			return nil, 0, fmt.Errorf("units %d: want 1..%d", l.Units, maxDim)
		}
		if n > maxParamCount/l.Units {
			return nil, 0, fmt.Errorf("%d inputs x %d units is too many weights", n, l.Units)
		}
		return []int{l.Units}, n*l.Units + l.Units, nil
	case "Conv2D":
		if err := zero("units", "rate", "alpha", "eps", "momentum"); err != nil {
			return nil, 0, err
		}
		if err := checkInit(); err != nil {
			return nil, 0, err
		}
		if len(in) != 3 {
			return nil, 0, fmt.Errorf("input shape %v: want (channels, height, width)", in)
		}
		if l.Filters <= 0 || l.Filters > maxDim {
			return nil, 0, fmt.Errorf("filters %d: want 1..%d", l.Filters, maxDim)
		}
		if l.Kernel <= 0 || l.Kernel > 64 {
			return nil, 0, fmt.Errorf("kernel %d: want 1..64", l.Kernel)
		}
		stride := l.stride(1)
		if stride <= 0 || stride > 64 {
			return nil, 0, fmt.Errorf("stride %d: want 1..64", l.Stride)
		}
		if l.Pad < 0 || l.Pad >= l.Kernel {
			return nil, 0, fmt.Errorf("pad %d: want 0..kernel-1", l.Pad)
		}
		oh := convOut(in[1], l.Kernel, stride, l.Pad)
		ow := convOut(in[2], l.Kernel, stride, l.Pad)
		if oh <= 0 || ow <= 0 {
			return nil, 0, fmt.Errorf("kernel %d does not fit input %v", l.Kernel, in)
		}
		w := l.Filters * in[0] * l.Kernel * l.Kernel
		if w > maxParamCount || l.Filters*oh*ow > maxParamCount {
			return nil, 0, fmt.Errorf("too large: %d weights, %d outputs", w, l.Filters*oh*ow)
		}
		return []int{l.Filters, oh, ow}, w + l.Filters, nil
	case "MaxPool2D":
		if err := zero("units", "filters", "pad", "init", "rate", "alpha", "eps", "momentum"); err != nil {
			return nil, 0, err
		}
		if len(in) != 3 {
			return nil, 0, fmt.Errorf("input shape %v: want (channels, height, width)", in)
		}
		k := l.kernel(2)
		if k <= 0 || k > 64 {
			return nil, 0, fmt.Errorf("kernel %d: want 1..64", l.Kernel)
		}
		stride := l.stride(k)
		if stride <= 0 || stride > 64 {
			return nil, 0, fmt.Errorf("stride %d: want 1..64", l.Stride)
		}
		oh := convOut(in[1], k, stride, 0)
		ow := convOut(in[2], k, stride, 0)
		if oh <= 0 || ow <= 0 {
			return nil, 0, fmt.Errorf("kernel %d does not fit input %v", k, in)
		}
		return []int{in[0], oh, ow}, 0, nil
	case "BatchNorm":
		if err := zero("units", "filters", "kernel", "stride", "pad", "init", "rate", "alpha"); err != nil {
			return nil, 0, err
		}
		if len(in) != 1 && len(in) != 3 {
			return nil, 0, fmt.Errorf("input shape %v: want (features) or (channels, height, width)", in)
		}
		if e := l.eps(); !(e > 0 && e < 1) {
			return nil, 0, fmt.Errorf("eps %g: want 0 < eps < 1", l.Eps)
		}
		if m := l.momentum(); !(m > 0 && m <= 1) {
			return nil, 0, fmt.Errorf("momentum %g: want 0 < momentum <= 1", l.Momentum)
		}
		return append([]int(nil), in...), 4 * in[0], nil
	case "Dropout":
		if err := zero("units", "filters", "kernel", "stride", "pad", "init", "alpha", "eps", "momentum"); err != nil {
			return nil, 0, err
		}
		if !(l.Rate >= 0 && l.Rate < 1) {
			return nil, 0, fmt.Errorf("rate %g: want 0 <= rate < 1", l.Rate)
		}
		return append([]int(nil), in...), 0, nil
	case "LeakyReLU":
		if err := zero("units", "filters", "kernel", "stride", "pad", "init", "rate", "eps", "momentum"); err != nil {
			return nil, 0, err
		}
		if a := l.Alpha; !(a >= 0 && a < 1) {
			return nil, 0, fmt.Errorf("alpha %g: want 0 <= alpha < 1", a)
		}
		return append([]int(nil), in...), 0, nil
	case "ReLU", "Tanh", "Sigmoid", "GELU":
		if err := zero("units", "filters", "kernel", "stride", "pad", "init", "rate", "alpha", "eps", "momentum"); err != nil {
			return nil, 0, err
		}
		return append([]int(nil), in...), 0, nil
	case "Flatten":
		if err := zero("units", "filters", "kernel", "stride", "pad", "init", "rate", "alpha", "eps", "momentum"); err != nil {
			return nil, 0, err
		}
		return []int{n}, 0, nil
	}
	return nil, 0, fmt.Errorf("unknown kind %q; known kinds: %s", l.Kind, strings.Join(Kinds, ", "))
}

func (l LayerSpec) stride(def int) int {
	if l.Stride == 0 {
		return def
	}
	return l.Stride
}

func (l LayerSpec) kernel(def int) int {
	if l.Kernel == 0 {
		return def
	}
	return l.Kernel
}

func (l LayerSpec) eps() float64 {
	if l.Eps == 0 {
		return 1e-5
	}
	return l.Eps
}

func (l LayerSpec) momentum() float64 {
	if l.Momentum == 0 {
		return 0.1
	}
	return l.Momentum
}

func (l LayerSpec) alpha() float64 {
	if l.Alpha == 0 {
		return 0.01
	}
	return l.Alpha
}

func convOut(in, k, stride, pad int) int {
	if in+2*pad < k {
		return 0
	}
	return (in+2*pad-k)/stride + 1
}

// Build validates spec and constructs its model. Weights are initialised
// from seed: layer i draws from its own PCG stream, so the same seed gives
// bit-identical weights and inserting a parameterless layer elsewhere does
// not change another layer's weights.
func Build(spec Spec, seed uint64) (*Sequential, error) {
	shapes, err := spec.Shapes()
	if err != nil {
		return nil, err
	}
	m := &Sequential{Spec: cloneSpec(spec)}
	for i, l := range spec.Layers {
		in := shapes[i]
		rng := rand.New(rand.NewPCG(seed, uint64(i)))
		var layer Layer
		switch l.Kind {
		case "Dense":
			init := l.Init
			if init == "" {
				init = "glorot"
			}
			layer = NewDense(prod(in), l.Units, init, rng)
		case "Conv2D":
			init := l.Init
			if init == "" {
				init = "he"
			}
			layer = NewConv2D(in, l.Filters, l.Kernel, l.stride(1), l.Pad, init, rng)
		case "MaxPool2D":
			k := l.kernel(2)
			layer = NewMaxPool2D(in, k, l.stride(k))
		case "BatchNorm":
			layer = NewBatchNorm(in, float32(l.eps()), float32(l.momentum()))
		case "Dropout":
			layer = NewDropout(float32(l.Rate), seed, uint64(1<<32+i))
		case "ReLU":
			layer = &ReLU{}
		case "LeakyReLU":
			layer = &LeakyReLU{Alpha: float32(l.alpha())}
		case "Tanh":
			layer = &Tanh{}
		case "Sigmoid":
			layer = &Sigmoid{}
		case "GELU":
			layer = &GELU{}
		case "Flatten":
			layer = &Flatten{}
		default:
			return nil, fmt.Errorf("nn: spec: layer %d: unknown kind %q", i, l.Kind)
		}
		for _, p := range layer.Params() {
			p.Name = fmt.Sprintf("layers.%d.%s", i, p.Name)
		}
		for _, p := range layer.State() {
			p.Name = fmt.Sprintf("layers.%d.%s", i, p.Name)
		}
		m.Layers = append(m.Layers, layer)
	}
	m.shapes = shapes
	m.fuse()
	return m, nil
}

func cloneSpec(s Spec) Spec {
	return Spec{Input: append([]int(nil), s.Input...), Layers: append([]LayerSpec(nil), s.Layers...)}
}
