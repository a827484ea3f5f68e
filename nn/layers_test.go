package nn

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/rakam-ml/rakam/tensor"
)

// convNaive is the textbook seven-loop convolution, the reference for the
// im2col + GEMM path.
func convNaive(c *Conv2D, x []float32, n int) []float32 {
	y := make([]float32, n*c.OutC*c.OutH*c.OutW)
	w, b := c.W.Value.Data, c.B.Value.Data
	for i := 0; i < n; i++ {
		for o := 0; o < c.OutC; o++ {
			for oy := 0; oy < c.OutH; oy++ {
				for ox := 0; ox < c.OutW; ox++ {
					s := float64(b[o])
					for ch := 0; ch < c.InC; ch++ {
						for ky := 0; ky < c.KH; ky++ {
							for kx := 0; kx < c.KW; kx++ {
								iy, ix := oy*c.Stride-c.Pad+ky, ox*c.Stride-c.Pad+kx
								if iy < 0 || iy >= c.InH || ix < 0 || ix >= c.InW {
									continue
								}
								s += float64(w[((o*c.InC+ch)*c.KH+ky)*c.KW+kx]) * float64(x[((i*c.InC+ch)*c.InH+iy)*c.InW+ix])
							}
						}
					}
					y[((i*c.OutC+o)*c.OutH+oy)*c.OutW+ox] = float32(s)
				}
			}
		}
	}
	return y
}

func TestConv2DMatchesNaive(t *testing.T) {
	for _, budget := range []int{colBudget, 1, 500} {
		t.Run(fmt.Sprintf("colBudget=%d", budget), func(t *testing.T) {
			defer func(b int) { colBudget = b }(colBudget)
			colBudget = budget
			testConv2DMatchesNaive(t)
		})
	}
}

func testConv2DMatchesNaive(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	for _, tc := range []struct{ c, h, w, o, k, s, p int }{
		{1, 28, 28, 4, 3, 1, 1}, {3, 9, 7, 5, 3, 2, 1}, {2, 8, 8, 3, 5, 1, 2}, {2, 6, 5, 2, 2, 2, 0}, {1, 4, 4, 1, 4, 1, 0},
	} {
		c := NewConv2D([]int{tc.c, tc.h, tc.w}, tc.o, tc.k, tc.s, tc.p, "he", rng)
		for i := range c.B.Value.Data {
			c.B.Value.Data[i] = rng.Float32()
		}
		x := randTensor(rng, 3, tc.c, tc.h, tc.w)
		got := c.Forward(x, false)
		want := convNaive(c, x.Data, 3)
		for i := range want {
			if math.Abs(float64(got.Data[i]-want[i])) > 1e-4 {
				t.Fatalf("Conv2D%+v output %d = %g; naive %g", tc, i, got.Data[i], want[i])
			}
		}
	}
}

