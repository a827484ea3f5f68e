package gemm

import (
	"math"
	"math/rand/v2"
	"sync"
	"testing"
)

func randSlice(r *rand.Rand, n int) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = r.Float32()*2 - 1
	}
	return s
}

// TestSgemmNaNInf checks that NaN and ±Inf in A or B reach exactly the
// elements of C they should, on every kernel and transpose case.
func TestSgemmNaNInf(t *testing.T) {
	const m, n, k = 13, 35, 21
	for _, kern := range kernels() {
		t.Run(kern.name, func(t *testing.T) {
			withKernel(t, kern)
			r := rand.New(rand.NewPCG(9, 10))
			for _, tA := range []bool{false, true} {
				for _, tB := range []bool{false, true} {
					a, b := randSlice(r, m*k), randSlice(r, k*n)
					lda, ldb := k, n
					if tA {
						lda = m
					}
					if tB {
						ldb = k
					}
					// A[3][5] = NaN poisons row 3; B[7][20] = +Inf makes column 20 ±Inf
					// (or NaN in row 3).
					setA := func(i, p int, v float32) {
						if tA {
							a[p*lda+i] = v
						} else {
							a[i*lda+p] = v
						}
					}
					setB := func(p, j int, v float32) {
						if tB {
							b[j*ldb+p] = v
						} else {
							b[p*ldb+j] = v
						}
					}
					setA(3, 5, float32(math.NaN()))
					setB(7, 20, float32(math.Inf(1)))
					c := make([]float32, m*n)
					want := make([]float32, m*n)
					refGemm(tA, tB, m, n, k, 1, a, lda, b, ldb, 0, want, n)
					Sgemm(tA, tB, m, n, k, 1, a, lda, b, ldb, 0, c, n)
					for i := 0; i < m; i++ {
						for j := 0; j < n; j++ {
							g, w := float64(c[i*n+j]), float64(want[i*n+j])
							switch {
							case math.IsNaN(w):
								if !math.IsNaN(g) {
									t.Fatalf("tA=%v tB=%v: C[%d][%d] = %v; want NaN", tA, tB, i, j, g)
								}
							case math.IsInf(w, 0):
								if g != w {
									t.Fatalf("tA=%v tB=%v: C[%d][%d] = %v; want %v", tA, tB, i, j, g, w)
								}
							case math.IsNaN(g) || math.IsInf(g, 0) || math.Abs(g-w) > 1e-4:
								t.Fatalf("tA=%v tB=%v: C[%d][%d] = %v; want %v", tA, tB, i, j, g, w)
							}
						}
					}
				}
			}
		})
	}
}

// TestSgemmBitIdentical checks that results do not depend on the thread
// count or on the run, and that the edge-tile path gives the same bits as
// the interior path (the same element computed inside a larger matrix).
func TestSgemmBitIdentical(t *testing.T) {
	for _, kern := range kernels() {
		t.Run(kern.name, func(t *testing.T) {
			withKernel(t, kern)
			r := rand.New(rand.NewPCG(11, 12))
			for _, sh := range [][3]int{{67, 301, 515}, {250, 90, 300}, {129, 129, 129}} {
				m, n, k := sh[0], sh[1], sh[2]
				a, b, c0 := randSlice(r, m*k), randSlice(r, k*n), randSlice(r, m*n)
				var first []float32
				for _, th := range []int{1, 2, 3, 4, 1} {
					withThreads(t, th)
					c := append([]float32(nil), c0...)
					Sgemm(false, true, m, n, k, 0.75, a, k, b, k, 1.25, c, n)
					if first == nil {
						first = c
						continue
					}
					for i := range c {
						if math.Float32bits(c[i]) != math.Float32bits(first[i]) {
							t.Fatalf("%dx%dx%d threads=%d: C[%d] = %v; with 1 thread %v", m, n, k, th, i, c[i], first[i])
						}
					}
				}
				// The top-left (m-5)×(n-3) block alone uses other edge tiles.
				c := append([]float32(nil), c0...)
				Sgemm(false, true, m-5, n-3, k, 0.75, a, k, b, k, 1.25, c, n)
				for i := 0; i < m-5; i++ {
					for j := 0; j < n-3; j++ {
						if math.Float32bits(c[i*n+j]) != math.Float32bits(first[i*n+j]) {
							t.Fatalf("%dx%dx%d sub-block: C[%d][%d] = %v; whole %v", m, n, k, i, j, c[i*n+j], first[i*n+j])
						}
					}
				}
			}
		})
	}
}

// TestSgemmConcurrent runs products from several goroutines at once: one
// gets the pool, the others run on their own goroutines with their own
// scratch, and all must be right.
func TestSgemmConcurrent(t *testing.T) {
	withThreads(t, 2)
	const m, n, k = 96, 80, 130
	r := rand.New(rand.NewPCG(13, 14))
	a, b := randSlice(r, m*k), randSlice(r, k*n)
	want := make([]float32, m*n)
	Sgemm(false, false, m, n, k, 1, a, k, b, n, 0, want, n)
	var wg sync.WaitGroup
	errs := make(chan string, 8)
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := make([]float32, m*n)
			for it := 0; it < 20; it++ {
				Sgemm(false, false, m, n, k, 1, a, k, b, n, 0, c, n)
				for i := range c {
					if c[i] != want[i] {
						errs <- "concurrent Sgemm differs"
						return
					}
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Fatal(e)
	}
}

// TestSgemmNoAllocs checks that a warm Sgemm allocates nothing, single- and
// multi-threaded.
func TestSgemmNoAllocs(t *testing.T) {
	const m, n, k = 64, 128, 300
	r := rand.New(rand.NewPCG(15, 16))
	a, b, c := randSlice(r, m*k), randSlice(r, k*n), make([]float32, m*n)
	for _, th := range []int{1, 2} {
		withThreads(t, th)
		Sgemm(false, false, m, n, k, 1, a, k, b, n, 0, c, n)
		if got := testing.AllocsPerRun(10, func() {
			Sgemm(false, false, m, n, k, 1, a, k, b, n, 0, c, n)
		}); got != 0 {
			t.Errorf("threads=%d: Sgemm allocates %v times per call; want 0", th, got)
		}
	}
}

func TestKcSplit(t *testing.T) {
	for _, k := range []int{1, 3, 4, 255, 256, 257, 784, 1024, 1500} {
		kc := kcSplit(k)
		if kc < 1 || kc > blockKC || kc > k {
			t.Errorf("kcSplit(%d) = %d; want 1..min(%d, k)", k, kc, blockKC)
		}
		if nb, want := (k+kc-1)/kc, (k+blockKC-1)/blockKC; nb != want {
			t.Errorf("kcSplit(%d) = %d gives %d blocks; want %d", k, kc, nb, want)
		}
	}
}
