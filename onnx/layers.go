package onnx

import (
	"fmt"
	"math"
	"slices"

	"github.com/rakam-ml/rakam/nn"
)

// The ONNX mapping of each layer kind registers itself here, keyed by the
// kind's name (nn.Layer.Kind), as the kinds themselves register in nn: the
// exporter looks a layer's mapping up and names no kind. Adding a layer
// kind to nn adds one mapping below (docs/nn.md, "Adding a layer kind").

// layerAt is where a layer sits in the graph being built.
type layerAt struct {
	prefix  string // "layers.<i>": the start of its nodes' and initializers' names
	x       string // the name of its input value
	in, out []int  // per-example shapes of its input and output
}

// name returns the name of the layer's node for operator op
// ("layers.3.MaxPool"), which is also the name of the node's output.
func (a layerAt) name(op string) string { return a.prefix + "." + op }

// A layerMapping appends the nodes of one layer to g and returns the name
// of the layer's output value.
type layerMapping func(g *graph, l nn.Layer, at layerAt) (string, error)

// layerMappings holds the mapping of every layer kind ONNX can express.
var layerMappings = map[string]layerMapping{}

// mapLayer registers the mapping of the layer kind called kind, whose
// layers are of type L. Registering a kind twice is a programmer error and
// panics.
func mapLayer[L nn.Layer](kind string, f func(g *graph, l L, at layerAt) (string, error)) {
	if _, dup := layerMappings[kind]; dup {
		panic("onnx: mapLayer: kind " + kind + " mapped twice")
	}
	layerMappings[kind] = func(g *graph, l nn.Layer, at layerAt) (string, error) {
		t, ok := l.(L)
		if !ok {
			return "", unsupportedf("layer kind %q is a %T; its ONNX mapping takes a %T", kind, l, t)
		}
		return f(g, t, at)
	}
}

// layer appends the nodes of layer i, which maps x, (N, in...), to
// (N, out...), and returns the name of its output.
func (g *graph) layer(i int, l nn.Layer, x string, in, out []int) (string, error) {
	m, ok := layerMappings[l.Kind()]
	if !ok {
		return "", unsupportedf("layer kind %q (%T) has no ONNX mapping", l.Kind(), l)
	}
	return m(g, l, layerAt{prefix: fmt.Sprintf("layers.%d", i), x: x, in: in, out: out})
}

// Dense: Gemm with weights (In, Out), so transB = 0, after a Flatten when
// the input is not a vector.
func init() {
	mapLayer("Dense", func(g *graph, l *nn.Dense, at layerAt) (string, error) {
		if prod(at.in) != l.In || !slices.Equal(at.out, []int{l.Out}) {
			return "", unsupportedf("Dense %d->%d between shapes %v and %v", l.In, l.Out, at.in, at.out)
		}
		x := at.x
		if len(at.in) != 1 {
			x = g.node("Flatten", at.name("Flatten"), []string{x}, []int{l.In}, intAttr("axis", 1))
		}
		w, err := g.initializer(at.prefix+".weight", l.W.Value, l.In, l.Out)
		if err != nil {
			return "", err
		}
		b, err := g.initializer(at.prefix+".bias", l.B.Value, l.Out)
		if err != nil {
			return "", err
		}
		return g.node("Gemm", at.name("Gemm"), []string{x, w, b}, at.out), nil
	})
}

// Conv2D: Conv with weights (OutC, InC, K, K), strides and symmetric pads.
func init() {
	mapLayer("Conv2D", func(g *graph, l *nn.Conv2D, at layerAt) (string, error) {
		if !slices.Equal(at.in, []int{l.InC, l.InH, l.InW}) {
			return "", unsupportedf("Conv2D expects (%d, %d, %d) but gets %v", l.InC, l.InH, l.InW, at.in)
		}
		w, err := g.initializer(at.prefix+".weight", l.W.Value, l.OutC, l.InC, l.KH, l.KW)
		if err != nil {
			return "", err
		}
		b, err := g.initializer(at.prefix+".bias", l.B.Value, l.OutC)
		if err != nil {
			return "", err
		}
		return g.node("Conv", at.name("Conv"), []string{at.x, w, b}, at.out,
			intsAttr("kernel_shape", l.KH, l.KW),
			intsAttr("strides", l.Stride, l.Stride),
			intsAttr("pads", l.Pad, l.Pad, l.Pad, l.Pad),
			intsAttr("dilations", 1, 1),
			intAttr("group", 1)), nil
	})
}

