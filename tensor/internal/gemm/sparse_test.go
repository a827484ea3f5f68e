package gemm

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sync/atomic"
	"testing"
)

// sparseSlice returns n values of which about density are non-zero
// (uniform in [-1, 1)); the zeros are +0 and -0 alike.
func sparseSlice(r *rand.Rand, n int, density float64) []float32 {
	s := make([]float32, n)
	for i := range s {
		switch {
		case r.Float64() < density:
			s[i] = r.Float32()*2 - 1
		case r.IntN(2) == 0:
			s[i] = float32(math.Copysign(0, -1))
		}
	}
	return s
}

// sgemmSkip runs Sgemm with zero skipping allowed or not and reports
// whether Sgemm chose to list steps, on whichever kernel its plan handed
// the product to (the AVX-512 kernel hands a mostly-zero A to AVX2's).
func sgemmSkip(skip, tA, tB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) bool {
	old := skipOff
	skipOff = !skip
	defer func() { skipOff = old }()
	Sgemm(tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
	_, skipped := plan(active, tA, m, n, k, a, lda)
	return skipped
}

// skipper returns the kernel that runs kern's products with a mostly-zero
// A, skipping zeros: kern itself, the native kernel it hands them to, or nil
// when there is none (the NEON kernel has no skipping variant: such
// products run dense).
func skipper(kern *kernel) *kernel {
	if kern.skip != nil {
		return kern
	}
	if w := kern.skipWith; w != nil && w.native && w.skip != nil {
		return w
	}
	return nil
}

// TestSkipMatchesDense checks that zero skipping gives C bit for bit as the
// dense kernels do, on every kernel and transpose case, for shapes with
// edge tiles, depths across several k blocks, padded strides, alpha and
// beta, NaN, ±Inf and subnormals in A, panels with no non-zero at all and
// panels too dense to skip, with 1 and 2 threads.
func TestSkipMatchesDense(t *testing.T) {
	for _, kern := range kernels() {
		t.Run(kern.name, func(t *testing.T) {
			if skipper(kern) == nil {
				t.Skipf("%s has no zero-skipping path (TestUseSkip checks it stays dense)", kern.name)
			}
			withKernel(t, kern)
			r := rand.New(rand.NewPCG(21, 22))
			shapes := [][3]int{{1, 1, 1}, {5, 10, 7}, {64, 128, 784}, {130, 17, 196}, {3, 40, 1100}, {70, 100, 33}, {13, 35, 2100}}
			for _, sh := range shapes {
				m, n, k := sh[0], sh[1], sh[2]
				for _, tA := range []bool{false, true} {
					for _, tB := range []bool{false, true} {
						for _, ab := range [][2]float32{{1, 0}, {0.75, 1}, {-1.5, 0.5}} {
							for _, th := range []int{1, 2} {
								withThreads(t, th)
								name := fmt.Sprintf("%dx%dx%d tA=%v tB=%v alpha=%v beta=%v threads=%d", m, n, k, tA, tB, ab[0], ab[1], th)
								rows, cols := m, k
								if tA {
									rows, cols = k, m
								}
								lda := cols + 3
								a := sparseSlice(r, rows*lda, 0.15)
								// Every odd depth zero in every row, as image borders
								// are, so that a hand-over to a slower skipping
								// kernel pays too (TestHandOverPays).
								for i := range m {
									for p := 1; p < k; p += 2 {
										if tA {
											a[p*lda+i] = 0
										} else {
											a[i*lda+p] = 0
										}
									}
								}
								if rows > 2 && cols > 2 {
									a[lda+1] = float32(math.NaN())
									a[2*lda] = float32(math.Inf(-1))
									a[lda+2] = 1e-40 // subnormal, non-zero
								}
								// The last rows of op(A) half dense, so some panels are
								// not worth skipping (the sample, of the first stored
								// rows, stays sparse).
								for i := max(0, m-6); i < m && k > 64 && m > 12; i++ {
									for p := k / 2; p < k; p++ {
										if tA {
											a[p*lda+i] = r.Float32() + 0.5
										} else {
											a[i*lda+p] = r.Float32() + 0.5
										}
									}
								}
								brows, bcols := k, n
								if tB {
									brows, bcols = n, k
								}
								ldb, ldc := bcols+5, n+2
								b := randSlice(r, brows*ldb)
								c0 := randSlice(r, m*ldc)
								want := append([]float32(nil), c0...)
								got := append([]float32(nil), c0...)
								if sgemmSkip(false, tA, tB, m, n, k, ab[0], a, lda, b, ldb, ab[1], want, ldc) {
									t.Fatalf("%s: skipping switched off but chosen", name)
								}
								// (A sample of a few values may be over half non-zero; a
								// hand-over to a slower kernel may not pay.)
								pays := kern.skip != nil || handOverPays(kern, skipper(kern), tA, m, n, k, a, lda)
								if !sgemmSkip(true, tA, tB, m, n, k, ab[0], a, lda, b, ldb, ab[1], got, ldc) && m*k >= 256 && pays {
									t.Fatalf("%s: an A 15 %% non-zero did not choose zero skipping", name)
								}
								for i := range got {
									if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
										t.Fatalf("%s: C[%d] = %v (%#x) skipping, %v (%#x) dense", name, i, got[i], math.Float32bits(got[i]), want[i], math.Float32bits(want[i]))
									}
								}
							}
						}
					}
				}
			}
		})
	}
}

