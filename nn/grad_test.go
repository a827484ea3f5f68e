package nn

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/rakam-ml/rakam/tensor"
)

// Finite-difference gradient checks. Each layer is treated as a function of
// its input and parameters; the scalar checked is L = Σ r·y for a fixed
// random r, so dL/dy = r is what Backward receives. Derivatives are central
// differences of L computed in float64 from float32 forward passes, with a
// step large enough for float32 rounding to stay small; inputs are kept
// away from the kinks of ReLU and MaxPool so the difference quotient does
// not straddle one.

const (
	fdStep = 1e-2
	fdTol  = 2e-3 // relative error ‖analytic − numeric‖ / ‖numeric‖
)

func randTensor(rng *rand.Rand, shape ...int) *tensor.Tensor {
	t := tensor.New(shape...)
	for i := range t.Data {
		t.Data[i] = float32(rng.NormFloat64())
	}
	return t
}

// awayFromZero pushes every value at least 3·fdStep away from 0 (ReLU kinks).
func awayFromZero(t *tensor.Tensor) {
	for i, v := range t.Data {
		if math.Abs(float64(v)) < 3*fdStep {
			t.Data[i] = float32(math.Copysign(3*fdStep+float64(i%5)*0.01, float64(v)))
		}
	}
}

// distinct makes all values distinct by at least 4·fdStep (MaxPool ties),
// a random permutation of evenly spaced values.
func distinct(rng *rand.Rand, t *tensor.Tensor) {
	perm := rng.Perm(len(t.Data))
	for i, p := range perm {
		t.Data[i] = float32(p)*4*fdStep*1.5 - float32(len(t.Data))*fdStep*3
	}
}

func dot64(r, y []float32) float64 {
	var s float64
	for i := range r {
		s += float64(r[i]) * float64(y[i])
	}
	return s
}

func relErr(a, n []float64) float64 {
	var d, na, nn float64
	for i := range a {
		d += (a[i] - n[i]) * (a[i] - n[i])
		na += a[i] * a[i]
		nn += n[i] * n[i]
	}
	// The 1e-3 floor keeps gradients that are zero in exact arithmetic
	// (the bias of a layer followed by BatchNorm) from comparing rounding
	// noise with rounding noise.
	den := math.Max(math.Max(math.Sqrt(na), math.Sqrt(nn)), 1e-3)
	return math.Sqrt(d) / den
}

// gradCheck compares the layer's Backward with central differences with
// respect to x and to every parameter. before is called before every
// Forward (Dropout restores its generator there so each pass draws the
// same mask).
func gradCheck(t *testing.T, l Layer, x *tensor.Tensor, train bool, before func()) {
	t.Helper()
	for _, e := range gradErrors(l, x, train, before) {
		t.Error(e)
	}
}

func gradErrors(l Layer, x *tensor.Tensor, train bool, before func()) []string {
	var errs []string
	rng := rand.New(rand.NewPCG(99, 1))
	if before == nil {
		before = func() {}
	}
	before()
	y := l.Forward(x, train)
	r := randTensor(rng, y.Shape...)
	loss := func() float64 {
		before()
		return dot64(r.Data, l.Forward(x, train).Data)
	}
	before()
	l.Forward(x, train)
	dx := l.Backward(r, true)
	if dx == nil || !tensor.SameShape(dx, x) {
		return []string{fmt.Sprintf("%s.Backward: dx = %v; want shape %v", l.Kind(), dx, x.Shape)}
	}
	type target struct {
		name string
		v    []float32
		g    []float64
	}
	targets := []target{{name: "x", v: x.Data, g: f64(dx.Data)}}
	for _, p := range l.Params() {
		targets = append(targets, target{name: p.Name, v: p.Value.Data, g: f64(p.Grad.Data)})
	}
	for _, tg := range targets {
		num := make([]float64, len(tg.v))
		for i := range tg.v {
			old := tg.v[i]
			tg.v[i] = old + fdStep
			lp := loss()
			tg.v[i] = old - fdStep
			lm := loss()
			tg.v[i] = old
			num[i] = (lp - lm) / (2 * fdStep)
		}
		if e := relErr(tg.g, num); e > fdTol || math.IsNaN(e) {
			errs = append(errs, fmt.Sprintf("%s: gradient w.r.t. %s: relative error %.3g > %g\nanalytic %v\nnumeric  %v", l.Kind(), tg.name, e, fdTol, head(tg.g), head(num)))
		}
	}
	return errs
}

