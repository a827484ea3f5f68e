package nn

import (
	"fmt"
	"math"

	"github.com/rakam-ml/rakam/tensor"
)

// MaxPool2D takes the maximum over K×K windows moved by Stride over each
// channel of an NCHW batch, without padding (windows that would run past
// the edge are dropped, as in PyTorch and Keras' "valid").
type MaxPool2D struct {
	budget
	C, InH, InW int
	OutH, OutW  int
	K, Stride   int

	arg   []int32 // per output element, the index in the example's input of its maximum
	xs    []int
	y, dx *tensor.Tensor

	// relu: a ReLU next to this layer is fused into it (fuse.go): the
	// output is rectified and dy masked where it is not positive.
	relu bool

	// the pass runPart does: forward on px, or backward from pdy
	backward bool
	px, pdy  []float32
}

// runPart does partition p of a pass, a range of (example, channel) planes.
func (m *MaxPool2D) runPart(p int) {
	np := len(m.arg) / max(m.OutH*m.OutW, 1)
	lo, hi := partRange(p, min(maxParts, np), np)
	if m.backward {
		m.backwardPlanes(lo, hi)
	} else {
		m.forwardPlanes(lo, hi)
	}
}

// NewMaxPool2D returns a MaxPool2D for per-example input (C, H, W).
func NewMaxPool2D(in []int, k, stride int) *MaxPool2D {
	return &MaxPool2D{
		C: in[0], InH: in[1], InW: in[2], K: k, Stride: stride,
		OutH: convOut(in[1], k, stride, 0), OutW: convOut(in[2], k, stride, 0),
	}
}

func init() {
	registerLayer(layerKind{
		name:   "MaxPool2D",
		group:  poolingKinds,
		fields: []string{"kernel", "stride"},
		check: func(l LayerSpec, in []int) ([]int, int, error) {
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
		},
		build: func(l LayerSpec, at buildAt) Layer {
			k := l.kernel(2)
			return NewMaxPool2D(at.in, k, l.stride(k))
		},
		abbrev: func(LayerSpec) string { return "pool" },
	})
}

func (m *MaxPool2D) Kind() string            { return "MaxPool2D" }
func (m *MaxPool2D) Params() []*Param        { return nil }
func (m *MaxPool2D) State() []*Param         { return nil }
func (m *MaxPool2D) OutShape(in []int) []int { return []int{m.C, m.OutH, m.OutW} }
func (m *MaxPool2D) FLOPs(in []int) int64    { return int64(m.C*m.OutH*m.OutW) * int64(m.K*m.K-1) }

// Forward computes y from x: x is (N, C, InH, InW); y is (N, C, OutH, OutW). Ties go to the
// first maximum in row-major window order, as in PyTorch.
func (m *MaxPool2D) Forward(x *tensor.Tensor, train bool) *tensor.Tensor {
	checkIn("MaxPool2D", x, m.C*m.InH*m.InW)
	n := x.Rows()
	m.prepare(n, x.Shape)
	m.backward, m.px = false, x.Data
	parallelFor(m.nthreads(), min(maxParts, n*m.C), (*poolTask)(m))
	m.px = nil
	return m.y
}

// prepare sizes the output and the argmax indices for a batch of n
// examples of input shape xs.
func (m *MaxPool2D) prepare(n int, xs []int) {
	m.y = reuse(m.y, n, m.C, m.OutH, m.OutW)
	m.xs = append(m.xs[:0], xs...)
	total := n * m.C * m.OutH * m.OutW
	if cap(m.arg) < total {
		m.arg = make([]int32, total)
	}
	m.arg = m.arg[:total]
}

// forwardPlanes is Forward for planes [lo, hi) of the batch.
func (m *MaxPool2D) forwardPlanes(lo, hi int) {
	plane, oplane := m.InH*m.InW, m.OutH*m.OutW
	m.pool(m.px[lo*plane:hi*plane], m.y.Data[lo*oplane:hi*oplane], m.arg[lo*oplane:hi*oplane])
}

// pool pools the whole planes of x into y and arg (indices within each
// plane), rectifying y when a ReLU is fused in.
func (m *MaxPool2D) pool(x, y []float32, arg []int32) {
	if m.K == 2 && m.Stride == 2 {
		m.forward2x2(x, y, arg)
	} else {
		m.forwardGeneral(x, y, arg)
	}
	if m.relu {
		tensor.ReLU(y, y)
	}
}

