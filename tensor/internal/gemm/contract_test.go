package gemm

// The micro-kernel contract in plain Go, with one rounding per fused
// multiply-add: the reference every fused kernel (AVX-512, AVX2, NEON) is
// held to bit for bit, on any CPU. Its arithmetic does not depend on the
// tile, so a kernel that matches it gives the bits of every other kernel
// that does, for the same k blocking.

import (
	"fmt"
	"math"
	"math/big"
	"math/rand/v2"
	"testing"
)

// fma32 returns a·b + c rounded once to float32, as VFMADD231PS does. The
// product of two float32s is exact in float64; the float64 sum s and its
// error e (TwoSum) hold a·b + c exactly, and rounding s to float32 is right
// unless s lies exactly halfway between two float32s, where e decides.
func fma32(a, b, c float32) float32 {
	p, q := float64(float64(a)*float64(b)), float64(c) // exact: no fusion can change it
	s := p + q
	if math.IsInf(s, 0) || math.IsNaN(s) || math.IsInf(p, 0) || math.IsInf(q, 0) {
		return float32(p + q)
	}
	bb := s - p
	e := (p - (s - bb)) + (q - bb)
	f := float32(s)
	if e == 0 || float64(f) == s {
		return f
	}
	var other float32
	if float64(f) < s {
		other = math.Nextafter32(f, float32(math.Inf(1)))
	} else {
		other = math.Nextafter32(f, float32(math.Inf(-1)))
	}
	if math.IsInf(float64(other), 0) || math.Abs(s-float64(f)) != math.Abs(float64(other)-s) {
		return f
	}
	// s is a midpoint: the exact value is on e's side of it.
	lo, hi := min(f, other), max(f, other)
	if e > 0 {
		return hi
	}
	return lo
}

// exactFMA32 is a·b + c rounded once to float32, by big.Float.
func exactFMA32(a, b, c float32) float32 {
	x := new(big.Float).SetPrec(2000).SetFloat64(float64(a))
	x.Mul(x, new(big.Float).SetFloat64(float64(b)))
	x.Add(x, new(big.Float).SetFloat64(float64(c)))
	f, _ := x.Float32()
	return f
}

// TestFMA32 checks the interpreter's fused multiply-add against exact
// arithmetic, on random operands and on sums aimed at the halfway points
// between float32s, where rounding twice would go wrong.
func TestFMA32(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	rnd := func() float32 {
		return float32(math.Ldexp(r.Float64()*2-1, r.IntN(60)-30))
	}
	for i := 0; i < 200_000; i++ {
		a, b := rnd(), rnd()
		var c float32
		switch i % 4 {
		case 0:
			c = rnd()
		case 1:
			// Cancellation: c close to -a·b.
			c = -float32(float64(a) * float64(b))
		case 2:
			// Just off a halfway point: with h half an ulp of f,
			// a·b = ±h·(1 − 2^-2s) and c = f or its neighbour put the sum
			// within a quarter of a float64 ulp of f + h, so that the
			// float64 sum is exactly halfway and the error term decides.
			f := float32(math.Ldexp(1+r.Float64(), r.IntN(60)-30))
			next := math.Nextafter32(f, float32(math.Inf(1)))
			h := (float64(next) - float64(f)) / 2
			sh := 15 + r.IntN(6)
			a, b = float32(h*(1+math.Ldexp(1, -sh))), float32(1-math.Ldexp(1, -sh))
			c = f
			if r.IntN(2) == 0 {
				a, c = -a, next
			}
		case 3:
			// Subnormal results.
			a, b = float32(math.Ldexp(r.Float64(), -70)), float32(math.Ldexp(r.Float64(), -70))
			c = float32(math.Ldexp(r.Float64()-0.5, -135))
		}
		got, want := fma32(a, b, c), exactFMA32(a, b, c)
		if math.Float32bits(got) != math.Float32bits(want) && !(got == 0 && want == 0) {
			t.Fatalf("fma32(%g, %g, %g) = %g (%#x); exact %g (%#x)", a, b, c, got, math.Float32bits(got), want, math.Float32bits(want))
		}
	}
	// Worked case: a·b = 2^-24 − 2^-54 and c = 1 + 2^-23 sum to just below
	// the halfway point 1 + 2^-23 + 2^-24, but round to it in float64, from
	// where float32 rounding (ties to even) would go up to 1 + 2^-22.
	a := float32(math.Ldexp(1+math.Ldexp(1, -15), -24))
	b := float32(1 - math.Ldexp(1, -15))
	c := float32(1 + math.Ldexp(1, -23))
	if got := fma32(a, b, c); got != c {
		t.Errorf("fma32(%g, %g, %g) = %.10g; want %.10g", a, b, c, got, c)
	}
}

