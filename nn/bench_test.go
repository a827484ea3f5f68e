package nn

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rakam-ml/rakam/mnist"
	"github.com/rakam-ml/rakam/tensor"
)

// benchSpecs are the zoo's architectures (study.Zoo holds the originals;
// study imports nn, so they are repeated here).
var benchSpecs = []struct {
	name string
	spec Spec
}{
	{"baseline", Spec{Input: []int{784}, Layers: []LayerSpec{{Kind: "Dense", Units: 128}, {Kind: "ReLU"}, {Kind: "Dense", Units: 10}}}},
	{"advanced", Spec{Input: []int{784}, Layers: []LayerSpec{
		{Kind: "Dense", Units: 128}, {Kind: "BatchNorm"}, {Kind: "ReLU"}, {Kind: "Dropout", Rate: 0.2},
		{Kind: "Dense", Units: 64}, {Kind: "BatchNorm"}, {Kind: "ReLU"}, {Kind: "Dropout", Rate: 0.2},
		{Kind: "Dense", Units: 10},
	}}},
	// The zoo's cnn (study.Zoo; nn cannot import study).
	{"cnn", Spec{Input: []int{1, 28, 28}, Layers: []LayerSpec{
		{Kind: "Conv2D", Filters: 16, Kernel: 3, Pad: 1}, {Kind: "BatchNorm"}, {Kind: "ReLU"}, {Kind: "MaxPool2D"},
		{Kind: "Conv2D", Filters: 32, Kernel: 3, Pad: 1}, {Kind: "BatchNorm"}, {Kind: "ReLU"}, {Kind: "MaxPool2D"},
		{Kind: "Conv2D", Filters: 64, Kernel: 3, Pad: 1}, {Kind: "BatchNorm"}, {Kind: "ReLU"}, {Kind: "MaxPool2D"},
		{Kind: "Flatten"}, {Kind: "Dense", Units: 128}, {Kind: "BatchNorm"}, {Kind: "ReLU"}, {Kind: "Dropout", Rate: 0.25},
		{Kind: "Dense", Units: 10},
	}}},
	// The zoo's cnn-fast.
	{"cnn-fast", Spec{Input: []int{1, 28, 28}, Layers: []LayerSpec{
		{Kind: "Conv2D", Filters: 20, Kernel: 5}, {Kind: "MaxPool2D"}, {Kind: "BatchNorm"}, {Kind: "ReLU"},
		{Kind: "Conv2D", Filters: 32, Kernel: 3}, {Kind: "MaxPool2D"}, {Kind: "BatchNorm"}, {Kind: "ReLU"},
		{Kind: "Flatten"}, {Kind: "Dense", Units: 256}, {Kind: "ReLU"}, {Kind: "Dense", Units: 10},
	}}},
}

// mnistLikeBatch returns n images and labels for the benchmarks: the first
// n MNIST test images (benchMNIST), or, where the data is not found,
// images a fifth of whose pixels are random ink.
func mnistLikeBatch(n int) (*tensor.Tensor, []uint8) {
	x := tensor.New(n, 784)
	labels := make([]uint8, n)
	if set := benchMNIST(); set != nil && set.N >= n {
		for i := range x.Data {
			x.Data[i] = float32(set.Images[i]) / 255
		}
		copy(labels, set.Labels[:n])
		return x, labels
	}
	rng := rand.New(rand.NewPCG(1, 1))
	for i := range x.Data {
		if rng.IntN(5) == 0 {
			x.Data[i] = rng.Float32()
		}
	}
	for i := range labels {
		labels[i] = uint8(rng.IntN(10))
	}
	return x, labels
}

// benchMNIST is the MNIST test set where it is found (as it is wherever the
// module cache holds GoMNIST), else nil: real images, whose zeros lie in
// whole regions, decide zero skipping as training does (uniformly random
// zeros do not).
var benchMNIST = sync.OnceValue(func() *mnist.Set {
	dir, err := mnist.Locate("")
	if err != nil {
		return nil
	}
	set, err := mnist.LoadTest(dir)
	if err != nil {
		return nil
	}
	return set
})

