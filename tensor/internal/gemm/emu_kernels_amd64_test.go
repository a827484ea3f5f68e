//go:build amd64 && !purego

package gemm

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
)

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

// asmKernels names the TEXT function of each amd64 kernel.
var asmKernels = map[*kernel]string{&avx2Kernel: "kernelAVX2", &avx2x4Kernel: "kernelAVX2_4x24", &avx512Kernel: "kernelAVX512", &avx512x8Kernel: "kernelAVX512_8x48", &avx512x16Kernel: "kernelAVX512_16x16"}

// tilesText names the TEXT function of a kernel's tiles variant.
func tilesText(name string) string { return "tiles" + strings.ToUpper(name[:1]) + name[1:] }

// asmSkipKernels names the TEXT function of each amd64 zero-skipping kernel.
var asmSkipKernels = map[*kernel]string{&avx2Kernel: "skipKernelAVX2"}

func init() {
	canEmulate = func(kern *kernel) bool { _, ok := asmKernels[kern]; return ok }
	canEmulateSkip = func(kern *kernel) bool { _, ok := asmSkipKernels[kern]; return ok }
	emulateKernel = func(kern *kernel, t testing.TB) *kernel {
		text, ok := asmKernels[kern]
		if !ok {
			return nil
		}
		k := emulated(kern, text, asmSkipKernels[kern], func(err error) { t.Error(err) })
		// Alternatives the CPU lacks run in the interpreter too, so that
		// plan can hand products to them.
		alts := k.alts
		k.alts = nil
		for _, w := range alts {
			if !w.native {
				if w = emulateKernel(w, t); w == nil {
					continue
				}
				w.native = true
			}
			k.alts = append(k.alts, w)
		}
		return k
	}
}

// TestPlanAltsAMD64 pins which amd64 kernel runs the shapes the zoo's
// models multiply (as on a CPU with all three: plan reads only the kernels'
// fields here, nothing runs).
func TestPlanAltsAMD64(t *testing.T) {
	k512, k8, k16, k2 := avx512Kernel, avx512x8Kernel, avx512x16Kernel, avx2Kernel
	k512.native, k8.native, k16.native, k2.native = true, true, true, true
	k512.alts = []*kernel{&k8, &k16, &k2}
	for _, c := range []struct {
		m, n int
		want string
	}{
		{16, 9, "avx512_16x16"},      // conv1 weight gradient
		{6, 9, "avx2_6x16"},          // a 6-filter conv's weight gradient
		{128, 10, "avx512_16x16"},    // output layer, batch 128
		{16, 50176, "avx512_8x48"},   // conv1 forward, batch 64
		{32, 12544, "avx512_8x48"},   // conv2 forward
		{64, 3136, "avx512_8x48"},    // conv3 forward
		{144, 12544, "avx512_8x48"},  // conv2 input gradient
		{128, 128, "avx512_14x32"},   // MLP layer
		{1024, 1024, "avx512_14x32"}, // large square
	} {
		a := randSlice(rand.New(rand.NewPCG(1, 2)), c.m*8)
		if run, _ := plan(&k512, false, c.m, c.n, 8, a, 8); run.name != c.want {
			t.Errorf("%dx%d: plan = %s; want %s", c.m, c.n, run.name, c.want)
		}
	}
}

// TestPlanAltsAVX2 pins which kernel runs the zoo's shapes on a CPU with
// AVX2 and no AVX-512 (Zen 3, or GODEBUG=cpu.avx512f=off).
func TestPlanAltsAVX2(t *testing.T) {
	k2, k4 := avx2Kernel, avx2x4Kernel
	k2.native, k4.native = true, true
	k2.alts = []*kernel{&k4}
	for _, c := range []struct {
		m, n int
		want string
	}{
		{16, 50176, "avx2_4x24"},  // conv1 forward, batch 64
		{32, 12544, "avx2_4x24"},  // conv2 forward
		{64, 3136, "avx2_4x24"},   // conv3 forward
		{16, 9, "avx2_6x16"},      // conv1 weight gradient: 9 columns fill 9/16, not 9/24
		{128, 128, "avx2_6x16"},   // MLP layer
		{1024, 1024, "avx2_6x16"}, // large square
		{144, 12544, "avx2_6x16"}, // conv2 input gradient: 144 rows fill 6-row tiles
	} {
		a := randSlice(rand.New(rand.NewPCG(1, 2)), c.m*8)
		if run, _ := plan(&k2, false, c.m, c.n, 8, a, 8); run.name != c.want {
			t.Errorf("%dx%d: plan = %s; want %s", c.m, c.n, run.name, c.want)
		}
	}
}

