package nn

import (
	"fmt"
	"math"

	"github.com/rakam-ml/rakam/tensor"
)

// BatchNorm normalises each feature (for (N, F) inputs) or each channel
// (for (N, C, H, W) inputs, over N, H and W) to zero mean and unit
// variance, then scales by Gamma and shifts by Beta (Ioffe and Szegedy,
// 2015). In training it uses the batch's statistics and updates the running
// ones; in evaluation it uses the running ones:
//
//	y = Gamma·(x − mean)/sqrt(var + Eps) + Beta
//	running = (1 − Momentum)·running + Momentum·batch
//
// PyTorch's conventions: Momentum 0.1 by default, and RunningVar is updated
// with the unbiased batch variance (M/(M−1) times the biased one used to
// normalise, M = N·H·W values per channel). This is exactly ONNX's
// BatchNormalization in inference mode with scale = Gamma, B = Beta,
// input_mean = RunningMean, input_var = RunningVar, epsilon = Eps.
type BatchNorm struct {
	budget
	Features      int // F, or C for NCHW inputs
	Spatial       int // H·W for NCHW inputs, 1 for (N, F)
	Eps, Momentum float32
	Gamma, Beta   *Param // (Features), trainable
	RunningMean   *Param // (Features), state
	RunningVar    *Param // (Features), state

	train  bool
	xs     []int
	batch  int       // examples in the last Forward
	xhat   []float32 // normalised input of the last Forward (unless rebuilt)
	invStd []float64 // per feature, of the last Forward
	// mu and is: the per-feature mean and 1/std the last Forward
	// normalised with, in float32 (Backward rebuilds x̂ from them).
	mu, is []float32
	// rebuilt: the last Forward kept no x̂ (it read the convolution's
	// yc, which stays as it was until Backward): the backward passes
	// rebuild it from yc with the same operations, inside their kernels
	// (tensor.DotSumNorm, BatchNormBackwardNorm), rather than the forward
	// pass writing a full-size map for them to read
	// (tensor.BatchNormNormalizeY writes y alone).
	rebuilt bool
	y, dx   *tensor.Tensor
	sum     []float64
	sum2    []float64
	// per-feature float32 coefficients of the elementwise passes
	c0, c1, c2 []float32

	// the (N, C, H, W) pass runPart does, on px (Forward) or pdy (Backward)
	op      bnOp
	n       int
	px, pdy []float32
	// per-plane partial sums of the reductions, (N, C)
	pp, pp2 []float32

	// conv is the Conv2D before this layer when the two exchange its
	// channel-major output (fuse.go). fromConv: the last Forward read its
	// input from conv.yc, where plane (e, c) starts at c·N·Spatial +
	// e·Spatial rather than at (e·C + c)·Spatial, the convolution having
	// added its bias there and summed each plane into pp; Backward then
	// writes dx there too.
	conv     *Conv2D
	fromConv bool
}

// in returns the offset of plane pl (example pl/F, channel pl%F) in px,
// the layer's input: NCHW, or the convolution's channel-major yc.
func (b *BatchNorm) in(pl int) int {
	if !b.fromConv {
		return pl * b.Spatial
	}
	return (pl%b.Features*b.n + pl/b.Features) * b.Spatial
}

type bnOp int

const (
	bnPlaneSums bnOp = iota // per plane: its sum into pp
	bnPlaneDevs             // per plane: its squared deviation from its channel's mean (sum) into pp
	bnNormalize             // per plane: xhat and y
	bnPlaneDots             // per plane: Σ dy·x̂ into pp, Σ dy into pp2
	bnDx                    // per plane: dx
)