// TestTrainStepAllocs checks that a training step allocates nothing once
// the first batch of a size has gone through (nn's share: the tensor
// kernels underneath are included, so a regression there shows here too).
func TestTrainStepAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector makes sync.Pool drop items, so allocation counts are meaningless")
	}
	for _, bs := range benchSpecs {
		t.Run(bs.name, func(t *testing.T) {
			m, err := Build(bs.spec, 1)
			if err != nil {
				t.Fatal(err)
			}
			x, labels := mnistLikeBatch(8)
			var loss SoftmaxCrossEntropy
			step := func() {
				_, g, err := loss.Forward(m.Forward(x, true), labels)
				if err != nil {
					t.Fatal(err)
				}
				m.Backward(g)
				m.Forward(x, false)
			}
			// A few warm-up steps, then the mean over ten: GEMM's packing
			// buffers belong to whichever concurrent caller takes them, so
			// under load a step can meet an interleaving the warm-up did not
			// and grow a buffer once (a handful of allocations in one step,
			// never again). A step that allocates every time still fails.
			for range 3 {
				step()
			}
			if a := testing.AllocsPerRun(10, step); a != 0 {
				t.Errorf("%s: %v allocations per training step after warm-up; want 0", bs.name, a)
			}
		})
	}
}

// BenchmarkTrainStep times forward, loss and backward of one batch of 128
// (the optimiser step is optim's).
func BenchmarkTrainStep(b *testing.B) {
	for _, bs := range benchSpecs {
		b.Run(fmt.Sprintf("%s/batch=128", bs.name), func(b *testing.B) {
			m, _ := Build(bs.spec, 1)
			x, labels := mnistLikeBatch(128)
			var loss SoftmaxCrossEntropy
			b.ReportAllocs()
			for b.Loop() {
				_, g, _ := loss.Forward(m.Forward(x, true), labels)
				m.Backward(g)
			}
			b.ReportMetric(float64(128*b.N)/b.Elapsed().Seconds(), "images/s")
		})
	}
}

// BenchmarkInference times eval-mode forward passes over batches of 1000.
func BenchmarkInference(b *testing.B) {
	for _, bs := range benchSpecs {
		b.Run(fmt.Sprintf("%s/batch=1000", bs.name), func(b *testing.B) {
			m, _ := Build(bs.spec, 1)
			x, _ := mnistLikeBatch(1000)
			b.ReportAllocs()
			for b.Loop() {
				m.Forward(x, false)
			}
			b.ReportMetric(float64(1000*b.N)/b.Elapsed().Seconds(), "images/s")
		})
	}
}

// BenchmarkLayers times each layer kind's forward and backward on an
// MNIST-sized batch of 128.
func BenchmarkLayers(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 2))
	cases := []struct {
		name string
		l    Layer
		in   []int
	}{
		{"Dense784x128", NewDense(784, 128, "glorot", rng), []int{784}},
		{"Conv2D1to16", NewConv2D([]int{1, 28, 28}, 16, 3, 1, 1, "he", rng), []int{1, 28, 28}},
		{"Conv2D16to32", NewConv2D([]int{16, 14, 14}, 32, 3, 1, 1, "he", rng), []int{16, 14, 14}},
		{"Conv2D32to64", NewConv2D([]int{32, 7, 7}, 64, 3, 1, 1, "he", rng), []int{32, 7, 7}},
		{"MaxPool2D", NewMaxPool2D([]int{16, 28, 28}, 2, 2), []int{16, 28, 28}},
		{"BatchNormConv", NewBatchNorm([]int{16, 28, 28}, 1e-5, 0.1), []int{16, 28, 28}},
		{"BatchNormDense", NewBatchNorm([]int{128}, 1e-5, 0.1), []int{128}},
		{"Dropout", NewDropout(0.2, 1, 1), []int{128}},
		{"ReLU", &ReLU{}, []int{16, 28, 28}},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			x := randTensor(rng, append([]int{128}, c.in...)...)
			y := c.l.Forward(x, true)
			dy := randTensor(rng, y.Shape...)
			b.ReportAllocs()
			for b.Loop() {
				c.l.Forward(x, true)
				c.l.Backward(dy, true)
			}
		})
	}
}

// BenchmarkLayerThreads times training steps (forward, loss, backward) of
// the cnn on a batch of 128 with the layer passes split across threads
// ("parallel") and run on the calling goroutine ("serial", GEMM still
// threaded: the code before the split), alternating step by step in one
// process so both see the same load from other users of a shared machine.
// It reports the median step time of each and their ratio.
func BenchmarkLayerThreads(b *testing.B) {
	defer func() { serialLayers = false }()
	benchSwitch(b, 128, "parallel", "serial", func(second bool) { serialLayers = second })
}