// TestEmulatorMatchesCPU runs each assembly kernel this CPU has (AVX2, and
// AVX-512 where present) on the CPU and in the interpreter and requires the
// same bits: the interpreter's instructions (FMA rounding, broadcasts,
// masks, loads, loops, flags) agree with the hardware.
func TestEmulatorMatchesCPU(t *testing.T) {
	n := 0
	for kern, text := range asmKernels {
		if !kern.native {
			continue
		}
		n++
		for _, tc := range kernelCases(kern.mr, kern.nr) {
			name := fmt.Sprintf("%s kc=%d alpha=%v beta=%v", kern.name, tc.kc, tc.alpha, tc.beta)
			hw := append([]float32(nil), tc.c...)
			kern.fn(tc.kc, tc.a, tc.b, hw, tc.ldc, tc.alpha, tc.beta)
			em := append([]float32(nil), tc.c...)
			if _, _, err := emuKernelCall(text, tc.kc, tc.a, tc.b, em, tc.ldc, tc.alpha, tc.beta); err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			if i := sameBits(em, hw); i >= 0 {
				t.Fatalf("%s: c[%d] = %v in the interpreter, %v on the CPU", name, i, em[i], hw[i])
			}
		}
		for _, tc := range tilesCases(kern.mr, kern.nr, kern.nr) {
			name := fmt.Sprintf("%s tiles=%d kc=%d beta=%v", kern.name, tc.tiles, tc.kc, tc.beta)
			hw := append([]float32(nil), tc.c...)
			kern.tiles(tc.kc, tc.a, tc.b, hw, tc.ldc, tc.alpha, tc.beta, tc.tiles)
			em := append([]float32(nil), tc.c...)
			if _, _, err := emuTilesCall(tilesText(text), tc.kc, tc.a, tc.b, em, tc.ldc, tc.alpha, tc.beta, tc.tiles); err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			if i := sameBits(em, hw); i >= 0 {
				t.Fatalf("%s: c[%d] = %v in the interpreter, %v on the CPU", name, i, em[i], hw[i])
			}
		}
	}
	if n == 0 {
		t.Skip("no AVX2 or AVX-512 on this CPU to compare the interpreter with")
	}
}

// TestEmulatedKernels runs every assembly micro-kernel in the
// interpreter, on any CPU: every call must give the contract's bits, store
// exactly its mr×nr tile, read C only when beta ≠ 0 (and then only the
// tile), and read nothing outside the panels.
func TestEmulatedKernels(t *testing.T) {
	for kern, text := range asmKernels {
		t.Run(kern.name, func(t *testing.T) { testEmulatedKernel(t, text, kern.mr, kern.nr) })
	}
}