// MaxPool2D: MaxPool with no padding and floor rounding (ceil_mode 0), as
// nn's MaxPool2D.
func init() {
	mapLayer("MaxPool2D", func(g *graph, l *nn.MaxPool2D, at layerAt) (string, error) {
		if !slices.Equal(at.in, []int{l.C, l.InH, l.InW}) {
			return "", unsupportedf("MaxPool2D expects (%d, %d, %d) but gets %v", l.C, l.InH, l.InW, at.in)
		}
		return g.node("MaxPool", at.name("MaxPool"), []string{at.x}, at.out,
			intsAttr("kernel_shape", l.K, l.K),
			intsAttr("strides", l.Stride, l.Stride),
			intsAttr("pads", 0, 0, 0, 0)), nil
	})
}

// BatchNorm: BatchNormalization in inference mode,
// (x − running_mean)/sqrt(running_var + ε)·γ + β.
func init() {
	mapLayer("BatchNorm", func(g *graph, l *nn.BatchNorm, at layerAt) (string, error) {
		in := at.in
		if len(in) == 0 || in[0] != l.Features || prod(in[1:]) != l.Spatial || (len(in) != 1 && len(in) != 3) {
			return "", unsupportedf("BatchNorm of %d features x %d positions gets %v", l.Features, l.Spatial, in)
		}
		var names [4]string
		for j, p := range []*nn.Param{l.Gamma, l.Beta, l.RunningMean, l.RunningVar} {
			var err error
			names[j], err = g.initializer(at.prefix+"."+[]string{"gamma", "beta", "running_mean", "running_var"}[j], p.Value, l.Features)
			if err != nil {
				return "", err
			}
		}
		for _, v := range l.RunningVar.Value.Data {
			if v < 0 {
				return "", fmt.Errorf("running variance %g is negative", v)
			}
		}
		return g.node("BatchNormalization", at.name("BatchNormalization"), append([]string{at.x}, names[:]...), at.out,
			floatAttr("epsilon", l.Eps)), nil
	})
}

// Dropout: nothing, it is the identity at inference (the model's doc
// string counts the layers left out).
func init() {
	mapLayer("Dropout", func(g *graph, _ *nn.Dropout, at layerAt) (string, error) {
		g.dropped++
		return at.x, nil
	})
}

// ReLU: Relu.
func init() {
	mapLayer("ReLU", func(g *graph, _ *nn.ReLU, at layerAt) (string, error) {
		return g.node("Relu", at.name("Relu"), []string{at.x}, at.out), nil
	})
}

// LeakyReLU: LeakyRelu with the model's alpha.
func init() {
	mapLayer("LeakyReLU", func(g *graph, l *nn.LeakyReLU, at layerAt) (string, error) {
		return g.node("LeakyRelu", at.name("LeakyRelu"), []string{at.x}, at.out, floatAttr("alpha", l.Alpha)), nil
	})
}

// Tanh: Tanh.
func init() {
	mapLayer("Tanh", func(g *graph, _ *nn.Tanh, at layerAt) (string, error) {
		return g.node("Tanh", at.name("Tanh"), []string{at.x}, at.out), nil
	})
}

// Sigmoid: Sigmoid.
func init() {
	mapLayer("Sigmoid", func(g *graph, _ *nn.Sigmoid, at layerAt) (string, error) {
		return g.node("Sigmoid", at.name("Sigmoid"), []string{at.x}, at.out), nil
	})
}

// GELU: Gelu is an operator only from opset 20; before, the exact formula
// x·0.5·(1 + erf(x/√2)) as Div, Erf, Add, Mul, Mul.
func init() {
	mapLayer("GELU", func(g *graph, _ *nn.GELU, at layerAt) (string, error) {
		sqrt2 := g.scalar(at.prefix+".sqrt2", math.Sqrt2)
		one := g.scalar(at.prefix+".one", 1)
		half := g.scalar(at.prefix+".half", 0.5)
		t := g.node("Div", at.name("Div"), []string{at.x, sqrt2}, at.out)
		t = g.node("Erf", at.name("Erf"), []string{t}, at.out)
		t = g.node("Add", at.name("Add"), []string{t, one}, at.out)
		t = g.node("Mul", at.name("Mul"), []string{at.x, t}, at.out)
		return g.node("Mul", at.name("Mul_1"), []string{t, half}, at.out), nil
	})
}

// Flatten: Flatten with axis 1.
func init() {
	mapLayer("Flatten", func(g *graph, _ *nn.Flatten, at layerAt) (string, error) {
		return g.node("Flatten", at.name("Flatten"), []string{at.x}, at.out, intAttr("axis", 1)), nil
	})
}
