//go:build amd64 && !purego

package gemm

import (
	"fmt"
	"math"
	"math/big"
	"math/rand/v2"
	"sync"
	"testing"

	"golang.org/x/sys/cpu"
)

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
	for i := 0; i < mr; i++ {
		for j := 0; j < nr; j++ {
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

// tileWords is the set of word indexes of an mr×nr tile with rows ldc apart.
func tileWords(mr, nr, ldc int) map[int]bool {
	w := map[int]bool{}
	for i := 0; i < mr; i++ {
		for j := 0; j < nr; j++ {
			w[i*ldc+j] = true
		}
	}
	return w
}

func sameWords(got, want map[int]bool) bool {
	if len(got) != len(want) {
		return false
	}
	for k := range want {
		if !got[k] {
			return false
		}
	}
	return true
}

func sameBits(x, y []float32) int {
	for i := range x {
		if math.Float32bits(x[i]) != math.Float32bits(y[i]) && !(math.IsNaN(float64(x[i])) && math.IsNaN(float64(y[i]))) {
			return i
		}
	}
	return -1
}

// emuCase is one micro-kernel call: packed panels and a C with room
// around the tile (the kernel must touch only the tile).
type emuCase struct {
	kc, ldc     int
	alpha, beta float32
	a, b, c     []float32
}

func emuCases(mr, nr int) []emuCase {
	r := rand.New(rand.NewPCG(5, 6))
	var cs []emuCase
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
			cs = append(cs, emuCase{kc, ldc, ab[0], ab[1], a, b, c})
		}
	}
	return cs
}

// TestEmulatorMatchesCPU runs the AVX2 kernel on the CPU and in the
// interpreter and requires the same bits: the interpreter's instructions
// (FMA rounding, broadcasts, loads, loops, flags) agree with the hardware.
func TestEmulatorMatchesCPU(t *testing.T) {
	if !cpu.X86.HasAVX2 || !cpu.X86.HasFMA {
		t.Skip("no AVX2+FMA on this CPU to compare the interpreter with")
	}
	for _, tc := range emuCases(6, 16) {
		name := fmt.Sprintf("kc=%d alpha=%v beta=%v", tc.kc, tc.alpha, tc.beta)
		hw := append([]float32(nil), tc.c...)
		kernelAVX2(tc.kc, tc.a, tc.b, hw, tc.ldc, tc.alpha, tc.beta)
		em := append([]float32(nil), tc.c...)
		if _, _, err := emuKernelCall("kernelAVX2", tc.kc, tc.a, tc.b, em, tc.ldc, tc.alpha, tc.beta); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if i := sameBits(em, hw); i >= 0 {
			t.Fatalf("%s: c[%d] = %v in the interpreter, %v on the CPU", name, i, em[i], hw[i])
		}
	}
}

// TestEmulatedAVX512Kernel runs the AVX-512 micro-kernel, which this
// machine cannot, in the interpreter: every call must give the contract's
// bits, store exactly the 14×32 tile, read C only when beta ≠ 0 (and then
// only the tile), and read nothing outside the panels.
func TestEmulatedAVX512Kernel(t *testing.T) {
	testEmulatedKernel(t, "kernelAVX512", 14, 32)
}

// TestEmulatedAVX2Kernel holds the AVX2 kernel to the same contract and
// footprint checks.
func TestEmulatedAVX2Kernel(t *testing.T) {
	testEmulatedKernel(t, "kernelAVX2", 6, 16)
}