// runPart does partition p of the pass b.op, a range of (example, channel)
// planes. The reductions leave one float32 per plane; combine adds them
// per channel in example order, in float64, after the pass: the sums of a
// loop over the batch channel by channel, with the planes read where the
// layer before wrote them (a channel's planes lie one example apart, and
// with two threads the other core holds half of them).
func (b *BatchNorm) runPart(p int) {
	f, s, n := b.Features, b.Spatial, b.n
	switch b.op {
	case bnPlaneSums, bnPlaneDevs, bnPlaneDots:
		lo, hi := partRange(p, min(maxParts, n*f), n*f)
		for pl := lo; pl < hi; pl++ {
			off, in := pl*s, b.in(pl)
			switch {
			case b.op == bnPlaneSums:
				b.pp[pl] = tensor.SumLanes(b.px[in : in+s])
			case b.op == bnPlaneDevs:
				b.pp[pl] = tensor.SquaredDeviation(b.px[in:in+s], float32(b.sum[pl%f]))
			case b.rebuilt:
				c := pl % f
				b.pp[pl], b.pp2[pl] = tensor.DotSumNorm(b.pdy[off:off+s], b.conv.yc[in:in+s], b.mu[c], b.is[c])
			default:
				b.pp[pl], b.pp2[pl] = tensor.DotSum(b.pdy[off:off+s], b.xhat[off:off+s])
			}
		}
	case bnNormalize:
		lo, hi := partRange(p, min(maxParts, n*f), n*f)
		mu, is := b.mu, b.is
		gamma, beta := b.Gamma.Value.Data, b.Beta.Value.Data
		for pl := lo; pl < hi; pl++ {
			c, off, in := pl%f, pl*s, b.in(pl)
			if b.rebuilt {
				tensor.BatchNormNormalizeY(b.px[in:in+s], b.y.Data[off:off+s], mu[c], is[c], gamma[c], beta[c])
			} else {
				tensor.BatchNormNormalize(b.px[in:in+s], b.xhat[off:off+s], b.y.Data[off:off+s], mu[c], is[c], gamma[c], beta[c])
			}
		}
	case bnDx:
		lo, hi := partRange(p, min(maxParts, n*f), n*f)
		k, mdg, mdb := b.c0, b.c1, b.c2
		dx := b.dx.Data
		if b.fromConv {
			dx = b.conv.yc
		}
		for pl := lo; pl < hi; pl++ {
			c, off, in := pl%f, pl*s, b.in(pl)
			if b.rebuilt { // dx overwrites the input (yc) it rebuilds x̂ from
				tensor.BatchNormBackwardNorm(dx[in:in+s], b.pdy[off:off+s], b.conv.yc[in:in+s], k[c], mdb[c], mdg[c], b.mu[c], b.is[c])
			} else {
				tensor.BatchNormBackward(dx[in:in+s], b.pdy[off:off+s], b.xhat[off:off+s], k[c], mdb[c], mdg[c])
			}
		}
	}
}

// rebuildMin is the smallest plane whose x̂ the backward passes rebuild
// rather than read (see rebuilt): on the zoo cnn's 7×7 planes rebuilding
// made the backward passes slower by more than the forward pass saved
// (BenchmarkStepLayers, Zen 3, one thread: 275 against 290 µs forward,
// 320 against 275 backward), on its 28×28 and 14×14 planes it saves
// 10–20 % of each pass.
const rebuildMin = 64

// pass runs op over the batch of n examples, split as runPart says.
func (b *BatchNorm) pass(op bnOp, n int) {
	b.op, b.n = op, n
	parallelFor(b.nthreads(), min(maxParts, n*b.Features), (*bnTask)(b))
}

// combine adds to sum[c] the per-plane values pp[i·F+c] of channel c, in
// example order, in float64.
func (b *BatchNorm) combine(sum []float64, pp []float32, n int) {
	f := b.Features
	for i := 0; i < n; i++ {
		for c, v := range pp[i*f : (i+1)*f] {
			sum[c] += float64(v)
		}
	}
}

// NewBatchNorm returns a BatchNorm for per-example input shape (F) or
// (C, H, W), with Gamma 1, Beta 0, running mean 0 and running variance 1.
// Its Params are "gamma" and "beta"; its State "running_mean" and
// "running_var".
func NewBatchNorm(in []int, eps, momentum float32) *BatchNorm {
	f := in[0]
	b := &BatchNorm{
		Features: f, Spatial: prod(in[1:]), Eps: eps, Momentum: momentum,
		Gamma:       &Param{Name: "gamma", Value: tensor.New(f), Grad: tensor.New(f)},
		Beta:        &Param{Name: "beta", Value: tensor.New(f), Grad: tensor.New(f)},
		RunningMean: &Param{Name: "running_mean", Value: tensor.New(f)},
		RunningVar:  &Param{Name: "running_var", Value: tensor.New(f)},
		invStd:      make([]float64, f),
		sum:         make([]float64, f),
		sum2:        make([]float64, f),
		c0:          make([]float32, f),
		c1:          make([]float32, f),
		c2:          make([]float32, f),
		mu:          make([]float32, f),
		is:          make([]float32, f),
	}
	for i := 0; i < f; i++ {
		b.Gamma.Value.Data[i] = 1
		b.RunningVar.Value.Data[i] = 1
	}
	return b
}