// forwardGeneral pools whole planes with any window and stride.
func (m *MaxPool2D) forwardGeneral(x, y []float32, arg []int32) {
	plane, oplane := m.InH*m.InW, m.OutH*m.OutW
	for p := 0; p*oplane < len(y); p++ {
		img := x[p*plane : (p+1)*plane]
		out := y[p*oplane : (p+1)*oplane]
		arg := arg[p*oplane : (p+1)*oplane]
		for oy := 0; oy < m.OutH; oy++ {
			for ox := 0; ox < m.OutW; ox++ {
				y0, x0 := oy*m.Stride, ox*m.Stride
				best := y0*m.InW + x0
				bv := img[best]
				for i := 0; i < m.K; i++ {
					r := (y0+i)*m.InW + x0
					for j := 0; j < m.K; j++ {
						// NaN never wins a comparison; keep it if it is first
						// so a NaN input gives a NaN output the guard sees.
						if v := img[r+j]; v > bv {
							bv, best = v, r+j
						}
					}
				}
				out[oy*m.OutW+ox] = bv
				arg[oy*m.OutW+ox] = int32(best)
			}
		}
	}
}

// forward2x2 is Forward for the common 2×2 window with stride 2: all the
// planes of the slice in one tensor.MaxPool2x2Planes call (AVX2, eight
// windows at a time; ties and NaN keep the first position in row-major
// order, as in the general path, and every value and index is the one the
// row-at-a-time loop gives).
func (m *MaxPool2D) forward2x2(x, y []float32, arg []int32) {
	plane, oplane := m.InH*m.InW, m.OutH*m.OutW
	if oplane == 0 {
		return
	}
	tensor.MaxPool2x2Planes(y, arg, x, len(y)/oplane, m.OutH, m.OutW, m.InW, plane)
}

// Backward computes the gradients: dy is (N, C, OutH, OutW); dx is (N, C, InH, InW), zero except
// at each window's maximum, which receives that window's gradient.
func (m *MaxPool2D) Backward(dy *tensor.Tensor, needDx bool) *tensor.Tensor {
	if !needDx {
		return nil
	}
	m.dx = reuse(m.dx, m.xs...)
	if m.OutH*m.OutW == 0 {
		clear(m.dx.Data)
		return m.dx
	}
	m.backward, m.pdy = true, dy.Data
	parallelFor(m.nthreads(), min(maxParts, len(m.arg)/max(m.OutH*m.OutW, 1)), (*poolTask)(m))
	m.pdy = nil
	return m.dx
}

// backwardPlanes is Backward for planes [lo, hi) of the batch.
func (m *MaxPool2D) backwardPlanes(lo, hi int) {
	plane, oplane := m.InH*m.InW, m.OutH*m.OutW
	for p := lo; p < hi; p++ {
		m.unpool(m.dx.Data[p*plane:(p+1)*plane], p, m.pdy[p*oplane:(p+1)*oplane])
	}
}

// unpool sets dx, plane p's input gradient, from g, the gradient of its
// output: zero except at each window's maximum, which gets the window's
// gradient (added: overlapping windows can share a maximum).
func (m *MaxPool2D) unpool(dx []float32, p int, g []float32) {
	oplane := m.OutH * m.OutW
	arg := m.arg[p*oplane : (p+1)*oplane]
	g = g[:len(arg)]
	if m.K == 2 && m.Stride == 2 && m.OutW >= 8 {
		// The windows tile the plane (apart from an odd last row or
		// column, cleared here) and do not overlap: each position is
		// set once, eight windows at a time, with the bits of the loop
		// below.
		if m.InH > 2*m.OutH || m.InW > 2*m.OutW {
			clear(dx)
		}
		var y []float32
		if m.relu {
			y = m.y.Data[p*oplane : (p+1)*oplane]
		}
		tensor.MaxUnpool2x2Plane(dx, g, arg, y, m.OutH, m.OutW, m.InW)
		return
	}
	clear(dx)
	if m.relu {
		// ReLU's backward mask, then the pool's: as the two layers
		// would, add 0 (not nothing) where the output is not positive.
		y := m.y.Data[p*oplane : (p+1)*oplane]
		y = y[:len(arg)]
		for j, a := range arg {
			// v, or +0 where y is not positive, without a branch: the
			// mask is random, so a branch would be mispredicted often.
			keep := -uint32(b2i(y[j] > 0))
			dx[a] += math.Float32frombits(math.Float32bits(g[j]) & keep)
		}
		return
	}
	for j, a := range arg {
		dx[a] += g[j]
	}
}

// b2i is 1 for true and 0 for false; the compiler turns it into a SETcc.
func b2i(b bool) int {
	var i int
	if b {
		i = 1
	}
	return i
}