// kernelContract computes a tile as the kernelFunc contract states it, with
// one rounding per fused multiply-add.
func kernelContract(mr, nr, kc int, a, b, c []float32, ldc int, alpha, beta float32) {
	edgeContract(mr, nr, nr, kc, a, b, c, ldc, alpha, beta)
}

// edgeContract is kernelContract on an mr×w tile whose B panel is nr wide
// (an edge kernel's: edgeKernel).
func edgeContract(mr, w, nr, kc int, a, b, c []float32, ldc int, alpha, beta float32) {
	for i := 0; i < mr; i++ {
		for j := 0; j < w; j++ {
			var acc float32
			for p := 0; p < kc; p++ {
				acc = fma32(a[p*mr+i], b[p*nr+j], acc)
			}
			x := alpha * acc
			if beta == 0 {
				c[i*ldc+j] = x
			} else {
				c[i*ldc+j] = fma32(beta, c[i*ldc+j], x)
			}
		}
	}
}

// tilesCase is one tilesFunc call of an mr×w kernel on B panels nr wide
// (w = nr but for an edge kernel): tiles consecutive A panels, one B panel
// and a C with room around the column of tiles.
type tilesCase struct {
	kernelCase
	tiles int
}

func tilesCases(mr, w, nr int) []tilesCase {
	r := rand.New(rand.NewPCG(9, 10))
	var cs []tilesCase
	for _, tiles := range []int{1, 2, 3, 5} {
		for _, kc := range []int{1, 3, 4, 7, 13, 64} {
			for _, ab := range [][2]float32{{1, 0}, {-0.75, 1}, {1.5, -2.25}} {
				ldc := w + kc%3
				c := randSlice(r, (tiles*mr-1)*ldc+w)
				a, b := randSlice(r, tiles*kc*mr), randSlice(r, kc*nr)
				if kc == 7 {
					a[3], a[(tiles-1)*kc*mr+1] = float32(math.NaN()), float32(math.Inf(1))
					b[2], b[nr] = float32(math.Inf(-1)), 1e-40
				}
				cs = append(cs, tilesCase{kernelCase{kc, ldc, ab[0], ab[1], a, b, c}, tiles})
			}
		}
	}
	return cs
}

// tilesContract computes tc's column of mr×w tiles (B panels nr wide) as
// tilesFunc states it: each tile by the kernelFunc contract.
func tilesContract(mr, w, nr int, tc tilesCase) []float32 {
	want := append([]float32(nil), tc.c...)
	for t := 0; t < tc.tiles; t++ {
		edgeContract(mr, w, nr, tc.kc, tc.a[t*tc.kc*mr:], tc.b, want[t*mr*tc.ldc:], tc.ldc, tc.alpha, tc.beta)
	}
	return want
}

// columnKernels lists what computes a column of kern's tiles: kern itself
// (its whole width) and its edge kernels, each with its tiles variant.
func columnKernels(kern *kernel) []edgeKernel {
	return append([]edgeKernel{{name: kern.name, w: kern.nr, fn: kern.fn, tiles: kern.tiles}}, kern.edges...)
}