func testEmulatedKernel(t *testing.T, name string, mr, nr int) {
	for _, tc := range emuCases(mr, nr) {
		label := fmt.Sprintf("%s kc=%d ldc=%d alpha=%v beta=%v", name, tc.kc, tc.ldc, tc.alpha, tc.beta)
		want := append([]float32(nil), tc.c...)
		kernelContract(mr, nr, tc.kc, tc.a, tc.b, want, tc.ldc, tc.alpha, tc.beta)
		got := append([]float32(nil), tc.c...)
		loads, stores, err := emuKernelCall(name, tc.kc, tc.a, tc.b, got, tc.ldc, tc.alpha, tc.beta)
		if err != nil {
			t.Fatalf("%s: %v", label, err)
		}
		if i := sameBits(got, want); i >= 0 {
			t.Fatalf("%s: c[%d] = %v; the contract gives %v", label, i, got[i], want[i])
		}
		tile := tileWords(mr, nr, tc.ldc)
		if !sameWords(stores["c"], tile) {
			t.Errorf("%s: stored %d words of C; want exactly the %d of the tile", label, len(stores["c"]), len(tile))
		}
		if len(stores["a"])+len(stores["b"]) > 0 {
			t.Errorf("%s: wrote to a packed panel", label)
		}
		wantLoads := tile
		if tc.beta == 0 {
			wantLoads = map[int]bool{}
		}
		if !sameWords(loads["c"], wantLoads) {
			t.Errorf("%s: read %d words of C; want %d", label, len(loads["c"]), len(wantLoads))
		}
		if len(loads["a"]) != tc.kc*mr || len(loads["b"]) != tc.kc*nr {
			t.Errorf("%s: read %d and %d words of the panels; want %d and %d", label, len(loads["a"]), len(loads["b"]), tc.kc*mr, tc.kc*nr)
		}
	}
}

// TestEmulatedAVX512Sgemm runs whole products through the AVX-512 kernel
// in the interpreter, with its 14×32 tiles, packing and edge tiles in Go,
// and requires the bits of the same products through the AVX2 kernel on
// the CPU: every element of C takes the same operations whatever the tile.
// Mostly-zero A is handed to the AVX2 zero-skipping kernel (skipWith).
func TestEmulatedAVX512Sgemm(t *testing.T) {
	if !cpu.X86.HasAVX2 || !cpu.X86.HasFMA {
		t.Skip("no AVX2+FMA on this CPU to compare with")
	}
	var mu sync.Mutex
	var failed error
	emu := emulated(&avx512Kernel, "kernelAVX512", func(err error) {
		mu.Lock()
		if failed == nil {
			failed = err
		}
		mu.Unlock()
	})
	r := rand.New(rand.NewPCG(7, 8))
	shapes := [][3]int{{1, 1, 1}, {14, 32, 9}, {15, 33, 260}, {30, 70, 40}, {5, 100, 17}}
	for i, sh := range shapes {
		m, n, k := sh[0], sh[1], sh[2]
		for _, tA := range []bool{false, true} {
			for _, tB := range []bool{false, true} {
				ab := [][2]float32{{1, 0}, {0.5, -1.25}}[(i+btoi(tA)+btoi(tB))%2]
				th := 1 + (i+btoi(tB))%2
				sparse := i == 3 && !tA
				name := fmt.Sprintf("%dx%dx%d tA=%v tB=%v alpha=%v beta=%v threads=%d sparseA=%v", m, n, k, tA, tB, ab[0], ab[1], th, sparse)
				rows, cols := m, k
				if tA {
					rows, cols = k, m
				}
				lda := cols + 1
				a := randSlice(r, rows*lda)
				if sparse {
					a = sparseSlice(r, rows*lda, 0.1)
				}
				rb, cb := k, n
				if tB {
					rb, cb = n, k
				}
				ldb := cb + 2
				b := randSlice(r, rb*ldb)
				ldc := n + 3
				c0 := randSlice(r, m*ldc)
				run := func(kern *kernel) []float32 {
					withKernel(t, kern)
					withThreads(t, th)
					c := append([]float32(nil), c0...)
					Sgemm(tA, tB, m, n, k, ab[0], a, lda, b, ldb, ab[1], c, ldc)
					return c
				}
				want := run(&avx2Kernel)
				got := run(emu)
				if failed != nil {
					t.Fatalf("%s: %v", name, failed)
				}
				if j := sameBits(got, want); j >= 0 {
					t.Fatalf("%s: c[%d] = %v through the emulated AVX-512 kernel, %v through AVX2", name, j, got[j], want[j])
				}
				if sparse && !useSkip(emu.skipWith, tA, m, k, a, lda) {
					t.Errorf("%s: the mostly-zero A did not take the zero-skipping hand-over", name)
				}
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