func TestBatchNormTrainEval(t *testing.T) {
	// One feature, four examples: mean 2.5, biased variance 1.25,
	// unbiased 5/3.
	b := NewBatchNorm([]int{1}, 1e-5, 0.1)
	x := tensor.FromSlice([]float32{1, 2, 3, 4}, 4, 1)
	y := b.Forward(x, true)
	is := 1 / math.Sqrt(1.25+1e-5)
	for i, v := range []float64{1, 2, 3, 4} {
		if want := (v - 2.5) * is; math.Abs(float64(y.Data[i])-want) > 1e-6 {
			t.Errorf("train y[%d] = %g; want %g", i, y.Data[i], want)
		}
	}
	if got, want := b.RunningMean.Value.Data[0], float32(0.25); math.Abs(float64(got-want)) > 1e-7 {
		t.Errorf("running mean = %g; want %g", got, want)
	}
	if got, want := b.RunningVar.Value.Data[0], float32(0.9+0.1*5.0/3); math.Abs(float64(got-want)) > 1e-6 {
		t.Errorf("running var = %g; want %g", got, want)
	}
	rm, rv := b.RunningMean.Value.Data[0], b.RunningVar.Value.Data[0]
	y = b.Forward(x, false)
	for i, v := range []float64{1, 2, 3, 4} {
		want := (v - float64(rm)) / math.Sqrt(float64(rv)+1e-5)
		if math.Abs(float64(y.Data[i])-want) > 1e-6 {
			t.Errorf("eval y[%d] = %g; want %g", i, y.Data[i], want)
		}
	}
	if b.RunningMean.Value.Data[0] != rm || b.RunningVar.Value.Data[0] != rv {
		t.Error("eval Forward changed the running statistics")
	}

	// NCHW: statistics per channel over N, H and W.
	rng := rand.New(rand.NewPCG(1, 1))
	bc := NewBatchNorm([]int{2, 3, 3}, 1e-5, 0.1)
	bc.Gamma.Value.Data[1] = 2
	bc.Beta.Value.Data[1] = -1
	xc := randTensor(rng, 4, 2, 3, 3)
	for i := 0; i < 4; i++ { // shift channel 1 far from zero
		for j := 0; j < 9; j++ {
			xc.Data[(i*2+1)*9+j] = 100 + 3*xc.Data[(i*2+1)*9+j]
		}
	}
	yc := bc.Forward(xc, true)
	for ch, want := range [][2]float64{{0, 1}, {-1, 2}} {
		var s, s2 float64
		for i := 0; i < 4; i++ {
			for _, v := range yc.Data[(i*2+ch)*9 : (i*2+ch+1)*9] {
				s += float64(v)
				s2 += float64(v) * float64(v)
			}
		}
		mean := s / 36
		std := math.Sqrt(s2/36 - mean*mean)
		if math.Abs(mean-want[0]) > 1e-4 || math.Abs(std-want[1]) > 1e-3 {
			t.Errorf("channel %d: train output mean %g std %g; want %g, %g", ch, mean, std, want[0], want[1])
		}
	}
}

func TestDropoutTrainEval(t *testing.T) {
	const n = 1 << 16
	x := tensor.New(1, n)
	for i := range x.Data {
		x.Data[i] = 1
	}
	d := NewDropout(0.25, 42, 1)
	if y := d.Forward(x, false); &y.Data[0] != &x.Data[0] {
		t.Error("eval Forward did not pass x through")
	}
	state, _ := d.MarshalRNG()
	y := d.Forward(x, true)
	var zeros int
	for _, v := range y.Data {
		switch v {
		case 0:
			zeros++
		case 1 / 0.75:
		default:
			t.Fatalf("train output %g; want 0 or %g", v, 1/0.75)
		}
	}
	if frac := float64(zeros) / n; math.Abs(frac-0.25) > 0.01 {
		t.Errorf("dropped fraction %g; want 0.25 ± 0.01", frac)
	}
	first := append([]float32(nil), y.Data...)
	y = d.Forward(x, true)
	if same(first, y.Data) {
		t.Error("two training passes drew the same mask")
	}
	if err := d.UnmarshalRNG(state); err != nil {
		t.Fatal(err)
	}
	if y = d.Forward(x, true); !same(first, y.Data) {
		t.Error("restored generator state drew a different mask")
	}
	d2 := NewDropout(0.25, 42, 1)
	if y = d2.Forward(x, true); !same(first, y.Data) {
		t.Error("same seed and stream drew a different mask")
	}
	if err := d.UnmarshalRNG([]byte("garbage")); err == nil {
		t.Error("UnmarshalRNG(garbage): no error")
	}
}

// same reports whether a and b hold the same bits, counting any NaN equal
// to any NaN (x86 and ARM give a NaN different payloads).
func same(a, b []float32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !sameFloat32(a[i], b[i]) {
			return false
		}
	}
	return true
}

func sameFloat32(a, b float32) bool {
	return math.Float32bits(a) == math.Float32bits(b) || (a != a && b != b)
}

