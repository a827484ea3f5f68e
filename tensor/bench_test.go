package tensor

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// gemmShape is one product rakam runs: C (m×n) = op(A)·op(B) with depth k.
type gemmShape struct {
	name    string
	tA, tB  Transpose
	m, n, k int
}

// rakamShapes are the products of the study's networks: the 784-128-10
// MLP forward and backward at batch 64 and 128, and the CNN's convolutions
// lowered with Im2Col at batch 128 (conv1: 1→32 channels, 5×5 on 28×28;
// conv2: 32→64 channels, 5×5 on 14×14, both with padding 2).
var rakamShapes = []gemmShape{
	{"mlp64/fwd1", NoTrans, NoTrans, 64, 128, 784},
	{"mlp64/fwd2", NoTrans, NoTrans, 64, 10, 128},
	{"mlp64/dW1", Trans, NoTrans, 784, 128, 64},
	{"mlp64/dW2", Trans, NoTrans, 128, 10, 64},
	{"mlp64/dH", NoTrans, Trans, 64, 128, 10},
	{"mlp128/fwd1", NoTrans, NoTrans, 128, 128, 784},
	{"mlp128/fwd2", NoTrans, NoTrans, 128, 10, 128},
	{"mlp128/dW1", Trans, NoTrans, 784, 128, 128},
	{"mlp128/dH", NoTrans, Trans, 128, 128, 10},
	{"cnn128/conv1", NoTrans, NoTrans, 32, 128 * 784, 25},
	{"cnn128/conv2", NoTrans, NoTrans, 64, 128 * 196, 800},
	{"cnn128/conv2dW", NoTrans, Trans, 64, 800, 128 * 196},
	{"cnn128/conv2dX", Trans, NoTrans, 800, 128 * 196, 64},
	{"square/128x784x128", NoTrans, NoTrans, 128, 128, 784},
	{"square/1024", NoTrans, NoTrans, 1024, 1024, 1024},
}

// BenchmarkGemm runs Gemm with one thread and with Threads() threads, and
// the naive triple loop gemmRef, side by side at rakam's shapes. The naive
// loop is skipped above 2²⁷ multiply-adds, where one call takes seconds.
func BenchmarkGemm(b *testing.B) {
	for _, s := range rakamShapes {
		lda, ldb := s.k, s.n
		if s.tA {
			lda = s.m
		}
		if s.tB {
			ldb = s.k
		}
		var a, bm, c []float32 // made on first use, so filtered-out shapes cost nothing
		flops := 2 * float64(s.m) * float64(s.n) * float64(s.k)
		run := func(b *testing.B, f func(Transpose, Transpose, int, int, int, float32, []float32, int, []float32, int, float32, []float32, int)) {
			if a == nil {
				r := rand.New(rand.NewPCG(1, 2))
				a, bm, c = randSlice(r, s.m*s.k), randSlice(r, s.k*s.n), make([]float32, s.m*s.n)
			}
			f(s.tA, s.tB, s.m, s.n, s.k, 1, a, lda, bm, ldb, 0, c, s.n)
			b.ReportAllocs()
			b.ResetTimer()
			cpu0 := cpuTime()
			for range b.N {
				f(s.tA, s.tB, s.m, s.n, s.k, 1, a, lda, bm, ldb, 0, c, s.n)
			}
			cpu := cpuTime() - cpu0
			b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
			if cpu > 0 {
				b.ReportMetric(flops*float64(b.N)/cpu.Seconds()/1e9, "GFLOP/cpu-s")
			}
		}
		counts := []int{1}
		if t := Threads(); t > 1 {
			counts = append(counts, t)
		}
		for _, th := range counts {
			b.Run(fmt.Sprintf("%s/fast/threads=%d", s.name, th), func(b *testing.B) {
				defer SetThreads(Threads())
				SetThreads(th)
				run(b, Gemm)
			})
		}
		if float64(s.m)*float64(s.n)*float64(s.k) <= 1<<27 {
			b.Run(s.name+"/naive", func(b *testing.B) { run(b, gemmRef) })
		}
	}
}

// BenchmarkBiasReLU compares the fused AddBiasReLU with AddRowVector then
// ReLU on the MLP's hidden layer at batch 128.
func BenchmarkBiasReLU(b *testing.B) {
	const m, n = 128, 128
	r := rand.New(rand.NewPCG(3, 4))
	x, bias := randSlice(r, m*n), randSlice(r, n)
	b.Run("fused", func(b *testing.B) {
		b.SetBytes(4 * m * n)
		b.ReportAllocs()
		for range b.N {
			AddBiasReLU(m, n, x, n, bias)
		}
	})
	b.Run("separate", func(b *testing.B) {
		b.SetBytes(4 * m * n)
		b.ReportAllocs()
		for range b.N {
			AddRowVector(m, n, x, n, bias)
			ReLU(x, x)
		}
	})
}

// BenchmarkIm2Col lowers one 32×14×14 image for a 5×5 convolution with
// padding 2, the CNN's second layer.
func BenchmarkIm2Col(b *testing.B) {
	// "same" padding (the zoo cnn's), and "valid" (no padding: cnn-fast's
	// 5×5 on 28×28 and 3×3 on 12×12 with 24 channels), one image each.
	for _, g := range []struct {
		name          string
		c, h, w, k, p int
	}{{"same/32x14x14/5x5", 32, 14, 14, 5, 2}, {"valid/1x28x28/5x5", 1, 28, 28, 5, 0}, {"valid/24x12x12/3x3", 24, 12, 12, 3, 0}} {
		b.Run(g.name, func(b *testing.B) {
			r := rand.New(rand.NewPCG(5, 6))
			x := randSlice(r, g.c*g.h*g.w)
			oh, ow := ConvOut(g.h, g.k, 1, g.p), ConvOut(g.w, g.k, 1, g.p)
			col := make([]float32, g.c*g.k*g.k*oh*ow)
			b.SetBytes(int64(4 * len(col)))
			b.ReportAllocs()
			for range b.N {
				Im2Col(col, oh*ow, x, g.c, g.h, g.w, g.k, g.k, 1, g.p)
			}
		})
		b.Run("col2im/"+g.name, func(b *testing.B) {
			r := rand.New(rand.NewPCG(5, 6))
			x := make([]float32, g.c*g.h*g.w)
			oh, ow := ConvOut(g.h, g.k, 1, g.p), ConvOut(g.w, g.k, 1, g.p)
			col := randSlice(r, g.c*g.k*g.k*oh*ow)
			b.SetBytes(int64(4 * len(col)))
			b.ReportAllocs()
			for range b.N {
				Col2Im(x, col, oh*ow, g.c, g.h, g.w, g.k, g.k, 1, g.p)
			}
		})
	}
}

// BenchmarkBytesToFloat normalises a batch of 1000 MNIST images (pixels to
// float32/255), what data.Normalize does before every forward pass.
func BenchmarkBytesToFloat(b *testing.B) {
	src := make([]uint8, 1000*784)
	for i := range src {
		src[i] = uint8(i * 7)
	}
	dst := make([]float32, len(src))
	b.SetBytes(int64(len(src)))
	b.ReportAllocs()
	for b.Loop() {
		BytesToFloat(dst, src, 255)
	}
}