// benchSwitch times training steps of one zoo cnn on batches of n, calling
// set(false) before the even steps and set(true) before the odd ones (a
// switch that keeps the bits), and reports the median step time of each
// as "NAME-ns/step" and the second's over the first's as "speedup".
func benchSwitch(b *testing.B, n int, nameA, nameB string, set func(second bool)) {
	step := cnnStep(n)
	step()
	var times [2][]time.Duration
	for i := 0; b.Loop(); i++ {
		set(i%2 == 1)
		times[i%2] = append(times[i%2], step())
	}
	ta, tb := median(times[0]), median(times[1])
	b.ReportMetric(ta, nameA+"-ns/step")
	b.ReportMetric(tb, nameB+"-ns/step")
	if ta > 0 {
		b.ReportMetric(tb/ta, "speedup")
	}
}

// cnnStep builds the zoo cnn and returns a training step (forward, loss,
// backward) on a batch of n MNIST-like images, which returns its time.
func cnnStep(n int) func() time.Duration {
	m, _ := Build(benchSpecs[2].spec, 1)
	x, labels := mnistLikeBatch(n)
	var loss SoftmaxCrossEntropy
	return func() time.Duration {
		t0 := time.Now()
		_, g, _ := loss.Forward(m.Forward(x, true), labels)
		m.Backward(g)
		return time.Since(t0)
	}
}

// fastSpec is the published fast MNIST recipe's network (issue 9): conv
// 5×5×24, max-pool, ReLU, conv 3×3×32, max-pool, ReLU, fc 256, fc 10, about
// 7.5 MFLOP per training image.
var fastSpec = Spec{Input: []int{1, 28, 28}, Layers: []LayerSpec{
	{Kind: "Conv2D", Filters: 24, Kernel: 5}, {Kind: "MaxPool2D"}, {Kind: "ReLU"},
	{Kind: "Conv2D", Filters: 32, Kernel: 3}, {Kind: "MaxPool2D"}, {Kind: "ReLU"},
	{Kind: "Flatten"}, {Kind: "Dense", Units: 256}, {Kind: "ReLU"}, {Kind: "Dense", Units: 10},
}}

// BenchmarkEngineEfficiency prints how much of the machine's GEMM rate a
// CNN training step reaches: a step costs about 3 × the forward FLOPs per
// image (forward, input gradient, weight gradient), so
//
//	efficiency = 3 · FLOPs per image · images/s ÷ (GEMM GFLOP/s on 1024³)
//
// with the GEMM rate measured in the same run, at the same thread count
// (tensor.Threads(), all cores by default), for the zoo's cnn (batches 64
// and 128), its cnn-fast (batch 128) and the published fast recipe's
// network (batch 256).
//
// A shared machine's speed drifts within seconds, so the steps run in
// effRounds rounds, each followed (outside the timer) by a GEMM sample of
// effSample, and the efficiency reported is the median of the rounds'
// ratios: a step chunk and the GEMM sample next to it see the same load.
// images/s and GEMM-GFLOP/s are the medians of the rounds' figures. Run
// it on a quiet machine:
//
//	go test -run '^$' -bench EngineEfficiency -benchtime 3s ./nn
func BenchmarkEngineEfficiency(b *testing.B) {
	const n = 1024
	r := rand.New(rand.NewPCG(1, 1))
	ga, gb, gc := make([]float32, n*n), make([]float32, n*n), make([]float32, n*n)
	for i := range ga {
		ga[i], gb[i] = r.Float32()-0.5, r.Float32()-0.5
	}
	gemmRate := func() float64 { // GFLOP/s over one sample of effSample
		calls, start := 0, time.Now()
		for time.Since(start) < effSample {
			tensor.Gemm(tensor.NoTrans, tensor.NoTrans, n, n, n, 1, ga, n, gb, n, 0, gc, n)
			calls++
		}
		return 2 * n * n * n * float64(calls) / time.Since(start).Seconds() / 1e9
	}
	gemmRate() // warm the packing buffers and the pool
	specs := []struct {
		name  string
		spec  Spec
		batch int
	}{{"cnn", benchSpecs[2].spec, 64}, {"cnn", benchSpecs[2].spec, 128}, {"cnn-fast", benchSpecs[3].spec, 128}, {"fast", fastSpec, 256}}
	for _, s := range specs {
		b.Run(fmt.Sprintf("%s/batch=%d", s.name, s.batch), func(b *testing.B) {
			m, err := Build(s.spec, 1)
			if err != nil {
				b.Fatal(err)
			}
			x, labels := mnistLikeBatch(s.batch)
			var loss SoftmaxCrossEntropy
			step := func() {
				_, g, _ := loss.Forward(m.Forward(x, true), labels)
				m.Backward(g)
			}
			step()
			per := max(1, b.N/effRounds)
			var imgs, rates, effs []float64
			b.ResetTimer()
			for done := 0; done < b.N; {
				k := min(per, b.N-done)
				start := time.Now()
				for range k {
					step()
				}
				ips := float64(s.batch*k) / time.Since(start).Seconds()
				done += k
				b.StopTimer()
				rate := gemmRate()
				b.StartTimer()
				imgs, rates = append(imgs, ips), append(rates, rate)
				effs = append(effs, efficiency(m.FLOPs(), ips, rate))
			}
			b.ReportMetric(median(imgs), "images/s")
			b.ReportMetric(median(rates), "GEMM-GFLOP/s")
			b.ReportMetric(median(effs), "%efficiency")
		})
	}
}