// TestTilesKernels holds each tiles variant the CPU runs, of a kernel and
// of its edge kernels, to the contract tile by tile on columns of one to
// five tiles, and each edge kernel's one-tile call too (the interpreter
// does the same for every assembly kernel: TestEmulatedTilesKernels).
func TestTilesKernels(t *testing.T) {
	n := 0
	for _, kern := range builtKernels {
		if !kern.native {
			continue
		}
		for _, v := range columnKernels(kern) {
			if v.tiles == nil {
				continue
			}
			n++
			for _, tc := range tilesCases(kern.mr, v.w, kern.nr) {
				want := tilesContract(kern.mr, v.w, kern.nr, tc)
				got := append([]float32(nil), tc.c...)
				v.tiles(tc.kc, tc.a, tc.b, got, tc.ldc, tc.alpha, tc.beta, tc.tiles)
				if i := sameBits(got, want); i >= 0 {
					t.Fatalf("%s: tiles=%d kc=%d beta=%v: c[%d] = %v; the contract gives %v", v.name, tc.tiles, tc.kc, tc.beta, i, got[i], want[i])
				}
				if tc.tiles == 1 {
					got := append([]float32(nil), tc.c...)
					v.fn(tc.kc, tc.a, tc.b, got, tc.ldc, tc.alpha, tc.beta)
					if i := sameBits(got, want); i >= 0 {
						t.Fatalf("%s: kc=%d beta=%v: c[%d] = %v; the contract gives %v", v.name, tc.kc, tc.beta, i, got[i], want[i])
					}
				}
			}
		}
	}
	if n == 0 {
		t.Skip("no kernel with a tiles variant runs on this CPU")
	}
}

// sameBits returns the first index where x and y differ in bits (any NaN
// equals any NaN: payloads differ between CPUs), or -1.
func sameBits(x, y []float32) int {
	for i := range x {
		if math.Float32bits(x[i]) != math.Float32bits(y[i]) && !(math.IsNaN(float64(x[i])) && math.IsNaN(float64(y[i]))) {
			return i
		}
	}
	return -1
}

// kernelCase is one micro-kernel call: packed panels and a C with room
// around the tile (the kernel must touch only the tile).
type kernelCase struct {
	kc, ldc     int
	alpha, beta float32
	a, b, c     []float32
}

func kernelCases(mr, nr int) []kernelCase {
	r := rand.New(rand.NewPCG(5, 6))
	var cs []kernelCase
	for _, kc := range []int{1, 2, 3, 4, 5, 7, 8, 13, 64, 256} {
		for _, ab := range [][2]float32{{1, 0}, {1, float32(math.Copysign(0, -1))}, {-0.75, 1}, {1.5, -2.25}} {
			ldc := nr + kc%5
			c := randSlice(r, (mr-1)*ldc+nr)
			a, b := randSlice(r, kc*mr), randSlice(r, kc*nr)
			if kc == 7 {
				// Specials: NaN, ±Inf, subnormals and signed zeros in the panels.
				a[3], a[mr+1] = float32(math.NaN()), float32(math.Inf(1))
				b[2], b[nr] = float32(math.Inf(-1)), 1e-40
				a[2*mr] = float32(math.Copysign(0, -1))
			}
			cs = append(cs, kernelCase{kc, ldc, ab[0], ab[1], a, b, c})
		}
	}
	return cs
}

// contractKernel returns a kernel with the contract's arithmetic on an
// mr×nr tile and kern's k blocking: Sgemm through it gives the bits every
// fused kernel must give.
func contractKernel(kern *kernel, mr, nr int) *kernel {
	return &kernel{
		name: fmt.Sprintf("contract%dx%d", mr, nr), mr: mr, nr: nr, kc: kern.kc,
		fn: func(kc int, a, b, c []float32, ldc int, alpha, beta float32) {
			kernelContract(mr, nr, kc, a, b, c, ldc, alpha, beta)
		},
		native: true, fused: true,
	}
}

