package nn

import (
	"fmt"
	"math/rand/v2"

	"github.com/rakam-ml/rakam/tensor"
)

// Conv2D is a 2-D convolution (cross-correlation, as in every framework)
// over NCHW batches with square kernels, equal stride in both directions
// and zero padding of Pad pixels on every side.
//
// W is stored as (OutC, InC, KH, KW), the layout of PyTorch and of ONNX's
// Conv; B is (OutC). The convolution of a chunk of cn examples is one
// GEMM with their patch matrix (im2col, (InC·KH·KW, cn·OH·OW)):
// y (OutC, cn·OH·OW) = W (OutC, InC·KH·KW) · col. The products pack the
// patches straight from the images (tensor.GemmPatches), and col is never
// written, except in a training batch of a geometry whose patch rows are
// costly to cut (storePatches), which stores col for the weight gradient
// to read again. A convolution of one input channel at stride 1 (a
// network's first layer, whose patch matrix is only KH·KW deep) with a
// small kernel is computed directly instead (tensor.Direct1; see
// useDirect).
type Conv2D struct {
	budget
	InC, InH, InW int
	OutC, OutH    int
	OutW          int
	KH, KW        int
	Stride, Pad   int
	W, B          *Param

	x     *tensor.Tensor
	y, dx *tensor.Tensor
	col   []float32 // im2col of a training batch, (InC·KH·KW, n·OH·OW)
	dcol  []float32 // the patch matrix's gradient for a chunk, (InC·KH·KW, cn·OH·OW)
	yc    []float32 // a chunk's output or output gradient, (OutC, cn·OH·OW)
	// colHeld: col holds the patches of the whole last training batch: the
	// forward product read them from there and the weight gradient reuses
	// them. Otherwise both products pack the patches straight from x
	// (tensor.Patches): patches[p] is partition p's patch matrix, chunkP
	// the chunk's. See storePatches.
	colHeld bool
	// patchMode overrides storePatches' choice (BenchmarkConvPatches
	// times both ways).
	patchMode patchMode
	patches   [maxParts]tensor.Patches
	chunkP    tensor.Patches

	// The direct path (useDirect): direct is set by the last Forward,
	// geo is its geometry. xp holds the zero-padded planes of the last
	// training batch when xpHeld (the weight gradient reads them again);
	// otherwise each pass pads the images it needs into its partition's
	// scratch dscr[p] (the span of tensor.Direct1, then a plane). With no
	// padding the images are their own planes and nothing is copied.
	direct bool
	geo    tensor.Direct1
	xp     []float32
	xpHeld bool
	dscr   [maxParts][]float32

	// the pass runPart does and its chunk: examples [n0, n0+cn), dy
	op     convOp
	n0, cn int
	dy     *tensor.Tensor

	// bn is the BatchNorm after this layer when the two exchange yc
	// (fuse.go): a training batch of one chunk leaves its output in yc,
	// channel-major and without the bias (ycOut; y is not written), for bn
	// to read, and bn's backward pass writes its input gradient into yc
	// (dycIn), where the products read it.
	bn           *BatchNorm
	ycOut, dycIn bool
}

// nparts is how many partitions of examples the forward and input-gradient
// products of a chunk of cn examples are cut into: about one per
// partCols output columns, at least minParts so threads balance, at most
// maxParts. A product per partition repacks the weights and ends in a
// narrower column of tiles; the zoo cnn's third convolution (49 columns an
// example) cut into 16 partitions of 4 examples at batch 64 ran its step
// about 3.5 % slower than in 4 (BenchmarkConvParts, Zen 3, one thread and
// two). The bits do not depend on it (see runPart).
func (c *Conv2D) nparts(cn int) int {
	return min(maxParts, cn, max(minParts, cn*c.OutH*c.OutW/partCols))
}

// minParts and partCols: see nparts (partCols is a variable so tests can
// cut products into one partition per example).
const minParts = 4

var partCols = 768

type convOp int