// TestSkipZeroTimesInf pins the one documented difference from the dense
// kernels: a zero panel step against ±Inf or NaN in B adds nothing.
func TestSkipZeroTimesInf(t *testing.T) {
	const m, n, k = 6, 16, 40
	a := make([]float32, m*k) // all zero but one depth
	for i := 0; i < m; i++ {
		a[i*k+3] = float32(i + 1)
	}
	b := make([]float32, k*n)
	for i := range b {
		b[i] = 1
	}
	b[5*n+2] = float32(math.Inf(1)) // depth 5: A is zero there in every row
	b[5*n+9] = float32(math.NaN())
	for _, kern := range kernels() {
		withKernel(t, kern)
		c := make([]float32, m*n)
		skipped := sgemmSkip(true, false, false, m, n, k, 1, a, k, b, n, 0, c, n)
		if skipped != (skipper(kern) != nil) {
			t.Fatalf("%s: zero skipping chosen: %v", kern.name, skipped)
		}
		for i := 0; i < m; i++ {
			for j := 0; j < n; j++ {
				want := float32(i + 1)
				if !skipped && (j == 2 || j == 9) {
					want = float32(math.NaN()) // dense: 0·Inf and 0·NaN
				}
				if got := c[i*n+j]; got != want && !(math.IsNaN(float64(got)) && math.IsNaN(float64(want))) {
					t.Fatalf("%s: C[%d][%d] = %v; want %v (skipping: %v)", kern.name, i, j, c[i*n+j], want, skipped)
				}
			}
		}
	}
}

// TestUseSkip checks the per-product choice from the sample of A.
func TestUseSkip(t *testing.T) {
	r := rand.New(rand.NewPCG(25, 26))
	dense, sparse := randSlice(r, 128*784), sparseSlice(r, 128*784, 0.19)
	half := sparseSlice(r, 128*784, 0.6)
	cases := []struct {
		name string
		a    []float32
		tA   bool
		m, k int
		lda  int
		want bool
	}{
		{"images·W", sparse, false, 128, 784, 784, true},
		{"imagesᵀ·dY", sparse, true, 784, 128, 784, true},
		{"dense A", dense, false, 128, 784, 784, false},
		{"60 % non-zero", half, false, 128, 784, 784, false},
		{"one row", sparse, false, 1, 784, 784, true},
	}
	for _, kern := range kernels() {
		// A kernel without a skipping variant hands a mostly-zero A over,
		// or, with none to hand it to (NEON), runs every product dense.
		skipper := skipper(kern)
		if skipper == nil {
			if kern.skipWith != nil {
				t.Errorf("%s: hands mostly-zero products to %s, which cannot skip zeros here", kern.name, kern.skipWith.name)
			}
			for _, c := range cases {
				if run, skip := plan(kern, c.tA, c.m, 128, c.k, c.a, c.lda); run != kern || skip {
					t.Errorf("%s: %s: plan = %s, skip %v; want it dense", kern.name, c.name, run.name, skip)
				}
			}
			continue
		}
		for _, c := range cases {
			if got := useSkip(skipper, c.tA, c.m, c.k, c.a, c.lda); got != c.want {
				t.Errorf("%s: %s: useSkip = %v; want %v", skipper.name, c.name, got, c.want)
			}
			// A hand-over to a slower kernel only where it pays
			// (TestHandOverPays pins when).
			run, skip := plan(kern, c.tA, c.m, 128, c.k, c.a, c.lda)
			wantRun, wantSkip := kern, c.want
			if c.want && skipper != kern && !handOverPays(kern, skipper, c.tA, c.m, 128, c.k, c.a, c.lda) {
				wantRun, wantSkip = nil, false // dense, on kern's best tile
			} else if c.want {
				wantRun = skipper
			}
			if wantRun == nil {
				wantRun, _ = bestKernel(kern, c.m, 128)
			}
			if skip != wantSkip || run != wantRun {
				t.Errorf("%s: %s: plan = %s, skip %v; want %s, skip %v", kern.name, c.name, run.name, skip, wantRun.name, wantSkip)
			}
		}
	}
	// Without a native kernel to hand over to, the product stays dense.
	lone := kernel{name: "lone", mr: 2, nr: 3, fn: kernelGo2x3, skipWith: &kernel{name: "absent", skip: kernelGo2x3Skip}}
	if run, skip := plan(&lone, false, 128, 128, 784, sparse, 784); run != &lone || skip {
		t.Errorf("hand-over to a kernel the CPU lacks: plan = %s, skip %v; want lone, dense", run.name, skip)
	}
}