func init() {
	registerLayer(layerKind{
		name:   "BatchNorm",
		group:  normalizationKinds,
		fields: []string{"eps", "momentum"},
		check: func(l LayerSpec, in []int) ([]int, int, error) {
			if len(in) != 1 && len(in) != 3 {
				return nil, 0, fmt.Errorf("input shape %v: want (features) or (channels, height, width)", in)
			}
			if e := l.eps(); !(e > 0 && e < 1) {
				return nil, 0, fmt.Errorf("eps %g: want 0 < eps < 1", l.Eps)
			}
			if m := l.momentum(); !(m > 0 && m <= 1) {
				return nil, 0, fmt.Errorf("momentum %g: want 0 < momentum <= 1", l.Momentum)
			}
			// gamma, beta, running mean and running variance
			return append([]int(nil), in...), 4 * in[0], nil
		},
		build: func(l LayerSpec, at buildAt) Layer {
			return NewBatchNorm(at.in, float32(l.eps()), float32(l.momentum()))
		},
		abbrev: func(LayerSpec) string { return "BN" },
	})
}

// eps is BatchNorm's epsilon, 1e-5 when not given.
func (l LayerSpec) eps() float64 {
	if l.Eps == 0 {
		return 1e-5
	}
	return l.Eps
}

// momentum is BatchNorm's momentum, 0.1 when not given.
func (l LayerSpec) momentum() float64 {
	if l.Momentum == 0 {
		return 0.1
	}
	return l.Momentum
}

func (b *BatchNorm) Kind() string            { return "BatchNorm" }
func (b *BatchNorm) Params() []*Param        { return []*Param{b.Gamma, b.Beta} }
func (b *BatchNorm) State() []*Param         { return []*Param{b.RunningMean, b.RunningVar} }
func (b *BatchNorm) OutShape(in []int) []int { return append([]int(nil), in...) }
func (b *BatchNorm) FLOPs(in []int) int64    { return 2 * int64(prod(in)) } // folded into a scale and shift at inference

// Forward computes y from x: x is (N, F) or (N, C, H, W); y is the same shape.
func (b *BatchNorm) Forward(x *tensor.Tensor, train bool) *tensor.Tensor {
	f, s := b.Features, b.Spatial
	checkIn("BatchNorm", x, f*s)
	n := x.Rows()
	b.train = train
	b.fromConv = b.conv != nil && b.conv.ycOut && x == b.conv.y
	if b.fromConv && !(train && s > 1) {
		panic("nn: BatchNorm: a fused convolution's training output read outside training")
	}
	b.xs = append(b.xs[:0], x.Shape...)
	b.batch = n
	b.y = reuse(b.y, x.Shape...)
	b.rebuilt = b.fromConv && s >= rebuildMin
	if !b.rebuilt {
		b.xhat = grow(b.xhat, len(x.Data))
	}
	gamma, beta := b.Gamma.Value.Data, b.Beta.Value.Data
	if train && n*s > 0 {
		// Two passes: the mean, then the centred second moment, which stays
		// accurate when |mean| ≫ std. Each run of Spatial values is summed
		// in float32 (at most one image plane), runs are added in float64.
		m := float64(n * s)
		clear(b.sum)
		clear(b.sum2)
		if s == 1 { // (N, F): a row holds one value per feature
			for i := 0; i < n; i++ {
				for c, v := range x.Data[i*f : (i+1)*f] {
					b.sum[c] += float64(v)
				}
			}
		} else {
			if b.fromConv { // the convolution added its bias and summed the planes (bnSums)
				b.px = b.conv.yc
			} else {
				b.px = x.Data
				b.pp = grow(b.pp, n*f)
				b.pass(bnPlaneSums, n)
			}
			b.combine(b.sum, b.pp, n)
			for c := range b.sum {
				b.sum[c] /= m
			}
			b.pass(bnPlaneDevs, n)
			b.combine(b.sum2, b.pp, n)
			b.px = nil
		}
		if s == 1 {
			for c := range b.sum {
				b.sum[c] /= m
			}
			for c := range b.c0 {
				b.c0[c] = float32(b.sum[c])
			}
			for i := 0; i < n; i++ {
				for c, v := range x.Data[i*f : (i+1)*f] {
					d := v - b.c0[c]
					b.sum2[c] += float64(d * d)
				}
			}
		}
		mom := float64(b.Momentum)
		rm, rv := b.RunningMean.Value.Data, b.RunningVar.Value.Data
		for c := 0; c < f; c++ {
			v := b.sum2[c] / m
			b.invStd[c] = 1 / math.Sqrt(v+float64(b.Eps))
			unbiased := v
			if m > 1 {
				unbiased = b.sum2[c] / (m - 1)
			}
			rm[c] = float32(float64((1-mom)*float64(rm[c])) + float64(mom*b.sum[c]))
			rv[c] = float32(float64((1-mom)*float64(rv[c])) + float64(mom*unbiased))
		}
	} else {
		rm, rv := b.RunningMean.Value.Data, b.RunningVar.Value.Data
		for c := 0; c < f; c++ {
			b.sum[c] = float64(rm[c])
			b.invStd[c] = 1 / math.Sqrt(float64(rv[c])+float64(b.Eps))
		}
	}
	mu, is := b.mu, b.is
	for c := 0; c < f; c++ {
		mu[c], is[c] = float32(b.sum[c]), float32(b.invStd[c])
	}
	if s == 1 {
		for i := 0; i < n; i++ {
			xr := x.Data[i*f : (i+1)*f]
			xh := b.xhat[i*f : (i+1)*f]
			y := b.y.Data[i*f : (i+1)*f]
			for c, v := range xr {
				h := (v - mu[c]) * is[c]
				xh[c] = h
				y[c] = float32(gamma[c]*h) + beta[c]
			}
		}
		return b.y
	}
	b.px = x.Data
	if b.fromConv {
		b.px = b.conv.yc
	}
	b.pass(bnNormalize, n)
	b.px = nil
	return b.y
}

