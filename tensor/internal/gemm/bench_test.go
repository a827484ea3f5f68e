package gemm

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

func benchShape(b *testing.B, tA, tB bool, m, n, k int) {
	r := rand.New(rand.NewPCG(1, 1))
	fill := func(n int) []float32 {
		s := make([]float32, n)
		for i := range s {
			s[i] = r.Float32() - 0.5
		}
		return s
	}
	a, bb, c := fill(m*k), fill(k*n), fill(m*n)
	lda, ldb := k, n
	if tA {
		lda = m
	}
	if tB {
		ldb = k
	}
	Sgemm(tA, tB, m, n, k, 1, a, lda, bb, ldb, 0, c, n)
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		Sgemm(tA, tB, m, n, k, 1, a, lda, bb, ldb, 0, c, n)
	}
	b.ReportMetric(2*float64(m)*float64(n)*float64(k)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
}

func BenchmarkKernels(b *testing.B) {
	for _, kern := range kernels() {
		for _, s := range [][3]int{{128, 784, 128}, {512, 512, 512}} {
			b.Run(fmt.Sprintf("%s/%dx%dx%d", kern.name, s[0], s[1], s[2]), func(b *testing.B) {
				withKernel(b, kern)
				withThreads(b, 1)
				benchShape(b, false, false, s[0], s[1], s[2])
			})
		}
	}
}

func BenchmarkTune(b *testing.B) {
	for _, s := range [][3]int{{128, 784, 128}, {1024, 1024, 1024}} {
		for _, th := range []int{1, 2} {
			b.Run(fmt.Sprintf("%dx%dx%d/threads=%d", s[0], s[1], s[2], th), func(b *testing.B) {
				withThreads(b, th)
				benchShape(b, false, false, s[0], s[1], s[2])
			})
		}
	}
}
