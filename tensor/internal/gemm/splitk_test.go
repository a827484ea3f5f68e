package gemm

import (
	"math"
	"math/rand/v2"
	"strings"
	"sync/atomic"
	"testing"
)

// TestSplitKSameBits checks that products split by k blocks (weight
// gradients: few rows and columns, long k) give the bits of the same
// product on one thread, on every kernel, transpose case, alpha and beta 0
// and 1, with a mostly-zero A (zero skipping) among them; and that split-K
// really ran.
func TestSplitKSameBits(t *testing.T) {
	var ran atomic.Int64
	splitKRan = func() { ran.Add(1) }
	defer func() { splitKRan = nil }()
	shapes := []struct{ m, n, k int }{{16, 9, 3000}, {32, 144, 1500}, {5, 3, 1030}, {24, 25, 2100}, {1, 1, 1024}, {4, 6, 12000}}
	for _, kern := range kernels() {
		t.Run(kern.name, func(t *testing.T) {
			withKernel(t, kern)
			r := rand.New(rand.NewPCG(5, 6))
			before := ran.Load()
			for si, sh := range shapes {
				m, n, k := sh.m, sh.n, sh.k
				for _, tA := range []bool{false, true} {
					for _, tB := range []bool{false, true} {
						for _, beta := range []float32{0, 1} {
							alpha := float32(1)
							if si%2 == 1 {
								alpha = 0.75
							}
							a, b := randSlice(r, m*k), randSlice(r, k*n)
							if si == 0 { // mostly zeros, as a pooled layer's gradient
								for i := range a {
									if i%7 != 0 {
										a[i] = 0
									}
								}
							}
							lda, ldb := k, n
							if tA {
								lda = m
							}
							if tB {
								ldb = k
							}
							c0 := randSlice(r, m*n)
							want := append([]float32(nil), c0...)
							SgemmThreads(1, tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, want, n)
							for _, th := range []int{2, 3} {
								got := append([]float32(nil), c0...)
								SgemmThreads(th, tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, got, n)
								for i := range got {
									if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
										t.Fatalf("%dx%dx%d tA=%v tB=%v alpha=%v beta=%v, %d threads: c[%d] = %v, one thread %v",
											m, n, k, tA, tB, alpha, beta, th, i, got[i], want[i])
									}
								}
							}
						}
					}
				}
			}
			if ran.Load() == before {
				t.Error("no product ran split by k blocks")
			}
		})
	}
}

// TestUseSplitK pins when split-K is chosen: weight gradients of the zoo's
// convolutions yes (on the AVX kernels, whose tiles are too large to share
// them by rows), square and wide
// products and beta ≠ 0, 1 no.
func TestUseSplitK(t *testing.T) {
	for _, c := range []struct {
		m, n, k int
		beta    float32
		want    bool
	}{
		{16, 9, 50176, 1, true},      // conv 1→16 weight gradient, batch 64
		{32, 144, 12544, 1, true},    // conv 16→32
		{1024, 1024, 1024, 0, false}, // square: rows and columns share well
		{128, 128, 784, 0, false},
		{16, 9, 50176, 0.5, false},
		{16, 9, 512, 1, false}, // two k blocks: not worth it
	} {
		a := make([]float32, c.m*c.k)
		for i := range a {
			a[i] = 1
		}
		kern, _ := plan(active, false, c.m, c.n, c.k, a, c.k)
		j := job{kern: kern, m: c.m, n: c.n, k: c.k, kc: kern.kcFor(c.k), beta: c.beta, transB: true}
		j.partition(2)
		// The AVX kernels' tall tiles leave a thread idle on the first
		// gradient, and on the second k is long enough (splitKLong) for
		// split-K to save packing A on both threads (measured on those
		// kernels). NEON's and Go's tiles decide by the same rule but
		// were not measured: only the cases that must not split are
		// checked there.
		got := useSplitK(&j, 2)
		if c.want && !strings.HasPrefix(kern.name, "avx") {
			continue
		}
		if want := c.want; got != want {
			t.Errorf("%s: %dx%dx%d beta %v: split-K %v, want %v", kern.name, c.m, c.n, c.k, c.beta, got, c.want)
		}
	}
}

