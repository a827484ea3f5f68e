package data

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/rakam-ml/rakam/mnist"
)

// benchEpoch measures batches per second over full epochs of a synthetic
// 10000-image set of 28x28, batch 64.
func benchEpoch(b *testing.B, aug *Augment, workers int) {
	set := synthSet(10000, 28, 28)
	l, err := NewLoader(set, 64, Options{Shuffle: true, Seed: 1, Augment: aug, Workers: workers})
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(64 * 28 * 28))
	b.ReportAllocs()
	it := l.Epoch(0)
	epoch, batches := 0, 0
	for b.Loop() {
		if _, _, ok := it.Next(); !ok {
			epoch++
			it = l.Epoch(epoch)
			it.Next()
		}
		batches++
	}
	it.Close()
	b.ReportMetric(float64(batches)/b.Elapsed().Seconds(), "batches/s")
}

func BenchmarkLoader(b *testing.B) {
	for _, w := range []int{1, 2} {
		b.Run(fmt.Sprintf("plain/workers=%d", w), func(b *testing.B) { benchEpoch(b, nil, w) })
		b.Run(fmt.Sprintf("affine/workers=%d", w), func(b *testing.B) { benchEpoch(b, DefaultAugment(), w) })
		b.Run(fmt.Sprintf("elastic/workers=%d", w), func(b *testing.B) {
			a := DefaultAugment()
			a.ElasticAlpha, a.ElasticSigma = 34, 4
			benchEpoch(b, a, w)
		})
	}
}

func BenchmarkNormalize(b *testing.B) {
	src := make([]uint8, 64*784)
	dst := make([]float32, len(src))
	b.SetBytes(int64(len(src)))
	b.ReportAllocs()
	for b.Loop() {
		Normalize(dst, src)
	}
}

func BenchmarkAugmentApply(b *testing.B) {
	for _, tc := range []struct {
		name string
		a    Augment
	}{
		{"affine", *DefaultAugment()},
		{"elastic", Augment{MaxShift: 2, MaxRotate: 10, MinScale: 0.9, MaxScale: 1.1, ElasticAlpha: 34, ElasticSigma: 4}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			g, err := NewAugmenter(tc.a, 28, 28)
			if err != nil {
				b.Fatal(err)
			}
			src := synthSet(1, 28, 28).Images
			dst := make([]float32, 784)
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				g.Apply(dst, src, 1, 1, i)
				i++
			}
		})
	}
}

// BenchmarkResample times the affine resampling of real MNIST digits (the
// first 1,000 test images, random warps as DefaultAugment draws them): the
// ink-box path the augmenter takes and the per-pixel formula it replaced
// (resampleField, the same bits).
func BenchmarkResample(b *testing.B) {
	dir, err := mnist.Locate("")
	if err != nil {
		b.Fatal(err)
	}
	test, err := mnist.LoadTest(dir)
	if err != nil {
		b.Fatal(err)
	}
	const n = 1000
	r := rand.New(rand.NewPCG(1, 1))
	warps := make([]warp, n)
	for i := range warps {
		warps[i] = warp{rotate: (2*r.Float64() - 1) * 10 * math.Pi / 180, scale: 0.9 + 0.2*r.Float64(),
			shiftX: (2*r.Float64() - 1) * 2, shiftY: (2*r.Float64() - 1) * 2}
	}
	dst, pad := make([]float32, 784), make([]uint8, 30*30)
	for _, tc := range []struct {
		name string
		f    func(i int)
	}{
		{"affine", func(i int) { resampleAffine(dst, test.Images[i*784:(i+1)*784], pad, 28, 28, warps[i]) }},
		{"field", func(i int) { resampleField(dst, test.Images[i*784:(i+1)*784], 28, 28, warps[i], nil, nil) }},
	} {
		b.Run(tc.name, func(b *testing.B) {
			i := 0
			for b.Loop() {
				tc.f(i % n)
				i++
			}
		})
	}
}