// TestSequentialGradient checks a whole small CNN, loss included, with
// respect to its input and every parameter, in training mode (BatchNorm
// batch statistics, Dropout with a restored generator).
func TestSequentialGradient(t *testing.T) {
	spec := Spec{Input: []int{1, 6, 6}, Layers: []LayerSpec{
		{Kind: "Conv2D", Filters: 2, Kernel: 3, Pad: 1}, {Kind: "BatchNorm"}, {Kind: "GELU"},
		{Kind: "Conv2D", Filters: 3, Kernel: 3, Stride: 2, Pad: 1}, {Kind: "Tanh"},
		{Kind: "Flatten"}, {Kind: "Dropout", Rate: 0.3}, {Kind: "Dense", Units: 5},
		{Kind: "BatchNorm"}, {Kind: "Sigmoid"}, {Kind: "Dense", Units: 4},
	}}
	m, err := Build(spec, 11)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(2, 3))
	x := randTensor(rng, 3, 36)
	labels := []uint8{0, 3, 1}
	drop := m.RandomLayers()[0]
	state, _ := drop.MarshalRNG()
	var ce SoftmaxCrossEntropy
	loss := func() float64 {
		drop.UnmarshalRNG(state)
		l, _, err := ce.Forward(m.Forward(x, true), labels)
		if err != nil {
			t.Fatal(err)
		}
		return l
	}
	drop.UnmarshalRNG(state)
	_, g, _ := ce.Forward(m.Forward(x, true), labels)
	dx := m.BackwardInput(g)
	targets := map[string]struct {
		v []float32
		g []float64
	}{"input": {x.Data, f64(dx.Data)}}
	for _, p := range m.Params() {
		targets[p.Name] = struct {
			v []float32
			g []float64
		}{p.Value.Data, f64(p.Grad.Data)}
	}
	// Richardson extrapolation of central differences at h and h/2
	// cancels the h² error term, which a deep network with BatchNorm over
	// three examples makes large.
	const h = 1e-2
	diff := func(v []float32, i int, h float32) float64 {
		old := v[i]
		v[i] = old + h
		lp := loss()
		v[i] = old - h
		lm := loss()
		v[i] = old
		return (lp - lm) / (2 * float64(h))
	}
	for name, tg := range targets {
		if name == "layers.0.bias" || name == "layers.7.bias" {
			// BatchNorm follows: the loss does not depend on these biases.
			for _, g := range tg.g {
				if math.Abs(g) > 1e-6 {
					t.Errorf("%s: gradient %v; want 0 (BatchNorm follows)", name, tg.g)
					break
				}
			}
			continue
		}
		num := make([]float64, len(tg.v))
		for i := range tg.v {
			num[i] = (4*diff(tg.v, i, h/2) - diff(tg.v, i, h)) / 3
		}
		if e := relErr(tg.g, num); e > 2e-3 {
			t.Errorf("%s: relative error %.3g\nanalytic %v\nnumeric  %v", name, e, head(tg.g), head(num))
		}
	}
	if len(targets) != 1+2*6 {
		t.Errorf("checked %d tensors; want 13", len(targets))
	}
}

// TestIm2colMatchesReference compares the fast im2col and col2im with the
// plain ones over strides, paddings and kernels that leave edges unused.
func TestIm2colMatchesReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(8, 9))
	for _, tc := range []struct{ c, h, w, k, s, p int }{
		{1, 28, 28, 3, 1, 1}, {2, 7, 6, 3, 2, 1}, {3, 5, 5, 5, 1, 4}, {1, 9, 4, 2, 3, 0},
		{2, 4, 4, 4, 1, 3}, {1, 3, 8, 3, 2, 2}, {1, 2, 2, 3, 1, 2}, {2, 10, 7, 4, 3, 1},
		// stride 1 with "same" padding: tensor's one-run fast path
		{16, 14, 14, 3, 1, 1}, {2, 5, 7, 5, 1, 2}, {1, 1, 1, 3, 1, 1}, {3, 3, 6, 1, 1, 0}, {1, 2, 9, 5, 1, 2}, {1, 9, 1, 3, 1, 1},
	} {
		oh, ow := convOut(tc.h, tc.k, tc.s, tc.p), convOut(tc.w, tc.k, tc.s, tc.p)
		if oh <= 0 || ow <= 0 {
			t.Fatalf("bad case %+v", tc)
		}
		x := randTensor(rng, tc.c*tc.h*tc.w).Data
		rows, hw := tc.c*tc.k*tc.k, oh*ow
		ld := hw + 3 // rows further apart than their length, as in a chunk
		got := make([]float32, rows*ld)
		want := make([]float32, rows*ld)
		for i := range got {
			got[i], want[i] = -7, -7
		}
		tensor.Im2Col(got, ld, x, tc.c, tc.h, tc.w, tc.k, tc.k, tc.s, tc.p)
		im2colRef(want, ld, x, tc.c, tc.h, tc.w, tc.k, tc.k, tc.s, tc.p, oh, ow)
		if !same(got, want) {
			t.Errorf("im2col%+v differs from im2colRef", tc)
		}
		col := randTensor(rng, rows*ld).Data
		gx := make([]float32, len(x))
		wx := make([]float32, len(x))
		tensor.Col2Im(gx, col, ld, tc.c, tc.h, tc.w, tc.k, tc.k, tc.s, tc.p)
		col2imRef(wx, col, ld, tc.c, tc.h, tc.w, tc.k, tc.k, tc.s, tc.p, oh, ow)
		// Same bits: every pixel sums its patch entries in the same order.
		for i := range gx {
			if !sameFloat32(gx[i], wx[i]) {
				t.Errorf("col2im%+v[%d] = %g; reference %g", tc, i, gx[i], wx[i])
				break
			}
		}
	}
}

