package nn

import (
	"fmt"
	"math"

	"github.com/rakam-ml/rakam/tensor"
)

func init() {
	registerLayer(layerKind{name: "ReLU", group: activationKinds, check: sameShape,
		build: func(LayerSpec, buildAt) Layer { return &ReLU{} }})
	registerLayer(layerKind{
		name:   "LeakyReLU",
		group:  activationKinds,
		fields: []string{"alpha"},
		check: func(l LayerSpec, in []int) ([]int, int, error) {
			if a := l.Alpha; !(a >= 0 && a < 1) {
				return nil, 0, fmt.Errorf("alpha %g: want 0 <= alpha < 1", a)
			}
			return append([]int(nil), in...), 0, nil
		},
		build: func(l LayerSpec, _ buildAt) Layer { return &LeakyReLU{Alpha: float32(l.alpha())} },
	})
	registerLayer(layerKind{name: "Tanh", group: activationKinds, check: sameShape,
		build: func(LayerSpec, buildAt) Layer { return &Tanh{} }})
	registerLayer(layerKind{name: "Sigmoid", group: activationKinds, check: sameShape,
		build: func(LayerSpec, buildAt) Layer { return &Sigmoid{} }})
	registerLayer(layerKind{name: "GELU", group: activationKinds, check: sameShape,
		build: func(LayerSpec, buildAt) Layer { return &GELU{} }})
}

// alpha is LeakyReLU's slope for negative inputs, 0.01 when not given.
func (l LayerSpec) alpha() float64 {
	if l.Alpha == 0 {
		return 0.01
	}
	return l.Alpha
}

// The elementwise activations below map x, (N, ...), to y of the same shape
// and have no parameters. FLOPs counts one operation per element for the
// cheap ones and a handful for those that call exp, tanh or erf (a rough
// figure: what matters for the summary is that they are small).

// ReLU is y = max(x, 0).
type ReLU struct {
	budget
	y, dx *tensor.Tensor

	// the pass runPart does: forward from px, or backward from pdy
	backward bool
	px, pdy  []float32
}

// reluGrain is the fewest values worth a partition of their own: below it,
// handing work to another thread costs more than the loop.
const reluGrain = 16 << 10

func reluPartCount(n int) int { return max(1, min(maxParts, n/reluGrain)) }

// runPart does partition p of a pass, a range of values.
func (r *ReLU) runPart(p int) {
	n := len(r.y.Data)
	lo, hi := partRange(p, reluPartCount(n), n)
	if r.backward {
		tensor.ReLUBackward(r.dx.Data[lo:hi], r.pdy[lo:hi], r.y.Data[lo:hi])
	} else {
		tensor.ReLU(r.y.Data[lo:hi], r.px[lo:hi])
	}
}

func (r *ReLU) Kind() string            { return "ReLU" }
func (r *ReLU) Params() []*Param        { return nil }
func (r *ReLU) State() []*Param         { return nil }
func (r *ReLU) OutShape(in []int) []int { return append([]int(nil), in...) }
func (r *ReLU) FLOPs(in []int) int64    { return int64(prod(in)) }

// Forward computes y from x: x is (N, ...); y is the same shape.
func (r *ReLU) Forward(x *tensor.Tensor, train bool) *tensor.Tensor {
	r.y = reuse(r.y, x.Shape...)
	r.backward, r.px = false, x.Data
	parallelFor(r.nthreads(), reluPartCount(len(x.Data)), (*reluTask)(r))
	r.px = nil
	return r.y
}

// Backward computes the gradients: dx = dy where y > 0, else 0.
func (r *ReLU) Backward(dy *tensor.Tensor, needDx bool) *tensor.Tensor {
	if !needDx {
		return nil
	}
	r.dx = reuse(r.dx, r.y.Shape...)
	r.backward, r.pdy = true, dy.Data
	parallelFor(r.nthreads(), reluPartCount(len(r.y.Data)), (*reluTask)(r))
	r.pdy = nil
	return r.dx
}

// LeakyReLU is y = x for x > 0 and Alpha·x otherwise.
type LeakyReLU struct {
	Alpha float32
	x     *tensor.Tensor
	y, dx *tensor.Tensor
}

func (r *LeakyReLU) Kind() string            { return "LeakyReLU" }
func (r *LeakyReLU) Params() []*Param        { return nil }
func (r *LeakyReLU) State() []*Param         { return nil }
func (r *LeakyReLU) OutShape(in []int) []int { return append([]int(nil), in...) }
func (r *LeakyReLU) FLOPs(in []int) int64    { return int64(prod(in)) }

// Forward computes y from x: x is (N, ...); y is the same shape.
func (r *LeakyReLU) Forward(x *tensor.Tensor, train bool) *tensor.Tensor {
	r.x = x
	r.y = reuse(r.y, x.Shape...)
	y := r.y.Data[:len(x.Data)]
	for i, v := range x.Data {
		if v > 0 {
			y[i] = v
		} else {
			y[i] = r.Alpha * v
		}
	}
	return r.y
}