const (
	convForward convOp = iota // the partition's columns of yc = W·patches (im2col first if held), yc (+ bias) to y
	convGather                // dy into yc
	convBias                  // db[o] += Σ yc[o] per output channel
	convDx                    // the partition's columns of dcol = Wᵀ·dyc, col2im to dx

	directForward // the direct path: the partition's examples' y (padding x into xp first if held)
	directGrad    // the direct path: dW and db of a range of filters over the whole batch, in example order
	directDx      // the direct path: the partition's examples' dx
)

// runPart does partition p of the pass c.op (see parallelFor): a range of
// the chunk's examples, or for convBias a range of output channels.
//
// Each element of a Gemm's result takes the same operations whatever
// columns the Gemm covers (tensor's blocking depends on k alone), so one
// Gemm per partition gives the bits of one Gemm for the whole chunk, with
// the partition's patches and outputs still in cache. dW stays one Gemm
// over the chunk: splitting its k (the examples) would change the sums.
func (c *Conv2D) runPart(p int) {
	if c.op >= directForward {
		c.runDirect(p)
		return
	}
	inSize := c.InC * c.InH * c.InW
	k, hw := c.kdim(), c.OutH*c.OutW
	ld := c.cn * hw
	if c.op == convBias {
		db := c.B.Grad.Data
		lo, hi := partRange(p, biasParts(len(db)), len(db))
		sumRows(db[lo:hi], c.yc[lo*ld:], ld)
		return
	}
	lo, hi := partRange(p, c.nparts(c.cn), c.cn)
	switch c.op {
	case convForward:
		if c.colHeld {
			c.lower(lo, hi, ld)
			c.gemm(tensor.NoTrans, tensor.NoTrans, c.OutC, (hi-lo)*hw, k, 1, c.W.Value.Data, k, c.col[lo*hw:], ld, 0, c.yc[lo*hw:], ld)
		} else {
			pp := c.patchesOf(&c.patches[p], c.n0+lo, hi-lo)
			tensor.GemmPatches(c.threads, c.OutC, 1, c.W.Value.Data, k, pp, 0, c.yc[lo*hw:], ld)
		}
		if c.ycOut {
			c.bnSums(lo, hi, ld)
		} else {
			c.scatter(lo, hi, ld)
		}
	case convGather:
		for e := lo; e < hi; e++ {
			g := c.dy.Data[(c.n0+e)*c.OutC*hw:]
			for o := 0; o < c.OutC; o++ {
				copy(c.yc[o*ld+e*hw:o*ld+(e+1)*hw], g[o*hw:(o+1)*hw])
			}
		}
	case convDx:
		c.gemm(tensor.Trans, tensor.NoTrans, k, (hi-lo)*hw, c.OutC, 1, c.W.Value.Data, k, c.yc[lo*hw:], ld, 0, c.dcol[lo*hw:], ld)
		tensor.Col2ImN(c.dx.Data[(c.n0+lo)*inSize:(c.n0+hi)*inSize], c.dcol[lo*hw:], ld, hi-lo, c.InC, c.InH, c.InW, c.KH, c.KW, c.Stride, c.Pad)
	}
}

// lower is im2col of the chunk's examples [lo, hi).
func (c *Conv2D) lower(lo, hi, ld int) {
	inSize, hw := c.InC*c.InH*c.InW, c.OutH*c.OutW
	for e := lo; e < hi; e++ {
		i := c.n0 + e
		tensor.Im2Col(c.col[e*hw:], ld, c.x.Data[i*inSize:(i+1)*inSize], c.InC, c.InH, c.InW, c.KH, c.KW, c.Stride, c.Pad)
	}
}

type patchMode int

const (
	patchesAuto   patchMode = iota // as useDirect and storePatches decide
	patchesStored                  // GEMM, patches stored for one-chunk training batches
	patchesPacked                  // GEMM, patches always packed from x
	patchesDirect                  // the direct path (one input channel, stride 1 only)
)

