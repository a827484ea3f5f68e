//go:build arm64 && !purego

package gemm

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// neonPanels returns packed 8-row A and 12-column B panels of depth kc of
// one of four kinds: uniform values; NaN, ±Inf, subnormals and -0 at single
// places (so they reach one row or column of the tile); rows and columns
// of ±0 and of products that underflow to -0 (which pin the sign of zero
// sums: the accumulators start at +0); and values over a wide range of
// exponents, with subnormal products.
func neonPanels(r *rand.Rand, kind, kc int) (a, b []float32) {
	const mr, nr = 8, 12
	a, b = randSlice(r, kc*mr), randSlice(r, kc*nr)
	negZero := float32(math.Copysign(0, -1))
	switch kind {
	case 1:
		a[r.IntN(kc)*mr+1] = float32(math.NaN())
		a[r.IntN(kc)*mr+3] = float32(math.Inf(-1))
		a[r.IntN(kc)*mr+4] = 1e-40
		a[r.IntN(kc)*mr+6] = negZero
		b[r.IntN(kc)*nr+2] = float32(math.Inf(1))
		b[r.IntN(kc)*nr+5] = float32(math.NaN())
		b[r.IntN(kc)*nr+9] = -3e-39
		b[r.IntN(kc)*nr+11] = negZero
	case 2:
		for p := 0; p < kc; p++ {
			a[p*mr+2] = negZero // row 2: every product ±0
			a[p*mr+5] = 0
			a[p*mr+6] = -1e-25 * float32(1+r.IntN(4)) // row 6: products underflow
			b[p*nr+7] = negZero                       // column 7: every product ±0
			if p%2 == 0 {
				b[p*nr] = 0
			} else {
				b[p*nr] = negZero
			}
			b[p*nr+3] = 1e-25 * float32(1+r.IntN(4))
		}
	case 3:
		for i := range a {
			a[i] = float32(math.Ldexp(r.Float64()*2-1, r.IntN(120)-75))
		}
		for i := range b {
			b[i] = float32(math.Ldexp(r.Float64()*2-1, r.IntN(120)-75))
		}
	}
	return a[:len(a):len(a)], b[:len(b):len(b)]
}

// TestNEONKernel runs the NEON micro-kernel alone on every depth from 1 to
// 40 (every unrolled-loop count and remainder) and on 64, 256 and 300, with
// alpha and beta among 1, ±0, negative, tiny and large values, and
// requires the contract's bits in the tile (kernelContract, any NaN for
// any NaN) and the exact bits of every word around it: before the tile,
// between its rows (ldc > 12) and after it. With beta == ±0 the tile starts
// as NaN, which must not reach the result; the panels must not change.
func TestNEONKernel(t *testing.T) {
	const mr, nr = 8, 12
	if !neonKernel.native {
		t.Skip("no ASIMD")
	}
	r := rand.New(rand.NewPCG(11, 12))
	negZero := float32(math.Copysign(0, -1))
	guard := math.Float32frombits(0xc2a5a5a5) // -82.82…: any write shows
	var depths []int
	for kc := 1; kc <= 40; kc++ {
		depths = append(depths, kc)
	}
	depths = append(depths, 64, 256, 300)
	alphaBeta := [][2]float32{{1, 0}, {1, negZero}, {-0.75, 0}, {1.5, 1}, {-2, -0.5}, {0.5, 1e-30}, {-1, negZero}, {3e10, -2.25}, {0, 0.5}}
	calls := 0
	for _, kc := range depths {
		for n, ab := range alphaBeta {
			alpha, beta := ab[0], ab[1]
			kind := (kc + n) % 4
			a, b := neonPanels(r, kind, kc)
			gap := (kc + n) % 6 // words between rows (0: rows adjacent)
			ldc := nr + gap
			before, after := 1+n%5, 7
			buf := make([]float32, before+(mr-1)*ldc+nr+after)
			for i := range buf {
				buf[i] = guard
			}
			inTile := func(k int) bool {
				k -= before
				return k >= 0 && k < (mr-1)*ldc+nr && k%ldc < nr
			}
			for i := range buf {
				if !inTile(i) {
					continue
				}
				switch {
				case beta == 0:
					buf[i] = float32(math.NaN()) // not to be read
				case kind == 1 && i%17 == 0:
					buf[i] = []float32{float32(math.Inf(1)), 2e-41, negZero, float32(math.NaN())}[i%4]
				default:
					buf[i] = r.Float32()*4 - 2
				}
			}
			want := slices.Clone(buf)
			kernelContract(mr, nr, kc, a, b, want[before:], ldc, alpha, beta)
			a0, b0 := slices.Clone(a), slices.Clone(b)
			got := slices.Clone(buf)
			kernelNEON(kc, a, b, got[before:len(got)-after], ldc, alpha, beta)
			calls++
			name := fmt.Sprintf("kc=%d kind=%d alpha=%v beta=%v ldc=%d", kc, kind, alpha, beta, ldc)
			for i := range got {
				if inTile(i) {
					continue
				}
				if math.Float32bits(got[i]) != math.Float32bits(guard) {
					t.Fatalf("%s: word %d outside the tile (row stride %d, tile from %d) changed to %v", name, i, ldc, before, got[i])
				}
			}
			if j := sameBits(got, want); j >= 0 {
				row, col := (j-before)/ldc, (j-before)%ldc
				t.Fatalf("%s: c[%d][%d] = %v (%#x); the contract gives %v (%#x)", name, row, col,
					got[j], math.Float32bits(got[j]), want[j], math.Float32bits(want[j]))
			}
			if sameBits(a, a0) >= 0 || sameBits(b, b0) >= 0 {
				t.Fatalf("%s: the kernel changed its panels", name)
			}
		}
	}
	t.Logf("%d kernel calls checked", calls)
}

// TestNEONKernelZeroSign pins the sign of zero sums, which the random
// panels reach only by chance elsewhere: with every product ±0 the
// accumulators stay +0 (they start at +0 and fma(±0, x, +0) = +0), so
// alpha = -1 stores -0 everywhere and beta = 1 adds C = -0 to it as -0;
// products that underflow make -0 sums, which alpha = -1 turns into +0.
func TestNEONKernelZeroSign(t *testing.T) {
	const mr, nr, kc = 8, 12, 9
	negZero := float32(math.Copysign(0, -1))
	a, b := make([]float32, kc*mr), make([]float32, kc*nr)
	for i := range a {
		a[i] = negZero
	}
	for i := range b {
		b[i] = float32(i%5) - 2
	}
	for _, beta := range []float32{0, 1} {
		c := make([]float32, mr*nr)
		for i := range c {
			c[i] = negZero
		}
		kernelNEON(kc, a, b, c, nr, -1, beta)
		for i, v := range c {
			if math.Float32bits(v) != math.Float32bits(negZero) {
				t.Fatalf("beta=%v: c[%d] = %v (%#x); want -0", beta, i, v, math.Float32bits(v))
			}
		}
	}
	for i := range a {
		a[i] = -1e-30
	}
	for i := range b {
		b[i] = 1e-30
	}
	c := make([]float32, mr*nr)
	kernelNEON(kc, a, b, c, nr, -1, 0)
	for i, v := range c {
		if math.Float32bits(v) != 0 {
			t.Fatalf("underflowing products: c[%d] = %v (%#x); want +0 (-1 times a -0 sum)", i, v, math.Float32bits(v))
		}
	}
}
