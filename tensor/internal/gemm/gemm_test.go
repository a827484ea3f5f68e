package gemm

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// refGemm is the naive reference in float64: C = alpha·op(A)·op(B) + beta·C
// with BLAS's rules (alpha == 0 or k == 0: A and B unread; beta == 0: C
// unread).
func refGemm(tA, tB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			var s float64
			if alpha != 0 {
				for p := 0; p < k; p++ {
					var av, bv float32
					if tA {
						av = a[p*lda+i]
					} else {
						av = a[i*lda+p]
					}
					if tB {
						bv = b[j*ldb+p]
					} else {
						bv = b[p*ldb+j]
					}
					s += float64(av) * float64(bv)
				}
			}
			r := float64(alpha) * s
			if beta != 0 {
				r += float64(beta) * float64(c[i*ldc+j])
			}
			c[i*ldc+j] = float32(r)
		}
	}
}

const guard = float32(-12345.5)

// operand returns a rows×cols matrix with row stride ld ≥ cols at offset off
// inside a larger slice whose every other value is guard. Values are small
// integers times 2⁻⁴ so float32 products and sums up to k ≈ 1000 are exact
// enough for a tight tolerance.
func operand(r *rand.Rand, rows, cols, ld, off int) (full, view []float32) {
	n := off + max(rows*ld, 1) + 5
	full = make([]float32, n)
	for i := range full {
		full[i] = guard
	}
	for i := 0; i < rows; i++ {
		for j := 0; j < cols; j++ {
			full[off+i*ld+j] = float32(r.IntN(17)-8) / 16
		}
	}
	return full, full[off : off+max(rows*ld-(ld-cols), 0)]
}

func checkGuards(t *testing.T, name string, full []float32, rows, cols, ld, off int) {
	t.Helper()
	for i, v := range full {
		in := i >= off && (i-off) < rows*ld && (i-off)%ld < cols
		if !in && v != guard {
			t.Fatalf("%s: guard at %d overwritten with %v", name, i, v)
		}
	}
}

type gemmCase struct {
	tA, tB      bool
	m, n, k     int
	alpha, beta float32
	pad, off    int
}

func (c gemmCase) String() string {
	return fmt.Sprintf("tA=%v,tB=%v,%dx%dx%d,alpha=%v,beta=%v,pad=%d,off=%d", c.tA, c.tB, c.m, c.n, c.k, c.alpha, c.beta, c.pad, c.off)
}

func runCase(t *testing.T, r *rand.Rand, tc gemmCase) {
	t.Helper()
	ar, ac := tc.m, tc.k
	if tc.tA {
		ar, ac = tc.k, tc.m
	}
	br, bc := tc.k, tc.n
	if tc.tB {
		br, bc = tc.n, tc.k
	}
	lda, ldb, ldc := ac+tc.pad, bc+tc.pad, tc.n+tc.pad
	aFull, a := operand(r, ar, ac, max(lda, 1), tc.off)
	bFull, b := operand(r, br, bc, max(ldb, 1), tc.off)
	cFull, c := operand(r, tc.m, tc.n, max(ldc, 1), tc.off)
	want := append([]float32(nil), cFull...)
	wantC := want[tc.off : tc.off+len(c)]
	if tc.beta == 0 {
		// C must not be read: poison it.
		for i := 0; i < tc.m; i++ {
			for j := 0; j < tc.n; j++ {
				c[i*ldc+j] = float32(math.NaN())
			}
		}
	}
	refGemm(tc.tA, tc.tB, tc.m, tc.n, tc.k, tc.alpha, a, lda, b, ldb, tc.beta, wantC, ldc)
	Sgemm(tc.tA, tc.tB, tc.m, tc.n, tc.k, tc.alpha, a, lda, b, ldb, tc.beta, c, ldc)
	checkGuards(t, "A", aFull, ar, ac, lda, tc.off)
	checkGuards(t, "B", bFull, br, bc, ldb, tc.off)
	checkGuards(t, "C", cFull, tc.m, tc.n, ldc, tc.off)
	tol := 1e-5 * float64(tc.k+1)
	for i := 0; i < tc.m; i++ {
		for j := 0; j < tc.n; j++ {
			g, w := c[i*ldc+j], wantC[i*ldc+j]
			if math.Abs(float64(g-w)) > tol*(1+math.Abs(float64(w))) || math.IsNaN(float64(g)) {
				t.Fatalf("%v: C[%d][%d] = %v; want %v", tc, i, j, g, w)
			}
		}
	}
}

// goPack marks a test configuration that runs a kernel with the AVX2
// transposing pack switched off, so the Go packing loops for 6- and 16-wide
// panels are covered too.
const goPack = "+gopack"

