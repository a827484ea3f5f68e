package gemm

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/rakam-ml/rakam/mnist"
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

// convShapes are the zoo cnn's convolution products at batch 64 (M×K×N
// and the operands' storage): forward W·col, weight gradient dY·colᵀ and
// input gradient Wᵀ·dY for its three layers.
var convShapes = []struct {
	name    string
	tA, tB  bool
	m, k, n int
}{
	{"conv1-fwd", false, false, 16, 9, 50176}, {"conv2-fwd", false, false, 32, 144, 12544}, {"conv3-fwd", false, false, 64, 288, 3136},
	{"conv1-dW", false, true, 16, 50176, 9}, {"conv2-dW", false, true, 32, 12544, 144}, {"conv3-dW", false, true, 64, 3136, 288},
	{"conv2-dX", true, false, 144, 32, 12544}, {"conv3-dX", true, false, 288, 64, 3136},
}

// BenchmarkConvShapes times the conv products through every kernel this
// CPU runs, on one thread, and as Sgemm plans them (plan/..., the kernel
// and packing it picks) on one and two threads, as bench/gemm/run.sh runs
// them against OpenBLAS.
func BenchmarkConvShapes(b *testing.B) {
	for _, s := range convShapes {
		for _, th := range []int{1, 2} {
			b.Run(fmt.Sprintf("%s/plan/%dx%dx%d/threads=%d", s.name, s.m, s.k, s.n, th), func(b *testing.B) {
				withThreads(b, th)
				benchShape(b, s.tA, s.tB, s.m, s.n, s.k)
			})
		}
	}
	for _, kern := range kernels() {
		if strings.HasSuffix(kern.name, goPack) {
			continue
		}
		for _, s := range convShapes {
			b.Run(fmt.Sprintf("%s/%s/%dx%dx%d", s.name, kern.name, s.m, s.k, s.n), func(b *testing.B) {
				withKernel(b, kern)
				withThreads(b, 1)
				benchShape(b, s.tA, s.tB, s.m, s.n, s.k)
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

// BenchmarkSkip times the first layer's two products on the first 128
// MNIST test images scaled to [0, 1] (18 % non-zero) and on an A as sparse
// with the zeros placed at random, with zero skipping and with the dense
// kernels alone on the same data: images·W (128×784 by 784×128) and imagesᵀ·dY (the
// weight gradient, 784×128 by 128×128). GFLOP/s count the dense product's
// flops, so the two paths' figures compare directly.
func BenchmarkSkip(b *testing.B) {
	const m, n, k = 128, 128, 784
	r := rand.New(rand.NewPCG(2, 2))
	inputs := map[string][]float32{"random": sparseSlice(r, m*k, 0.19)}
	set, err := mnist.LoadTest("")
	if dir, lerr := mnist.Locate(""); lerr == nil {
		set, err = mnist.LoadTest(dir)
	}
	if err == nil {
		x := make([]float32, m*k)
		for i := range x {
			x[i] = float32(set.Images[i]) / 255
		}
		inputs["mnist"] = x
	} else {
		b.Logf("MNIST not found (%v); random input only", err)
	}
	w, dy := randSlice(r, k*n), randSlice(r, m*n)
	y, dw := make([]float32, m*n), make([]float32, k*n)
	for _, data := range []string{"mnist", "random"} {
		x := inputs[data]
		if x == nil {
			continue
		}
		for _, path := range []string{"skip", "dense"} {
			for _, th := range []int{1, 2} {
				for _, op := range []string{"fwd", "dW"} {
					b.Run(fmt.Sprintf("%s/%s/%s/threads=%d", data, op, path, th), func(b *testing.B) {
						withThreads(b, th)
						old := skipOff
						skipOff = path == "dense"
						defer func() { skipOff = old }()
						f := func() { Sgemm(false, false, m, n, k, 1, x, k, w, n, 0, y, n) }
						if op == "dW" {
							f = func() { Sgemm(true, false, k, n, m, 1, x, k, dy, n, 0, dw, n) }
						}
						f()
						b.ReportAllocs()
						b.ResetTimer()
						for range b.N {
							f()
						}
						b.ReportMetric(2*m*n*k*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
					})
				}
			}
		}
	}
}

// BenchmarkPackGather times packGather, the transposing pack (A stored
// NoTrans, B stored Trans), for every kernel's panel widths, with the AVX2
// transposing routine and with the Go loops: one KC block of 256 depths of
// 128 rows, from a row-major operand with a long stride (a conv layer's
// weight gradient packs its patch matrix this way).
func BenchmarkPackGather(b *testing.B) {
	const rows, kc, ld = 128, 256, 6272
	r := rand.New(rand.NewPCG(1, 1))
	x := randSlice(r, rows*ld)
	for _, w := range []int{4, 6, 8, 14, 16, 32, 48} {
		for _, asm := range []bool{true, false} {
			if asm && !packAVX2 {
				continue
			}
			b.Run(fmt.Sprintf("w=%d/avx2=%v", w, asm), func(b *testing.B) {
				old := packAVX2
				packAVX2 = asm
				defer func() { packAVX2 = old }()
				dst := make([]float32, ((rows+w-1)/w)*w*kc+8)
				b.SetBytes(4 * rows * kc)
				for range b.N {
					packGather(dst, x, ld, 0, rows, 0, kc, w)
				}
			})
		}
	}
}