// imageLike returns n 28×28 images whose ink (values in (0, 1]) falls
// only inside a central 16×16 square, at the given density there: like
// MNIST, every image is zero at the same border pixels.
func imageLike(r *rand.Rand, n int, density float64) []float32 {
	x := make([]float32, n*784)
	for e := range n {
		for y := 6; y < 22; y++ {
			for c := 6; c < 22; c++ {
				if r.Float64() < density {
					x[e*784+y*28+c] = 1 - r.Float32()
				}
			}
		}
	}
	return x
}

// TestHandOverPays pins the hand-over from a kernel to a skipping one at
// half its rate (AVX-512 to AVX2): images whose borders are zero in every
// one of them (MNIST-like: most depths of a panel all zero) go over, as
// images · W and as imagesᵀ · dY; activations after a ReLU (each value
// zero half the time, independently) and random 19 %-dense A stay dense;
// to a kernel as fast as the asking one, any mostly-zero A goes over.
func TestHandOverPays(t *testing.T) {
	r := rand.New(rand.NewPCG(41, 42))
	fast := kernel{name: "fast", mr: 8, nr: 32, lanes: 16, native: true}
	slow := kernel{name: "slow", mr: 6, nr: 16, lanes: 8, native: true}
	same := kernel{name: "same", mr: 6, nr: 32, lanes: 16, native: true}
	images := imageLike(r, 128, 0.5)
	relu := sparseSlice(r, 128*784, 0.5)
	sparse := sparseSlice(r, 128*784, 0.19)
	for _, c := range []struct {
		name     string
		w        *kernel
		a        []float32
		tA       bool
		m, k     int
		want     bool
		minShare float64
		maxShare float64
	}{
		{"images·W", &slow, images, false, 128, 784, true, 0.6, 0.75},
		{"imagesᵀ·dY", &slow, images, true, 784, 128, true, 0.45, 0.75},
		{"ReLU activations", &slow, relu, false, 128, 784, false, 0, 0.05},
		{"19 % dense", &slow, sparse, false, 128, 784, false, 0.2, 0.4},
		{"19 % dense, same rate", &same, sparse, false, 128, 784, true, 0.2, 0.4},
	} {
		share := zeroDepthShare(c.tA, c.m, c.k, c.a, 784, c.w.mr)
		if share < c.minShare || share > c.maxShare {
			t.Errorf("%s: zeroDepthShare = %.3f; want it in [%v, %v]", c.name, share, c.minShare, c.maxShare)
		}
		if got := handOverPays(&fast, c.w, c.tA, c.m, 128, c.k, c.a, 784); got != c.want {
			t.Errorf("%s: handOverPays = %v (share %.3f); want %v", c.name, got, share, c.want)
		}
	}
	// A hand count: 6 rows, 8 depths, zero at depths 1, 2 and 7 only.
	a := make([]float32, 6*8)
	for i := range 6 {
		for _, p := range []int{0, 3, 4, 5, 6} {
			if (i+p)%2 == 0 || i == 5 {
				a[i*8+p] = 1
			}
		}
	}
	a[2*8+7] = float32(math.Copysign(0, -1))
	if got := zeroDepthShare(false, 6, 8, a, 8, 6); got != 3.0/8 {
		t.Errorf("hand count: zeroDepthShare = %v; want 3/8", got)
	}
	if got := zeroDepthShare(true, 6, 8, transpose(a, 6, 8), 6, 6); got != 3.0/8 {
		t.Errorf("hand count, transposed: zeroDepthShare = %v; want 3/8", got)
	}
}

// transpose returns the r×c row-major matrix a as c×r.
func transpose(a []float32, r, c int) []float32 {
	t := make([]float32, len(a))
	for i := range r {
		for j := range c {
			t[j*r+i] = a[i*c+j]
		}
	}
	return t
}