func f64(s []float32) []float64 {
	out := make([]float64, len(s))
	for i, v := range s {
		out[i] = float64(v)
	}
	return out
}

func head(s []float64) string {
	if len(s) > 6 {
		s = s[:6]
	}
	return fmt.Sprintf("%.5g", s)
}

func TestGradients(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	cases := []struct {
		name  string
		layer func() Layer
		x     func() *tensor.Tensor
		train bool
	}{
		{"Dense", func() Layer { return NewDense(5, 3, "glorot", rng) }, func() *tensor.Tensor { return randTensor(rng, 4, 5) }, true},
		{"Conv2D", func() Layer { return NewConv2D([]int{2, 5, 6}, 3, 3, 1, 1, "he", rng) }, func() *tensor.Tensor { return randTensor(rng, 2, 2, 5, 6) }, true},
		{"Conv2D/stride2", func() Layer { return NewConv2D([]int{2, 7, 6}, 3, 3, 2, 1, "he", rng) }, func() *tensor.Tensor { return randTensor(rng, 2, 2, 7, 6) }, true},
		{"Conv2D/stride2-nopad-k2", func() Layer { return NewConv2D([]int{1, 5, 5}, 2, 2, 2, 0, "glorot", rng) }, func() *tensor.Tensor { return randTensor(rng, 3, 1, 5, 5) }, true},
		// One input channel at stride 1: the direct path (tensor.Direct1),
		// "same", "valid", a 1×1 kernel, a 4×4 one forced direct, and the
		// GEMM path forced.
		{"Conv2D/direct-same", func() Layer { return NewConv2D([]int{1, 5, 6}, 3, 3, 1, 1, "he", rng) }, func() *tensor.Tensor { return randTensor(rng, 2, 1, 5, 6) }, true},
		{"Conv2D/direct-valid", func() Layer { return NewConv2D([]int{1, 7, 6}, 2, 3, 1, 0, "he", rng) }, func() *tensor.Tensor { return randTensor(rng, 3, 1, 7, 6) }, true},
		{"Conv2D/direct-pad2", func() Layer { return NewConv2D([]int{1, 4, 5}, 2, 3, 1, 2, "he", rng) }, func() *tensor.Tensor { return randTensor(rng, 2, 1, 4, 5) }, true},
		{"Conv2D/direct-1x1", func() Layer { return NewConv2D([]int{1, 3, 5}, 2, 1, 1, 0, "he", rng) }, func() *tensor.Tensor { return randTensor(rng, 2, 1, 3, 5) }, true},
		{"Conv2D/direct-eval", func() Layer { return NewConv2D([]int{1, 5, 6}, 3, 3, 1, 1, "he", rng) }, func() *tensor.Tensor { return randTensor(rng, 2, 1, 5, 6) }, false},
		{"Conv2D/direct-forced-k4", func() Layer {
			c := NewConv2D([]int{1, 6, 5}, 2, 4, 1, 1, "he", rng)
			c.patchMode = patchesDirect
			return c
		}, func() *tensor.Tensor { return randTensor(rng, 2, 1, 6, 5) }, true},
		{"Conv2D/1ch-gemm", func() Layer {
			c := NewConv2D([]int{1, 5, 6}, 3, 3, 1, 1, "he", rng)
			c.patchMode = patchesStored
			return c
		}, func() *tensor.Tensor { return randTensor(rng, 2, 1, 5, 6) }, true},
		{"MaxPool2D", func() Layer { return NewMaxPool2D([]int{2, 4, 6}, 2, 2) }, func() *tensor.Tensor { x := tensor.New(2, 2, 4, 6); distinct(rng, x); return x }, true},
		{"MaxPool2D/overlap", func() Layer { return NewMaxPool2D([]int{1, 5, 5}, 3, 2) }, func() *tensor.Tensor { x := tensor.New(2, 1, 5, 5); distinct(rng, x); return x }, true},
		{"BatchNorm/dense/train", func() Layer { return randBN(rng, []int{3}) }, func() *tensor.Tensor { return randTensor(rng, 5, 3) }, true},
		{"BatchNorm/dense/eval", func() Layer { return randBN(rng, []int{3}) }, func() *tensor.Tensor { return randTensor(rng, 5, 3) }, false},
		{"BatchNorm/conv/train", func() Layer { return randBN(rng, []int{2, 3, 2}) }, func() *tensor.Tensor { return randTensor(rng, 3, 2, 3, 2) }, true},
		{"BatchNorm/conv/eval", func() Layer { return randBN(rng, []int{2, 3, 2}) }, func() *tensor.Tensor { return randTensor(rng, 3, 2, 3, 2) }, false},
		{"ReLU", func() Layer { return &ReLU{} }, func() *tensor.Tensor { x := randTensor(rng, 3, 7); awayFromZero(x); return x }, true},
		{"LeakyReLU", func() Layer { return &LeakyReLU{Alpha: 0.1} }, func() *tensor.Tensor { x := randTensor(rng, 3, 7); awayFromZero(x); return x }, true},
		{"Tanh", func() Layer { return &Tanh{} }, func() *tensor.Tensor { return randTensor(rng, 3, 7) }, true},
		{"Sigmoid", func() Layer { return &Sigmoid{} }, func() *tensor.Tensor { return randTensor(rng, 3, 7) }, true},
		{"GELU", func() Layer { return &GELU{} }, func() *tensor.Tensor { return randTensor(rng, 3, 7) }, true},
		{"Flatten", func() Layer { return &Flatten{} }, func() *tensor.Tensor { return randTensor(rng, 2, 2, 3, 2) }, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			gradCheck(t, tc.layer(), tc.x(), tc.train, nil)
		})
	}
	t.Run("Conv2D/chunked", func(t *testing.T) {
		// 2·9·4·4 = 288 patch values per example: a budget of 600 puts
		// two of the three examples in a chunk and one in the next.
		defer func(b int) { colBudget = b }(colBudget)
		colBudget = 600
		gradCheck(t, NewConv2D([]int{2, 4, 4}, 3, 3, 1, 1, "he", rng), randTensor(rng, 3, 2, 4, 4), true, nil)
	})
	t.Run("Dropout", func(t *testing.T) {
		d := NewDropout(0.4, 7, 1)
		state, err := d.MarshalRNG()
		if err != nil {
			t.Fatal(err)
		}
		restore := func() {
			if err := d.UnmarshalRNG(state); err != nil {
				t.Fatal(err)
			}
		}
		gradCheck(t, d, randTensor(rng, 4, 9), true, restore)
	})
}

