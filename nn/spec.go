package nn

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
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
// shape and parameter count (state included): fields that do not apply to
// the kind must be zero, then the kind's own check runs.
func (l LayerSpec) check(in []int) (out []int, params int, err error) {
	k := lookupLayer(l.Kind)
	if k == nil {
		return nil, 0, fmt.Errorf("unknown kind %q; known kinds: %s", l.Kind, strings.Join(Kinds(), ", "))
	}
	for _, f := range specFields {
		if f.set(l) && !slices.Contains(k.fields, f.name) {
			return nil, 0, fmt.Errorf("field %q does not apply to %s", f.name, l.Kind)
		}
	}
	return k.check(l, in)
}

// specField is a hyperparameter field of LayerSpec: its JSON name and
// whether l sets it.
type specField struct {
	name string
	set  func(l LayerSpec) bool
}

// specFields lists LayerSpec's hyperparameter fields in declaration order,
// the order in which a field that does not apply is reported.
var specFields = []specField{
	{"units", func(l LayerSpec) bool { return l.Units != 0 }},
	{"filters", func(l LayerSpec) bool { return l.Filters != 0 }},
	{"kernel", func(l LayerSpec) bool { return l.Kernel != 0 }},
	{"stride", func(l LayerSpec) bool { return l.Stride != 0 }},
	{"pad", func(l LayerSpec) bool { return l.Pad != 0 }},
	{"init", func(l LayerSpec) bool { return l.Init != "" }},
	{"rate", func(l LayerSpec) bool { return l.Rate != 0 }},
	{"alpha", func(l LayerSpec) bool { return l.Alpha != 0 }},
	{"eps", func(l LayerSpec) bool { return l.Eps != 0 }},
	{"momentum", func(l LayerSpec) bool { return l.Momentum != 0 }},
}

// checkInit checks a weight initialiser's name ("" takes the kind's
// default).
func (l LayerSpec) checkInit() error {
	switch l.Init {
	case "", "glorot", "he", "small":
		return nil
	}
	return fmt.Errorf("init %q: want \"glorot\", \"he\" or \"small\"", l.Init)
}

// initOr returns the initialiser's name, def when none is given.
func (l LayerSpec) initOr(def string) string {
	if l.Init == "" {
		return def
	}
	return l.Init
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
		k := lookupLayer(l.Kind)
		if k == nil { // Shapes has checked every kind
			return nil, fmt.Errorf("nn: spec: layer %d: unknown kind %q", i, l.Kind)
		}
		layer := k.build(l, buildAt{in: shapes[i], seed: seed, index: i})
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