// sgemmCase is one whole product for the contract tests.
type sgemmCase struct {
	name           string
	tA, tB         bool
	m, n, k        int
	alpha, beta    float32
	threads        int
	a, b, c        []float32
	lda, ldb, ldc  int
	sparse, blocks bool
}

// sgemmCases lists products with edge tiles in both directions, padded
// strides, every transpose, alpha and beta, NaN, ±Inf, subnormals and -0
// in the operands, depths over several k blocks, a mostly-zero A and
// one and two threads.
func sgemmCases() []sgemmCase {
	r := rand.New(rand.NewPCG(7, 8))
	shapes := [][3]int{{1, 1, 1}, {14, 32, 9}, {8, 12, 5}, {15, 33, 260}, {30, 70, 40}, {5, 100, 17}, {17, 13, 600}, {40, 36, 64},
		// Last columns exactly as wide as an edge kernel (edgeKernel), with
		// whole row tiles above them.
		{12, 40, 30}, {28, 56, 20}, {16, 80, 33}, {28, 64, 9}}
	var cs []sgemmCase
	for i, sh := range shapes {
		m, n, k := sh[0], sh[1], sh[2]
		for _, tA := range []bool{false, true} {
			for _, tB := range []bool{false, true} {
				ab := [][2]float32{{1, 0}, {0.5, -1.25}, {-2, 1}}[(i+btoi(tA)+btoi(tB))%3]
				c := sgemmCase{tA: tA, tB: tB, m: m, n: n, k: k, alpha: ab[0], beta: ab[1],
					threads: 1 + (i+btoi(tB))%2, sparse: i == 4 && !tA, blocks: k > blockKC}
				c.name = fmt.Sprintf("%dx%dx%d tA=%v tB=%v alpha=%v beta=%v threads=%d sparseA=%v", m, n, k, tA, tB, c.alpha, c.beta, c.threads, c.sparse)
				rows, cols := m, k
				if tA {
					rows, cols = k, m
				}
				c.lda = cols + 1
				c.a = randSlice(r, rows*c.lda)
				if c.sparse {
					c.a = sparseSlice(r, rows*c.lda, 0.1)
				}
				rb, cb := k, n
				if tB {
					rb, cb = n, k
				}
				c.ldb = cb + 2
				c.b = randSlice(r, rb*c.ldb)
				c.ldc = n + 3
				c.c = randSlice(r, m*c.ldc)
				if i == 6 { // specials
					c.a[1], c.a[c.lda] = float32(math.NaN()), float32(math.Inf(1))
					c.b[3], c.b[c.ldb+1] = float32(math.Inf(-1)), 1e-40
					c.a[2], c.c[0] = float32(math.Copysign(0, -1)), float32(math.NaN())
				}
				cs = append(cs, c)
			}
		}
	}
	return cs
}

// run computes the product through kern and returns C.
func (c *sgemmCase) run(t *testing.T, kern *kernel) []float32 {
	withKernel(t, kern)
	withThreads(t, c.threads)
	out := append([]float32(nil), c.c...)
	Sgemm(c.tA, c.tB, c.m, c.n, c.k, c.alpha, c.a, c.lda, c.b, c.ldb, c.beta, out, c.ldc)
	return out
}

// TestFusedKernelsMatchContract runs whole products through every fused
// kernel this CPU runs (AVX-512, AVX2 on amd64; NEON on arm64) and requires
// the bits of the same products through the contract on a 1×1 tile with
// the same k blocking: so every fused kernel gives the same bits as every
// other, on any CPU, wherever their k blocking agrees. Kernels the CPU
// lacks are held to the same test in the interpreter (TestEmulatedSgemm).
func TestFusedKernelsMatchContract(t *testing.T) {
	n := 0
	for _, kern := range kernels() {
		if !kern.fused {
			continue
		}
		n++
		for _, c := range sgemmCases() {
			want := c.run(t, contractKernel(kern, 1, 1))
			got := c.run(t, kern)
			if j := sameBits(got, want); j >= 0 {
				t.Fatalf("%s: %s: c[%d] = %v; the contract gives %v", kern.name, c.name, j, got[j], want[j])
			}
		}
	}
	t.Logf("%d fused kernels checked", n)
}