// TestSwapSameBits checks that small products run transposed (Cᵀ =
// op(B)ᵀ·op(A)ᵀ, where the transpose tiles better) give the bits of the
// same products run as they are, on every kernel, transpose case, alpha,
// beta (including beta ∉ {0, 1}, whose C is read through the transposed
// copy) and 1 or 2 threads (split-K included: k = 3000 is 12 blocks),
// with op(B) stored or packed by a Source (which then packs the
// transposed product's A); and that some of each ran transposed.
func TestSwapSameBits(t *testing.T) {
	var ran, ranSrc atomic.Int64
	swapRan = func() { ran.Add(1) }
	defer func() { swapRan = nil }()
	shapes := []struct{ m, n, k int }{{16, 9, 3000}, {13, 5, 1500}, {16, 9, 300}, {3, 2, 7}, {40, 3, 2048}}
	for _, kern := range kernels() {
		t.Run(kern.name, func(t *testing.T) {
			withKernel(t, kern)
			r := rand.New(rand.NewPCG(7, 8))
			for _, sh := range shapes {
				m, n, k := sh.m, sh.n, sh.k
				for _, tA := range []bool{false, true} {
					for _, tB := range []bool{false, true} {
						for _, ab := range [][2]float32{{1, 0}, {1, 1}, {0.7, 0.5}} {
							a, b := randSlice(r, m*k), randSlice(r, k*n)
							lda, ldb := k, n
							if tA {
								lda = m
							}
							if tB {
								ldb = k
							}
							ldc := n + 3 // C inside a wider matrix
							c0 := randSlice(r, m*ldc)
							noSwap = true
							want := append([]float32(nil), c0...)
							SgemmThreads(1, tA, tB, m, n, k, ab[0], a, lda, b, ldb, ab[1], want, ldc)
							noSwap = false
							for _, th := range []int{1, 2} {
								got := append([]float32(nil), c0...)
								SgemmThreads(th, tA, tB, m, n, k, ab[0], a, lda, b, ldb, ab[1], got, ldc)
								if i := sameBits(got, want); i >= 0 {
									t.Fatalf("%dx%dx%d tA=%v tB=%v alpha,beta=%v, %d threads: c[%d] = %v, as is %v",
										m, n, k, tA, tB, ab, th, i, got[i], want[i])
								}
								got = append(got[:0], c0...)
								before := ran.Load()
								SgemmFrom(th, tA, tB, m, n, k, ab[0], a, lda, &matSource{b, ldb, tB}, ab[1], got, ldc)
								ranSrc.Add(ran.Load() - before)
								if i := sameBits(got, want); i >= 0 {
									t.Fatalf("%dx%dx%d tA=%v tB=%v alpha,beta=%v, %d threads, B from a source: c[%d] = %v, as is %v",
										m, n, k, tA, tB, ab, th, i, got[i], want[i])
								}
							}
						}
					}
				}
			}
			if strings.HasPrefix(kern.name, "avx2_6x16") && (ran.Load() == 0 || ranSrc.Load() == 0) {
				t.Errorf("on the 6×16 kernel %d products ran transposed, %d of them from a source; want some of each", ran.Load(), ranSrc.Load())
			}
		})
	}
}

// matSource packs op(B) from a matrix as Sgemm would (a Source for tests):
// b stored as is (k×n, stride ld) or transposed (n×k).
type matSource struct {
	b      []float32
	ld     int
	transB bool
}

func (s *matSource) TmpSize(nc, kc, w int) int { return 0 }

func (s *matSource) PackB(dst, tmp []float32, j0, nc, p0, kc, w int) {
	if s.transB {
		PackCols(dst, s.b, s.ld, j0, nc, p0, kc, w)
	} else {
		PackRows(dst, s.b, s.ld, j0, nc, p0, kc, w)
	}
}
