package nn

import "github.com/rakam-ml/rakam/tensor"

// Flatten views (N, C, H, W) — or any (N, ...) — as (N, C·H·W). It copies
// nothing: its output and its gradient share the data of their inputs.
type Flatten struct {
	y, dx       tensor.Tensor
	yShp, dxShp []int
}

func init() {
	registerLayer(layerKind{
		name:  "Flatten",
		group: reshapingKinds,
		check: func(_ LayerSpec, in []int) ([]int, int, error) { return []int{prod(in)}, 0, nil },
		build: func(LayerSpec, buildAt) Layer { return &Flatten{} },
	})
}

func (f *Flatten) Kind() string            { return "Flatten" }
func (f *Flatten) Params() []*Param        { return nil }
func (f *Flatten) State() []*Param         { return nil }
func (f *Flatten) OutShape(in []int) []int { return []int{prod(in)} }
func (f *Flatten) FLOPs(in []int) int64    { return 0 }

// Forward computes y from x: x is (N, ...); y is (N, prod(...)) over the same data.
func (f *Flatten) Forward(x *tensor.Tensor, train bool) *tensor.Tensor {
	f.dxShp = append(f.dxShp[:0], x.Shape...)
	f.yShp = append(f.yShp[:0], x.Rows(), x.Cols())
	f.y.Shape, f.y.Data = f.yShp, x.Data
	return &f.y
}

// Backward computes the gradients: dy is (N, prod(...)); dx is dy viewed with x's shape.
func (f *Flatten) Backward(dy *tensor.Tensor, needDx bool) *tensor.Tensor {
	if !needDx {
		return nil
	}
	f.dx.Shape, f.dx.Data = f.dxShp, dy.Data
	return &f.dx
}