// TestMaxPoolTies compares MaxPool2D (the 2×2 fast path and the general
// one) with a plain reference on inputs full of ties, where the gradient
// must go to the first maximum of each window in row-major order. The 2×2
// shapes cover each way forward2x2 runs a row: eight windows or more (28,
// 16 and 18 columns), fewer running into the next row (14, 13, 7 and 8
// columns), and the padded last rows of a partition.
func TestMaxPoolTies(t *testing.T) {
	rng := rand.New(rand.NewPCG(10, 11))
	for _, tc := range []struct{ c, h, w, k, s int }{
		{3, 6, 8, 2, 2}, {2, 7, 5, 2, 2}, {2, 7, 7, 3, 2}, {1, 6, 6, 2, 1},
		{5, 28, 28, 2, 2}, {4, 14, 14, 2, 2}, {17, 7, 7, 2, 2}, {2, 4, 16, 2, 2}, {3, 6, 18, 2, 2}, {9, 5, 13, 2, 2},
	} {
		m := NewMaxPool2D([]int{tc.c, tc.h, tc.w}, tc.k, tc.s)
		x := tensor.New(2, tc.c, tc.h, tc.w)
		for i := range x.Data {
			x.Data[i] = float32(rng.IntN(3)) // many ties
		}
		y := m.Forward(x, true)
		dy := randTensor(rng, y.Shape...)
		for i := range dy.Data {
			if i%5 == 0 {
				dy.Data[i] = float32(math.Copysign(0, -1)) // −0 must reach dx as +0 (0 + −0)
			}
		}
		dx := m.Backward(dy, true)
		wantDx := make([]float32, len(x.Data))
		for p := 0; p < 2*tc.c; p++ {
			img := x.Data[p*tc.h*tc.w:]
			for oy := 0; oy < m.OutH; oy++ {
				for ox := 0; ox < m.OutW; ox++ {
					best := -1
					for i := 0; i < tc.k; i++ {
						for j := 0; j < tc.k; j++ {
							idx := (oy*tc.s+i)*tc.w + ox*tc.s + j
							if best < 0 || img[idx] > img[best] {
								best = idx
							}
						}
					}
					o := p*m.OutH*m.OutW + oy*m.OutW + ox
					if y.Data[o] != img[best] {
						t.Fatalf("%+v: y[%d] = %g; want %g", tc, o, y.Data[o], img[best])
					}
					wantDx[p*tc.h*tc.w+best] += dy.Data[o]
				}
			}
		}
		for i := range wantDx {
			if math.Float32bits(dx.Data[i]) != math.Float32bits(wantDx[i]) {
				t.Fatalf("%+v: dx[%d] = %g; want %g (bit for bit)", tc, i, dx.Data[i], wantDx[i])
			}
		}
	}
}