// BenchmarkStepSpread times the zoo cnn's training steps (batch 64) one by
// one and reports the fastest, the median and the 90th percentile: on a
// shared machine the spread between them, not the kernels, decides a
// single run of BenchmarkEngineEfficiency (which takes the mean):
//
//	go test -run '^$' -bench StepSpread -benchtime 200x ./nn
func BenchmarkStepSpread(b *testing.B) {
	step := cnnStep(64)
	step()
	var d []time.Duration
	for b.Loop() {
		d = append(d, step())
	}
	slices.Sort(d)
	b.ReportMetric(float64(d[0]), "min-ns/step")
	b.ReportMetric(median(d), "median-ns/step")
	b.ReportMetric(float64(d[len(d)*9/10]), "p90-ns/step")
}

// BenchmarkStepLayers times each layer's forward and backward pass of the
// zoo cnn's training steps (batch 64) on one thread and on two, the two
// budgets alternating in blocks of stepBlock steps (step by step, each
// step would find its data in the other budget's caches; the first step
// of a block is not timed), and logs a table of the medians (µs) with the
// two-thread speedup of each pass; the metrics are the two budgets' summed
// medians. Layers a neighbour runs (fuse.go) are skipped, as Sequential
// skips them:
//
//	go test -run '^$' -bench StepLayers -benchtime 200x -v ./nn
func BenchmarkStepLayers(b *testing.B) {
	m, _ := Build(benchSpecs[2].spec, 1)
	x, labels := mnistLikeBatch(64)
	var loss SoftmaxCrossEntropy
	n := len(m.Layers)
	var times [2][][]time.Duration // [budget][pass] with pass i forward, n+i backward
	for t := range times {
		times[t] = make([][]time.Duration, 2*n)
	}
	step := func(t int, keep bool) {
		m.SetThreads(t + 1)
		h := x
		for i, l := range m.Layers {
			if !m.isFolded(i) {
				t0 := time.Now()
				h = l.Forward(h, true)
				if keep {
					times[t][i] = append(times[t][i], time.Since(t0))
				}
			}
		}
		_, g, _ := loss.Forward(h, labels)
		for i := n - 1; i >= 0; i-- {
			if !m.isFolded(i) {
				t0 := time.Now()
				g = m.Layers[i].Backward(g, i > 0)
				if keep {
					times[t][n+i] = append(times[t][n+i], time.Since(t0))
				}
			}
		}
	}
	const stepBlock = 20
	for i := 0; b.Loop(); i++ {
		step(i/stepBlock%2, i%stepBlock != 0)
	}
	m.SetThreads(0)
	var sum [2]float64
	var tab strings.Builder
	fmt.Fprintf(&tab, "%-14s %9s %9s %6s %9s %9s %6s\n", "layer", "fwd 1T", "fwd 2T", "×", "bwd 1T", "bwd 2T", "×")
	for i, l := range m.Layers {
		if m.isFolded(i) {
			continue
		}
		var us [2][2]float64 // [budget][forward, backward]
		for t := range times {
			for k := range 2 {
				us[t][k] = median(times[t][k*n+i]) / 1e3
				sum[t] += us[t][k]
			}
		}
		fmt.Fprintf(&tab, "%2d %-11s %9.0f %9.0f %6.2f %9.0f %9.0f %6.2f\n", i, l.Kind(),
			us[0][0], us[1][0], us[0][0]/max(us[1][0], 1e-9), us[0][1], us[1][1], us[0][1]/max(us[1][1], 1e-9))
	}
	b.Logf("medians, µs per pass\n%s", tab.String())
	b.ReportMetric(sum[0], "1T-µs/step")
	b.ReportMetric(sum[1], "2T-µs/step")
}