// useDirect reports whether the convolution runs directly
// (tensor.Direct1) rather than as GEMM with a patch matrix: for one input
// channel at stride 1 with a kernel of at most 3×3 (any padding). The
// product would be only KH·KW deep, a shape GEMM handles badly: on the zoo
// cnn's first layer (3×3) the patch path's backward pass (the weight
// gradient) ran at about 16 GFLOP/s, and the direct path takes 0.47× the
// instructions of a training step (BenchmarkConvFirst under callgrind,
// AVX2). For cnn-fast's 5×5 "valid" layer it takes 0.88× GEMM's, but it
// has no AVX-512 kernels where GEMM has, so 5×5 and larger kernels stay
// on GEMM; patchesDirect forces the direct path for any kernel.
// The two paths agree to float32 rounding, not bit for bit.
//
// patchesAuto takes the direct path only when directDefault is set, and it
// is not: the path changes the CNNs' last bits against GEMM, and with them
// on, two bars that the study's models clear by a few test images moved to
// the wrong side (cnn-augment's seed 3 99.51 → 99.41 %, cnn-real's MNIST
// test digits flagged not-a-digit 1.64 → 2.03 %; README "The study").
// Turning it on is this one switch, once the recipes have the margin.
func (c *Conv2D) useDirect() bool {
	switch c.patchMode {
	case patchesStored, patchesPacked:
		return false
	case patchesDirect:
		if c.InC != 1 || c.Stride != 1 {
			panic(fmt.Sprintf("nn: Conv2D: direct path forced on %d input channels at stride %d", c.InC, c.Stride))
		}
		return true
	}
	return directDefault && c.InC == 1 && c.Stride == 1 && c.KH*c.KW <= 9
}

// directDefault turns the direct path on for the convolutions useDirect
// picks it for (a variable so tests can turn it on).
var directDefault = false

// storePatches reports whether a training batch in one chunk stores its
// patches for the forward product and the weight gradient to read, rather
// than each packing them from x. Both give the same bits. Packing reads
// each patch row of a stride-1 "same" convolution as one run of the image,
// and of a stride-1 "valid" one as whole rows moved to another stride
// (vec.RowsCopy), and costs less than writing the matrix out and reading it
// back twice (AMD EPYC Zen 5, 2026-12-06, BenchmarkConvPatches: the zoo
// cnn's step 3 % faster on one thread, 4 % on two; the published fast
// network's, whose convolutions are "valid", 6 % on one and 9–10 % on
// two); other geometries (strided, or padded less than "same") cut every
// patch row into one run per output row, and packing them twice costs
// more (the "valid" first layer before the row moves: 14 % slower).
func (c *Conv2D) storePatches() bool {
	switch c.patchMode {
	case patchesStored:
		return true
	case patchesPacked:
		return false
	}
	return !(c.Stride == 1 && (c.OutW == c.InW || c.Pad == 0))
}

// patchesOf sets p to the patch matrix of the n examples of x from i0.
func (c *Conv2D) patchesOf(p *tensor.Patches, i0, n int) *tensor.Patches {
	inSize := c.InC * c.InH * c.InW
	*p = tensor.Patches{
		X: c.x.Data[i0*inSize : (i0+n)*inSize], N: n,
		C: c.InC, H: c.InH, W: c.InW, KH: c.KH, KW: c.KW, Stride: c.Stride, Pad: c.Pad,
	}
	return p
}

// scatter copies the chunk's examples [lo, hi) of yc to y, adding the bias.
func (c *Conv2D) scatter(lo, hi, ld int) {
	hw := c.OutH * c.OutW
	for e := lo; e < hi; e++ {
		y := c.y.Data[(c.n0+e)*c.OutC*hw:]
		for o, b := range c.B.Value.Data {
			tensor.AddConst(y[o*hw:(o+1)*hw], c.yc[o*ld+e*hw:o*ld+(e+1)*hw], b)
		}
	}
}

// bnSums does, for the batch norm that reads yc (fuse.go), its first pass
// over the chunk's examples [lo, hi) while the partition's products are
// still in cache: each (example, channel) plane of yc gets the bias added
// in place, as scatter would add it, and its sum goes to the batch norm's
// per-plane partial sums.
func (c *Conv2D) bnSums(lo, hi, ld int) {
	hw := c.OutH * c.OutW
	for o, b := range c.B.Value.Data {
		for e := lo; e < hi; e++ {
			x := c.yc[o*ld+e*hw : o*ld+(e+1)*hw]
			c.bn.pp[(c.n0+e)*c.OutC+o] = tensor.AddConstSumLanes(x, b)
		}
	}
}