// TestPanelSteps checks the step lists against a hand count for both the
// 6-row fast path and the generic loop: ±0 is zero, NaN, Inf and
// subnormals are not.
func TestPanelSteps(t *testing.T) {
	neg0 := float32(math.Copysign(0, -1))
	for _, mr := range []int{6, 2, 14} {
		const kc = 9
		a := make([]float32, mr*kc)
		a[0*mr+mr-1] = neg0                  // depth 0: only -0
		a[1*mr+0] = 1e-45                    // depth 1: subnormal
		a[3*mr+mr-1] = float32(math.NaN())   // depth 3
		a[4*mr+1], a[4*mr+2] = neg0, 0       // depth 4: zeros only
		a[6*mr+mr/2] = float32(math.Inf(-1)) // depth 6
		a[8*mr+0], a[8*mr+mr-1] = -2, neg0   // depth 8
		steps := make([]int32, kc)
		n := panelSteps(a, mr, kc, steps)
		want := []int32{1, 3, 6, 8}
		if n != len(want) || fmt.Sprint(steps[:n]) != fmt.Sprint(want) {
			t.Errorf("mr=%d: panelSteps = %v; want %v", mr, steps[:n], want)
		}
	}
	// The AVX2 lister against the Go loop on random 6-row panels of every
	// depth to 40, mostly zeros, with the special values.
	specials := []float32{0, neg0, float32(math.NaN()), float32(math.Inf(1)), 1e-45, -3}
	r := rand.New(rand.NewPCG(31, 32))
	for kc := 0; kc <= 40; kc++ {
		for rep := 0; rep < 20; rep++ {
			a := make([]float32, 6*kc)
			for i := range a {
				if r.IntN(8) == 0 {
					a[i] = specials[r.IntN(len(specials))]
				}
			}
			got, want := make([]int32, kc), make([]int32, kc)
			ng := panelSteps(a, 6, kc, got)
			old := stepsAVX2
			stepsAVX2 = false
			nw := panelSteps(a, 6, kc, want)
			stepsAVX2 = old
			if ng != nw || fmt.Sprint(got[:ng]) != fmt.Sprint(want[:nw]) {
				t.Fatalf("kc=%d: panelSteps = %v; Go loop %v", kc, got[:ng], want[:nw])
			}
		}
	}
	if !worthSkipping(80, 100) || worthSkipping(81, 100) {
		t.Error("worthSkipping: want skipping at 80 of 100 steps listed and not at 81")
	}
}

// TestSkipNoAllocs checks that a warm Sgemm that skips zeros allocates
// nothing.
func TestSkipNoAllocs(t *testing.T) {
	const m, n, k = 64, 128, 784
	r := rand.New(rand.NewPCG(29, 30))
	a, b, c := sparseSlice(r, m*k, 0.2), randSlice(r, k*n), make([]float32, m*n)
	dy, dw := randSlice(r, m*n), make([]float32, k*n)
	for _, th := range []int{1, 2} {
		withThreads(t, th)
		f := func() {
			Sgemm(false, false, m, n, k, 1, a, k, b, n, 0, c, n)
			Sgemm(true, false, k, n, m, 1, a, k, dy, n, 0, dw, n)
		}
		f()
		if got := testing.AllocsPerRun(10, f); got != 0 {
			t.Errorf("threads=%d: Sgemm with zero skipping allocates %v times per call; want 0", th, got)
		}
	}
}

// TestSkipWith checks the hand-over of a kernel without a skipping variant
// (the AVX-512 one) to its skipWith kernel: a product with a mostly-zero A
// runs on the skipWith kernel's skipping path and gives the dense bits; a
// dense A stays on the active kernel.
func TestSkipWith(t *testing.T) {
	var base *kernel // the best kernel this machine runs with a skipping variant
	for _, k := range kernels() {
		if k.skip != nil {
			base = k
			break
		}
	}
	var calls atomic.Int64 // the pool's workers call it too
	alt := *base
	alt.name += "+counted"
	alt.skip = func(steps []int32, a, b, c []float32, ldc int, alpha, beta float32) {
		calls.Add(1)
		base.skip(steps, a, b, c, ldc, alpha, beta)
	}
	noSkip := *base // stands in for the AVX-512 kernel: same arithmetic, no variant
	noSkip.name, noSkip.skip, noSkip.skipWith = "no-skip", nil, &alt
	withKernel(t, &noSkip)
	const m, n, k = 64, 128, 784
	r := rand.New(rand.NewPCG(33, 34))
	b := randSlice(r, k*n)
	for _, dense := range []bool{false, true} {
		a := sparseSlice(r, m*k, 0.15)
		if dense {
			a = randSlice(r, m*k)
		}
		want, got := make([]float32, m*n), make([]float32, m*n)
		sgemmSkip(false, false, false, m, n, k, 1, a, k, b, n, 0, want, n)
		calls.Store(0)
		sgemmSkip(true, false, false, m, n, k, 1, a, k, b, n, 0, got, n)
		if dense != (calls.Load() == 0) {
			t.Errorf("dense A = %v: the skipWith kernel's skipping path ran %d times", dense, calls.Load())
		}
		for i := range got {
			if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
				t.Fatalf("dense A = %v: C[%d] = %v via skipWith, %v dense", dense, i, got[i], want[i])
			}
		}
	}
}