// Backward computes the gradients: dy has x's shape. dGamma = Σ dy·x̂, dBeta = Σ dy over the batch
// (and H, W). In training, where the statistics depend on x,
// dx = Gamma·invStd/M · (M·dy − dBeta − x̂·dGamma); in evaluation
// dx = Gamma·invStd·dy.
func (b *BatchNorm) Backward(dy *tensor.Tensor, needDx bool) *tensor.Tensor {
	f, s := b.Features, b.Spatial
	n := b.batch
	dg, dbt := b.sum, b.sum2 // reuse as float64 accumulators
	clear(dg)
	clear(dbt)
	if s == 1 {
		for i := 0; i < n; i++ {
			xh := b.xhat[i*f : (i+1)*f]
			for c, g := range dy.Data[i*f : (i+1)*f] {
				dg[c] += float64(g * xh[c])
				dbt[c] += float64(g)
			}
		}
	} else {
		b.pdy = dy.Data
		b.pp, b.pp2 = grow(b.pp, n*f), grow(b.pp2, n*f)
		b.pass(bnPlaneDots, n)
		b.combine(dg, b.pp, n)
		b.combine(dbt, b.pp2, n)
	}
	b.pdy = nil
	for c := 0; c < f; c++ {
		b.Gamma.Grad.Data[c] = float32(dg[c])
		b.Beta.Grad.Data[c] = float32(dbt[c])
	}
	if !needDx {
		return nil
	}
	b.dx = reuse(b.dx, b.xs...)
	// dx = k·(dy − mdb − x̂·mdg) with k = Gamma·invStd and, in training,
	// mdb = dBeta/M, mdg = dGamma/M (both 0 in evaluation).
	k, mdg, mdb := b.c0, b.c1, b.c2
	m := float32(n * s)
	for c := 0; c < f; c++ {
		k[c] = b.Gamma.Value.Data[c] * float32(b.invStd[c])
		mdg[c], mdb[c] = 0, 0
		if b.train {
			mdg[c], mdb[c] = float32(dg[c])/m, float32(dbt[c])/m
		}
	}
	if s == 1 {
		for i := 0; i < n; i++ {
			dx := b.dx.Data[i*f : (i+1)*f]
			g := dy.Data[i*f : (i+1)*f]
			xh := b.xhat[i*f : (i+1)*f]
			for c := range dx {
				dx[c] = k[c] * (g[c] - mdb[c] - float32(xh[c]*mdg[c]))
			}
		}
		return b.dx
	}
	b.pdy = dy.Data
	b.pass(bnDx, n)
	b.pdy = nil
	if b.fromConv {
		b.conv.dycIn = true
	}
	return b.dx
}
