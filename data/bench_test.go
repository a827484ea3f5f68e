package data

import (
	"fmt"
	"testing"
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