// randBN returns a BatchNorm with non-trivial gamma, beta and running
// statistics, so every term of its gradient is exercised.
func randBN(rng *rand.Rand, in []int) *BatchNorm {
	b := NewBatchNorm(in, 1e-5, 0.1)
	for i := range b.Gamma.Value.Data {
		b.Gamma.Value.Data[i] = 0.5 + rng.Float32()
		b.Beta.Value.Data[i] = rng.Float32() - 0.5
		b.RunningMean.Value.Data[i] = rng.Float32() - 0.5
		b.RunningVar.Value.Data[i] = 0.5 + rng.Float32()
	}
	return b
}

// brokenConv scales its input gradient by 1.01: the checker must notice.
type brokenConv struct{ *Conv2D }

func (b brokenConv) Backward(dy *tensor.Tensor, needDx bool) *tensor.Tensor {
	dx := b.Conv2D.Backward(dy, needDx)
	tensor.Scale(1.01, dx.Data)
	return dx
}

func TestGradCheckCatchesErrors(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	l := brokenConv{NewConv2D([]int{2, 5, 5}, 2, 3, 1, 1, "he", rng)}
	errs := gradErrors(l, randTensor(rng, 2, 2, 5, 5), true, nil)
	if len(errs) != 1 {
		t.Fatalf("gradErrors(conv with dx scaled by 1.01) = %q; want one error about x", errs)
	}
}