// pass runs op over the chunk of cn examples starting at n0.
func (c *Conv2D) pass(op convOp, n0, cn int) {
	c.op, c.n0, c.cn = op, n0, cn
	parts := c.nparts(cn)
	if op == convBias {
		parts = biasParts(c.OutC)
	}
	parallelFor(c.nthreads(), parts, (*convTask)(c))
}

// NewConv2D returns a Conv2D for per-example input shape in = (C, H, W)
// with outC filters of k×k, weights from the named initialiser ("he",
// "glorot" or "small") and zero biases. Its Params are "weight" and "bias".
func NewConv2D(in []int, outC, k, stride, pad int, init string, rng *rand.Rand) *Conv2D {
	c := &Conv2D{
		InC: in[0], InH: in[1], InW: in[2],
		OutC: outC, KH: k, KW: k, Stride: stride, Pad: pad,
	}
	c.OutH = convOut(c.InH, k, stride, pad)
	c.OutW = convOut(c.InW, k, stride, pad)
	c.W = &Param{Name: "weight", Value: tensor.New(outC, c.InC, k, k), Grad: tensor.New(outC, c.InC, k, k), Decay: true}
	c.B = &Param{Name: "bias", Value: tensor.New(outC), Grad: tensor.New(outC)}
	initWeights(c.W.Value.Data, init, c.InC*k*k, outC*k*k, rng)
	return c
}

