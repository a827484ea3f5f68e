package nn

import (
	"fmt"
	"math/rand/v2"
	"strconv"

	"github.com/rakam-ml/rakam/tensor"
)

// Dense is a fully connected layer: y = x·W + b.
//
// W is stored as (In, Out), Keras' layout and ONNX Gemm's B operand with
// transB = 0 (PyTorch's nn.Linear stores the transpose, (Out, In)). B is
// (Out).
type Dense struct {
	budget
	In, Out int
	W, B    *Param

	x     *tensor.Tensor // the last Forward's input, not a copy
	y, dx *tensor.Tensor
}

// NewDense returns a Dense layer with weights from the named initialiser
// ("glorot", "he" or "small") and zero biases. Its Params are named
// "weight" and "bias".
func NewDense(in, out int, init string, rng *rand.Rand) *Dense {
	d := &Dense{
		In:  in,
		Out: out,
		W:   &Param{Name: "weight", Value: tensor.New(in, out), Grad: tensor.New(in, out), Decay: true},
		B:   &Param{Name: "bias", Value: tensor.New(out), Grad: tensor.New(out)},
	}
	initWeights(d.W.Value.Data, init, in, out, rng)
	return d
}

func init() {
	registerLayer(layerKind{
		name:   "Dense",
		group:  coreKinds,
		fields: []string{"units", "init"},
		check: func(l LayerSpec, in []int) ([]int, int, error) {
			if err := l.checkInit(); err != nil {
				return nil, 0, err
			}
			if l.Units <= 0 || l.Units > maxDim {
				return nil, 0, fmt.Errorf("units %d: want 1..%d", l.Units, maxDim)
			}
			n := prod(in)
			if n > maxParamCount/l.Units {
				return nil, 0, fmt.Errorf("%d inputs x %d units is too many weights", n, l.Units)
			}
			return []int{l.Units}, n*l.Units + l.Units, nil
		},
		build: func(l LayerSpec, at buildAt) Layer {
			return NewDense(prod(at.in), l.Units, l.initOr("glorot"), at.rng())
		},
		abbrev: func(l LayerSpec) string { return strconv.Itoa(l.Units) },
	})
}

func (d *Dense) Kind() string            { return "Dense" }
func (d *Dense) Params() []*Param        { return []*Param{d.W, d.B} }
func (d *Dense) State() []*Param         { return nil }
func (d *Dense) OutShape(in []int) []int { return []int{d.Out} }
func (d *Dense) FLOPs(in []int) int64    { return int64(2*d.In*d.Out + d.Out) }

// Forward computes y from x: x is (N, In); y is (N, Out).
func (d *Dense) Forward(x *tensor.Tensor, train bool) *tensor.Tensor {
	checkIn("Dense", x, d.In)
	n := x.Rows()
	d.x = x
	d.y = reuse(d.y, n, d.Out)
	d.gemm(tensor.NoTrans, tensor.NoTrans, n, d.Out, d.In, 1, x.Data, d.In, d.W.Value.Data, d.Out, 0, d.y.Data, d.Out)
	tensor.AddRowVector(n, d.Out, d.y.Data, d.Out, d.B.Value.Data)
	return d.y
}

// Backward computes the gradients: dy is (N, Out); dW = xᵀ·dy is (In, Out); db = Σ_rows dy is
// (Out); dx = dy·Wᵀ is (N, In).
func (d *Dense) Backward(dy *tensor.Tensor, needDx bool) *tensor.Tensor {
	n := d.x.Rows()
	checkIn("Dense.Backward", dy, d.Out)
	d.gemm(tensor.Trans, tensor.NoTrans, d.In, d.Out, n, 1, d.x.Data, d.In, dy.Data, d.Out, 0, d.W.Grad.Data, d.Out)
	tensor.SumRows(n, d.Out, dy.Data, d.Out, 0, d.B.Grad.Data)
	if !needDx {
		return nil
	}
	d.dx = reuse(d.dx, n, d.In)
	d.gemm(tensor.NoTrans, tensor.Trans, n, d.In, d.Out, 1, dy.Data, d.Out, d.W.Value.Data, d.Out, 0, d.dx.Data, d.In)
	return d.dx
}