// The rounds of BenchmarkEngineEfficiency and the length of each GEMM
// sample.
const (
	effRounds = 9
	effSample = 150 * time.Millisecond
)

// efficiency is the share (in %) of a GEMM rate of gflops that training
// at imgs images/s reaches, a step costing 3 × flops per image.
func efficiency(flops int64, imgs, gflops float64) float64 {
	return 100 * 3 * float64(flops) * imgs / (gflops * 1e9)
}

// BenchmarkFusion times training steps (forward, loss, backward) of a
// model run fused (as Build makes it: fuse.go) and unfused, alternating
// step by step in one process so both see the same load from other users
// of a shared machine, and reports the median step time of each and their
// ratio:
//
//	go test -run '^$' -bench Fusion -benchtime 200x ./nn
func BenchmarkFusion(b *testing.B) {
	benchAlternate(b, "fused", "unfused", func(fused, plain *Sequential) { plain.unfuse() })
}

// BenchmarkConvParts times training steps of the zoo cnn (batch 64) with
// the convolutions' products cut into partitions as nparts decides and into
// one per example up to maxParts (the cut before), alternating step by
// step on one model (the bits are the same), and reports the median step
// time of each and their ratio:
//
//	go test -run '^$' -bench ConvParts -benchtime 300x -cpu 1,2 ./nn
func BenchmarkConvParts(b *testing.B) {
	defer func(c int) { partCols = c }(partCols)
	cols := partCols
	benchSwitch(b, 64, "nparts", "per-example", func(second bool) {
		partCols = cols
		if second {
			partCols = 1
		}
	})
}

// BenchmarkConvBN is BenchmarkFusion for the convolution and batch norm
// pairs alone (the second model's pairs run apart, its ReLUs stay in the
// pools):
//
//	go test -run '^$' -bench ConvBN -benchtime 200x ./nn
func BenchmarkConvBN(b *testing.B) {
	benchAlternate(b, "exchanged", "apart", func(_, apart *Sequential) {
		for _, l := range apart.Layers {
			if c, ok := l.(*Conv2D); ok && c.bn != nil {
				c.bn.conv, c.bn = nil, nil
			}
		}
	})
}

// benchAlternate builds the cnn and cnn-fast networks twice each, lets
// setup make the two differ, and times training steps of the two
// alternately (the first of each is a warm-up), reporting each one's
// median step time as "NAME-ns/step" and the second's over the first's as
// the first's speedup.
func benchAlternate(b *testing.B, nameA, nameB string, setup func(a, bm *Sequential)) {
	for _, c := range []struct {
		name  string
		spec  Spec
		batch int
	}{{"cnn", benchSpecs[2].spec, 64}, {"fast", fastSpec, 128}} {
		b.Run(fmt.Sprintf("%s/batch=%d", c.name, c.batch), func(b *testing.B) {
			ma, _ := Build(c.spec, 1)
			mb, _ := Build(c.spec, 1)
			setup(ma, mb)
			x, labels := mnistLikeBatch(c.batch)
			var loss SoftmaxCrossEntropy
			step := func(m *Sequential) time.Duration {
				t0 := time.Now()
				_, g, _ := loss.Forward(m.Forward(x, true), labels)
				m.Backward(g)
				return time.Since(t0)
			}
			step(ma)
			step(mb)
			var times [2][]time.Duration
			for i := 0; b.Loop(); i++ {
				m := ma
				if i%2 == 1 {
					m = mb
				}
				times[i%2] = append(times[i%2], step(m))
			}
			ta, tb := median(times[0]), median(times[1])
			b.ReportMetric(ta, nameA+"-ns/step")
			b.ReportMetric(tb, nameB+"-ns/step")
			if ta > 0 {
				b.ReportMetric(tb/ta, "speedup")
			}
		})
	}
}