func init() {
	registerLayer(layerKind{
		name:   "Conv2D",
		group:  convolutionKinds,
		fields: []string{"filters", "kernel", "stride", "pad", "init"},
		check: func(l LayerSpec, in []int) ([]int, int, error) {
			if err := l.checkInit(); err != nil {
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
		},
		build: func(l LayerSpec, at buildAt) Layer {
			return NewConv2D(at.in, l.Filters, l.Kernel, l.stride(1), l.Pad, l.initOr("he"), at.rng())
		},
		// The unfolded input (im2col) and the per-chunk output buffer.
		scratch: func(l LayerSpec, in, out []int) int {
			if len(in) != 3 || len(out) != 3 {
				return 0
			}
			k := max(l.Kernel, 1)
			return k*k*in[0]*out[1]*out[2] + prod(out)
		},
		abbrev: func(l LayerSpec) string { return fmt.Sprintf("conv%dx%dx%d", l.Kernel, l.Kernel, l.Filters) },
	})
}

func (c *Conv2D) Kind() string     { return "Conv2D" }
func (c *Conv2D) Params() []*Param { return []*Param{c.W, c.B} }
func (c *Conv2D) State() []*Param  { return nil }
func (c *Conv2D) OutShape(in []int) []int {
	return []int{c.OutC, c.OutH, c.OutW}
}
func (c *Conv2D) FLOPs(in []int) int64 {
	k := int64(c.InC * c.KH * c.KW)
	return int64(c.OutC*c.OutH*c.OutW) * (2*k + 1)
}

func (c *Conv2D) kdim() int { return c.InC * c.KH * c.KW }

// colBudget bounds a chunk (in patch values): examples are multiplied in
// chunks of at most this many patch values, so the chunk's output and
// patch-gradient buffers of a 10,000-image evaluation batch do not need
// gigabytes, while a training batch of 128 MNIST images is usually one
// chunk, its im2col stored, and one large GEMM.
var colBudget = 8 << 20 // a variable so tests can force small chunks

// chunk returns how many examples go into one GEMM.
func (c *Conv2D) chunk(n int) int {
	per := c.kdim() * c.OutH * c.OutW
	return max(1, min(n, colBudget/max(per, 1)))
}

// Forward computes y from x: x is (N, InC, InH, InW); y is (N, OutC, OutH, OutW). For a
// chunk of cn examples, with col (K, cn·OH·OW) the patch matrix (K =
// InC·KH·KW), yc (OutC, cn·OH·OW) = W · col; yc is then scattered to NCHW
// with the bias, except in a training batch of one chunk whose BatchNorm
// reads yc itself (fuse.go), which leaves yc as it is and y unwritten. On
// the direct path (useDirect) each image is convolved on its own
// (forwardDirect).
func (c *Conv2D) Forward(x *tensor.Tensor, train bool) *tensor.Tensor {
	inSize := c.InC * c.InH * c.InW
	checkIn("Conv2D", x, inSize)
	n := x.Rows()
	c.x = x
	c.y = reuse(c.y, n, c.OutC, c.OutH, c.OutW)
	c.direct = c.useDirect()
	if c.direct {
		c.colHeld, c.ycOut, c.dycIn = false, false, false
		c.forwardDirect(n, train)
		return c.y
	}
	k, hw := c.kdim(), c.OutH*c.OutW
	cs := c.chunk(n)
	c.yc = grow(c.yc, c.OutC*cs*hw)
	c.colHeld = train && cs == n && c.storePatches()
	c.ycOut, c.dycIn = c.bn != nil && train && cs == n, false
	if c.ycOut {
		c.bn.pp = grow(c.bn.pp, n*c.OutC)
	}
	if c.colHeld {
		c.col = grow(c.col, k*n*hw)
	}
	for n0 := 0; n0 < n; n0 += cs {
		c.pass(convForward, n0, min(cs, n-n0))
	}
	return c.y
}

// Backward computes the gradients: dy is (N, OutC, OutH, OutW). Per chunk, with col kept from a
// training Forward whose batch was one chunk or else packed from x (tensor.GemmPatchesT), and dyc
// (OutC, cn·OH·OW) gathered from dy (or written there by the BatchNorm that read yc):
// dW (OutC, K) += dyc · colᵀ; db[o] += Σ dyc[o];
// dcol (K, cn·OH·OW) = Wᵀ · dyc; dx = col2im(dcol), (N, InC, InH, InW).
// After a Forward on the direct path, see backwardDirect.
func (c *Conv2D) Backward(dy *tensor.Tensor, needDx bool) *tensor.Tensor {
	n := c.x.Rows()
	k, hw := c.kdim(), c.OutH*c.OutW
	outSize := c.OutC * hw
	checkIn("Conv2D.Backward", dy, outSize)
	if c.direct {
		return c.backwardDirect(dy, needDx)
	}
	cs := c.chunk(n)
	c.yc = grow(c.yc, c.OutC*cs*hw)
	if needDx {
		c.dcol = grow(c.dcol, k*cs*hw)
		c.dx = reuse(c.dx, n, c.InC, c.InH, c.InW)
	}
	clear(c.B.Grad.Data)
	clear(c.W.Grad.Data)
	c.dy = dy
	for n0 := 0; n0 < n; n0 += cs {
		cn := min(cs, n-n0)
		ld := cn * hw
		if !c.dycIn || dy != c.bn.dx {
			c.pass(convGather, n0, cn)
		}
		dyc := c.yc[:c.OutC*ld]
		if c.colHeld {
			c.gemm(tensor.NoTrans, tensor.Trans, c.OutC, k, ld, 1, dyc, ld, c.col, ld, 1, c.W.Grad.Data, k)
		} else {
			tensor.GemmPatchesT(c.threads, c.OutC, 1, dyc, ld, c.patchesOf(&c.chunkP, n0, cn), 1, c.W.Grad.Data, k)
		}
		c.pass(convBias, n0, cn)
		if needDx {
			c.pass(convDx, n0, cn)
		}
	}
	c.dy, c.dycIn = nil, false
	if !needDx {
		return nil
	}
	return c.dx
}

func grow(s []float32, n int) []float32 {
	if cap(s) < n {
		return make([]float32, n)
	}
	return s[:n]
}

// forwardDirect is Forward on the direct path: partitions of examples, each
// image's outputs from its padded plane (tensor.Direct1.Forward). A
// training batch keeps its planes for the weight gradient when they fit in
// colBudget.
func (c *Conv2D) forwardDirect(n int, train bool) {
	c.geo = tensor.Direct1{H: c.InH, W: c.InW, KH: c.KH, KW: c.KW, Pad: c.Pad, OutC: c.OutC}
	ps := c.geo.PlaneSize()
	c.xpHeld = train && c.Pad > 0 && n*ps <= colBudget
	if c.xpHeld {
		c.xp = grow(c.xp, n*ps)
	}
	c.runDirectPass(directForward, min(maxParts, n))
}

// backwardDirect is Backward on the direct path: the weight and bias
// gradients in partitions of filters, each summing the batch's images in
// index order (so the bits do not depend on the partitions), then dx in
// partitions of examples.
func (c *Conv2D) backwardDirect(dy *tensor.Tensor, needDx bool) *tensor.Tensor {
	n := c.x.Rows()
	clear(c.B.Grad.Data)
	clear(c.W.Grad.Data)
	c.dy = dy
	defer func() { c.dy = nil }()
	c.runDirectPass(directGrad, min(maxParts, c.OutC))
	if !needDx {
		return nil
	}
	c.dx = reuse(c.dx, n, c.InC, c.InH, c.InW)
	c.runDirectPass(directDx, min(maxParts, n))
	return c.dx
}

func (c *Conv2D) runDirectPass(op convOp, parts int) {
	c.op, c.n0, c.cn = op, 0, c.x.Rows()
	if parts > 0 {
		parallelFor(c.nthreads(), parts, (*convTask)(c))
	}
}

// runDirect does partition p of a direct pass (see runPart).
func (c *Conv2D) runDirect(p int) {
	g := &c.geo
	span, ps := g.Span(), g.PlaneSize()
	c.dscr[p] = grow(c.dscr[p], span+ps)
	tmp, buf := c.dscr[p][:span], c.dscr[p][span:]
	inSize, outSize := c.InH*c.InW, c.OutC*c.OutH*c.OutW
	w, b := c.W.Value.Data, c.B.Value.Data
	// plane returns example e's padded plane: the image itself without
	// padding, the held plane (padded here in the forward pass), or buf.
	plane := func(e int) []float32 {
		img := c.x.Data[e*inSize : (e+1)*inSize]
		switch {
		case c.Pad == 0:
			return img
		case c.xpHeld:
			xp := c.xp[e*ps : (e+1)*ps]
			if c.op == directForward {
				g.PadImage(xp, img)
			}
			return xp
		}
		g.PadImage(buf, img)
		return buf
	}
	switch c.op {
	case directForward:
		lo, hi := partRange(p, min(maxParts, c.cn), c.cn)
		for e := lo; e < hi; e++ {
			g.Forward(c.y.Data[e*outSize:(e+1)*outSize], plane(e), w, b, tmp)
		}
	case directGrad:
		lo, hi := partRange(p, min(maxParts, c.OutC), c.OutC)
		for e := 0; e < c.cn; e++ {
			g.WeightGrad(c.W.Grad.Data, c.B.Grad.Data, c.dy.Data[e*outSize:(e+1)*outSize], plane(e), tmp, lo, hi)
		}
	case directDx:
		lo, hi := partRange(p, min(maxParts, c.cn), c.cn)
		for e := lo; e < hi; e++ {
			g.InputGrad(c.dx.Data[e*inSize:(e+1)*inSize], c.dy.Data[e*outSize:(e+1)*outSize], w, tmp, buf)
		}
	}
}

// biasParts is how many partitions the bias gradient's n channels are cut
// into: at least eight channels each where there are enough, so sumRows
// sums whole groups of eight (a group of fewer costs as much).
func biasParts(n int) int { return max(min(maxParts, n/sumRowsWays), 1) }

// sumRowsWays is how many rows sumRows sums at once (tensor.RowSums).
const sumRowsWays = 8

// sumRows adds to db[o] the sum of row o of y (rows of ld values, row o
// at o*ld), each row summed from left to right in float32: the bits of one
// plain loop per row. A plain loop waits on each addition before the
// next; tensor.RowSums adds one column of eight rows at a time.
func sumRows(db, y []float32, ld int) {
	var s [sumRowsWays]float32
	for o := 0; o < len(db); o += sumRowsWays {
		r := min(sumRowsWays, len(db)-o)
		tensor.RowSums(s[:r], y[o*ld:], ld, ld)
		for k, v := range s[:r] {
			db[o+k] += v
		}
	}
}
