package tensor

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

func randSlice(r *rand.Rand, n int) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = r.Float32()*2 - 1
	}
	return s
}

// gemm64 is the float64 reference: C = alpha·op(A)·op(B) + beta·C.
func gemm64(tA, tB Transpose, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			var s float64
			for p := 0; p < k; p++ {
				av, bv := 0.0, 0.0
				if tA {
					av = float64(a[p*lda+i])
				} else {
					av = float64(a[i*lda+p])
				}
				if tB {
					bv = float64(b[j*ldb+p])
				} else {
					bv = float64(b[p*ldb+j])
				}
				s += av * bv
			}
			r := float64(alpha) * s
			if beta != 0 {
				r += float64(beta) * float64(c[i*ldc+j])
			}
			c[i*ldc+j] = float32(r)
		}
	}
}

// TestGemmOddShapes compares Gemm and the naive gemmRef with the float64
// reference on odd shapes, in every transpose case, on sub-slices with
// guard values around them.
func TestGemmOddShapes(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 1))
	shapes := [][3]int{{0, 3, 4}, {3, 0, 4}, {3, 4, 0}, {1, 1, 1}, {7, 33, 129}, {129, 7, 33}, {33, 129, 7}, {65, 67, 300}}
	const guard = float32(1e30)
	for _, sh := range shapes {
		m, n, k := sh[0], sh[1], sh[2]
		for _, tA := range []Transpose{NoTrans, Trans} {
			for _, tB := range []Transpose{NoTrans, Trans} {
				name := fmt.Sprintf("%dx%dx%d/tA=%v/tB=%v", m, n, k, tA, tB)
				lda, ldb, ldc := k+3, n+1, n+2
				if tA {
					lda = m + 3
				}
				if tB {
					ldb = k + 1
				}
				const off = 5
				a := randSlice(r, off+max(m, k)*lda+off)
				b := randSlice(r, off+max(n, k)*ldb+off)
				c0 := randSlice(r, off+m*ldc+off)
				for i := range c0 {
					if i < off || i >= off+m*ldc || (i-off)%ldc >= n {
						c0[i] = guard
					}
				}
				want := append([]float32(nil), c0...)
				gemm64(tA, tB, m, n, k, 1.5, a[off:], lda, b[off:], ldb, -0.5, want[off:], ldc)
				for _, impl := range []struct {
					name string
					f    func(Transpose, Transpose, int, int, int, float32, []float32, int, []float32, int, float32, []float32, int)
				}{{"Gemm", Gemm}, {"gemmRef", gemmRef}} {
					c := append([]float32(nil), c0...)
					impl.f(tA, tB, m, n, k, 1.5, a[off:], lda, b[off:], ldb, -0.5, c[off:], ldc)
					for i := range c {
						g, w := float64(c[i]), float64(want[i])
						if math.Abs(g-w) > 1e-5*float64(k+1)*(1+math.Abs(w)) {
							t.Fatalf("%s %s: c[%d] = %v; want %v", impl.name, name, i, g, w)
						}
					}
				}
			}
		}
	}
}

// TestGemmThreadsBitIdentical checks the documented guarantee at the API
// level: the same product gives the same bits for any thread count.
func TestGemmThreadsBitIdentical(t *testing.T) {
	defer SetThreads(Threads())
	r := rand.New(rand.NewPCG(2, 2))
	const m, n, k = 128, 130, 784
	a, b := randSlice(r, m*k), randSlice(r, n*k)
	var first []float32
	for _, th := range []int{1, 2, 3, 1} {
		SetThreads(th)
		if Threads() != th {
			t.Fatalf("Threads() = %d after SetThreads(%d)", Threads(), th)
		}
		c := make([]float32, m*n)
		Gemm(NoTrans, Trans, m, n, k, 1, a, k, b, k, 0, c, n)
		if first == nil {
			first = c
			continue
		}
		for i := range c {
			if math.Float32bits(c[i]) != math.Float32bits(first[i]) {
				t.Fatalf("threads=%d: c[%d] = %v; 1 thread gave %v", th, i, c[i], first[i])
			}
		}
	}
}

func TestGemmPanics(t *testing.T) {
	panicsWith(t, "tensor: Gemm: negative size", func() { Gemm(NoTrans, NoTrans, -1, 1, 1, 1, nil, 1, nil, 1, 0, nil, 1) })
	panicsWith(t, "tensor: Gemm: a has 3 values", func() {
		Gemm(NoTrans, NoTrans, 2, 2, 2, 1, make([]float32, 3), 2, make([]float32, 4), 2, 0, make([]float32, 4), 2)
	})
	panicsWith(t, "tensor: Gemm: ldc=1 < 2 columns", func() {
		Gemm(NoTrans, NoTrans, 2, 2, 2, 1, make([]float32, 4), 2, make([]float32, 4), 2, 0, make([]float32, 4), 1)
	})
}

// TestKernels checks that Kernels names the chosen micro-kernel first,
// each name once, and that the chosen one is a real kernel: the Go one
// under purego, a SIMD one on CPUs that have one.
func TestKernels(t *testing.T) {
	ks := Kernels()
	if len(ks) == 0 {
		t.Fatal("Kernels() is empty")
	}
	seen := map[string]bool{}
	for _, k := range ks {
		if seen[k] || k == "" {
			t.Errorf("Kernels() = %v: empty or repeated name", ks)
		}
		seen[k] = true
	}
	known := map[string]bool{"avx512_14x32": true, "avx512_8x48": true, "avx512_16x16": true, "avx2_6x16": true, "avx2_4x24": true, "neon_8x12": true, "go2x3": true}
	for _, k := range ks {
		if !known[k] {
			t.Errorf("Kernels() names %q, which is no kernel of this package", k)
		}
	}
}