// Backward computes the gradients: dx = dy for x > 0, Alpha·dy otherwise.
func (r *LeakyReLU) Backward(dy *tensor.Tensor, needDx bool) *tensor.Tensor {
	if !needDx {
		return nil
	}
	r.dx = reuse(r.dx, r.x.Shape...)
	dx := r.dx.Data[:len(r.x.Data)]
	g := dy.Data[:len(dx)]
	for i, v := range r.x.Data {
		if v > 0 {
			dx[i] = g[i]
		} else {
			dx[i] = r.Alpha * g[i]
		}
	}
	return r.dx
}

// Tanh is y = tanh(x).
type Tanh struct{ y, dx *tensor.Tensor }

func (t *Tanh) Kind() string            { return "Tanh" }
func (t *Tanh) Params() []*Param        { return nil }
func (t *Tanh) State() []*Param         { return nil }
func (t *Tanh) OutShape(in []int) []int { return append([]int(nil), in...) }
func (t *Tanh) FLOPs(in []int) int64    { return 4 * int64(prod(in)) }

// Forward computes y from x: x is (N, ...); y is the same shape.
func (t *Tanh) Forward(x *tensor.Tensor, train bool) *tensor.Tensor {
	t.y = reuse(t.y, x.Shape...)
	y := t.y.Data[:len(x.Data)]
	for i, v := range x.Data {
		y[i] = float32(math.Tanh(float64(v)))
	}
	return t.y
}

// Backward computes the gradients: dx = dy·(1 − y²).
func (t *Tanh) Backward(dy *tensor.Tensor, needDx bool) *tensor.Tensor {
	if !needDx {
		return nil
	}
	t.dx = reuse(t.dx, t.y.Shape...)
	dx := t.dx.Data[:len(t.y.Data)]
	g := dy.Data[:len(dx)]
	for i, y := range t.y.Data {
		dx[i] = g[i] * (1 - float32(y*y))
	}
	return t.dx
}

// Sigmoid is y = 1/(1 + e^−x), computed without overflow for large |x|.
type Sigmoid struct{ y, dx *tensor.Tensor }

func (s *Sigmoid) Kind() string            { return "Sigmoid" }
func (s *Sigmoid) Params() []*Param        { return nil }
func (s *Sigmoid) State() []*Param         { return nil }
func (s *Sigmoid) OutShape(in []int) []int { return append([]int(nil), in...) }
func (s *Sigmoid) FLOPs(in []int) int64    { return 4 * int64(prod(in)) }

func sigmoid(v float64) float64 {
	if v >= 0 {
		return 1 / (1 + math.Exp(-v))
	}
	e := math.Exp(v)
	return e / (1 + e)
}

// Forward computes y from x: x is (N, ...); y is the same shape.
func (s *Sigmoid) Forward(x *tensor.Tensor, train bool) *tensor.Tensor {
	s.y = reuse(s.y, x.Shape...)
	y := s.y.Data[:len(x.Data)]
	for i, v := range x.Data {
		y[i] = float32(sigmoid(float64(v)))
	}
	return s.y
}

// Backward computes the gradients: dx = dy·y·(1 − y).
func (s *Sigmoid) Backward(dy *tensor.Tensor, needDx bool) *tensor.Tensor {
	if !needDx {
		return nil
	}
	s.dx = reuse(s.dx, s.y.Shape...)
	dx := s.dx.Data[:len(s.y.Data)]
	g := dy.Data[:len(dx)]
	for i, y := range s.y.Data {
		dx[i] = g[i] * y * (1 - y)
	}
	return s.dx
}

// GELU is the exact Gaussian error linear unit, y = x·Φ(x) with Φ the
// standard normal CDF: PyTorch's default (approximate="none") and ONNX's
// Gelu, or x·0.5·(1 + Erf(x/√2)) in older opsets.
type GELU struct {
	x     *tensor.Tensor
	y, dx *tensor.Tensor
}

func (g *GELU) Kind() string            { return "GELU" }
func (g *GELU) Params() []*Param        { return nil }
func (g *GELU) State() []*Param         { return nil }
func (g *GELU) OutShape(in []int) []int { return append([]int(nil), in...) }
func (g *GELU) FLOPs(in []int) int64    { return 8 * int64(prod(in)) }

// Forward computes y from x: x is (N, ...); y is the same shape.
func (g *GELU) Forward(x *tensor.Tensor, train bool) *tensor.Tensor {
	g.x = x
	g.y = reuse(g.y, x.Shape...)
	y := g.y.Data[:len(x.Data)]
	for i, v := range x.Data {
		f := float64(v)
		y[i] = float32(0.5 * f * (1 + math.Erf(f/math.Sqrt2)))
	}
	return g.y
}

// Backward computes the gradients: dx = dy·(Φ(x) + x·φ(x)), φ the standard normal density.
func (g *GELU) Backward(dy *tensor.Tensor, needDx bool) *tensor.Tensor {
	if !needDx {
		return nil
	}
	g.dx = reuse(g.dx, g.x.Shape...)
	dx := g.dx.Data[:len(g.x.Data)]
	d := dy.Data[:len(dx)]
	const invSqrt2Pi = 0.3989422804014327
	for i, v := range g.x.Data {
		f := float64(v)
		cdf := 0.5 * (1 + math.Erf(f/math.Sqrt2))
		pdf := invSqrt2Pi * math.Exp(-0.5*f*f)
		dx[i] = d[i] * float32(cdf+float64(f*pdf))
	}
	return g.dx
}