func TestSequentialRNGState(t *testing.T) {
	spec := Spec{Input: []int{50}, Layers: []LayerSpec{{Kind: "Dropout", Rate: 0.5}, {Kind: "Dense", Units: 20}, {Kind: "Dropout", Rate: 0.3}}}
	a, _ := Build(spec, 3)
	x := tensor.New(4, 50)
	for i := range x.Data {
		x.Data[i] = 1
	}
	a.Forward(x, true)
	state, err := a.MarshalRNG()
	if err != nil {
		t.Fatal(err)
	}
	want := append([]float32(nil), a.Forward(x, true).Data...)
	b, _ := Build(spec, 99) // another seed: restored state must win
	if err := b.UnmarshalRNG(state); err != nil {
		t.Fatal(err)
	}
	for _, p := range b.Tensors() { // same weights
		for _, q := range a.Tensors() {
			if p.Name == q.Name {
				copy(p.Value.Data, q.Value.Data)
			}
		}
	}
	if got := b.Forward(x, true).Data; !same(got, want) {
		t.Error("restored generators drew different masks")
	}
	for _, bad := range [][]byte{nil, state[:len(state)-1], append(append([]byte(nil), state...), 0), {5}} {
		if err := b.UnmarshalRNG(bad); err == nil {
			t.Errorf("UnmarshalRNG(%x): no error", bad)
		}
	}
}

// trainBits runs three training steps of the cnn (plain SGD, input
// gradient included) and an evaluation pass on n examples with the given
// thread count, as the process default or (viaModel) as the model's own
// budget, and returns every value they produced.
func trainBits(t *testing.T, threads, n int, viaModel bool) []float32 {
	t.Helper()
	m, err := Build(benchSpecs[2].spec, 1)
	if err != nil {
		t.Fatal(err)
	}
	if viaModel {
		m.SetThreads(threads)
	} else {
		defer tensor.SetThreads(tensor.Threads())
		tensor.SetThreads(threads)
	}
	x, labels := mnistLikeBatch(n)
	var loss SoftmaxCrossEntropy
	var out []float32
	for s := 0; s < 3; s++ {
		l, g, err := loss.Forward(m.Forward(x, true), labels)
		if err != nil {
			t.Fatal(err)
		}
		out = append(append(out, float32(l)), m.BackwardInput(g).Data...)
		for _, p := range m.Params() {
			out = append(out, p.Grad.Data...)
			for i := range p.Value.Data {
				p.Value.Data[i] -= float32(0.01 * p.Grad.Data[i])
			}
		}
		for _, p := range m.State() {
			out = append(out, p.Value.Data...)
		}
	}
	return append(out, m.Forward(x, false).Data...)
}

// TestThreadsBitIdentical checks that the layer passes split across
// threads (parallelFor) give the same bits for 1, 2 and 3 threads, set as
// the process default or as the model's budget, on batch sizes that do and
// do not divide into the partitions, and with the convolutions' products
// cut into other partitions (one per example, and as few as nparts
// allows).
func TestThreadsBitIdentical(t *testing.T) {
	defer func(c int) { partCols = c }(partCols)
	cols0 := partCols
	for _, n := range []int{1, 7, 37} {
		want := trainBits(t, 1, n, false)
		for _, th := range []int{2, 3} {
			for _, viaModel := range []bool{false, true} {
				if got := trainBits(t, th, n, viaModel); !same(got, want) {
					t.Errorf("batch %d: %d threads (model budget %v) give other bits than 1 thread", n, th, viaModel)
				}
			}
		}
		for _, cols := range []int{1, 1 << 30} {
			partCols = cols
			if got := trainBits(t, 2, n, true); !same(got, want) {
				t.Errorf("batch %d: convolution partitions of %d columns give other bits", n, cols)
			}
		}
		partCols = cols0
	}
}

// TestSetThreadsReachesLayers checks that a model's budget reaches every
// layer with parallel passes or products, that replicas inherit it, and
// that it leaves the process default alone.
func TestSetThreadsReachesLayers(t *testing.T) {
	def := tensor.Threads()
	m, err := Build(benchSpecs[2].spec, 1)
	if err != nil {
		t.Fatal(err)
	}
	m.SetThreads(1)
	for _, mm := range []*Sequential{m, m.Replica()} {
		if mm.Threads() != 1 {
			t.Errorf("Threads() = %d; want 1", mm.Threads())
		}
		n := 0
		for i, l := range mm.Layers {
			if b, ok := l.(interface{ nthreads() int }); ok {
				n++
				if b.nthreads() != 1 {
					t.Errorf("layer %d (%s) has budget %d; want 1", i, l.Kind(), b.nthreads())
				}
			}
		}
		if n < 12 { // 3 Conv2D, 4 BatchNorm, 3 MaxPool2D, 2 Dense (the ReLUs too)
			t.Errorf("only %d layers carry a budget", n)
		}
	}
	if tensor.Threads() != def {
		t.Errorf("SetThreads changed the process default from %d to %d", def, tensor.Threads())
	}
}