// TestEmulatedTilesKernels runs every assembly kernel's tiles variant, and
// every edge kernel and its tiles variant, in the interpreter, on any CPU:
// each call must give the contract's bits tile by tile, store exactly its
// column of mr×w tiles, read C only when beta ≠ 0 (and then only those
// tiles), and read the tiles' A panels and the first w columns of each
// depth of the B panel and nothing else.
func TestEmulatedTilesKernels(t *testing.T) {
	for kern, text := range asmKernels {
		for _, v := range columnKernels(kern) {
			if v.name == kern.name {
				v.name = text
			}
			t.Run(v.name, func(t *testing.T) {
				mr, nr := kern.mr, kern.nr
				bwords := map[int]bool{}
				for _, tc := range tilesCases(mr, v.w, nr) {
					want := tilesContract(mr, v.w, nr, tc)
					for _, one := range []bool{false, true} {
						if one && (tc.tiles != 1 || v.w == nr) {
							continue // a kernel's own one-tile calls: TestEmulatedKernels
						}
						text := tilesText(v.name)
						if one {
							text = v.name
						}
						label := fmt.Sprintf("%s tiles=%d kc=%d ldc=%d alpha=%v beta=%v", text, tc.tiles, tc.kc, tc.ldc, tc.alpha, tc.beta)
						got := append([]float32(nil), tc.c...)
						var loads, stores map[string]map[int]bool
						var err error
						if one {
							loads, stores, err = emuKernelCall(text, tc.kc, tc.a, tc.b, got, tc.ldc, tc.alpha, tc.beta)
						} else {
							loads, stores, err = emuTilesCall(text, tc.kc, tc.a, tc.b, got, tc.ldc, tc.alpha, tc.beta, tc.tiles)
						}
						if err != nil {
							t.Fatalf("%s: %v", label, err)
						}
						if i := sameBits(got, want); i >= 0 {
							t.Fatalf("%s: c[%d] = %v; the contract gives %v", label, i, got[i], want[i])
						}
						checkTileAccess(t, label, loads, stores, tc.tiles*mr, v.w, tc.ldc, tc.beta)
						clear(bwords)
						for p := 0; p < tc.kc; p++ {
							for j := 0; j < v.w; j++ {
								bwords[p*nr+j] = true
							}
						}
						if len(loads["a"]) != tc.tiles*tc.kc*mr || !sameWords(loads["b"], bwords) {
							t.Errorf("%s: read %d words of A and %d of B; want %d and the first %d of each of the %d depths", label, len(loads["a"]), len(loads["b"]), tc.tiles*tc.kc*mr, v.w, tc.kc)
						}
					}
				}
			})
		}
	}
}

func testEmulatedKernel(t *testing.T, name string, mr, nr int) {
	for _, tc := range kernelCases(mr, nr) {
		label := fmt.Sprintf("%s kc=%d ldc=%d alpha=%v beta=%v", name, tc.kc, tc.ldc, tc.alpha, tc.beta)
		_, loads := runEmulated(t, label, mr, nr, tc, func(c []float32) (map[string]map[int]bool, map[string]map[int]bool, error) {
			return emuKernelCall(name, tc.kc, tc.a, tc.b, c, tc.ldc, tc.alpha, tc.beta)
		})
		if len(loads["a"]) != tc.kc*mr || len(loads["b"]) != tc.kc*nr {
			t.Errorf("%s: read %d and %d words of the panels; want %d and %d", label, len(loads["a"]), len(loads["b"]), tc.kc*mr, tc.kc*nr)
		}
	}
}

// TestEmulatedSgemm runs whole products through each assembly kernel the
// CPU lacks (AVX-512 on an AVX2 machine, or under GODEBUG=cpu.avx512f=off;
// both without AVX2), in the interpreter, with its tiles, packing and edge
// tiles in Go, and requires the contract's bits (TestFusedKernelsMatchContract
// holds the kernels the CPU has to the same). A mostly-zero A takes the
// zero-skipping path: the kernel's own variant, in the interpreter too, or
// the hand-over to the AVX2 one where that pays.
func TestEmulatedSgemm(t *testing.T) {
	n := 0
	for kern, text := range asmKernels {
		if kern.native {
			continue
		}
		n++
		var mu sync.Mutex
		var failed error
		emu := emulated(kern, text, asmSkipKernels[kern], func(err error) {
			mu.Lock()
			if failed == nil {
				failed = err
			}
			mu.Unlock()
		})
		for _, c := range sgemmCases() {
			want := c.run(t, contractKernel(kern, 1, 1))
			got := c.run(t, emu)
			if failed != nil {
				t.Fatalf("%s: %s: %v", kern.name, c.name, failed)
			}
			if j := sameBits(got, want); j >= 0 {
				t.Fatalf("%s: %s: c[%d] = %v in the interpreter; the contract gives %v", kern.name, c.name, j, got[j], want[j])
			}
			w := skipper(emu)
			pays := w != nil && (w == emu || handOverPays(emu, w, c.tA, c.m, c.n, c.k, c.a, c.lda))
			if _, skip := plan(emu, c.tA, c.m, c.n, c.k, c.a, c.lda); c.sparse && pays && !skip {
				t.Errorf("%s: %s: the mostly-zero A did not take a zero-skipping path", kern.name, c.name)
			}
		}
	}
	if n == 0 {
		t.Skip("this CPU runs every assembly kernel: TestFusedKernelsMatchContract tests them")
	}
}