// median is the median of v (the upper of the middle two for an even
// count; 0 for none) as a float64, durations in nanoseconds; it sorts v.
func median[T time.Duration | float64](v []T) float64 {
	if len(v) == 0 {
		return 0
	}
	slices.Sort(v)
	return float64(v[len(v)/2])
}

// BenchmarkConvPatches times training steps of the cnn and cnn-fast
// networks with the convolutions' patch matrices packed straight from the
// images by both products (tensor.GemmPatches) and stored by the forward
// pass and read again by the weight gradient, alternating step by step,
// and reports the median step time of each and their ratio (what
// Conv2D.storePatches decides by; "speedup" is packing's):
//
//	go test -run '^$' -bench ConvPatches -benchtime 200x ./nn
func BenchmarkConvPatches(b *testing.B) {
	benchAlternate(b, "packed", "stored", func(packed, stored *Sequential) {
		for i, l := range packed.Layers {
			if cv, ok := l.(*Conv2D); ok {
				cv.patchMode = patchesPacked
				stored.Layers[i].(*Conv2D).patchMode = patchesStored
			}
		}
	})
}

// BenchmarkConvFirst times one training step (forward, then the weight and
// bias gradients without dx, as for a network's first layer) of the zoo
// cnn's and cnn-fast's first convolutions on a batch of 64 MNIST-like
// images, on one thread, by the direct path (tensor.Direct1, forced for
// cnn-fast's 5×5, which useDirect leaves on GEMM) and by GEMM with the
// patches as storePatches chooses them (packed, for cnn's "same" 3×3 and
// cnn-fast's "valid" 5×5). On a shared machine compare
// instruction counts rather than times:
//
//	go test -c -o /tmp/nn.test ./nn && GODEBUG=asyncpreemptoff=1 valgrind --tool=callgrind \
//		/tmp/nn.test -test.run '^$' -test.bench 'ConvFirst/cnn/direct' -test.benchtime 3x
func BenchmarkConvFirst(b *testing.B) {
	for _, c := range []struct {
		name    string
		filters int
		k, pad  int
		gemm    patchMode
	}{{"cnn", 16, 3, 1, patchesPacked}, {"fast", 24, 5, 0, patchesPacked}} {
		for _, path := range []struct {
			name string
			mode patchMode
		}{{"direct", patchesDirect}, {"gemm", c.gemm}} {
			b.Run(c.name+"/"+path.name, func(b *testing.B) {
				rng := rand.New(rand.NewPCG(1, 2))
				cv := NewConv2D([]int{1, 28, 28}, c.filters, c.k, 1, c.pad, "he", rng)
				cv.patchMode = path.mode
				cv.setThreads(1)
				x, _ := mnistLikeBatch(64)
				dy := randTensor(rng, cv.Forward(x, true).Shape...)
				cv.Backward(dy, false)
				b.ReportAllocs()
				for b.Loop() {
					cv.Forward(x, true)
					cv.Backward(dy, false)
				}
			})
		}
	}
}

// TestEfficiencyMath holds BenchmarkEngineEfficiency's arithmetic to
// hand-computed cases.
func TestEfficiencyMath(t *testing.T) {
	if got := median([]float64{3, 1, 2}); got != 2 {
		t.Errorf("median(3, 1, 2) = %v; want 2", got)
	}
	if got := median([]float64{4, 1, 3, 2}); got != 3 {
		t.Errorf("median(4, 1, 3, 2) = %v; want 3 (the upper middle)", got)
	}
	if got := median([]time.Duration{3 * time.Microsecond, time.Microsecond}); got != 3000 {
		t.Errorf("median(3µs, 1µs) = %v ns; want 3000", got)
	}
	// 3 × 4.09 MFLOP × 1,000 images/s = 12.27 GFLOP/s of 100: 12.27 %.
	if got := efficiency(4_090_000, 1000, 100); math.Abs(got-12.27) > 1e-9 {
		t.Errorf("efficiency = %v; want 12.27", got)
	}
}