// TestReplicasConcurrent runs inference on replicas from several goroutines
// at once (the parallel passes' workers are shared: a caller that finds
// them busy runs its partitions itself) and checks every result against
// the serial one.
func TestReplicasConcurrent(t *testing.T) {
	m, err := Build(benchSpecs[2].spec, 1)
	if err != nil {
		t.Fatal(err)
	}
	x, _ := mnistLikeBatch(20)
	want := append([]float32(nil), m.Forward(x, false).Data...)
	errs := make(chan string, 4)
	for g := 0; g < 4; g++ {
		go func() {
			r := m.Replica()
			for i := 0; i < 5; i++ {
				if !same(r.Forward(x, false).Data, want) {
					errs <- "a replica's logits differ from the serial ones"
					return
				}
			}
			errs <- ""
		}()
	}
	for g := 0; g < 4; g++ {
		if e := <-errs; e != "" {
			t.Error(e)
		}
	}
}

// TestConv2DPathsSameBits: the stored-patch path (a training batch in one
// chunk) and the path that packs patches from the images (inference,
// training of stride-1 "same" and "valid" convolutions, and training
// batches cut into chunks)
// give the same bits: outputs, all gradients of a one-chunk batch, and the
// input gradient (the weight and bias gradients of a batch in chunks
// are summed chunk by chunk: close, not the same bits).
func TestConv2DPathsSameBits(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 9))
	for _, tc := range []struct{ c, h, w, o, k, s, p int }{
		{1, 28, 28, 16, 3, 1, 1}, {16, 14, 14, 32, 3, 1, 1}, {32, 7, 7, 64, 3, 1, 1},
		{1, 28, 28, 24, 5, 1, 0}, {20, 12, 12, 32, 3, 1, 0}, {3, 9, 7, 5, 3, 2, 1}, {2, 8, 8, 3, 5, 1, 2},
	} {
		c := NewConv2D([]int{tc.c, tc.h, tc.w}, tc.o, tc.k, tc.s, tc.p, "he", rng)
		for i := range c.B.Value.Data {
			c.B.Value.Data[i] = rng.Float32()
		}
		x := randTensor(rng, 12, tc.c, tc.h, tc.w)
		c.patchMode = patchesStored
		y := c.Forward(x, true)
		if !c.colHeld {
			t.Fatalf("Conv2D%+v: a training batch of 12 did not store its patches", tc)
		}
		dy := randTensor(rng, y.Shape...)
		wantY := slices.Clone(y.Data)
		wantDx := slices.Clone(c.Backward(dy, true).Data)
		wantDW, wantDB := slices.Clone(c.W.Grad.Data), slices.Clone(c.B.Grad.Data)
		same := func(what string, got, want []float32) {
			t.Helper()
			for i := range want {
				if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
					t.Fatalf("Conv2D%+v: %s[%d] = %v; the stored-patch path gives %v", tc, what, i, got[i], want[i])
				}
			}
		}
		same("inference y", c.Forward(x, false).Data, wantY)
		c.patchMode = patchesPacked
		same("packed y", c.Forward(x, true).Data, wantY)
		if c.colHeld {
			t.Fatalf("Conv2D%+v: a training batch stored its patches when told to pack them", tc)
		}
		same("packed dx", c.Backward(dy, true).Data, wantDx)
		same("packed dW", c.W.Grad.Data, wantDW)
		same("packed db", c.B.Grad.Data, wantDB)
		c.patchMode = patchesAuto
		c.Forward(x, true)
		if wantDirect := directDefault && tc.c == 1 && tc.s == 1 && tc.k <= 3; c.direct != wantDirect {
			t.Errorf("Conv2D%+v: direct path %v, want %v", tc, c.direct, wantDirect)
		}
		if want := !c.direct && !(tc.s == 1 && (c.OutW == c.InW || tc.p == 0)); c.colHeld != want {
			t.Errorf("Conv2D%+v: a training batch stored its patches: %v, want %v", tc, c.colHeld, want)
		}
		if c.direct {
			// The direct path has other bits (TestConv2DDirect); the
			// chunks below are GEMM's, as patchesAuto picks them for more
			// than one input channel.
			c.patchMode = patchesStored
		}
		func() {
			defer func(b int) { colBudget = b }(colBudget)
			colBudget = 5 * c.kdim() * c.OutH * c.OutW // chunks of 5, 5 and 2
			same("chunked y", c.Forward(x, true).Data, wantY)
			if c.colHeld {
				t.Fatalf("Conv2D%+v: a batch in three chunks stored its patches", tc)
			}
			same("chunked dx", c.Backward(dy, true).Data, wantDx)
			// The weight and bias gradients sum over the batch chunk by
			// chunk, so they round differently (tensor's
			// TestGemmPatchesSameBits holds each chunk's product to the
			// bits of the stored path); close is all that can be asked.
			near := func(what string, got, want []float32) {
				t.Helper()
				for i := range want {
					if d := math.Abs(float64(got[i] - want[i])); d > 1e-4*(1+math.Abs(float64(want[i]))) {
						t.Fatalf("Conv2D%+v: %s[%d] = %v; the stored-patch path gives %v", tc, what, i, got[i], want[i])
					}
				}
			}
			near("chunked dW", c.W.Grad.Data, wantDW)
			near("chunked db", c.B.Grad.Data, wantDB)
		}()
	}
}