// TestSwapBetter pins when a product runs transposed (as on CPUs with
// these kernels; plan and swapBetter read only the kernels' fields): the
// conv1 weight gradient on AVX2 yes; a small convolution output whose k is
// too short to pay for the copy, no; beta ≠ 0 needs twice the work.
func TestSwapBetter(t *testing.T) {
	k512, k8, k16, k2, k4 := avx512Kernel, avx512x8Kernel, avx512x16Kernel, avx2Kernel, avx2x4Kernel
	k512.native, k8.native, k16.native, k2.native, k4.native = true, true, true, true, true
	k512.alts = []*kernel{&k8, &k16, &k2}
	k2.alts = []*kernel{&k4}
	old := active
	defer func() { active = old }()
	for _, c := range []struct {
		kern    *kernel
		m, n, k int
		beta    float32
		want    bool
	}{
		{&k2, 16, 9, 50176, 1, true},    // conv1 dW, batch 64, AVX2
		{&k2, 16, 9, 2000, 1, false},    // too short a k for two copies
		{&k2, 16, 9, 2000, 0, true},     // ... but not for one (C need not be read)
		{&k512, 16, 9, 50176, 1, false}, // 16×16 tiles fit both ways alike
		{&k512, 64, 196, 288, 0, false}, // conv3 output of 4 images: slower transposed
		{&k2, 9, 16, 50176, 1, false},   // already the better way round
	} {
		active = c.kern
		if got := swapBetter(c.m, c.n, c.k, c.beta); got != c.want {
			t.Errorf("%s %dx%dx%d beta %v: swapBetter = %v; want %v", c.kern.name, c.m, c.n, c.k, c.beta, got, c.want)
		}
	}
}

// skipCases returns kernelCases with a list of steps each: every depth of
// the case's A that is not listed is set to ±0, so the skipping kernel must
// give the dense contract's bits. Depths 0 and 1 (where kernelCases puts
// ±Inf in B) are always listed; the rest one time in two, and one case
// lists no depth at all.
func skipCases(mr, nr int) []struct {
	kernelCase
	steps []int32
} {
	r := rand.New(rand.NewPCG(7, 8))
	var out []struct {
		kernelCase
		steps []int32
	}
	for i, tc := range kernelCases(mr, nr) {
		tc.a = append([]float32(nil), tc.a...)
		var steps []int32
		for p := range tc.kc {
			if (p < 2 && i != 0) || r.IntN(2) == 0 && i != 0 {
				steps = append(steps, int32(p))
				continue
			}
			for j := range mr {
				tc.a[p*mr+j] = float32(math.Copysign(0, float64(r.IntN(2))-0.5))
			}
		}
		out = append(out, struct {
			kernelCase
			steps []int32
		}{tc, steps})
	}
	return out
}