// emulateKernel returns kern run in an interpreter of its assembly, with
// errors failing t, or nil where there is none; canEmulate reports whether
// there is one (both set on amd64 by emu_kernels_amd64_test.go).
var (
	emulateKernel = func(kern *kernel, t testing.TB) *kernel { return nil }
	canEmulate    = func(kern *kernel) bool { return false }
	// canEmulateSkip reports whether kern's zero-skipping variant runs in
	// the interpreter (emulateKernel's copy then carries it).
	canEmulateSkip = func(kern *kernel) bool { return false }
)

// TestPlanAlts checks that a kernel with alternative kernels hands each
// product to the one whose tile fits it best (by tileRate, ties to the
// kernel itself), and that such products give the contract's bits (the same
// as through the kernel itself). Kernels the CPU lacks run in the
// interpreter.
func TestPlanAlts(t *testing.T) {
	n := 0
	for _, kern := range builtKernels {
		if len(kern.alts) == 0 {
			continue
		}
		if !kern.native {
			if kern = emulateKernel(kern, t); kern == nil {
				continue
			}
		}
		for _, w := range kern.alts {
			if !(w.fused && kern.fused) || w.kcFor(1000) != kern.kcFor(1000) {
				t.Fatalf("%s: alternative %s does not give the same bits (fused, same k blocking)", kern.name, w.name)
			}
		}
		n++
		r := rand.New(rand.NewPCG(9, 10))
		for _, s := range [][3]int{
			{16, 9, 50},    // a one-channel 3×3 conv's weight gradient
			{6, 9, 50},     // a 6-filter one's
			{128, 10, 64},  // a 10-class output layer
			{1, 128, 70},   // one example
			{128, 128, 30}, // an MLP layer
			{32, 300, 20},  // a 32-channel conv layer's output
			{64, 200, 20},  // a 64-channel one
			{30, 70, 300},  // two k blocks
		} {
			m, nn, k := s[0], s[1], s[2]
			want, best := kern, tileRate(kern, m, nn)
			for _, w := range kern.alts {
				if r := tileRate(w, m, nn); w.native && r > best {
					want, best = w, r
				}
			}
			dense := randSlice(r, m*k)
			run, skip := plan(kern, false, m, nn, k, dense, k)
			if skip || run != want {
				t.Errorf("%s: %dx%dx%d: plan = %s (skip %v); want %s", kern.name, m, nn, k, run.name, skip, want.name)
			}
			b, c := randSlice(r, k*nn), make([]float32, m*nn)
			ref := append([]float32(nil), c...)
			old := active
			active = kern // with its alternatives, as Sgemm runs it
			Sgemm(false, false, m, nn, k, 1, dense, k, b, nn, 0, c, nn)
			active = contractKernel(kern, 1, 1)
			Sgemm(false, false, m, nn, k, 1, dense, k, b, nn, 0, ref, nn)
			active = old
			if j := sameBits(c, ref); j >= 0 {
				t.Fatalf("%s: %dx%dx%d: c[%d] = %v; the contract gives %v", kern.name, m, nn, k, j, c[j], ref[j])
			}
		}
	}
	if n == 0 {
		t.Skip("no kernel with alternatives in this build")
	}
}

// TestContractTileFree pins what the test above relies on: the contract's
// bits do not depend on the tile.
func TestContractTileFree(t *testing.T) {
	for _, c := range sgemmCases() {
		want := c.run(t, contractKernel(&goKernel, 1, 1))
		for _, tile := range [][2]int{{14, 32}, {6, 16}, {8, 12}, {3, 5}} {
			if j := sameBits(c.run(t, contractKernel(&goKernel, tile[0], tile[1])), want); j >= 0 {
				t.Fatalf("%s: tile %dx%d: c[%d] differs from the 1x1 tile's", c.name, tile[0], tile[1], j)
			}
		}
	}
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}