// TestConv2DDirect covers the direct path of one-channel stride-1
// convolutions (tensor.Direct1), on the zoo's two first layers and odd
// geometries:
//   - patchesAuto leaves it off (directDefault) and, when it is on, picks
//     it for kernels up to 3×3 (patchesDirect forces it for the
//     others); a padded training batch holds its padded planes;
//     outputs and gradients (dW, db, dx) agree with the textbook loops
//     (convNaive, convBackwardRef) to float32 rounding;
//   - 1, 2 and 3 threads, a training or an inference forward pass, held
//     or re-padded planes (colBudget too small) and needDx false give the
//     same bits;
//   - the GEMM path (stored patches) agrees within 1e-5 of each sum's
//     magnitude.
func TestConv2DDirect(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 10))
	for _, tc := range []struct{ h, w, o, k, p, n int }{
		{28, 28, 16, 3, 1, 12}, {28, 28, 24, 5, 0, 12}, {12, 12, 5, 3, 0, 3},
		{7, 9, 3, 3, 1, 3}, {9, 7, 2, 5, 2, 1}, {7, 9, 3, 1, 0, 3}, {3, 3, 2, 4, 2, 2},
	} {
		c := NewConv2D([]int{1, tc.h, tc.w}, tc.o, tc.k, 1, tc.p, "he", rng)
		for i := range c.B.Value.Data {
			c.B.Value.Data[i] = rng.Float32()
		}
		c.Forward(randTensor(rng, 1, 1, tc.h, tc.w), false)
		if c.direct {
			t.Errorf("Conv2D%+v: patchesAuto took the direct path while directDefault is off", tc)
		}
		func() {
			defer func(d bool) { directDefault = d }(directDefault)
			directDefault = true
			c.Forward(randTensor(rng, 1, 1, tc.h, tc.w), false)
			if c.direct != (tc.k <= 3) {
				t.Errorf("Conv2D%+v: patchesAuto with directDefault took the direct path: %v, want %v (kernels up to 3×3)", tc, c.direct, tc.k <= 3)
			}
		}()
		c.patchMode = patchesDirect
		x := randTensor(rng, tc.n, 1, tc.h, tc.w)
		dy := randTensor(rng, tc.n, c.OutC, c.OutH, c.OutW)
		type result struct{ y, dw, db, dx []float32 }
		run := func(threads int, train, needDx bool) result {
			c.setThreads(threads)
			defer c.setThreads(0)
			y := slices.Clone(c.Forward(x, train).Data)
			if !c.direct {
				t.Fatalf("Conv2D%+v: patchMode %d did not take the direct path", tc, c.patchMode)
			}
			if want := train && tc.p > 0 && tc.n*c.geo.PlaneSize() <= colBudget; c.xpHeld != want {
				t.Fatalf("Conv2D%+v: planes held %v, want %v", tc, c.xpHeld, want)
			}
			dx := c.Backward(dy, needDx)
			if (dx == nil) == needDx {
				t.Fatalf("Conv2D%+v: Backward(needDx=%v) returned %v", tc, needDx, dx)
			}
			r := result{y, slices.Clone(c.W.Grad.Data), slices.Clone(c.B.Grad.Data), nil}
			if dx != nil {
				r.dx = slices.Clone(dx.Data)
			}
			return r
		}
		want := run(1, true, true)
		// Against the textbook loops.
		y := convNaive(c, x.Data, tc.n)
		dw, db, dx, mdw, mdb, mdx := convBackwardRef(c, x.Data, dy.Data, tc.n)
		near := func(what string, got []float32, want, mag []float64) {
			t.Helper()
			for i := range want {
				if d := math.Abs(float64(got[i]) - want[i]); d > 1e-5*mag[i]+1e-6 || math.IsNaN(d) {
					t.Fatalf("Conv2D%+v: %s[%d] = %v; want %v", tc, what, i, got[i], want[i])
				}
			}
		}
		near("dW", want.dw, dw, mdw)
		near("db", want.db, db, mdb)
		near("dx", want.dx, dx, mdx)
		for i := range y {
			if d := math.Abs(float64(want.y[i] - y[i])); d > 1e-5*(1+math.Abs(float64(y[i]))) {
				t.Fatalf("Conv2D%+v: y[%d] = %v; want %v", tc, i, want.y[i], y[i])
			}
		}
		same := func(what string, got, want []float32) {
			t.Helper()
			for i := range want {
				if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
					t.Fatalf("Conv2D%+v: %s[%d] = %v; one thread gives %v", tc, what, i, got[i], want[i])
				}
			}
		}
		check := func(what string, r result, withDx bool) {
			t.Helper()
			same(what+" y", r.y, want.y)
			same(what+" dW", r.dw, want.dw)
			same(what+" db", r.db, want.db)
			if withDx {
				same(what+" dx", r.dx, want.dx)
			}
		}
		for _, th := range []int{2, 3} {
			check(fmt.Sprintf("%d threads:", th), run(th, true, true), true)
		}
		check("inference forward:", run(2, false, true), true)
		check("no dx:", run(3, true, false), false)
		func() {
			defer func(b int) { colBudget = b }(colBudget)
			colBudget = 1
			check("planes not held:", run(2, true, true), true)
		}()
		c.patchMode = patchesAuto
		if tc.k <= 3 {
			func() {
				defer func(d bool) { directDefault = d }(directDefault)
				directDefault = true
				check("auto:", run(1, true, true), true)
			}()
		}
		// The GEMM path: the same sums in other orders.
		c.patchMode = patchesStored
		c.setThreads(1)
		gy := c.Forward(x, true).Data
		if c.direct {
			t.Fatalf("Conv2D%+v: patchesStored took the direct path", tc)
		}
		gdx := c.Backward(dy, true).Data
		near("GEMM dW", c.W.Grad.Data, f64(want.dw), mdw)
		near("GEMM db", c.B.Grad.Data, f64(want.db), mdb)
		near("GEMM dx", gdx, f64(want.dx), mdx)
		for i := range gy {
			if d := math.Abs(float64(gy[i] - want.y[i])); d > 1e-5*(1+math.Abs(float64(y[i]))) {
				t.Fatalf("Conv2D%+v: GEMM y[%d] = %v; direct %v", tc, i, gy[i], want.y[i])
			}
		}
		c.setThreads(0)
	}
	// Forcing the direct path where it does not apply is a programmer error.
	for _, geo := range [][2]int{{2, 1}, {1, 2}} {
		c := NewConv2D([]int{geo[0], 8, 8}, 2, 3, geo[1], 1, "he", rng)
		c.patchMode = patchesDirect
		func() {
			defer func() {
				if msg, _ := recover().(string); !strings.Contains(msg, "direct path forced") {
					t.Errorf("channels %d stride %d: panic %q; want the forced direct path refused", geo[0], geo[1], msg)
				}
			}()
			c.Forward(randTensor(rng, 1, geo[0], 8, 8), false)
		}()
	}
}
