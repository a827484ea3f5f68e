package nn

import (
	"fmt"
	"math/rand/v2"

	"github.com/rakam-ml/rakam/tensor"
)

// Dropout zeroes each input with probability Rate during training and
// scales the survivors by 1/(1−Rate) ("inverted" dropout), so evaluation
// is the identity and needs no rescaling. Masks come from the layer's own
// PCG generator; its state is part of a checkpoint (MarshalRNG), so the
// same seed draws the same masks whether or not training was resumed.
type Dropout struct {
	Rate float32

	pcg   *rand.PCG
	mask  []float32 // 0 or 1/(1−Rate) per element of the last training Forward
	train bool
	y, dx *tensor.Tensor
	x     *tensor.Tensor
}

// NewDropout returns a Dropout layer whose generator is PCG(seed, stream).
func NewDropout(rate float32, seed, stream uint64) *Dropout {
	pcg := rand.NewPCG(seed, stream)
	return &Dropout{Rate: rate, pcg: pcg}
}

func init() {
	registerLayer(layerKind{
		name:   "Dropout",
		group:  regularizationKinds,
		fields: []string{"rate"},
		check: func(l LayerSpec, in []int) ([]int, int, error) {
			if !(l.Rate >= 0 && l.Rate < 1) {
				return nil, 0, fmt.Errorf("rate %g: want 0 <= rate < 1", l.Rate)
			}
			return append([]int(nil), in...), 0, nil
		},
		// Masks come from PCG stream (seed, 2³² + index), apart from the
		// weight streams (seed, index).
		build: func(l LayerSpec, at buildAt) Layer {
			return NewDropout(float32(l.Rate), at.seed, uint64(1<<32+at.index))
		},
		abbrev: func(l LayerSpec) string { return fmt.Sprintf("drop%.2g", l.Rate) },
	})
}

func (d *Dropout) Kind() string            { return "Dropout" }
func (d *Dropout) Params() []*Param        { return nil }
func (d *Dropout) State() []*Param         { return nil }
func (d *Dropout) OutShape(in []int) []int { return append([]int(nil), in...) }
func (d *Dropout) FLOPs(in []int) int64    { return 0 } // identity at inference

// MarshalRNG returns the generator's state.
func (d *Dropout) MarshalRNG() ([]byte, error) { return d.pcg.MarshalBinary() }

// UnmarshalRNG restores a state from MarshalRNG.
func (d *Dropout) UnmarshalRNG(b []byte) error {
	if err := d.pcg.UnmarshalBinary(b); err != nil {
		return fmt.Errorf("nn: dropout generator state: %w", err)
	}
	return nil
}

// Forward computes y from x: x is (N, ...); y is the same shape. In evaluation, and for
// Rate 0, y is x itself.
func (d *Dropout) Forward(x *tensor.Tensor, train bool) *tensor.Tensor {
	d.x = x
	d.train = train && d.Rate > 0
	if !d.train {
		return x
	}
	d.y = reuse(d.y, x.Shape...)
	n := len(x.Data)
	if cap(d.mask) < n {
		d.mask = make([]float32, n)
	}
	d.mask = d.mask[:n]
	// Keep an element when a uniform 32-bit draw is at or above
	// Rate·2³²; two draws per 64-bit number.
	thr := uint64(float64(d.Rate) * (1 << 32))
	keep := 1 / (1 - d.Rate)
	y := d.y.Data[:n]
	mask := d.mask
	// Branch-free: whether an element survives is random, so a branch
	// would be mispredicted half the time.
	i := 0
	for ; i+2 <= n; i += 2 {
		r := d.pcg.Uint64()
		mask[i] = keep * float32(b2i(r&0xffffffff >= thr))
		mask[i+1] = keep * float32(b2i(r>>32 >= thr))
	}
	if i < n {
		mask[i] = keep * float32(b2i(d.pcg.Uint64()&0xffffffff >= thr))
	}
	for i, v := range x.Data {
		y[i] = v * mask[i]
	}
	return d.y
}

// Backward computes the gradients: dx = dy·mask in training, dy otherwise.
func (d *Dropout) Backward(dy *tensor.Tensor, needDx bool) *tensor.Tensor {
	if !needDx {
		return nil
	}
	if !d.train {
		return dy
	}
	d.dx = reuse(d.dx, d.x.Shape...)
	dx := d.dx.Data[:len(d.mask)]
	for i, g := range dy.Data[:len(dx)] {
		dx[i] = g * d.mask[i]
	}
	return d.dx
}