// kernels lists every micro-kernel of this build that this machine runs
// natively, best first, plus each kernel again with Go packing when the
// AVX2 pack is in use, again tile by tile when it has a tiles variant and
// again without its edge kernels. Kernels the CPU lacks are tested in the interpreter
// (emu_kernels_amd64_test.go).
func kernels() []*kernel {
	var ks []*kernel
	for _, k := range builtKernels {
		if !k.native {
			continue
		}
		ks = append(ks, k)
		if packAVX2 && k.name != goKernel.name {
			c := *k
			c.name += goPack
			ks = append(ks, &c)
		}
		if k.tiles != nil {
			// The same kernel called tile by tile, as Go loops it for
			// kernels without a tiles variant.
			c := *k
			c.name += "+pertile"
			c.tiles = nil
			c.edges = slices.Clone(k.edges)
			for i := range c.edges {
				c.edges[i].tiles = nil
			}
			ks = append(ks, &c)
			// And with the edge columns on the full kernel, padded.
			d := *k
			d.name += "+noedges"
			d.edges = nil
			ks = append(ks, &d)
		}
	}
	return ks
}

// withKernel makes k the active kernel for the test. It does not hand
// badly fitting shapes to an alternative kernel (TestPlanAlts tests that),
// so that a test of k runs k on every shape.
func withKernel(t testing.TB, k *kernel) {
	old, oldPack := active, packAVX2
	if k.alts != nil {
		c := *k
		c.alts = nil
		k = &c
	}
	active = k
	if strings.HasSuffix(k.name, goPack) {
		packAVX2 = false
	}
	t.Cleanup(func() { active, packAVX2 = old, oldPack })
}

func withThreads(t testing.TB, n int) {
	old := Threads()
	SetThreads(n)
	t.Cleanup(func() { SetThreads(old) })
}

func TestSgemmShapes(t *testing.T) {
	sizes := []int{0, 1, 2, 5, 7, 16, 17, 33}
	for _, kern := range kernels() {
		t.Run(kern.name, func(t *testing.T) {
			withKernel(t, kern)
			r := rand.New(rand.NewPCG(1, 2))
			for _, tA := range []bool{false, true} {
				for _, tB := range []bool{false, true} {
					for _, m := range sizes {
						for _, n := range sizes {
							for _, k := range []int{0, 1, 3, 8, 19} {
								runCase(t, r, gemmCase{tA, tB, m, n, k, 1, 0, 0, 0})
							}
						}
					}
				}
			}
		})
	}
}

func TestSgemmAlphaBetaStrides(t *testing.T) {
	for _, kern := range kernels() {
		t.Run(kern.name, func(t *testing.T) {
			withKernel(t, kern)
			r := rand.New(rand.NewPCG(3, 4))
			for _, tA := range []bool{false, true} {
				for _, tB := range []bool{false, true} {
					for _, ab := range [][2]float32{{1, 0}, {1, 1}, {-0.5, 0}, {2, -1.5}, {0, 0.5}, {0, 0}, {0.25, 1}} {
						for _, po := range [][2]int{{0, 0}, {3, 1}, {1, 7}} {
							runCase(t, r, gemmCase{tA, tB, 13, 37, 29, ab[0], ab[1], po[0], po[1]})
						}
					}
				}
			}
		})
	}
}

// TestSgemmBlocks crosses the KC, MC and NC block edges with small blocks so
// the test stays fast.
func TestSgemmBlocks(t *testing.T) {
	oldK, oldKGo, oldM, oldN := blockKC, goKernel.kc, blockMC, blockNC
	blockKC, goKernel.kc, blockMC, blockNC = 16, 20, 24, 48
	t.Cleanup(func() { blockKC, goKernel.kc, blockMC, blockNC = oldK, oldKGo, oldM, oldN })
	for _, kern := range kernels() {
		t.Run(kern.name, func(t *testing.T) {
			withKernel(t, kern)
			r := rand.New(rand.NewPCG(5, 6))
			for _, th := range []int{1, 2, 3} {
				withThreads(t, th)
				for _, tA := range []bool{false, true} {
					for _, tB := range []bool{false, true} {
						runCase(t, r, gemmCase{tA, tB, 129, 67, 65, 1, 0, 1, 3})
						runCase(t, r, gemmCase{tA, tB, 50, 101, 33, -1, 0.5, 0, 0})
					}
				}
			}
		})
	}
}

func TestSgemmLarge(t *testing.T) {
	for _, kern := range kernels() {
		t.Run(kern.name, func(t *testing.T) {
			withKernel(t, kern)
			r := rand.New(rand.NewPCG(7, 8))
			runCase(t, r, gemmCase{false, false, 129, 131, 300, 1, 0, 0, 0})
			runCase(t, r, gemmCase{true, true, 70, 200, 600, 1, 1, 2, 1})
		})
	}
}
