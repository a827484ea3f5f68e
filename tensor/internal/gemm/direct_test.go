package gemm

import (
	"math"
	"math/rand/v2"
	"strings"
	"sync/atomic"
	"testing"
)

// TestDirectSameBits checks that products reading B in place (useDirect)
// give the bits of the same products with B packed, on every kernel this
// CPU runs (natively, or in the interpreter where emulateKernel gives one),
// for B inside a wider matrix, columns that leave a last narrower panel
// (packed), rows that leave an edge tile, several k blocks, alpha and beta
// (0, 1 and others), 1 and 2 threads, split-K; and that the kernels with a
// direct variant took that path.
func TestDirectSameBits(t *testing.T) {
	var ran atomic.Int64
	old := planned
	planned = func(asked, run *kernel, skip, direct bool) {
		if direct {
			ran.Add(1)
		}
		if old != nil {
			old(asked, run, skip, direct)
		}
	}
	defer func() { planned = old }()
	shapes := []struct{ m, n, k int }{{32, 64, 144}, {7, 50, 9}, {30, 37, 300}, {144, 100, 40}, {65, 20, 10}, {16, 24, 2000}, {5, 16, 1}, {64, 40, 70}}
	for _, kern := range kernelsAndEmulated(t) {
		t.Run(kern.name, func(t *testing.T) {
			withKernel(t, kern)
			ran.Store(0)
			r := rand.New(rand.NewPCG(11, 12))
			for _, sh := range shapes {
				m, n, k := sh.m, sh.n, sh.k
				for _, tA := range []bool{false, true} {
					for _, ab := range [][2]float32{{1, 0}, {1, 1}, {0.7, -1.5}} {
						a := randSlice(r, m*k)
						lda := k
						if tA {
							lda = m
						}
						ldb := n + 5 // B inside a wider matrix
						b := randSlice(r, k*ldb)
						b[len(b)/2] = float32(math.Inf(1))
						ldc := n + 3
						c0 := randSlice(r, m*ldc)
						noDirect = true
						want := append([]float32(nil), c0...)
						SgemmThreads(1, tA, false, m, n, k, ab[0], a, lda, b, ldb, ab[1], want, ldc)
						noDirect = false
						for _, th := range []int{1, 2} {
							got := append([]float32(nil), c0...)
							SgemmThreads(th, tA, false, m, n, k, ab[0], a, lda, b, ldb, ab[1], got, ldc)
							if i := sameBits(got, want); i >= 0 {
								t.Fatalf("%dx%dx%d tA=%v alpha,beta=%v, %d threads: c[%d] = %v in place, %v packed",
									m, n, k, tA, ab, th, i, got[i], want[i])
							}
						}
					}
				}
			}
			if kern.direct != nil && ran.Load() == 0 {
				t.Errorf("%s: no product read B in place", kern.name)
			}
		})
	}
}

// kernelsAndEmulated returns the kernels this CPU runs and, for the
// assembly kernels with a direct variant that it lacks, their interpreted
// copies.
func kernelsAndEmulated(t *testing.T) []*kernel {
	ks := kernels()
	for _, k := range builtKernels {
		if k.native || k.direct == nil || strings.HasPrefix(k.name, "go") {
			continue
		}
		if e := emulateKernel(k, t); e != nil {
			ks = append(ks, e)
		}
	}
	return ks
}