// runEmulated runs one kernel call in the interpreter (call, on a copy of
// tc's C) and requires the contract's bits on tc (with its A as given: ±0
// at the depths a skipping kernel is not given) and checkTileAccess's
// accesses of C; it returns C and the words loaded.
func runEmulated(t *testing.T, label string, mr, nr int, tc kernelCase, call func(c []float32) (loads, stores map[string]map[int]bool, err error)) ([]float32, map[string]map[int]bool) {
	t.Helper()
	want := append([]float32(nil), tc.c...)
	kernelContract(mr, nr, tc.kc, tc.a, tc.b, want, tc.ldc, tc.alpha, tc.beta)
	got := append([]float32(nil), tc.c...)
	loads, stores, err := call(got)
	if err != nil {
		t.Fatalf("%s: %v", label, err)
	}
	if i := sameBits(got, want); i >= 0 {
		t.Fatalf("%s: c[%d] = %v; the contract gives %v", label, i, got[i], want[i])
	}
	checkTileAccess(t, label, loads, stores, mr, nr, tc.ldc, tc.beta)
	return got, loads
}

// checkTileAccess fails t unless a kernel call stored exactly its mr×nr
// tile of C, read C only when beta ≠ 0 (and then only the tile), and wrote
// nothing else it was given (the panels, the steps).
func checkTileAccess(t *testing.T, label string, loads, stores map[string]map[int]bool, mr, nr, ldc int, beta float32) {
	t.Helper()
	tile := tileWords(mr, nr, ldc)
	if !sameWords(stores["c"], tile) {
		t.Errorf("%s: stored %d words of C; want exactly the %d of the tile", label, len(stores["c"]), len(tile))
	}
	for region, words := range stores {
		if region != "c" && len(words) > 0 {
			t.Errorf("%s: wrote %d words of %s", label, len(words), region)
		}
	}
	wantLoads := tile
	if beta == 0 {
		wantLoads = map[int]bool{}
	}
	if !sameWords(loads["c"], wantLoads) {
		t.Errorf("%s: read %d words of C; want %d", label, len(loads["c"]), len(wantLoads))
	}
}

// TestEmulatedSkipKernels runs every zero-skipping assembly kernel in the
// interpreter, on any CPU: each call must give the dense contract's bits,
// store exactly its tile, read C only when beta ≠ 0, and read exactly the
// listed depths of the panels. Where the CPU has the kernel, the hardware
// must give the interpreter's bits.
func TestEmulatedSkipKernels(t *testing.T) {
	for kern, text := range asmSkipKernels {
		t.Run(kern.name, func(t *testing.T) {
			mr, nr := kern.mr, kern.nr
			for _, tc := range skipCases(mr, nr) {
				label := fmt.Sprintf("%s kc=%d steps=%d ldc=%d alpha=%v beta=%v", text, tc.kc, len(tc.steps), tc.ldc, tc.alpha, tc.beta)
				got, loads := runEmulated(t, label, mr, nr, tc.kernelCase, func(c []float32) (map[string]map[int]bool, map[string]map[int]bool, error) {
					return emuSkipCall(text, tc.steps, tc.a, tc.b, c, tc.ldc, tc.alpha, tc.beta)
				})
				wantA, wantB := map[int]bool{}, map[int]bool{}
				for _, p := range tc.steps {
					for j := range mr {
						wantA[int(p)*mr+j] = true
					}
					for j := range nr {
						wantB[int(p)*nr+j] = true
					}
				}
				if !sameWords(loads["a"], wantA) || !sameWords(loads["b"], wantB) || len(loads["steps"]) != len(tc.steps) {
					t.Errorf("%s: read %d, %d and %d words of A, B and the steps; want the listed depths' %d, %d and %d",
						label, len(loads["a"]), len(loads["b"]), len(loads["steps"]), len(wantA), len(wantB), len(tc.steps))
				}
				if kern.native {
					hw := append([]float32(nil), tc.c...)
					kern.skip(tc.steps, tc.a, tc.b, hw, tc.ldc, tc.alpha, tc.beta)
					if i := sameBits(hw, got); i >= 0 {
						t.Fatalf("%s: c[%d] = %v on the CPU, %v in the interpreter", label, i, hw[i], got[i])
					}
				}
			}
		})
	}
}
